"""Users' data are never lost or corrupted (issue 11): outputs only in output_dir, atomic
writes with a completion marker, mock files never written over a user's, fingerprinted
resumes, seeded chains, and early, clear errors for bad runs."""

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import astropy.units as u
from astropy.table import Table

from halo_utils import density as dens
from halo_utils import mock
from halo_utils.catalog import REQUIRED_COLUMNS
from halo_utils.fingerprint import FingerprintMismatch, check_fingerprint, file_sha256, fingerprint
from halo_utils.fitting import run_emcee
from halo_utils.lmc import SimulationConfig
from halo_utils.outputs import (MARKER, OutputDirectory, OutputError, UpstreamError, atomic_path, read_upstream,
                                write_table_file)
from halo_utils.pipeline import check_parameters, run_chapter

ROOT = Path(__file__).resolve().parent.parent


def _tree(path: Path) -> dict:
    """{relative path: (size, mtime_ns, sha256)} of every file under ``path``."""
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns, file_sha256(p))
            for p in sorted(path.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ atomic writes

def test_atomic_path_leaves_the_old_file_when_the_writer_dies(tmp_path):
    target = tmp_path / "sample.fits"
    Table({"a": [1, 2]}).write(target)
    before = target.read_bytes()
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a fil")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.fits"]  # no temporary left behind


def test_output_directory_refuses_inputs_escapes_and_other_chapters(tmp_path):
    catalog = tmp_path / "cat.fits"
    Table({"a": [1.0]}).write(catalog)
    out = OutputDirectory(tmp_path, chapter="ch", inputs={"catalog_path": catalog, "truth_path": ""})
    with pytest.raises(OutputError, match="refusing to overwrite input catalog_path"):
        out.write_table(Table({"b": [2]}), "cat.fits")
    for bad in ("../x.fits", "/tmp/x.fits", "sub/x.fits", MARKER):
        with pytest.raises(OutputError, match="x.fits|summary.json"):
            out.file(bad)
    out.write_table(Table({"b": [2]}), "b.ecsv")
    marker = json.loads(out.finish({"n": np.int64(3), "nan": float("nan")}).read_text())
    assert marker["chapter"] == "ch" and marker["complete"] and marker["n"] == 3 and marker["nan"] is None
    assert marker["inputs"] == {"catalog_path": {"path": str(catalog), "sha256": file_sha256(catalog)}}
    assert marker["outputs"] == {"b.ecsv": file_sha256(tmp_path / "b.ecsv")}
    with pytest.raises(OutputError, match="holds the outputs of 'ch'"):
        OutputDirectory(tmp_path, chapter="another")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        OutputDirectory(tmp_path / "file", chapter="ch")


def test_reopening_an_output_directory_removes_its_marker_until_finish(tmp_path):
    out = OutputDirectory(tmp_path / "o", chapter="ch")
    out.write_table(Table({"a": [1]}), "a.fits")
    out.finish({})
    OutputDirectory(tmp_path / "o", chapter="ch")  # a rerun starts: the old outputs are no longer vouched for
    with pytest.raises(UpstreamError, match="no summary.json"):
        read_upstream(tmp_path / "o" / "a.fits", chapter="ch")


def test_read_upstream_refuses_unfinished_changed_or_mismatched_outputs(tmp_path):
    truth = tmp_path / "truth.fits"
    Table({"t": [1.0]}).write(truth)
    out = OutputDirectory(tmp_path / "ch1", chapter="01_sample_construction", inputs={"truth_path": truth})
    sample = out.write_table(Table({"x": [1.0, 2.0]}), "halo_sample.fits")
    with pytest.raises(UpstreamError, match="did not finish"):
        read_upstream(sample, chapter="01_sample_construction")
    out.finish({})
    assert read_upstream(sample, chapter="01_sample_construction", same_inputs={"truth_path": truth})["complete"]
    with pytest.raises(UpstreamError, match="not the completion marker of 03_density_model"):
        read_upstream(sample, chapter="03_density_model")
    other_truth = tmp_path / "truth2.fits"
    Table({"t": [2.0]}).write(other_truth)
    with pytest.raises(UpstreamError, match="truth_path = .*truth2.fits is not the file 01_sample_construction used"):
        read_upstream(sample, chapter="01_sample_construction", same_inputs={"truth_path": other_truth})
    Table({"x": [9.0]}).write(sample, overwrite=True)  # e.g. a rerun killed after writing this file
    with pytest.raises(UpstreamError, match="changed after 01_sample_construction finished"):
        read_upstream(sample, chapter="01_sample_construction")
    with pytest.raises(FileNotFoundError, match="run 01_sample_construction first"):
        read_upstream(tmp_path / "ch1" / "gse_sample.fits", chapter="01_sample_construction")


