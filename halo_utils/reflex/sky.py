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

from ..validation import check_array
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


def _lon_lat(lon_name, lon, lat_name, lat, poles=True):
    """Finite longitudes and latitudes in deg that broadcast together (``|lat| <= 90``
    with ``poles``)."""
    lon = check_array(lon_name, lon, unit="deg")
    lat = check_array(lat_name, lat, low=-90 if poles else None, high=90 if poles else None, unit="deg")
    try:
        np.broadcast_shapes(lon.shape, lat.shape)
    except ValueError:
        raise ValueError(f"{lon_name} {lon.shape} and {lat_name} {lat.shape} must broadcast together") from None
    return lon, lat


def unit_vector(lon_deg, lat_deg):
    """Cartesian unit vectors (..., 3) of longitudes and latitudes in degrees (finite,
    broadcasting). A latitude beyond +-90 continues over the pole (the continuity model
    extrapolates B_MS linearly outside its nodes)."""
    lon, lat = (np.deg2rad(a) for a in _lon_lat("lon_deg", lon_deg, "lat_deg", lat_deg, poles=False))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def angles(vec):
    """Longitude (-180, 180] and latitude (deg) of Cartesian vectors (..., 3), finite and
    of non-zero length."""
    vec = check_array("vec", vec)
    if vec.ndim == 0 or vec.shape[-1] != 3:
        raise ValueError(f"vec must have shape (..., 3) (Cartesian vectors), got shape {vec.shape}")
    n_zero = int(np.count_nonzero(np.all(vec == 0, axis=-1)))
    if n_zero:
        raise ValueError(f"vec: {n_zero} vector{'s have' if n_zero > 1 else ' has'} zero length, "
                         "whose direction is undefined")
    lon = np.rad2deg(np.arctan2(vec[..., 1], vec[..., 0]))
    lat = np.rad2deg(np.arcsin(np.clip(vec[..., 2] / np.linalg.norm(vec, axis=-1), -1, 1)))
    return lon, lat


def ms_to_galactic(L_ms, B_ms):
    """Magellanic Stream (L_MS, B_MS) -> Galactic (l, b), deg (l in (-180, 180]; finite
    input, broadcasting; B_MS beyond +-90 as in `unit_vector`)."""
    return angles(unit_vector(*_lon_lat("L_ms", L_ms, "B_ms", B_ms, poles=False)) @ MS_TO_GAL.T)


def galactic_to_ms(l, b):
    """Galactic (l, b) -> Magellanic Stream (L_MS, B_MS), deg (L_MS in (-180, 180]; finite
    input, ``|b| <= 90``)."""
    return angles(unit_vector(*_lon_lat("l", l, "b", b)) @ MS_TO_GAL)


def apex_vector(v_travel, L_ms, B_ms):
    """Cartesian travel velocity (km/s, Galactocentric axes) from amplitude and MS apex
    (deg), finite and broadcasting. The continuity model extrapolates its parameters
    linearly beyond its nodes, so a negative amplitude (the opposite direction) and B_MS
    beyond +-90 (as in `unit_vector`) are accepted."""
    v_travel = check_array("v_travel", v_travel, unit="km/s")
    direction = unit_vector(*_lon_lat("L_ms", L_ms, "B_ms", B_ms, poles=False)) @ MS_TO_GAL.T
    try:
        return v_travel[..., None] * direction
    except ValueError:
        raise ValueError(f"v_travel {v_travel.shape} must broadcast with the apex {direction.shape[:-1]}") from None


def galactic_basis(l_deg, b_deg):
    """Heliocentric line of sight n and Galactic unit vectors e_l, e_b (Galactic axes), each
    (..., 3), at finite (l, b) in deg (``|b_deg| <= 90``, broadcasting)."""
    l, b = (np.deg2rad(a) for a in _lon_lat("l_deg", l_deg, "b_deg", b_deg))
    cl, sl, cb, sb = np.cos(l), np.sin(l), np.cos(b), np.sin(b)
    n = np.stack([cb * cl, cb * sl, sb], axis=-1)
    e_l = np.stack([-sl, cl, np.zeros_like(l)], axis=-1)
    e_b = np.stack([-sb * cl, -sb * sl, cb], axis=-1)
    return n, e_l, e_b
