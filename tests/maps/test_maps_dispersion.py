"""The Monte Carlo dispersion core: the drop, the bands, measurement errors, and the checks every map shares."""

import numpy as np
import pytest

from halo_utils import maps


def test_keep_mask_drops_exactly(rng):
    keep = maps.keep_mask(1000, 400, 0.1, rng)
    np.testing.assert_array_equal(keep.sum(axis=0), 900)
    # every star is dropped in ~10 % of realisations (binomial, 400 trials)
    frac = 1 - keep.mean(axis=1, dtype=np.float64)
    assert abs(frac.mean() - 0.1) < 1e-12
    assert np.std(frac) == pytest.approx(np.sqrt(0.1 * 0.9 / 400), rel=0.15)
    assert np.all(maps.keep_mask(10, 3, 0.0, rng) == 1)


def test_band_width_scales_as_inverse_sqrt_n(rng):
    """With zero errors, the band comes from the random 10 % drop alone: width ~ 1/sqrt(N)."""
    widths = []
    for n in (400, 6400):
        v = rng.normal(0, 100, n)
        res = maps.radial_profile(np.full(n, 15.0), v, np.zeros(n), edges=[10, 20], n_mc=2000, rng=rng)
        widths.append(res["p84"][0] - res["p16"][0])
        assert res["p2_5"][0] < res["p16"][0] < res["median"][0] < res["p84"][0] < res["p97_5"][0]
    assert widths[0] / widths[1] == pytest.approx(4.0, rel=0.2)
    # no drop and no errors: every realisation equals the point value
    v = rng.normal(0, 100, 50)
    res = maps.radial_profile(np.full(50, 15.0), v, np.zeros(50), edges=[10, 20], n_mc=20, drop_frac=0.0, rng=rng)
    assert res["p2_5"][0] == pytest.approx(res["p97_5"][0]) == pytest.approx(np.std(v, ddof=1), rel=1e-5)


def test_errors_widen_and_deconvolve(rng):
    n, sig, err = 20000, 50.0, 30.0
    v_obs = rng.normal(0, sig, n) + rng.normal(0, err, n)
    e = np.full(n, err)
    kw = dict(edges=[0, 1], n_mc=200, rng=rng)
    raw = maps.radial_profile(np.full(n, 0.5), v_obs, e, **kw)
    dec = maps.radial_profile(np.full(n, 0.5), v_obs, e, deconvolve=True, **kw)
    tol = 4 * sig / np.sqrt(2 * n) * 2
    assert raw["median"][0] == pytest.approx(np.sqrt(sig**2 + 2 * err**2), abs=tol)
    assert dec["median"][0] == pytest.approx(sig, abs=tol)
    assert dec["sigma"][0] == pytest.approx(sig, abs=tol)


@pytest.mark.parametrize("func", ["grid", "healpix", "radial"])
def test_edge_cases_give_clear_errors(func, rng):
    call = {
        "grid": lambda u, v, e, **kw: maps.grid_dispersion(u, u, v, e, **kw),
        "healpix": lambda u, v, e, **kw: maps.healpix_dispersion(u, u * 0, v, e, **kw),
        "radial": lambda u, v, e, **kw: maps.radial_profile(u, v, e, edges=[0, 50], **kw),
    }[func]
    x = np.linspace(1, 5, 20)
    with pytest.raises(ValueError, match="empty sample"):
        call(np.array([]), np.array([]), np.array([]), n_mc=5, rng=rng)
    with pytest.raises(ValueError, match=r"v_err: 2 values are NaN or inf"):
        call(x, x, np.where(np.arange(20) < 2, np.nan, 1.0), n_mc=5, rng=rng)
    with pytest.raises(ValueError, match=r"^v: 1 value is NaN"):
        call(x, np.where(np.arange(20) == 0, np.nan, x), np.ones(20), n_mc=5, rng=rng)
    with pytest.raises(ValueError, match="negative"):
        call(x, x, -np.ones(20), n_mc=5, rng=rng)
    with pytest.raises(ValueError, match="expected 20"):
        call(x, x[:10], np.ones(20), n_mc=5, rng=rng)
    with pytest.raises(ValueError, match="drop_frac"):
        call(x, x, np.ones(20), n_mc=5, rng=rng, drop_frac=1.0)
    with pytest.raises(ValueError, match="min_stars"):
        call(x, x, np.ones(20), n_mc=5, rng=rng, min_stars=1)
    with pytest.raises(TypeError, match="Generator"):
        call(x, x, np.ones(20), n_mc=5, rng=None)
