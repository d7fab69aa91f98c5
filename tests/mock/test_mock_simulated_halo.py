"""The outer-halo mock drawn from simulation particles: schema, which stars are particles,
survey selections, imperfections, seeds and refusals."""

import numpy as np
import pytest
from astropy.table import Table

from halo_utils import lmc
from halo_utils.catalog import validate_catalog
from halo_utils.mock import OuterHaloConfig
from halo_utils.mock.outer_halo import default_outer_surveys
from halo_utils.mock.simulated_halo import generate_simulated_outer_halo, particles_of_mass


@pytest.fixture(scope="module")
def particles():
    return lmc.draw_halo(60_000, 5, r_range=(30.0, 300.0))


def _small_config(**kw):
    surveys = default_outer_surveys()
    for sv in surveys.values():
        sv["n"] = sv["n"] // 4
    return OuterHaloConfig(surveys=surveys, **kw)


def test_halo_stars_are_particles_and_the_catalogue_has_the_schema(particles):
    pos, vel = particles
    cfg = _small_config()
    cat, truth = generate_simulated_outer_halo(2, pos, vel, cfg)
    validate_catalog(cat)
    halo = truth["component"] == "halo"
    xyz = np.array([truth["x"][halo], truth["y"][halo], truth["z"][halo]]).T
    vxyz = np.array([truth["vx"][halo], truth["vy"][halo], truth["vz"][halo]]).T
    # every halo star is one particle, at its position with its velocity, and no particle twice
    match = {tuple(np.round(p, 9)): i for i, p in enumerate(pos.T)}
    idx = np.array([match[tuple(np.round(p, 9))] for p in xyz])
    assert np.unique(idx).size == idx.size
    assert np.allclose(vxyz, vel[:, idx].T, rtol=0, atol=1e-9)
    for name, sv in cfg.surveys.items():
        in_survey = np.asarray(truth["survey"]) == name
        assert np.sum(in_survey & (truth["component"] != "sgr")) == sv["n"]
        r = np.asarray(truth["r_true"])[in_survey & halo]
        assert r.min() >= sv["r_range"][0] and r.max() <= sv["r_range"][1]
    assert set(np.unique(truth["component"])) <= {"halo", "outlier", "wrong_distance", "sgr"}
    assert np.sum(truth["component"] == "sgr") > 0


def test_same_seed_same_mock_and_another_seed_another(particles):
    pos, vel = particles
    a, _ = generate_simulated_outer_halo(2, pos, vel, _small_config())
    b, _ = generate_simulated_outer_halo(2, pos, vel, _small_config())
    c, _ = generate_simulated_outer_halo(3, pos, vel, _small_config())
    assert all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a.colnames)
    assert not np.array_equal(np.asarray(a["RA"]), np.asarray(c["RA"]))


def test_too_few_particles_and_unknown_masses_are_refused(particles):
    pos, vel = particles
    with pytest.raises(RuntimeError, match="only .* simulation particles"):
        generate_simulated_outer_halo(2, pos[:, :500], vel[:, :500], OuterHaloConfig())
    table = Table({"lmc_mass": [0.0, 1.8e11], "x": [1.0, 2.0], "y": [0.0, 0.0], "z": [0.0, 0.0],
                   "vx": [0.0, 0.0], "vy": [0.0, 0.0], "vz": [0.0, 0.0]})
    p, v = particles_of_mass(table, 1.8e11)
    assert p.shape == (3, 1) and p[0, 0] == 2.0
    with pytest.raises(ValueError, match="not in the simulation"):
        particles_of_mass(table, 1.0e11)
    with pytest.raises(ValueError, match="shape"):
        generate_simulated_outer_halo(2, pos[:2], vel[:2])


def test_the_cached_simulated_mock_says_its_reflex_truth_is_the_simulation(particles, tmp_path):
    """The simulation-drawn mock in data/ (`SIMULATED_OUTER_HALO_FILES`): written with a
    manifest, its truth file's header marks the reflex truth as the simulation (chapter 5 then
    skips the comparisons with a model vector), it is reused while the simulation file is the
    same and made again when the simulation changes."""
    from halo_utils.catalog import read_table
    from halo_utils.fingerprint import file_sha256
    from halo_utils.mock import SIMULATED_OUTER_HALO_FILES, SimulatedOuterHaloConfig
    pos, vel = particles
    sim = Table({"lmc_mass": np.full(pos.shape[1], 1.8e11), "x": pos[0], "y": pos[1], "z": pos[2],
                 "vx": vel[0], "vy": vel[1], "vz": vel[2]})
    sim_path = tmp_path / "sim.fits"
    sim.write(sim_path)

    def config():
        return SimulatedOuterHaloConfig(1.8e11, str(sim_path), file_sha256(sim_path), _small_config())

    paths = SIMULATED_OUTER_HALO_FILES.ensure(tmp_path, 4, config())
    truth = read_table(paths["truth"])
    assert truth.meta["REFLEX"] == "simulation" and truth.meta["LMC_MASS"] == 1.8e11
    stamp = paths["catalog"].stat().st_mtime_ns
    SIMULATED_OUTER_HALO_FILES.ensure(tmp_path, 4, config())
    assert paths["catalog"].stat().st_mtime_ns == stamp
    sim["vx"] = -sim["vx"]  # another simulation
    sim.write(sim_path, overwrite=True)
    assert not SIMULATED_OUTER_HALO_FILES.is_current(tmp_path, 4, config())
    before = paths["catalog"].read_bytes()
    SIMULATED_OUTER_HALO_FILES.ensure(tmp_path, 4, config())
    assert paths["catalog"].read_bytes() != before


def test_chapter5_default_data_makes_the_simulated_mock_for_its_paths(tmp_path, monkeypatch):
    """Chapter 5 pointed at the simulation-drawn mock's files in data/ makes that mock (and
    only for those paths), not the model-drawn one."""
    from halo_utils.mock import files
    calls = []
    monkeypatch.setattr(files, "ensure_simulated_outer_halo", lambda outdir: calls.append(outdir))
    paths = {k: str(p) for k, p in files.SIMULATED_OUTER_HALO_FILES.paths(tmp_path).items()}
    with pytest.raises(FileNotFoundError):  # the stub made nothing
        files.ensure_default_data({"catalog_path": paths["catalog"], "truth_path": paths["truth"]}, generate=True,
                                  data_dir=tmp_path, outer_halo=True)
    assert calls == [tmp_path] and not (tmp_path / files.OUTER_FILES["catalog"]).exists()