# ------------------------------------------------------------------ mock files

def test_mock_writers_never_overwrite_files_they_did_not_write(tmp_path):
    user = tmp_path / mock.OUTER_FILES["catalog"]
    user.write_bytes(b"a user's own file")
    with pytest.raises(FileExistsError, match="not written by halo_utils.mock"):
        mock.ensure_outer_halo(tmp_path)
    assert user.read_bytes() == b"a user's own file"
    survey_file = tmp_path / mock.DEFAULT_FILES["truth"]
    survey_file.write_bytes(b"another file of the user's")
    with pytest.raises(FileExistsError, match="refusing to overwrite existing file.*h3_mock_truth.fits"):
        mock.write_survey(tmp_path)
    with pytest.raises(FileExistsError, match="not written by halo_utils.mock"):
        mock.ensure_survey(tmp_path)
    assert user.read_bytes() == b"a user's own file"
    assert survey_file.read_bytes() == b"another file of the user's"


def test_ensure_outer_halo_regenerates_a_truncated_file(tmp_path):
    paths = mock.ensure_outer_halo(tmp_path, seed=4)
    good = paths["catalog"].read_bytes()
    paths["catalog"].write_bytes(good[: len(good) // 2])  # a write killed half-way by an older version
    mock.ensure_outer_halo(tmp_path, seed=4)
    assert paths["catalog"].read_bytes() == good
    manifest = json.loads((tmp_path / mock.OUTER_MANIFEST).read_text())
    assert manifest["sha256"][mock.OUTER_FILES["catalog"]] == file_sha256(paths["catalog"])


def test_lmc_simulations_are_cached_with_a_manifest_and_rerun_only_when_asked_for(tmp_path):
    """The simulation files are written with a manifest; a second call with the same seed and
    config reuses them (same bytes, no rerun), another config reruns, and files of these
    names without a manifest are never overwritten."""
    tiny = SimulationConfig(masses=(0.0, 1.8e11), n_particles=100, duration_myr=100.0, dt_myr=5.0)
    paths = mock.ensure_lmc_simulations(tmp_path, seed=3, config=tiny)
    first = {k: p.read_bytes() for k, p in paths.items()}
    stamp = {k: p.stat().st_mtime_ns for k, p in paths.items()}
    mock.ensure_lmc_simulations(tmp_path, seed=3, config=tiny)
    assert {k: p.stat().st_mtime_ns for k, p in paths.items()} == stamp
    manifest = json.loads((tmp_path / mock.SIMULATION_FILES.manifest).read_text())
    assert manifest["seed"] == 3 and manifest["config"]["n_particles"] == 100
    mock.ensure_lmc_simulations(tmp_path, seed=3, config=SimulationConfig(masses=(0.0,), n_particles=100,
                                                                          duration_myr=100.0, dt_myr=5.0))
    assert paths["particles"].read_bytes() != first["particles"]
    other = tmp_path / "user"
    other.mkdir()
    (other / mock.SIMULATION_FILES.files["particles"]).write_bytes(b"a user's file")
    with pytest.raises(FileExistsError):
        mock.ensure_lmc_simulations(other, seed=3, config=tiny)
    assert (other / mock.SIMULATION_FILES.files["particles"]).read_bytes() == b"a user's file"


def test_default_data_generated_only_for_the_default_paths(tmp_path):
    data = tmp_path / "data"
    mistyped = {"catalog_path": str(data / "outer_halo_catalgo.fits"), "truth_path": str(data / "outer_halo_truth.fits")}
    with pytest.raises(FileNotFoundError, match="catalog_path = .*outer_halo_catalgo.fits.*: no such file"):
        mock.ensure_default_data(mistyped, generate=True, data_dir=data, outer_halo=True)
    assert not data.exists()
    default = {"catalog_path": str(data / "outer_halo_catalog.fits"), "truth_path": str(data / "outer_halo_truth.fits")}
    with pytest.raises(FileNotFoundError, match="catalog_path"):
        mock.ensure_default_data(default, generate=False, data_dir=data, outer_halo=True)
    mock.ensure_default_data(default, generate=True, data_dir=data, outer_halo=True)
    assert all(Path(p).is_file() for p in default.values())
    # chapter 6's simulations: a mistyped path is an error, and nothing is simulated
    sims = {"particles_path": str(data / "lmc_simulation_particle.fits"),
            "orbits_path": str(data / "lmc_simulation_orbits.fits")}
    with pytest.raises(FileNotFoundError, match="particles_path = .*lmc_simulation_particle.fits.*: no such file"):
        mock.ensure_default_data(sims, generate=True, data_dir=data, simulations=True)
    assert not (data / mock.SIMULATION_FILES.manifest).exists()


# ------------------------------------------------------------------ chapters

def test_pipeline_refuses_unknown_or_mistyped_parameters(tmp_path):
    with pytest.raises(ValueError, match=r"02_sigma_maps has no parameter\(s\) \['n_mcc'\]"):
        run_chapter("02_sigma_maps", "ci", output_dir=tmp_path, overrides={"n_mcc": 50})
    with pytest.raises(TypeError, match="parameter 'n_mc' = '50' is a str; expected int"):
        check_parameters("02_sigma_maps", {"n_mc": "50"})
    with pytest.raises(TypeError, match="'generate_if_missing' = 1 is a int; expected bool"):
        check_parameters("01_sample_construction", {"generate_if_missing": 1})
    check_parameters("02_sigma_maps", {"n_mc": 5, "drop_frac": 0})  # an int where a float is expected is fine
    assert not any(tmp_path.iterdir())  # refused before anything ran


@pytest.mark.parametrize("chapter, parameter, mistyped", [
    ("01_sample_construction", "catalog_path", "data/h3_mock_catalgo.fits"),
    ("05_reflex_fit", "catalog_path", "data/outer_halo_catalgo.fits"),
])
def test_a_mistyped_catalogue_path_is_an_error_that_writes_nothing(tmp_path, chapter, parameter, mistyped):
    """A mistyped path with the default generate_if_missing=True: a clear error, no mock
    generated, nothing created or changed outside output_dir (here: anywhere but the
    executed notebook), and the user's file named like a mock file untouched."""
    import papermill as pm

    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    user_file = work / "data" / ("h3_mock_truth.fits" if chapter.startswith("01") else "outer_halo_truth.fits")
    user_file.write_bytes(b"the user's own truth table")
    repo_data = _tree(ROOT / "data")
    before = _tree(work)
    with pytest.raises(pm.PapermillExecutionError, match=f"FileNotFoundError.*{parameter} = .*catalgo.fits"):
        run_chapter(chapter, "ci", output_dir=tmp_path / "executed", cwd=work,
                    overrides={parameter: mistyped, "output_dir": "out"})
    after = _tree(work)
    assert after == before  # nothing created (not even output_dir: the error comes first) or changed
    assert _tree(ROOT / "data") == repo_data


# ------------------------------------------------------------------ resumes and chains

def _tiny_density_problem(n=300, seed=0):
    rng = np.random.default_rng(seed)
    r = np.geomspace(6.0, 60.0, 40)
    lon, lat = np.meshgrid(np.linspace(0, 2 * np.pi, 24, endpoint=False), np.arcsin(np.linspace(-0.95, 0.95, 12)))
    u = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]).reshape(3, -1)
    pos = (u[:, :, None] * r).reshape(3, -1)
    dln = np.gradient(np.log(r))
    weight = np.broadcast_to(4 * np.pi / u.shape[1] * r**3 * dln, (u.shape[1], r.size)).ravel()
    survey = dens.SelectionGrid.from_nodes(pos, weight)
    stars = dens.Stars(rng.normal(0, 15, (3, n)) + np.array([[20.0], [0], [0]]))
    return stars, survey


