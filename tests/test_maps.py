"""Dispersion and anisotropy maps: recovery of known fields, Monte Carlo behaviour, edge cases."""

import healpy as hp
import numpy as np
import pytest

from halo_utils import maps


def _disk_stars(rng, n, r_max=30.0):
    rad = r_max * np.sqrt(rng.uniform(size=n))
    phi = rng.uniform(0, 2 * np.pi, n)
    return rad * np.cos(phi), rad * np.sin(phi), phi


def test_grid_recovers_azimuthal_sigma_field(rng):
    """sigma(phi) = 100 (1 + 0.3 cos 2 phi): each cell recovers the rms sigma of its stars."""
    u, w, phi = _disk_stars(rng, 150_000)
    sig_true = 100 * (1 + 0.3 * np.cos(2 * phi))
    v = sig_true * rng.standard_normal(u.size)
    err = np.full(u.size, 1.0)
    res = maps.grid_dispersion(u, w, v, err, n_mc=20, rng=rng, extent=(-24, 24), step=4.0)
    cu, cw = np.meshgrid(res["centers_u"], res["centers_w"])
    good = np.isfinite(res["median"])
    assert good.sum() > 100
    member = maps.grid_membership(u, w, res["centers_u"], res["centers_w"], 2.0)
    n = res["count"]
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.sqrt((member @ sig_true**2) / n.ravel()).reshape(n.shape)
        pull = (res["sigma"] - expected) / (expected / np.sqrt(2 * (n - 1)))
    assert np.mean(np.abs(pull[good]) < 3) > 0.98
    assert abs(np.mean(pull[good])) < 4 / np.sqrt(good.sum())
    # the MC median follows the point estimate (errors are tiny, the drop is unbiased)
    np.testing.assert_allclose(res["median"][good], res["sigma"][good], rtol=0.03)
    # and the azimuthal pattern is there: hot along the u axis, cold along w
    assert np.nanmean(res["median"][np.abs(cw) < 3]) > 1.4 * np.nanmean(res["median"][np.abs(cu) < 3])


def test_masking_at_min_stars(rng):
    u = np.r_[np.full(9, 10.0), np.full(10, -10.0)]
    w = np.zeros(19)
    v = rng.normal(0, 50, 19)
    res = maps.grid_dispersion(u, w, v, np.ones(19), n_mc=10, rng=rng, min_stars=10)
    iu = lambda x: int(np.argmin(np.abs(res["centers_u"] - x)))  # noqa: E731
    iw = int(np.argmin(np.abs(res["centers_w"])))
    assert res["count"][iw, iu(10.0)] == 9 and np.isnan(res["median"][iw, iu(10.0)])
    assert res["count"][iw, iu(-10.0)] == 10 and np.isfinite(res["median"][iw, iu(-10.0)])
    assert np.isclose(res["sigma"][iw, iu(-10.0)], np.std(v[9:], ddof=1))
    # a cell 3 kpc away sees nothing
    assert res["count"][iw, iu(-13.0)] == 0 and np.isnan(res["median"][iw, iu(-13.0)])


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


def test_healpix_assignment_matches_healpy(rng):
    n = 20000
    l = rng.uniform(0, 360, n)
    b = np.rad2deg(np.arcsin(rng.uniform(-1, 1, n)))
    v = rng.normal(0, 80, n)
    res = maps.healpix_dispersion(l, b, v, np.ones(n), nside=4, n_mc=5, rng=rng)
    pix = hp.ang2pix(4, l, b, lonlat=True)
    np.testing.assert_array_equal(res["count"], np.bincount(pix, minlength=hp.nside2npix(4)))
    for p in (0, 17, 100, 191):
        assert res["sigma"][p] == pytest.approx(np.std(v[pix == p], ddof=1))


def test_anisotropy_recovers_beta(rng):
    n = 40000
    r = rng.uniform(10, 50, n)
    s_r = 150.0
    for beta in (0.0, 0.7):
        s_t = s_r * np.sqrt(1 - beta)
        vr, vt, vp = rng.normal(0, s_r, n), rng.normal(0, s_t, n), rng.normal(0, s_t, n)
        e = np.full(n, 2.0)
        res = maps.anisotropy(r, vr, vt, vp, e, e, e, edges=[10, 30, 50], n_mc=100, rng=rng, deconvolve=True)
        # beta from ~20000 stars per shell: error ~ (1 - beta) * sqrt(2 / N) ~ 0.01
        np.testing.assert_allclose(res["median"], beta, atol=0.04)


def test_quadrants_partition_the_sky(rng):
    l = rng.uniform(0, 360, 1000)
    b = rng.uniform(-89, 89, 1000)
    masks = maps.sky_quadrant_masks(l, b)
    assert list(masks) == list(maps.SKY_QUADRANTS)
    np.testing.assert_array_equal(sum(m.astype(int) for m in masks.values()), 1)


def test_band_coverage():
    res = {"median": np.array([1.0, 1.0, np.nan]), "p16": np.array([0.5, 0.5, 0]),
           "p84": np.array([1.5, 1.5, 0]), "p2_5": np.array([0.0, 0.0, 0]), "p97_5": np.array([2.0, 2.0, 0])}
    assert maps.band_coverage(np.array([1.2, 1.8, 1.0]), res) == {"n_cells": 2, "in_68": 0.5, "in_95": 1.0}


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


def test_all_stars_in_one_cell_and_outside_grid(rng):
    u = np.full(30, 5.0)
    res = maps.grid_dispersion(u, u, rng.normal(0, 10, 30), np.ones(30), n_mc=10, rng=rng)
    finite = np.isfinite(res["median"])
    # only grid points within 2 kpc of (5, 5) see the stars: 13 points of the 1-kpc grid
    assert finite.sum() == 13
    far = np.full(30, 100.0)
    res = maps.grid_dispersion(far, far, rng.normal(0, 10, 30), np.ones(30), n_mc=10, rng=rng)
    assert np.all(np.isnan(res["median"])) and res["count"].sum() == 0
    # zero-variance cell: sigma 0, not NaN
    res = maps.radial_profile(np.full(12, 15.0), np.full(12, 3.0), np.zeros(12), edges=[10, 20], n_mc=5, rng=rng)
    assert res["median"][0] == 0.0
