"""The density coverage study (chapter 4, part c) as a dask study."""

import numpy as np
import pytest
from astropy.table import Table

from halo_utils import density as dens
from halo_utils.cuts import satellite_mask
from halo_utils.density_coverage import (LADDER_FITS, PIPELINE_FITS, coverage_fits, coverage_mock_fit,
                                      pipeline_coverage, pipeline_mock_fit)
from halo_utils.mock import DEFAULT_SEED, forward_mock
from halo_utils.studies import mock_seed

MODEL = "spherical_no_break"  # two parameters: a small mock and a fast fit
TRUTH = {"alpha1": 1.7, "log10_mass": 8.5}


@pytest.fixture(scope="module")
def grid(small_survey):
    tiles = small_survey[0]
    return dens.SelectionGrid.from_tiles(tiles, exclude=satellite_mask(tiles["RA"], tiles["DEC"], 1.0),
                                         distance=np.geomspace(1, 150, 200))


def test_study_equals_the_loop_it_replaced(grid):
    """The rows of chapter 4's former thread-pool loop (mock i drawn and fitted with the
    stream of SeedSequence(seed).spawn(n)[i]), from a two-worker local cluster."""
    old = []
    for i, s in enumerate(np.random.SeedSequence(4).spawn(3)):
        r = np.random.default_rng(s)
        st = dens.Stars.from_table(forward_mock(TRUTH, grid, r, MODEL))
        old.append({"mock": i, **dens.recovery_fit(st, grid, TRUTH, MODEL, rng=r)})
    old = Table(rows=old)
    new = coverage_fits(3, TRUTH, grid, MODEL, seed=4, n_workers=2, progress=False)
    assert new.colnames == old.colnames and list(new["mock"]) == [0, 1, 2]
    for name in old.colnames:
        assert np.array_equal(new[name], old[name]), name
    assert new["n_stars"].min() > 50


def test_one_task_is_one_mock_and_its_fit(grid):
    row = coverage_mock_fit(5, np.random.default_rng(1), TRUTH, grid, MODEL)
    assert row["mock"] == 5 and set(row) >= {"n_stars", "alpha1_fit", "alpha1_sigma", "alpha1_plr"}


def test_full_pipeline_mock(small_config):
    """One full-pipeline mock of a 250-tile survey: a new survey seeded from the study seed and
    the index, chapter 1's cuts, the fit both ways, the traced mass as its truth; the same row
    again from the same seeds, and the coverage tables of both fits."""
    kwargs = dict(config=small_config, model="spherical_single_break", orbit_dt_myr=2.0)
    row = pipeline_mock_fit(1, np.random.default_rng(3), 7, **kwargs)
    assert row["mock"] == 1 and row["survey_seed"] == mock_seed(7, 1) != DEFAULT_SEED
    assert 200 < row["n_stars"] < 2000
    # the sample traces part of the mock's GSE: less than its total mass
    assert row["true_log10_mass"] < small_config.gse["log10_mass"]
    for fit in PIPELINE_FITS + LADDER_FITS:
        assert np.isfinite(row[f"{fit}_r1_fit"]) and f"{fit}_alpha1_plr" in row
    assert row["folded_r1_fit"] != row["plain_r1_fit"]
    # the ladder: every selectable GSE giant at its true position, then less the Sgr cut's
    assert row["true_positions_n_stars"] - row["true_minus_sgr_n_stars"] == row["n_sgr_cut_gse"] >= 0
    again = pipeline_mock_fit(1, np.random.default_rng(3), 7, **kwargs)
    assert again == row
    cov = pipeline_coverage(Table(rows=[row, again]), small_config, "spherical_single_break")
    assert set(cov) == set(PIPELINE_FITS + LADDER_FITS)
    # the ladder's mass truth is the whole GSE's
    fit, sigma = row["true_positions_log10_mass_fit"], row["true_positions_log10_mass_sigma"]
    assert cov["true_positions"]["mean_pull"][-1] == pytest.approx((fit - small_config.gse["log10_mass"]) / sigma)
    assert list(cov["folded"]["parameter"]) == list(dens.get_model("spherical_single_break").free)
    # the mass truth is per mock: its pull uses each mock's own
    pull = (row["plain_log10_mass_fit"] - row["true_log10_mass"]) / row["plain_log10_mass_sigma"]
    assert cov["plain"]["mean_pull"][-1] == pytest.approx(pull)
