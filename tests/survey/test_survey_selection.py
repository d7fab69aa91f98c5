"""The selection function: its pieces, and that the mock realises exactly it (conventions §3)."""

import numpy as np
import pytest
from scipy import stats

from halo_utils import density as dens
from halo_utils.frames import icrs_to_galactocentric
from halo_utils.survey import (SelectionConfig, astrometric_error, distance_modulus, effective_selection,
                               giant_luminosity_function, parallax_pass_probability, rank_windows,
                               selection_probability, snr_pass_probability)


def test_parallax_probability_limits():
    cfg = SelectionConfig()
    r = 17.0
    sig = astrometric_error(r)
    # a star exactly at the cut's true-parallax boundary passes half the time
    d_edge = 1.0 / (cfg.plx_limit + cfg.plx_nsigma * sig)
    assert parallax_pass_probability(r, d_edge) == pytest.approx(0.5)
    assert parallax_pass_probability(r, 100.0) > 0.999
    assert parallax_pass_probability(r, 0.5) < 1e-6


def test_snr_probability_half_at_limit():
    assert snr_pass_probability(18.1, 18.1) == pytest.approx(0.5)
    assert snr_pass_probability(17.0, 18.1) > 0.999


@pytest.mark.parametrize("abs_mag, r_mag, r_lim, has1, expect", [
    (-2.0, 14.0, 18.2, True, (True, False)),     # luminous, bright: rank 1 only
    (-2.0, 14.0, 18.2, False, (False, False)),   # no rank-1 targeting, too bright for rank 2
    (-2.0, 17.7, 18.2, True, (False, True)),     # luminous but past rank-1 faint limit
    (1.0, 14.0, 18.2, True, (False, False)),     # faint giant, brighter than rank-2 window
    (1.0, 16.0, 18.2, True, (False, True)),
    (1.0, 17.9, 17.8, True, (False, False)),     # beyond the tile's limiting magnitude
    (-2.0, 17.4, 17.3, True, (False, False)),    # rank-1 faint limit is min(17.5, r_lim)
])
def test_rank_windows(abs_mag, r_mag, r_lim, has1, expect):
    in1, in2 = rank_windows(abs_mag, r_mag, r_lim, has1)
    assert (bool(in1), bool(in2)) == expect


def test_selection_probability_product():
    cfg = SelectionConfig()
    M, D = 0.0, 20.0
    m = M + distance_modulus(D)
    p = selection_probability(M, D, 18.3, True, 1.0, 0.5, cfg)
    expected = 0.5 * parallax_pass_probability(m, D) * snr_pass_probability(m, 18.3) * cfg.p_good_fit
    assert p == pytest.approx(expected)


def test_mock_realises_the_selection_function(small_survey, small_config):
    """Selected GSE giants (FLAG == 0, SNR > 3) match sum_t Omega_t int D^2 rho S_t(D) dD.

    This ties the mock's star-by-star draws (parallax, windows, fibres, S/N, flags) to the
    analytic selection that the density likelihood integrates. The count is Poisson (the
    fibre draws are Bernoulli with the tile's fraction), so we allow 4 sigma.
    """
    tiles, cat, truth = small_survey
    cfg = small_config
    dist = np.geomspace(0.5, 250, 1500)
    ra = np.asarray(tiles["RA"], float)[:, None] * np.ones_like(dist)
    dec = np.asarray(tiles["DEC"], float)[:, None] * np.ones_like(dist)
    zero = np.zeros_like(ra)
    pos, _ = icrs_to_galactocentric(ra, dec, dist * np.ones_like(ra), zero, zero, zero)
    g = cfg.gse
    n_giants = 10 ** g["log10_mass"] * cfg.giants_per_msun
    rho = dens.density(pos, total=n_giants, alphas=(g["alpha1"], g["alpha2"], g["alpha3"]),
                       breaks=(g["r1"], g["r2"]), p=g["p"], q=g["q"], pitch=g["pitch"], yaw=g["yaw"])
    S = effective_selection(tiles, dist, giant_luminosity_function(), cfg.selection)
    omega = np.asarray(tiles["solid_angle"], float)[:, None]
    per_tile = np.trapezoid(omega * dist**2 * rho * S, dist, axis=1)
    expected = per_tile.sum()
    good = (np.asarray(truth["component"]).astype(str) == "gse") & (cat["FLAG"] == 0) & (cat["SNR"] > 3)
    observed = int(good.sum())
    assert expected > 500  # the test has power
    print(f"selected GSE giants: observed {observed}, expected {expected:.1f}")
    assert abs(observed - expected) < 4 * np.sqrt(expected), (observed, expected)
    # the distance distribution agrees too (chi-square over 8 equal-expectation bins)
    dn_dd = (omega * dist**2 * rho * S).sum(axis=0)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dn_dd[1:] + dn_dd[:-1]) * np.diff(dist))])
    edges = np.interp(np.linspace(0, cum[-1], 9), cum, dist)
    edges[0], edges[-1] = 0.0, np.inf
    counts = np.histogram(np.asarray(truth["distance"])[good], edges)[0]
    chi2 = np.sum((counts - observed / 8) ** 2 / (observed / 8))
    assert chi2 < stats.chi2.ppf(0.999, 7), (counts, chi2)
