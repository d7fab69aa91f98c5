"""HEALPix maps against healpy, and the four (l, b) sky quadrants."""

import healpy as hp
import numpy as np
import pytest

from halo_utils import maps


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


def test_quadrants_partition_the_sky(rng):
    l = rng.uniform(0, 360, 1000)
    b = rng.uniform(-89, 89, 1000)
    masks = maps.sky_quadrant_masks(l, b)
    assert list(masks) == list(maps.SKY_QUADRANTS)
    np.testing.assert_array_equal(sum(m.astype(int) for m in masks.values()), 1)
