"""Hand-written frame and velocity transforms on numpy arrays (conventions §1).

ICRS observables <-> Galactocentric Cartesian phase space in any solar frame (`frame=`, a
`~halo_utils.frames.solar_frame` spec), spherical components, Galactic (l, b). The
matrix and offset come from astropy itself (`~halo_utils.frames.frame_vectors`); the
products are fast enough to run inside Monte Carlo loops, and the tests check the results
against ``SkyCoord``.
"""

from __future__ import annotations

import numpy as np
import astropy.coordinates as coord
import astropy.units as u

from ..validation import check_array
from .solar import frame_vectors

__all__ = ["K_KMS", "icrs_to_galactocentric", "galactocentric_to_icrs", "check_phase_space",
           "spherical_components", "spherical_to_cartesian_velocity", "wrap_longitude", "galactic_lb"]

#: km/s per (kpc mas/yr).
K_KMS = 4.740470463


def _icrs_basis(ra_deg, dec_deg):
    """Unit vectors (line of sight, east, north) in ICRS Cartesian axes, shape (3, ...)."""
    ra, dec = np.deg2rad(ra_deg), np.deg2rad(dec_deg)
    cra, sra, cdec, sdec = np.cos(ra), np.sin(ra), np.cos(dec), np.sin(dec)
    n = np.stack([cdec * cra, cdec * sra, sdec])
    e_ra = np.stack([-sra, cra, np.zeros_like(ra)])
    e_dec = np.stack([-sdec * cra, -sdec * sra, cdec])
    return n, e_ra, e_dec


def icrs_to_galactocentric(ra, dec, distance, pmra, pmdec, rv, frame=None):
    """Heliocentric ICRS observables to Galactocentric Cartesian phase space.

    Parameters
    ----------
    ra, dec : array_like
        ICRS coordinates, deg (finite; ``|dec| <= 90``).
    distance : array_like
        Heliocentric distance, kpc (finite, >= 0).
    pmra, pmdec : array_like
        Proper motions, mas/yr (``pmra`` includes cos dec).
    rv : array_like
        Heliocentric radial velocity, km/s.
    frame : optional
        The solar frame (any `solar_frame` spec; default `GALCEN_FRAME`).

    All six arrays broadcast together (e.g. scalar zero proper motions).

    Returns
    -------
    pos, vel : ndarray, shape (3, ...)
        Galactocentric position (kpc) and velocity (km/s) in that frame.

    Raises
    ------
    ValueError
        NaN or inf, ``|dec| > 90``, a negative distance or shapes that do not broadcast
        (the message names the argument).
    """
    arrays = {"ra": check_array("ra", ra, unit="deg"), "dec": check_array("dec", dec, low=-90, high=90, unit="deg"),
              "distance": check_array("distance", distance, low=0, unit="kpc"),
              "pmra": check_array("pmra", pmra, unit="mas/yr"), "pmdec": check_array("pmdec", pmdec, unit="mas/yr"),
              "rv": check_array("rv", rv, unit="km/s")}
    try:
        arrays = dict(zip(arrays, np.broadcast_arrays(*arrays.values())))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"ra, dec, distance, pmra, pmdec and rv must broadcast together, got {shapes}") from None
    return _icrs_to_galactocentric(*arrays.values(), frame)


def _icrs_to_galactocentric(ra, dec, distance, pmra, pmdec, rv, frame=None):
    """`icrs_to_galactocentric` without the checks (arrays of one shape), for the Monte Carlo."""
    rot, x_sun, v_sun = frame_vectors(frame)
    n, e_ra, e_dec = _icrs_basis(ra, dec)
    x_icrs = distance * n
    v_icrs = rv * n + K_KMS * distance * (pmra * e_ra + pmdec * e_dec)
    pos = np.einsum("ij,j...->i...", rot, x_icrs) + x_sun.reshape((3,) + (1,) * distance.ndim)
    vel = np.einsum("ij,j...->i...", rot, v_icrs) + v_sun.reshape((3,) + (1,) * distance.ndim)
    return pos, vel


def check_phase_space(pos, vel):
    """``pos`` and ``vel`` as finite float arrays of one shape (3, ...)."""
    pos = check_array("pos", pos, unit="kpc")
    vel = check_array("vel", vel, unit="km/s")
    if pos.ndim == 0 or pos.shape[0] != 3:
        raise ValueError(f"pos must have shape (3, ...) (x, y, z in kpc), got shape {pos.shape}")
    if vel.shape != pos.shape:
        raise ValueError(f"vel must have the shape of pos {pos.shape} (vx, vy, vz in km/s), got {vel.shape}")
    return pos, vel


