"""Tilted triaxial multiply broken power-law density of the accreted halo (SPEC section 6.1).

Coordinates are Galactocentric Cartesian (kpc, `halo_utils.frames.GALCEN_FRAME`). The
ellipsoid frame is x' = R_y(pitch) R_z(-yaw) x, which maps the major-axis unit vector
a = (cos pitch cos yaw, cos pitch sin yaw, sin pitch) to (1, 0, 0) (roll 0), and

    r_q^2 = x'^2 + (y'/p)^2 + (z'/q)^2,   1 >= p >= q > 0.

The radial profile is continuous with breaks at r1 < r2:
rho0 (r_q/r1)^-a1 (r_q < r1), rho0 (r_q/r1)^-a2 (r1 <= r_q < r2),
rho0 (r2/r1)^-a2 (r_q/r2)^-a3 (r_q >= r2).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "rotation_matrix",
    "ellipsoidal_radius",
    "broken_power_law",
    "shell_integral",
    "density",
]


def rotation_matrix(pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """R_y(pitch) R_z(-yaw): Galactocentric axes to the ellipsoid's principal axes."""
    p, y = np.deg2rad(pitch_deg), np.deg2rad(yaw_deg)
    r_y = np.array([[np.cos(p), 0.0, np.sin(p)], [0.0, 1.0, 0.0], [-np.sin(p), 0.0, np.cos(p)]])
    r_z = np.array([[np.cos(y), np.sin(y), 0.0], [-np.sin(y), np.cos(y), 0.0], [0.0, 0.0, 1.0]])
    return r_y @ r_z


def ellipsoidal_radius(pos, p: float, q: float, pitch: float = 0.0, yaw: float = 0.0):
    """Ellipsoidal radius r_q (kpc) of Galactocentric positions ``pos`` of shape (3, ...)."""
    xp = np.einsum("ij,j...->i...", rotation_matrix(pitch, yaw), np.asarray(pos, float))
    return np.sqrt(xp[0] ** 2 + (xp[1] / p) ** 2 + (xp[2] / q) ** 2)


def broken_power_law(r_q, alphas, breaks):
    """Continuous multiply broken power law, equal to 1 at the first break.

    Parameters
    ----------
    r_q : array_like
        Ellipsoidal radius, kpc.
    alphas : sequence of float
        Logarithmic slopes, one more than ``breaks``.
    breaks : sequence of float
        Increasing break radii, kpc. With no break the profile is (r_q / 1 kpc)^-alpha.
    """
    r_q = np.asarray(r_q, float)
    if len(alphas) != len(breaks) + 1:
        raise ValueError("need one more slope than break radii")
    if not breaks:
        return r_q ** -alphas[0]
    out = (r_q / breaks[0]) ** -alphas[0]
    log_amp = 0.0  # log of the profile at the current break, relative to the first
    for i, rb in enumerate(breaks):
        if i > 0:
            log_amp -= alphas[i] * np.log(rb / breaks[i - 1])
        out = np.where(r_q >= rb, np.exp(log_amp) * (r_q / rb) ** -alphas[i + 1], out)
    return out


def _power_integral(a, b, k):
    """Integral of r^k dr from a to b."""
    if abs(k + 1.0) < 1e-12:
        return np.log(b / a)
    return (b ** (k + 1.0) - a ** (k + 1.0)) / (k + 1.0)


def shell_integral(alphas, breaks, r_min: float, r_max: float) -> float:
    """Integral of r^2 * broken_power_law(r) dr over [r_min, r_max] (analytic)."""
    edges = [r_min] + [b for b in breaks if r_min < b < r_max] + [r_max]
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (lo + hi)
        seg = int(np.searchsorted(breaks, mid, side="right"))
        amp = float(broken_power_law(mid, alphas, breaks) * mid ** alphas[seg])
        total += amp * _power_integral(lo, hi, 2.0 - alphas[seg])
    return total


def density(pos, *, total, alphas, breaks, p=1.0, q=1.0, pitch=0.0, yaw=0.0,
            r_min=1.0, r_max=100.0):
    """Density of a tilted triaxial broken power law normalised to ``total`` in a shell.

    Parameters
    ----------
    pos : array_like, shape (3, ...)
        Galactocentric positions, kpc.
    total : float
        Integral of the density over r_min < r_q < r_max (e.g. a number of giants or a
        stellar mass); the density is in the same unit per kpc^3.
    alphas, breaks : sequence of float
        Slopes and break radii (kpc) of `broken_power_law`.
    p, q : float
        Intermediate/major and minor/major axis ratios.
    pitch, yaw : float
        Orientation of the major axis, deg.
    """
    r_q = ellipsoidal_radius(pos, p, q, pitch, yaw)
    norm = total / (4.0 * np.pi * p * q * shell_integral(alphas, breaks, r_min, r_max))
    return norm * broken_power_law(r_q, alphas, breaks)
