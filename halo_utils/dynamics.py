"""Energies and orbital eccentricities in the package's Milky Way potential (SPEC section 1).

The potential is `gala.potential.MilkyWayPotential` version "v1" (Bovy 2015 disk plus
bulge, nucleus and NFW halo, the "default MWPotential" of S001). "Unbound" means
E >= 0 in it. Eccentricities come from gala orbit integrations: by default the adaptive
DOPRI853 integrator, because a fixed-step leapfrog at 1 Myr loses energy on the very radial
GSE orbits that plunge through the nucleus (measured on the default GSE sample: 57 % of
orbits with |dE/E| > 1e-3 over 3 Gyr and 1.4 % with eccentricities off by > 0.01, against
|dE/E| < 1e-6 for DOPRI853).
"""

from __future__ import annotations

import numpy as np
import astropy.units as u
import gala.dynamics as gd
import gala.integrate as gi
import gala.potential as gp

__all__ = ["POTENTIAL", "POTENTIAL_NAME", "energy", "orbit_extent"]

#: The one potential used for energies and orbits.
POTENTIAL = gp.MilkyWayPotential(version="v1")
POTENTIAL_NAME = "gala MilkyWayPotential(version='v1')"

def energy(pos, vel):
    """Specific orbital energy E = Phi(x) + v^2 / 2 in (km/s)^2.

    Parameters
    ----------
    pos : array_like, shape (3, n)
        Galactocentric position, kpc.
    vel : array_like, shape (3, n)
        Galactocentric velocity, km/s.
    """
    pos = np.asarray(pos, float)
    phi = POTENTIAL.energy(pos * u.kpc).to_value(u.km**2 / u.s**2)
    return phi + 0.5 * np.sum(np.asarray(vel, float) ** 2, axis=0)


_INTEGRATORS = {"dopri853": gi.DOPRI853Integrator, "leapfrog": gi.LeapfrogIntegrator}


def orbit_extent(pos, vel, *, dt_myr: float = 1.0, duration_myr: float = 3000.0,
                 integrator: str = "dopri853", chunk_size: int = 1000):
    """Pericentre, apocentre and eccentricity from an orbit integration in `POTENTIAL`.

    e = (r_apo - r_peri) / (r_apo + r_peri), with r_peri and r_apo the minimum and
    maximum Galactocentric radius over the integration (SPEC: >= 3 Gyr). Unbound orbits
    (E >= 0) get NaN: their apocentre is not defined.

    Parameters
    ----------
    pos, vel : array_like, shape (3, n)
        Galactocentric phase space (kpc, km/s).
    dt_myr, duration_myr : float
        Output time step (the step itself for leapfrog) and integration length, Myr.
        r_peri and r_apo are taken over the outputs, so dt_myr also sets how finely the
        turning points are resolved.
    integrator : {"dopri853", "leapfrog"}
        Adaptive Dormand-Prince 8(5,3) (accurate) or fixed-step leapfrog (fast, for
        smoke runs).
    chunk_size : int
        Orbits integrated together (bounds memory at ~ 6 * chunk * steps doubles).

    Returns
    -------
    r_peri, r_apo, ecc : ndarray
    """
    if duration_myr < 3000.0:
        raise ValueError(f"duration_myr must be >= 3000 (3 Gyr), got {duration_myr}")
    if dt_myr <= 0:
        raise ValueError(f"dt_myr must be positive, got {dt_myr}")
    if integrator not in _INTEGRATORS:
        raise ValueError(f"integrator must be one of {sorted(_INTEGRATORS)}, got {integrator!r}")
    pos, vel = np.atleast_2d(np.asarray(pos, float)), np.atleast_2d(np.asarray(vel, float))
    n = pos.shape[1]
    r_peri, r_apo = np.full(n, np.nan), np.full(n, np.nan)
    bound = energy(pos, vel) < 0
    idx = np.flatnonzero(bound)
    ham = gp.Hamiltonian(POTENTIAL)
    n_steps = int(np.ceil(duration_myr / dt_myr))
    for start in range(0, idx.size, chunk_size):
        sel = idx[start:start + chunk_size]
        w0 = gd.PhaseSpacePosition(pos=pos[:, sel] * u.kpc, vel=vel[:, sel] * u.km / u.s)
        orbit = ham.integrate_orbit(w0, dt=dt_myr * u.Myr, n_steps=n_steps,
                                    Integrator=_INTEGRATORS[integrator])
        r = np.sqrt(np.sum(orbit.xyz.to_value(u.kpc) ** 2, axis=0))
        r_peri[sel], r_apo[sel] = r.min(axis=0), r.max(axis=0)
    ecc = (r_apo - r_peri) / (r_apo + r_peri)
    return r_peri, r_apo, ecc
