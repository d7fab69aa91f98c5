"""The Milky Way of the simulations, with a halo of any mass, and its spherical average
(conventions §14).

The package's potential (`~halo_utils.dynamics.POTENTIAL`, gala's MilkyWayPotential v1) has an
NFW dark halo of 5.4e11 Msun (scale radius 15.62 kpc). The simulation suite of the LMC-mass
inference varies the Milky Way's mass through that halo alone (`scaled_milky_way`): the disc,
bulge and nucleus, which dominate inside ~10 kpc where the measured halo stars never go, stay.
The tracers' distribution function needs the potential's monopole (the radial force averaged
over the sphere, `radial_force`); the mass inside a radius is r^2 dPhi/dr / G of that monopole
(`enclosed_mass`), which for the axisymmetric disc is the mass of the sphere to < 1 % beyond
20 kpc.
"""

from __future__ import annotations

import numpy as np
import gala.potential as gp

from ..dynamics import POTENTIAL
from ..validation import check_array, check_real
from .bodies import G_KPC_MYR, KMS_TO_KPC_MYR, gradient

__all__ = ["scaled_milky_way", "radial_force", "enclosed_mass"]

#: Gauss-Legendre nodes and weights in cos(theta) of the spherical average.
_MU, _WEIGHTS = np.polynomial.legendre.leggauss(16)


def scaled_milky_way(halo_mass_factor: float = 1.0) -> gp.CompositePotential:
    """gala's MilkyWayPotential v1 with its NFW halo's mass multiplied by ``halo_mass_factor``
    (> 0; scale radius, disc, bulge and nucleus unchanged). A factor of 1 returns
    `~halo_utils.dynamics.POTENTIAL` itself."""
    factor = check_real("halo_mass_factor", halo_mass_factor, low=0, low_open=True)
    if factor == 1.0:
        return POTENTIAL
    mass = POTENTIAL["halo"].parameters["m"]
    return gp.MilkyWayPotential(version="v1", halo={"m": mass * factor})


def radial_force(r, potential=None) -> np.ndarray:
    """dPhi/dr of the monopole of ``potential`` (default `~halo_utils.dynamics.POTENTIAL`; any
    axisymmetric gala potential) at radii ``r`` (kpc), (km/s)^2 / kpc.

    The radial component of the gradient averaged over the sphere (16-point Gauss-Legendre
    in cos(theta))."""
    potential = POTENTIAL if potential is None else potential
    r = np.atleast_1d(np.asarray(r, float))
    sin = np.sqrt(1.0 - _MU**2)
    unit = np.stack([sin, np.zeros_like(_MU), _MU], axis=1)  # (16, 3)
    pts = (r[:, None, None] * unit[None]).reshape(-1, 3)
    grad = gradient(potential, pts.T).T.reshape(r.size, _MU.size, 3)
    dphi_dr = np.einsum("rkj,kj->rk", grad, unit) @ _WEIGHTS / 2.0  # kpc/Myr^2
    return dphi_dr / KMS_TO_KPC_MYR**2


def enclosed_mass(r, potential=None) -> np.ndarray:
    """Mass (Msun) inside radii ``r`` (kpc) of the monopole of ``potential`` (default
    `~halo_utils.dynamics.POTENTIAL`): r^2 dPhi/dr / G."""
    r = check_array("r", r, low=0, low_open=True, unit="kpc")
    force = radial_force(np.ravel(r), potential) * KMS_TO_KPC_MYR**2  # kpc/Myr^2
    return (np.ravel(r) ** 2 * force / G_KPC_MYR).reshape(np.shape(r))