def test_fit_emcee_refuses_a_start_outside_the_prior_instead_of_hanging():
    stars, survey = _tiny_density_problem()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"start lies outside the prior .*alpha1 = 12 outside"):
        dens.fit_emcee(stars, survey, "spherical_no_break", start={"alpha1": 12.0, "log10_mass": 7.0}, rng=rng)
    with pytest.raises(ValueError, match=r"unknown density parameter\(s\) \['alpha_1'\]"):
        dens.fit_emcee(stars, survey, "spherical_no_break", start={"alpha_1": 3.0, "alpha1": 3.0, "log10_mass": 7.0},
                       rng=rng)
    with pytest.raises(ValueError, match="n_steps_max must be >= 1, got 0"):
        dens.fit_emcee(stars, survey, "spherical_no_break", start={"alpha1": 3.0, "log10_mass": 7.0}, rng=rng,
                       n_steps_max=0)


def test_run_emcee_refuses_walkers_outside_the_prior():
    def log_prob(x):
        return -0.5 * float(x @ x) if np.all(np.abs(x) < 1) else -np.inf

    p0 = np.full((8, 2), 0.1)
    p0[3] = [2.0, 0.0]
    with pytest.raises(ValueError, match="1 of 8 initial walkers .* walker 3"):
        run_emcee(log_prob, p0, n_steps_max=10, seed=1)


