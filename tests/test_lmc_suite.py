"""The simulation suite (halo_utils.lmc_suite): dask workers, the cache, and statistics that
are the data's."""

import dataclasses
import os

import numpy as np
import pytest

from halo_utils import lmc
from astropy.table import Table

from halo_utils.lmc_suite import TRUTH_NAMES, SuiteSettings, catalog_statistics, run_predictive, run_suite, suite_arrays
from halo_utils.mock import OuterHaloConfig
from halo_utils.mock.outer_halo import default_outer_surveys


def _small_settings():
    """A suite small enough for a test: 2,000 particles over 300 Myr, surveys of a tenth of
    the data's stars (the statistics' cells then hold ~5-20 stars)."""
    surveys = default_outer_surveys()
    for sv in surveys.values():
        sv["n"] = sv["n"] // 10
    config = lmc.SuiteConfig(n_particles=2000, duration_myr=300.0, dt_myr=5.0)
    return SuiteSettings(config=config, mock=OuterHaloConfig(surveys=surveys, n_sgr=10), min_count=3)


@pytest.fixture(scope="module")
def settings():
    return _small_settings()


def test_one_and_two_workers_give_identical_statistics(settings):
    one = run_suite(3, seed=5, settings=settings, n_workers=1, report_progress=False)
    two = run_suite(3, seed=5, settings=settings, n_workers=2, report_progress=False)
    assert one.colnames == two.colnames and len(one) == 3
    for name in one.colnames:
        assert np.array_equal(np.asarray(one[name]), np.asarray(two[name]), equal_nan=True), name
    stats = one.meta["STATISTICS"]["all-sky"]
    assert len(stats) == 2 * 3 * 4 * 4 and set(TRUTH_NAMES) < set(one.colnames)
    assert len(one.meta["STATISTICS"]["north"]) == len(stats) and len(one.meta["STATISTICS"]["shallow"]) == 2 * 3 * 4 * 3
    assert np.isfinite(np.asarray(one[stats[0]])).any()
    # each simulation drew its own parameters, inside the prior
    theta = np.column_stack([one[n] for n in lmc.PRIOR_PARAMETERS])
    assert np.all(settings.prior.contains(theta)) and len(set(one["lmc_mass"])) == 3


def test_a_killed_suite_resumes_without_recomputing_finished_simulations(settings, tmp_path):
    """Simulations 0-2 cached; simulation 1's file removed (as if the run had died before it
    finished) and the suite grown to 4: only 1 and 3 run (the others' files are untouched),
    and the table is the one a fresh run gives."""
    first = run_suite(3, seed=6, settings=settings, cache_dir=tmp_path, n_workers=1, report_progress=False)
    files = sorted(tmp_path.rglob("task_*.pkl"))
    assert len(files) == 3
    stamps = {f.name: os.stat(f).st_mtime_ns for f in files}
    files[1].unlink()
    grown = run_suite(4, seed=6, settings=settings, cache_dir=tmp_path, n_workers=2, report_progress=False)
    now = {f.name: os.stat(f).st_mtime_ns for f in tmp_path.rglob("task_*.pkl")}
    assert len(now) == 4 and now[files[0].name] == stamps[files[0].name] and now[files[2].name] == stamps[files[2].name]
    for name in first.colnames:
        assert np.array_equal(np.asarray(grown[name][:3]), np.asarray(first[name]), equal_nan=True), name
    fresh = run_suite(4, seed=6, settings=settings, n_workers=1, report_progress=False)
    assert np.array_equal(np.asarray(fresh["v_travel_100"]), np.asarray(grown["v_travel_100"]))


def test_other_settings_do_not_read_the_cache(settings, tmp_path):
    run_suite(1, seed=7, settings=settings, cache_dir=tmp_path, n_workers=1, report_progress=False)
    other = SuiteSettings(prior=lmc.SuitePrior(beta_0=(0.2, 0.4)), config=settings.config, mock=settings.mock,
                          min_count=settings.min_count)
    assert other.key() != settings.key()
    assert SuiteSettings(config=dataclasses.replace(settings.config, dt_myr=4.0), mock=settings.mock).key() != \
        SuiteSettings(config=settings.config, mock=settings.mock).key()
    table = run_suite(1, seed=7, settings=other, cache_dir=tmp_path, n_workers=1, report_progress=False)
    assert 0.2 <= table["beta_0"][0] <= 0.4
    assert len(list(tmp_path.iterdir())) == 2  # one folder per key


def test_bad_suites_are_refused(settings):
    with pytest.raises(ValueError, match="n_simulations"):
        run_suite(0, settings=settings)
    with pytest.raises(TypeError, match="settings"):
        run_suite(1, settings={"n": 1})
    with pytest.raises(TypeError, match="prior"):
        SuiteSettings(prior=(1, 2))


