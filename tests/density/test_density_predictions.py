"""Model predictions for the survey (conventions §8): counts by radius and on the sky, volumes."""

import healpy as hp
import numpy as np
import pytest
from scipy import stats

from halo_utils import density as dens
from halo_utils.catalog import validate_catalog
from halo_utils.mock import forward_mock


def test_forward_mock_counts_match_lambda(survey_small, rng, gse_truth):
    params = {**gse_truth, "log10_mass": 8.6}
    lam = survey_small.expected_number(params)
    counts = [len(forward_mock(params, survey_small, rng)) for _ in range(20)]
    assert abs(np.mean(counts) - lam) < 4 * np.sqrt(lam / 20)
    # radial distribution of one large mock against the model's prediction
    big = {**gse_truth, "log10_mass": 9.6}
    mock = forward_mock(big, survey_small, rng)
    edges = np.array([6, 9, 12, 16, 20, 25, 30, 40, 60])
    r = np.sqrt(mock["x"] ** 2 + mock["y"] ** 2 + mock["z"] ** 2)
    obs = np.histogram(r, edges)[0]
    exp = dens.radial_counts(survey_small, big, "triaxial_double_break", edges)
    chi2 = np.sum((obs - exp) ** 2 / exp)
    assert chi2 < stats.chi2.ppf(0.999, len(obs)), (obs, exp)
    # the catalogue follows the schema
    validate_catalog(mock)


def test_predicted_counts_add_up_to_lambda(survey_small, gse_truth):
    """Radial bins covering the sample and sky pixels covering the sky each sum to Lambda."""
    lam = survey_small.expected_number(gse_truth)
    edges = np.array([0.0, 10.0, 20.0, 40.0, 1e3])
    assert dens.radial_counts(survey_small, gse_truth, "triaxial_double_break", edges).sum() == pytest.approx(
        lam, rel=1e-10)
    sky = dens.sky_counts(survey_small, gse_truth, "triaxial_double_break", nside=4)
    assert sky.size == hp.nside2npix(4) and sky.sum() == pytest.approx(lam, rel=1e-10)


def test_effective_volume_of_a_uniform_selection(full_sky_nodes):
    """With S = 1 on the whole sky the effective volume of a shell is 4 pi (b^3 - a^3) / 3, up to
    the node cells cut by the bin edges: each node's cell (width dln r) counts wholly in one bin."""
    n_r = 2000
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=n_r, nside=2))
    edges = np.array([6.0, 10.0, 25.0, 60.0])
    veff = dens.effective_volume(survey, edges * [1 - 1e-9, 1, 1, 1 + 1e-9])  # the end nodes inside
    dln = np.log(10.0) / (n_r - 1)
    cut_cells = 4 * np.pi * (edges[:-1] ** 3 + edges[1:] ** 3) * dln
    assert np.all(np.abs(veff - 4 * np.pi / 3 * np.diff(edges**3)) < cut_cells)
    assert veff.sum() == pytest.approx(4 * np.pi / 3 * (60.0**3 - 6.0**3), rel=1e-6)
    np.testing.assert_allclose(dens.node_radius(survey)[:, 0], 6.0, rtol=1e-12)