def test_emcee_chains_depend_only_on_the_seed():
    """emcee's moves draw from the seeded generator, not numpy's global one."""
    stars, survey = _tiny_density_problem()
    kw = dict(start={"alpha1": 3.0, "log10_mass": 7.0}, n_walkers=8, n_steps_max=60, check_every=30)
    np.random.seed(1)
    a = dens.fit_emcee(stars, survey, "spherical_no_break", rng=np.random.default_rng(3), **kw)["samples"]
    np.random.seed(2)  # the global state must not matter
    b = dens.fit_emcee(stars, survey, "spherical_no_break", rng=np.random.default_rng(3), **kw)["samples"]
    c = dens.fit_emcee(stars, survey, "spherical_no_break", rng=np.random.default_rng(4), **kw)["samples"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fingerprints_see_every_change_and_nothing_else():
    base = fingerprint(np.arange(3.0), {"b": 1, "a": "x"}, 2)
    assert base == fingerprint(np.arange(3.0), {"a": "x", "b": 1}, 2)  # key order is not content
    for other in [(np.arange(3), {"b": 1, "a": "x"}, 2), (np.arange(3.0), {"b": 1, "a": "y"}, 2),
                  (np.arange(3.0), {"b": 1, "a": "x"}, 2.0), (np.arange(3.0)[::-1], {"b": 1, "a": "x"}, 2),
                  (np.arange(3.0), {"b": "1", "a": "x"}, 2)]:
        assert fingerprint(*other) != base
    check_fingerprint("f", base, base, what="x")
    with pytest.raises(FingerprintMismatch, match="x f carries no fingerprint"):
        check_fingerprint("f", None, base, what="x")
    with pytest.raises(TypeError, match="cannot fingerprint"):
        fingerprint(object())


def test_dynesty_checkpoint_of_other_data_is_refused(tmp_path):
    from halo_utils import reflex as rf

    cat, _ = mock.generate_outer_halo(2)
    ck = tmp_path / "run.save"
    kw = dict(nlive=30, dlogz=5.0, checkpoint_file=ck, checkpoint_every=0.0)
    first = rf.fit_reflex(cat[:120], "constant", "dynesty", rng=5, **kw)
    assert ck.exists() and not first.info["resumed"]
    again = rf.fit_reflex(cat[:120], "constant", "dynesty", rng=5, **kw)  # a finished run resumes to itself
    assert again.info["resumed"]
    np.testing.assert_array_equal(again.samples, first.samples)
    with pytest.raises(FingerprintMismatch, match="run.save was made from other data or settings"):
        rf.fit_reflex(cat[:119], "constant", "dynesty", rng=5, **kw)
    with pytest.raises(FingerprintMismatch):
        rf.fit_reflex(cat[:120], "constant", "dynesty", rng=6, **kw)  # another seed
    os.remove(ck.with_name(ck.name + ".fingerprint"))
    with pytest.raises(FingerprintMismatch, match="carries no fingerprint"):
        rf.fit_reflex(cat[:120], "constant", "dynesty", rng=5, **kw)
    fresh = rf.fit_reflex(cat[:119], "constant", "dynesty", rng=5, restart=True, **kw)
    assert not fresh.info["resumed"] and fresh.n_stars == 119


def test_density_fits_refuse_misspelt_starts_and_tiny_samples():
    stars, survey = _tiny_density_problem()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"start has unknown parameter\(s\) \['alpa1'\]"):
        dens.fit_mle(stars, survey, "spherical_no_break", rng=rng, start={"alpa1": 3.0})
    with pytest.raises(ValueError, match=r"start lies outside the prior .*alpha1 = nan"):
        dens.fit_mle(stars, survey, "spherical_no_break", rng=rng, start={"alpha1": float("nan")})
    with pytest.raises(TypeError, match="n_starts must be an integer, got '2' \\(str\\)"):
        dens.fit_mle(stars, survey, "spherical_no_break", rng=rng, n_starts="2")
    few = dens.Stars(stars.pos[:, :9])
    with pytest.raises(ValueError, match="9 stars cannot constrain the 2 parameters of the spherical_no_break "
                                         "density model: it needs at least 10"):
        dens.fit_mle(few, survey, "spherical_no_break", rng=rng)
    with pytest.raises(ValueError, match="9 stars cannot constrain"):
        dens.fit_emcee(few, survey, "spherical_no_break", start={"alpha1": 3.0, "log10_mass": 7.0}, rng=rng)


def test_tables_with_dex_columns_are_written_quietly_and_read_back_in_dex(tmp_path):
    """FITS has no dex unit: the write must not warn (a chapter would show it on its page),
    and the column must come back as the catalogue schema's dex."""
    table = Table({"FeH": np.array([-1.5, -0.5]) * u.dex})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_table_file(table, tmp_path / "t.fits")
    back = Table.read(tmp_path / "t.fits")
    assert back["FeH"].unit is None and REQUIRED_COLUMNS["FeH"] == "dex"
    np.testing.assert_array_equal(back["FeH"], [-1.5, -0.5])
