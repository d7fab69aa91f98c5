"""Dispersion maps on a square grid: recovery of a known field, masking, stars at the edges."""

import numpy as np

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
