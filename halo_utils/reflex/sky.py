"""Sky geometry of the reflex model: Magellanic Stream <-> Galactic, apex vectors, bases.

Apex directions are (l, b) in degrees; ``n_apex = (cos b cos l, cos b sin l, sin b)`` is
used directly in Galactocentric axes (Galactic orientation, S004 section 4). The samplers
work in Magellanic Stream coordinates (L_MS, B_MS) of gala's ``MagellanicStreamNidever08``
so that the posterior of an apex near the south Galactic pole stays away from the
coordinate poles (S004).
"""

from __future__ import annotations

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from gala.coordinates import MagellanicStreamNidever08

from ..frames import frame_vectors

__all__ = ["MS_TO_GAL", "GAL_TO_ICRS", "galactic_to_galactocentric_axes", "unit_vector", "angles",
           "ms_to_galactic", "galactic_to_ms", "apex_vector", "galactic_basis"]


def _frame_matrix(frame_from, frame_to):
    """3x3 matrix taking Cartesian unit vectors of ``frame_from`` to ``frame_to`` (from astropy)."""
    eye = coord.CartesianRepresentation(np.eye(3) * u.one)
    sc = coord.SkyCoord(eye, frame=frame_from).transform_to(frame_to)
    return sc.cartesian.xyz.value  # columns are the images of the basis vectors


#: Magellanic Stream Cartesian axes -> Galactic Cartesian axes.
MS_TO_GAL = _frame_matrix(MagellanicStreamNidever08(), coord.Galactic())
#: Galactic Cartesian axes -> ICRS Cartesian axes.
GAL_TO_ICRS = _frame_matrix(coord.Galactic(), coord.ICRS())


def galactic_to_galactocentric_axes(frame=None):
    """Matrix taking Galactic Cartesian axes to the Galactocentric axes of ``frame``
    (through ICRS, astropy's matrices; any `~halo_utils.frames.solar_frame` spec)."""
    return frame_vectors(frame)[0] @ GAL_TO_ICRS


def unit_vector(lon_deg, lat_deg):
    """Cartesian unit vectors (..., 3) of longitudes and latitudes in degrees."""
    lon, lat = np.deg2rad(lon_deg), np.deg2rad(lat_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def angles(vec):
    """Longitude (-180, 180] and latitude (deg) of Cartesian vectors (..., 3)."""
    vec = np.asarray(vec, float)
    lon = np.rad2deg(np.arctan2(vec[..., 1], vec[..., 0]))
    lat = np.rad2deg(np.arcsin(np.clip(vec[..., 2] / np.linalg.norm(vec, axis=-1), -1, 1)))
    return lon, lat


def ms_to_galactic(L_ms, B_ms):
    """Magellanic Stream (L_MS, B_MS) -> Galactic (l, b), deg (l in (-180, 180])."""
    return angles(unit_vector(L_ms, B_ms) @ MS_TO_GAL.T)


def galactic_to_ms(l, b):
    """Galactic (l, b) -> Magellanic Stream (L_MS, B_MS), deg (L_MS in (-180, 180])."""
    return angles(unit_vector(l, b) @ MS_TO_GAL)


def apex_vector(v_travel, L_ms, B_ms):
    """Cartesian travel velocity (km/s, Galactocentric axes) from amplitude and MS apex."""
    return np.asarray(v_travel, float)[..., None] * (unit_vector(L_ms, B_ms) @ MS_TO_GAL.T)


def galactic_basis(l_deg, b_deg):
    """Heliocentric line of sight n and Galactic unit vectors e_l, e_b (Galactic axes), each (..., 3)."""
    l, b = np.deg2rad(l_deg), np.deg2rad(b_deg)
    cl, sl, cb, sb = np.cos(l), np.sin(l), np.cos(b), np.sin(b)
    n = np.stack([cb * cl, cb * sl, sb], axis=-1)
    e_l = np.stack([-sl, cl, np.zeros_like(l)], axis=-1)
    e_b = np.stack([-sb * cl, -sb * sl, cb], axis=-1)
    return n, e_l, e_b
