"""Energies and orbital eccentricities in the package's Milky Way potential (conventions §1 and §5).

The potential is `gala.potential.MilkyWayPotential` version "v1" (Bovy 2015 disk plus
bulge, nucleus and NFW halo, the "default MWPotential" of S001). "Unbound" means
E >= 0 in it. Eccentricities come from gala orbit integrations: by default the adaptive
DOPRI853 integrator, because a fixed-step leapfrog at 1 Myr loses energy (|dE/E| > 1e-3 over
3 Gyr, enough to move eccentricities by > 0.01) on the very radial GSE orbits that plunge
through the nucleus, where DOPRI853 keeps |dE/E| < 1e-6.
"""

from __future__ import annotations

import numpy as np
import astropy.units as u
import gala.dynamics as gd
import gala.integrate as gi
import gala.potential as gp

from .validation import check_choice, check_integer, check_real
from .frames import check_phase_space

__all__ = ["POTENTIAL", "POTENTIAL_NAME", "INTEGRATORS", "energy", "orbit_extent"]

#: The one potential used for energies and orbits.
POTENTIAL = gp.MilkyWayPotential(version="v1")
#: How `POTENTIAL` is named in summaries and figure labels.
POTENTIAL_NAME = "gala MilkyWayPotential(version='v1')"

def energy(pos, vel):
    """Specific orbital energy E = Phi(x) + v^2 / 2 in (km/s)^2.

    Parameters
    ----------
    pos : array_like, shape (3, n)
        Galactocentric position, kpc (finite).
    vel : array_like, shape (3, n)
        Galactocentric velocity, km/s (finite).
    """
    pos, vel = _phase_space(pos, vel)
    phi = POTENTIAL.energy(pos * u.kpc).to_value(u.km**2 / u.s**2)
    return phi + 0.5 * np.sum(vel**2, axis=0)


def _phase_space(pos, vel):
    """``pos`` and ``vel`` as finite float arrays of one shape (3, n) (a single point (3,) too)."""
    pos, vel = check_phase_space(pos, vel)
    if pos.ndim > 2:
        raise ValueError(f"pos must have shape (3, n), got shape {pos.shape}")
    return pos, vel


_INTEGRATORS = {"dopri853": gi.DOPRI853Integrator, "leapfrog": gi.LeapfrogIntegrator}
#: Names of the orbit integrators of `orbit_extent`.
INTEGRATORS = tuple(_INTEGRATORS)
#: Most output steps of one orbit integration: a tiny dt_myr would otherwise run for hours
#: and fill the memory (3 Gyr at 0.01 Myr).
_MAX_STEPS = 1_000_000


def orbit_extent(pos, vel, *, dt_myr: float = 1.0, duration_myr: float = 3000.0,
                 integrator: str = "dopri853", chunk_size: int = 1000):
    """Pericentre, apocentre and eccentricity from an orbit integration in `POTENTIAL`.

    e = (r_apo - r_peri) / (r_apo + r_peri), with r_peri and r_apo the minimum and
    maximum Galactocentric radius over the integration (>= 3 Gyr, conventions §5). Unbound orbits
    (E >= 0) get NaN: their apocentre is not defined.

    Parameters
    ----------
    pos, vel : array_like, shape (3, n)
        Galactocentric phase space (kpc, km/s), finite.
    dt_myr, duration_myr : float
        Output time step (the step itself for leapfrog; > 0) and integration length
        (>= 3000), Myr. r_peri and r_apo are taken over the outputs, so dt_myr also sets
        how finely the turning points are resolved; at most 10^6 steps.
    integrator : {"dopri853", "leapfrog"}
        Adaptive Dormand-Prince 8(5,3) (accurate) or fixed-step leapfrog (fast, for
        smoke runs).
    chunk_size : int
        Orbits integrated together (>= 1; bounds memory at ~ 6 * chunk * steps doubles).

    Returns
    -------
    r_peri, r_apo, ecc : ndarray
    """
    duration_myr = check_real("duration_myr", duration_myr, low=3000.0, unit="Myr",
                              why="at least 3 Gyr, conventions §5")
    dt_myr = check_real("dt_myr", dt_myr, low=0, low_open=True, unit="Myr")
    check_choice("integrator", integrator, INTEGRATORS)
    chunk_size = check_integer("chunk_size", chunk_size, low=1)
    n_steps = int(np.ceil(duration_myr / dt_myr))
    if n_steps > _MAX_STEPS:
        raise ValueError(f"duration_myr / dt_myr = {n_steps} steps, expected at most {_MAX_STEPS}; "
                         "increase dt_myr")
    pos, vel = _phase_space(pos, vel)
    pos, vel = pos.reshape(3, -1), vel.reshape(3, -1)
    n = pos.shape[1]
    r_peri, r_apo = np.full(n, np.nan), np.full(n, np.nan)
    bound = energy(pos, vel) < 0
    idx = np.flatnonzero(bound)
    ham = gp.Hamiltonian(POTENTIAL)
    for start in range(0, idx.size, chunk_size):
        sel = idx[start:start + chunk_size]
        w0 = gd.PhaseSpacePosition(pos=pos[:, sel] * u.kpc, vel=vel[:, sel] * u.km / u.s)
        orbit = ham.integrate_orbit(w0, dt=dt_myr * u.Myr, n_steps=n_steps,
                                    Integrator=_INTEGRATORS[integrator])
        r = np.sqrt(np.sum(orbit.xyz.to_value(u.kpc) ** 2, axis=0))
        r_peri[sel], r_apo[sel] = r.min(axis=0), r.max(axis=0)
    ecc = (r_apo - r_peri) / (r_apo + r_peri)
    return r_peri, r_apo, ecc