def test_views_take_the_stars_the_telescopes_and_depths_allow(outer):
    """The north view is the catalogue at dec >= -20 deg, the shallow one stops at 100 kpc:
    on the default outer-halo mock the north view counts fewer stars, the LMC's quadrant
    losing most of its own, and the shallow one the same cells up to 100 kpc."""
    catalog = outer[0]
    settings = SuiteSettings()
    full, north, shallow = (catalog_statistics(catalog, settings, v) for v in ("all-sky", "north", "shallow"))
    assert north.count.sum() < full.count.sum() and north.count[0].sum() < 0.5 * full.count[0].sum()
    assert np.array_equal(shallow.count, full.count[:, :3]) and list(shallow.edges) == [40, 60, 80, 100]
    with pytest.raises(ValueError, match="view"):
        catalog_statistics(catalog, settings, "south")


def test_suite_arrays_refuse_a_table_without_statistics():
    table = Table({n: [1.0] for n in TRUTH_NAMES})
    with pytest.raises(ValueError, match="no statistics"):
        suite_arrays(table)


def test_predictive_simulations_run_at_the_given_parameters_with_their_own_noise(settings, tmp_path):
    """Two simulations at given parameters, one of them suite simulation 0's: each row holds
    its parameters and their masses; at the same parameters the statistics differ from the
    suite's (their own particles and observation, not the suite's noise); a rerun reads the
    cache and gives the same table."""
    suite = run_suite(1, seed=8, settings=settings, n_workers=1, report_progress=False)
    parameters = {name: [float(suite[name][0]), float(np.mean(getattr(settings.prior, name)))]
                  for name in lmc.PRIOR_PARAMETERS}
    first = run_predictive(parameters, seed=8, settings=settings, cache_dir=tmp_path, n_workers=1,
                           report_progress=False)
    assert len(first) == 2
    for name in lmc.PRIOR_PARAMETERS:
        assert np.array_equal(np.asarray(first[name]), parameters[name]), name
    lmc_50, mw_50 = lmc.derived_masses(np.asarray(parameters["lmc_mass"]), np.asarray(parameters["halo_mass_factor"]))
    assert np.allclose(first["lmc_mass_50"], lmc_50, rtol=1e-12) and np.allclose(first["mw_mass_50"], mw_50, rtol=1e-12)
    stats = suite.meta["STATISTICS"]["all-sky"]
    assert first.meta["STATISTICS"]["all-sky"] == stats
    same = np.array([first[n][0] for n in stats]), np.array([suite[n][0] for n in stats])
    assert not np.allclose(*same, equal_nan=True)
    stamps = {f: os.stat(f).st_mtime_ns for f in tmp_path.rglob("task_*.pkl")}
    again = run_predictive(parameters, seed=8, settings=settings, cache_dir=tmp_path, n_workers=2,
                           report_progress=False)
    assert {f: os.stat(f).st_mtime_ns for f in tmp_path.rglob("task_*.pkl")} == stamps and len(stamps) == 2
    for name in first.colnames:
        assert np.array_equal(np.asarray(again[name]), np.asarray(first[name]), equal_nan=True), name


def test_bad_predictive_parameters_are_refused(settings):
    good = {name: [float(np.mean(getattr(settings.prior, name)))] for name in lmc.PRIOR_PARAMETERS}
    with pytest.raises(ValueError, match="beta_0"):
        run_predictive({k: v for k, v in good.items() if k != "beta_0"}, settings=settings)
    with pytest.raises(ValueError, match="outside the suite's prior"):
        run_predictive({**good, "lmc_mass": [1e12]}, settings=settings)
    with pytest.raises(ValueError, match="same number"):
        run_predictive({**good, "beta_0": [0.3, 0.4]}, settings=settings)
    with pytest.raises(ValueError, match="seed"):
        run_predictive(good, seed=-1, settings=settings)


def test_another_seed_runs_its_own_predictive_simulations(settings, tmp_path):
    parameters = {name: [float(np.mean(getattr(settings.prior, name)))] for name in lmc.PRIOR_PARAMETERS}
    a = run_predictive(parameters, seed=1, settings=settings, cache_dir=tmp_path, n_workers=1, report_progress=False)
    b = run_predictive(parameters, seed=2, settings=settings, cache_dir=tmp_path, n_workers=1, report_progress=False)
    assert len(list(tmp_path.rglob("task_*.pkl"))) == 2 and a.meta["PREDICTIVE_KEY"] == b.meta["PREDICTIVE_KEY"]
    assert a["v_travel_100"][0] != b["v_travel_100"][0] and a.meta["SETTINGS_KEY"] == settings.key()
