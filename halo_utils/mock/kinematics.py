"""Velocity distributions of the mock survey's components (Galactocentric, km/s).

Each function draws the velocities of stars at Galactocentric positions ``pos`` (shape
(3, n), kpc) from a component's parameter dict (`MockConfig` fields) and returns them
as an array of shape (3, n), km/s, in the frame of conventions §1 (prograde: V_phi < 0).
The order of the draws inside each function is part of the mock's definition: the same
seed gives the same stars.
"""

from __future__ import annotations

import numpy as np

from .. import density as dens
from ..frames import spherical_to_cartesian_velocity

__all__ = ["gse_sigma_r", "gse_velocities", "insitu_velocities", "disk_velocities", "stream_velocities",
           "scattered_angular_momenta", "angular_momentum_velocities"]


def _cylindrical_to_cartesian(pos, v_R, v_phi, v_z):
    R = np.hypot(pos[0], pos[1])
    cph, sph = pos[0] / R, pos[1] / R
    return np.stack([v_R * cph - v_phi * sph, v_R * sph + v_phi * cph, v_z])


def gse_sigma_r(pos, cfg):
    """GSE radial velocity dispersion, km/s.

    sigma_r = ``sigma_r15`` (r / 15 kpc)^``sigma_r_slope`` (1 + ``sigma_r_psi_amp`` cos 2 psi),
    with psi the azimuth from the major axis in the ellipsoid's x'-y' plane (the axes of
    the density model's ``pitch`` and ``yaw``, deg; conventions §7).

    Parameters
    ----------
    pos : numpy.ndarray
        Galactocentric positions, shape (3, ...), kpc.
    cfg : dict
        The GSE parameters (`MockConfig.gse`).
    """
    xp = np.einsum("ij,j...->i...", dens.rotation_matrix(cfg["pitch"], cfg["yaw"]), pos)
    r = np.sqrt(np.sum(pos**2, axis=0))
    psi = np.arctan2(xp[1], xp[0])
    return cfg["sigma_r15"] * (r / 15.0) ** cfg["sigma_r_slope"] * (1 + cfg["sigma_r_psi_amp"] * np.cos(2 * psi))


def gse_velocities(pos, cfg, rng):
    """GSE velocities: Gaussian in spherical components, radially anisotropic.

    V_r ~ N(0, sigma_r) with sigma_r from `gse_sigma_r`, V_theta ~ N(0, sigma_t) and
    V_phi ~ N(``mean_vphi``, sigma_t), sigma_t = sigma_r sqrt(1 - ``beta``).

    Parameters
    ----------
    pos : numpy.ndarray
        Galactocentric positions, shape (3, n), kpc.
    cfg : dict
        The GSE parameters (`MockConfig.gse`; ``mean_vphi`` in km/s).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        Cartesian Galactocentric velocities, shape (3, n), km/s.
    """
    sig_r = gse_sigma_r(pos, cfg)
    sig_t = sig_r * np.sqrt(1 - cfg["beta"])
    n = pos.shape[1]
    return spherical_to_cartesian_velocity(pos, sig_r * rng.standard_normal(n), sig_t * rng.standard_normal(n),
                                           cfg["mean_vphi"] + sig_t * rng.standard_normal(n))


def insitu_velocities(pos, cfg, rng):
    """Isotropic Gaussian velocities, ``sigma_above`` at Z > 0 and ``sigma_below`` at Z <= 0
    (km/s), mean V_phi ``mean_vphi`` (km/s); shape (3, n), km/s."""
    sig = np.where(pos[2] > 0, cfg["sigma_above"], cfg["sigma_below"])
    n = pos.shape[1]
    return spherical_to_cartesian_velocity(pos, sig * rng.standard_normal(n), sig * rng.standard_normal(n),
                                           cfg["mean_vphi"] + sig * rng.standard_normal(n))


def disk_velocities(pos, cfg, rng):
    """Gaussian velocities in cylindrical components, dispersion ``sigma`` (km/s) in each,
    mean V_phi ``mean_vphi`` (km/s); shape (3, n), km/s."""
    n = pos.shape[1]
    s = cfg["sigma"]
    return _cylindrical_to_cartesian(pos, s * rng.standard_normal(n), cfg["mean_vphi"] + s * rng.standard_normal(n),
                                     s * rng.standard_normal(n))


def scattered_angular_momenta(L, scatter, n, rng):
    """``n`` angular momenta (3, n), kpc km/s: ``L`` plus an isotropic Gaussian scatter of
    ``scatter`` |L| in each component."""
    L0 = np.asarray(L, float)[:, None]
    return L0 + scatter * np.linalg.norm(L0) * rng.standard_normal((3, n))


def angular_momentum_velocities(L, pos, v_r):
    """Velocities (3, n), km/s, of stars at ``pos`` (3, n), kpc, with angular momenta ``L``
    (3, n), kpc km/s, and radial velocities ``v_r`` (n,), km/s: L x r / r^2 + v_r r / |r|."""
    r2 = np.sum(pos**2, axis=0)
    return np.cross(L.T, pos.T).T / r2 + v_r * pos / np.sqrt(r2)


def stream_velocities(pos, cfg, rng):
    """A stream's coherent motion: angular momentum ``L`` (kpc km/s) with isotropic
    fractional scatter ``L_scatter``, plus V_r ~ N(0, ``sigma_vr``) (km/s); shape (3, n),
    km/s."""
    n = pos.shape[1]
    L = scattered_angular_momenta(cfg["L"], cfg["L_scatter"], n, rng)
    return angular_momentum_velocities(L, pos, cfg["sigma_vr"] * rng.standard_normal(n))
