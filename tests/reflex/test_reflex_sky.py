"""Magellanic Stream <-> Galactic apex conversions against gala and astropy."""

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from gala.coordinates import MagellanicStreamNidever08

from halo_utils import reflex as rf
from halo_utils.frames import wrap_longitude


def test_apex_conversion_round_trips_and_matches_gala():
    rng = np.random.default_rng(0)
    L = rng.uniform(-180, 180, 200)
    B = np.rad2deg(np.arcsin(rng.uniform(-1, 1, 200)))
    l, b = rf.ms_to_galactic(L, B)
    L2, B2 = rf.galactic_to_ms(l, b)
    assert np.allclose(wrap_longitude(L2 - L), 0, atol=1e-9) and np.allclose(B2, B, atol=1e-9)
    gal = coord.SkyCoord(L * u.deg, B * u.deg, frame=MagellanicStreamNidever08()).galactic
    sep = gal.separation(coord.SkyCoord(l * u.deg, b * u.deg, frame="galactic")).to_value(u.arcsec)
    assert sep.max() < 1e-6
    # the LMC sits near the MS origin; the S004 apex (l, b) = (-80, -59) is (L, B) ~ (-26, 6)
    L_apex, B_apex = rf.galactic_to_ms(-80.0, -59.0)
    assert abs(L_apex + 26.1) < 0.5 and abs(B_apex - 5.7) < 0.5
