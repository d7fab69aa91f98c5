"""Simulation particles seen from the Sun, in the columns the outer-halo data have (conventions §14).

The particles are given in the frame of the inner Galaxy (the Milky Way's centre at rest),
which is where `halo_utils.reflex.galactic_velocities` puts the stars once the solar motion
is removed; this module places the Sun with the package's solar frame and returns the same
quantities for the particles, so that binned means of the data and of the simulations
(S004 fig 13) are the same numbers.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from ..frames import galactic_lb, galactocentric_to_icrs
from ..reflex.sky import galactic_basis, galactic_to_galactocentric_axes, galactic_to_ms

__all__ = ["observed_particles"]


def observed_particles(pos, vel, frame=None) -> Table:
    """Heliocentric sky position and solar-motion-free velocities of particles.

    Parameters
    ----------
    pos, vel : array_like, shape (3, n)
        Positions (kpc) and velocities (km/s) in the frame of the inner Galaxy.
    frame : optional
        The solar frame (any `~halo_utils.frames.solar_frame` spec; default astropy v4.0).

    Returns
    -------
    Table
        ``l``, ``b``, ``L_MS``, ``B_MS`` (deg), ``d`` (heliocentric) and ``r``
        (Galactocentric) distances (kpc), and ``v_gsr``, ``v_l``, ``v_b`` (km/s: the velocity
        projected on the line of sight and the Galactic unit vectors, as
        `~halo_utils.reflex.galactic_velocities` gives them for stars).
    """
    pos, vel = np.asarray(pos, float), np.asarray(vel, float)
    if pos.ndim != 2 or pos.shape[0] != 3 or vel.shape != pos.shape:
        raise ValueError(f"pos and vel must both have shape (3, n), got {pos.shape} and {vel.shape}")
    obs = galactocentric_to_icrs(pos, vel, frame)
    l, b = galactic_lb(obs["ra"], obs["dec"])
    n_gal, el_gal, eb_gal = galactic_basis(l, b)
    basis = np.stack([n_gal, el_gal, eb_gal], axis=1) @ galactic_to_galactocentric_axes(frame).T
    u = np.einsum("nij,jn->ni", basis, vel)
    L_ms, B_ms = galactic_to_ms(l, b)
    return Table({"l": l, "b": b, "L_MS": L_ms, "B_MS": B_ms, "d": obs["distance"],
                  "r": np.linalg.norm(pos, axis=0), "v_gsr": u[:, 0], "v_l": u[:, 1], "v_b": u[:, 2]})