def galactocentric_to_icrs(pos, vel, frame=None):
    """Galactocentric Cartesian phase space to heliocentric ICRS observables.

    Parameters
    ----------
    pos, vel : array_like, shape (3, ...)
        Galactocentric position (kpc) and velocity (km/s) in ``frame``, finite, of one
        shape; no position may coincide with the Sun's.
    frame : optional
        The solar frame (any `solar_frame` spec; default `GALCEN_FRAME`).

    Returns
    -------
    dict
        ``ra``, ``dec`` (deg, ra in [0, 360)), ``distance`` (kpc), ``pmra``, ``pmdec``
        (mas/yr, pmra includes cos dec) and ``rv`` (km/s).
    """
    pos, vel = check_phase_space(pos, vel)
    rot, x_sun, v_sun = frame_vectors(frame)
    shape = (3,) + (1,) * (pos.ndim - 1)
    x_icrs = np.einsum("ji,j...->i...", rot, pos - x_sun.reshape(shape))
    v_icrs = np.einsum("ji,j...->i...", rot, vel - v_sun.reshape(shape))
    distance = np.sqrt(np.sum(x_icrs**2, axis=0))
    n_sun = int(np.count_nonzero(distance == 0))
    if n_sun:
        raise ValueError(f"pos: {n_sun} position{'s coincide' if n_sun > 1 else ' coincides'} with the Sun's, "
                         "where the heliocentric direction is undefined")
    ra = np.rad2deg(np.arctan2(x_icrs[1], x_icrs[0])) % 360.0
    dec = np.rad2deg(np.arcsin(np.clip(x_icrs[2] / distance, -1, 1)))
    n, e_ra, e_dec = _icrs_basis(ra, dec)
    return {
        "ra": ra,
        "dec": dec,
        "distance": distance,
        "pmra": np.sum(v_icrs * e_ra, axis=0) / (K_KMS * distance),
        "pmdec": np.sum(v_icrs * e_dec, axis=0) / (K_KMS * distance),
        "rv": np.sum(v_icrs * n, axis=0),
    }


def spherical_components(pos, vel):
    """Spherical and cylindrical quantities of Galactocentric phase-space points.

    Parameters
    ----------
    pos, vel : array_like, shape (3, ...)
        Position (kpc) and velocity (km/s), finite, of one shape; no position on the z
        axis (R = 0), where the spherical basis is undefined.

    Returns
    -------
    dict
        ``r``, ``R`` (kpc), ``theta`` (polar angle from +z, rad), ``phi`` (atan2(y, x),
        rad), ``V_r``, ``V_theta``, ``V_phi`` (km/s) and ``L_x``, ``L_y``, ``L_z``
        (L = x cross v, kpc km/s).
    """
    pos, vel = check_phase_space(pos, vel)
    _check_off_axis(np.hypot(pos[0], pos[1]))
    return _spherical_components(pos, vel)


def _spherical_components(pos, vel):
    """`spherical_components` without the checks, for the Monte Carlo draws."""
    x, y, z = pos
    vx, vy, vz = vel
    R = np.hypot(x, y)
    r = np.hypot(R, z)
    cth, sth = z / r, R / r
    cph, sph = x / R, y / R
    v_r = (vx * cph + vy * sph) * sth + vz * cth
    v_theta = (vx * cph + vy * sph) * cth - vz * sth
    v_phi = -vx * sph + vy * cph
    return {
        "r": r,
        "R": R,
        "theta": np.arccos(cth),
        "phi": np.arctan2(y, x),
        "V_r": v_r,
        "V_theta": v_theta,
        "V_phi": v_phi,
        "L_x": y * vz - z * vy,
        "L_y": z * vx - x * vz,
        "L_z": x * vy - y * vx,
    }


def _check_off_axis(R):
    n_axis = int(np.count_nonzero(R == 0))
    if n_axis:
        raise ValueError(f"pos: {n_axis} position{'s lie' if n_axis > 1 else ' lies'} on the z axis (R = 0), "
                         "where the spherical basis is undefined")


def spherical_to_cartesian_velocity(pos, v_r, v_theta, v_phi):
    """Cartesian velocity (3, ...) from spherical components (km/s) at Galactocentric ``pos``
    (kpc, shape (3, ...), off the z axis); the components broadcast with ``pos[0]``."""
    pos = check_array("pos", pos, unit="kpc")
    if pos.ndim == 0 or pos.shape[0] != 3:
        raise ValueError(f"pos must have shape (3, ...) (x, y, z in kpc), got shape {pos.shape}")
    v_r, v_theta, v_phi = (check_array(k, v, unit="km/s") for k, v in
                           (("v_r", v_r), ("v_theta", v_theta), ("v_phi", v_phi)))
    try:
        np.broadcast_shapes(pos.shape[1:], v_r.shape, v_theta.shape, v_phi.shape)
    except ValueError:
        raise ValueError(f"v_r {v_r.shape}, v_theta {v_theta.shape} and v_phi {v_phi.shape} must broadcast "
                         f"with the positions {pos.shape[1:]}") from None
    x, y, z = pos
    R = np.hypot(x, y)
    _check_off_axis(R)
    r = np.hypot(R, z)
    cth, sth, cph, sph = z / r, R / r, x / R, y / R
    return np.stack([v_r * sth * cph + v_theta * cth * cph - v_phi * sph,
                     v_r * sth * sph + v_theta * cth * sph + v_phi * cph,
                     v_r * cth - v_theta * sth])


def wrap_longitude(angle_deg):
    """Angle in degrees (finite) wrapped to [-180, 180) (l = 0 at the centre of an all-sky plot)."""
    return (check_array("angle_deg", angle_deg, unit="deg") + 180.0) % 360.0 - 180.0


def galactic_lb(ra, dec):
    """Galactic longitude and latitude (deg, l in [0, 360)) of ICRS positions (deg; finite,
    ``|dec| <= 90``, of one shape)."""
    ra, dec = check_array("ra", ra, unit="deg"), check_array("dec", dec, low=-90, high=90, unit="deg")
    if ra.shape != dec.shape:
        raise ValueError(f"ra and dec must have one shape, got {ra.shape} and {dec.shape}")
    gal = coord.SkyCoord(ra=ra * u.deg, dec=dec * u.deg).galactic
    return gal.l.to_value(u.deg), gal.b.to_value(u.deg)
