"""Sky maps, binned profiles and the LMC quadrants of the outer halo."""

import healpy as hp
import numpy as np
import astropy.coordinates as coord
import pytest

from halo_utils import reflex as rf
from halo_utils.reflex.sky import unit_vector


def test_smoothed_sky_mean_of_constant_and_dipole_fields():
    rng = np.random.default_rng(6)
    l = rng.uniform(0, 360, 3000)
    b = np.rad2deg(np.arcsin(rng.uniform(-1, 1, 3000)))
    flat = rf.smoothed_sky_mean(l, b, np.full(3000, 7.0), nside=8, subtract_mean=False)
    assert np.allclose(flat, 7.0)
    axis = unit_vector(-80.0, -59.0)
    dipole = -30.0 * unit_vector(l, b) @ axis
    m = rf.smoothed_sky_mean(l, b, dipole, nside=8)
    lon, lat = hp.pix2ang(8, np.argmin(m), lonlat=True)
    assert np.rad2deg(coord.angular_separation(*np.deg2rad([lon, lat, -80.0, -59.0]))) < 15


def test_binned_mean_bootstrap_error():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, 4000)
    v = rng.normal(5.0, 20.0, 4000)
    prof = rf.binned_mean(x, v, np.array([0, 5, 10.0]), n_boot=2000, rng=8)
    for row in prof:
        assert abs(row["mean"] - 5.0) < 4 * 20 / np.sqrt(row["n"])
        assert row["err"] == pytest.approx(20 / np.sqrt(row["n"]), rel=0.1)


def test_quadrants():
    q = rf.lmc_quadrant_masks([280.0, 90.0, 280.0, 90.0], [-30.0, 30.0, 30.0, -30.0])
    assert list(q["LMC"]) == [True, False, False, False]
    assert list(q["opposite"]) == [False, True, False, False]
