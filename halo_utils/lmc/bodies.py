"""The Milky Way and the LMC as two moving bodies: the LMC's potential, dynamical friction and
their orbit (conventions §14).

Both galaxies are rigid potentials that move: the Milky Way (`~halo_utils.dynamics.POTENTIAL`,
gala's MilkyWayPotential v1) centred at x_MW(t), the LMC (a Hernquist sphere) at x_LMC(t).
Each centre is accelerated by the other's potential,

    dv_LMC/dt = -grad Phi_MW(x_LMC - x_MW) + a_DF,      dv_MW/dt = -grad Phi_LMC(x_MW - x_LMC),

the second being the Milky Way's *reflex* towards the LMC, which a halo star far from the
centre does not share. The LMC feels Chandrasekhar dynamical friction from the Milky Way's
dark halo (`ChandrasekharFriction`). Units: kpc, Myr, Msun (gala's galactic system);
velocities in and out in km/s.

The orbit is integrated backwards from the LMC's present-day phase space (`LMC_PRESENT`), the
Milky Way's centre at rest at the origin today, with scipy's DOP853 (relative tolerance 1e-10)
and kept as a dense solution for the test particles (`~halo_utils.lmc.particles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import astropy.units as u
import gala.potential as gp
from scipy.integrate import solve_ivp
from scipy.special import erf

from ..dynamics import POTENTIAL
from ..frames import icrs_to_galactocentric
from ..validation import check_real

__all__ = ["gradient", "G_KPC_MYR", "KMS_TO_KPC_MYR", "LMC_PRESENT", "LMC_MASSES", "MASS_WITHIN_8P7_KPC",
           "lmc_scale_radius", "lmc_mass_within", "lmc_potential", "lmc_present_phase_space", "ChandrasekharFriction",
           "TwoBodyOrbit", "integrate_two_body"]

#: Gravitational constant, kpc^3 / (Msun Myr^2).
G_KPC_MYR = 4.498502151469554e-12
#: 1 km/s in kpc/Myr.
KMS_TO_KPC_MYR = 1.022712165045695e-3

#: The LMC today: ICRS centre (deg; van der Marel & Kallivayalil 2014), distance (kpc;
#: Pietrzynski et al. 2019), proper motion (mas/yr; Kallivayalil et al. 2013) and
#: heliocentric radial velocity (km/s; van der Marel et al. 2002).
LMC_PRESENT = {"ra": 78.76, "dec": -69.19, "distance": 49.59, "pmra": 1.91, "pmdec": 0.229, "rv": 262.2}
#: The LMC's total masses of Garavito-Camargo et al. (2019), Msun.
LMC_MASSES = (0.8e11, 1.0e11, 1.8e11, 2.5e11)
#: Radius (kpc) and mass (Msun) within it that every LMC model matches: the rotation curve of
#: van der Marel & Kallivayalil (2014), 1.7e10 Msun within 8.7 kpc.
MASS_WITHIN_8P7_KPC = (8.7, 1.7e10)


def gradient(potential, x, t: float = 0.0) -> np.ndarray:
    """grad Phi (kpc/Myr^2) of a gala potential at positions ``x`` (3, n) in kpc, shape (3, n).

    gala's compiled gradient without the unit handling of its public ``gradient`` (which
    costs more than the evaluation for one point). A compiled potential is asked through its
    C instance directly: for a composite (the Milky Way) that is one pass over the points
    summing every component in C, where the composite's Python ``_gradient`` calls each
    component and stacks their (3, n) results before summing (5x slower for 10^5 points,
    the same numbers bit for bit). Tests pin both paths to the public method."""
    x = np.ascontiguousarray(x, dtype=float)
    t = np.array([float(t)])
    compiled = getattr(potential, "c_instance", None)
    if compiled is not None:
        return compiled.gradient(x, t)
    return potential._gradient(x, t)


def lmc_scale_radius(mass: float) -> float:
    """Hernquist scale radius a (kpc) of an LMC of total ``mass`` (Msun) with 1.7e10 Msun within
    8.7 kpc: M(<r) = M r^2 / (r + a)^2 gives a = r (sqrt(M / M(<r)) - 1).

    ``mass`` must exceed 1.7e10 Msun (the mass within 8.7 kpc alone).
    """
    r, m_r = MASS_WITHIN_8P7_KPC
    mass = check_real("mass", mass, low=m_r, low_open=True, unit="Msun", why="the LMC's total mass")
    return r * (np.sqrt(mass / m_r) - 1.0)


def lmc_mass_within(mass, r: float = 50.0):
    """Mass (Msun) within ``r`` (kpc) of an LMC of total ``mass`` (Msun, > 1.7e10; scalar or
    array): the Hernquist M r^2 / (r + a)^2 with `lmc_scale_radius`. Brooks et al. quote the
    LMC's mass within 50 kpc, which unlike the total the outer halo's reflex constrains."""
    masses = np.asarray(mass, float)
    r = check_real("r", r, low=0, low_open=True, unit="kpc")
    a = np.vectorize(lmc_scale_radius, otypes=[float])(masses)
    return masses * r**2 / (r + a) ** 2


def lmc_potential(mass: float) -> gp.HernquistPotential:
    """The LMC of total ``mass`` (Msun, > 1.7e10): a gala Hernquist potential with `lmc_scale_radius`."""
    return gp.HernquistPotential(m=mass, c=lmc_scale_radius(mass), units=POTENTIAL.units)


def lmc_present_phase_space(frame=None):
    """The LMC's Galactocentric position (kpc) and velocity (km/s) today, shape (3,) each,
    from `LMC_PRESENT` in the solar ``frame`` (any `~halo_utils.frames.solar_frame` spec)."""
    return icrs_to_galactocentric(*LMC_PRESENT.values(), frame=frame)


@dataclass(frozen=True)
class ChandrasekharFriction:
    """Chandrasekhar dynamical friction on the LMC from the Milky Way's dark halo:

        a_DF = -4 pi G^2 M_LMC rho(r) ln Lambda / v^2 [erf(X) - 2 X exp(-X^2) / sqrt(pi)] v_hat,

    with v the LMC's velocity relative to the Milky Way, r their separation, X = v / (sqrt(2)
    sigma), rho the density of the Milky Way's dark halo (the ``"halo"`` component of its
    potential, by default `~halo_utils.dynamics.POTENTIAL`'s), and the
    halo's velocity dispersion taken as sigma = v_c(r) / sqrt(2) (isothermal). The Coulomb
    logarithm follows van der Marel et al. (2012), calibrated on N-body LMC orbits:
    ln Lambda = max(0, ln(r / (C a_LMC))) with C = ``coulomb_c`` (1.22), a_LMC the Hernquist
    scale radius.

    Parameters
    ----------
    coulomb_c : float
        C of the Coulomb logarithm (> 0).
    strength : float
        A factor on the whole force (>= 0; 0 switches friction off; the simulation-based
        inference varies it).
    """

    coulomb_c: float = 1.22
    strength: float = 1.0

    def __post_init__(self):
        check_real("coulomb_c", self.coulomb_c, low=0, low_open=True)
        check_real("strength", self.strength, low=0)

    def acceleration(self, dx, dv, mass: float, scale_radius: float, potential=None) -> np.ndarray:
        """a_DF (kpc/Myr^2, shape (3,)) on an LMC of ``mass`` (Msun) and ``scale_radius`` (kpc) at
        separation ``dx`` (kpc) moving at ``dv`` (kpc/Myr) relative to the Milky Way
        ``potential`` (default `~halo_utils.dynamics.POTENTIAL`; a composite with a ``"halo"``
        component, whose density is the one that drags)."""
        if self.strength == 0 or mass == 0:
            return np.zeros(3)
        potential = POTENTIAL if potential is None else potential
        if "halo" not in getattr(potential, "keys", lambda: ())():
            raise ValueError("dynamical friction needs a Milky Way potential with a 'halo' component (the dark "
                             f"halo that drags), got {type(potential).__name__}")
        r, v = np.linalg.norm(dx), np.linalg.norm(dv)
        ln_lambda = max(0.0, np.log(r / (self.coulomb_c * scale_radius)))
        rho = potential["halo"].density(dx[:, None] * u.kpc).to_value(u.Msun / u.kpc**3)[0]
        v_c2 = r * np.linalg.norm(gradient(potential, dx[:, None]))  # kpc^2/Myr^2
        x = v / np.sqrt(v_c2)  # v / (sqrt(2) sigma) with sigma = v_c / sqrt(2)
        shape = erf(x) - 2.0 * x * np.exp(-x**2) / np.sqrt(np.pi)
        return -self.strength * 4 * np.pi * G_KPC_MYR**2 * mass * rho * ln_lambda * shape / v**3 * dv


@dataclass(frozen=True)
class TwoBodyOrbit:
    """The two centres over time: a dense solution from ``t_start`` to ``t_end`` (Myr; t = 0 today).

    Attributes
    ----------
    mass : float
        LMC mass, Msun.
    times : ndarray
        The integrator's steps, Myr.
    states : ndarray (12, n)
        x_MW, v_MW, x_LMC, v_LMC at ``times`` (kpc, kpc/Myr).
    solution : callable
        t (Myr) -> the 12-vector state, scipy's dense output (accurate to the integration).
    """

    mass: float
    times: np.ndarray
    states: np.ndarray
    solution: object

    def at(self, t):
        """(x_MW, v_MW, x_LMC, v_LMC) at time(s) ``t`` (Myr), kpc and km/s, each (3,) or (3, n)."""
        s = self.solution(t)
        return s[0:3], s[3:6] / KMS_TO_KPC_MYR, s[6:9], s[9:12] / KMS_TO_KPC_MYR


def _two_body_rhs(mw, lmc, friction, friction_potential, mass, scale_radius):
    def rhs(t, s):
        x_mw, v_mw, x_lmc, v_lmc = s[0:3], s[3:6], s[6:9], s[9:12]
        dx = x_lmc - x_mw
        a_lmc = -gradient(mw, dx[:, None], t)[:, 0]
        a_mw = np.zeros(3) if lmc is None else -gradient(lmc, -dx[:, None], t)[:, 0]
        if friction is not None:
            a_lmc = a_lmc + friction.acceleration(dx, v_lmc - v_mw, mass, scale_radius, friction_potential)
        return np.concatenate([v_mw, a_mw, v_lmc, a_lmc])
    return rhs


def integrate_two_body(mass: float, duration_myr: float = 3000.0, *, friction=ChandrasekharFriction(),
                       frame=None, mw_potential=None, lmc=None, present=None,
                       friction_potential=None) -> TwoBodyOrbit:
    """The Milky Way + LMC orbit from ``-duration_myr`` to today.

    Integrated backwards from today's state (the LMC at `lmc_present_phase_space`, the Milky
    Way at rest at the origin), so the dense solution holds every time in between.

    Parameters
    ----------
    mass : float
        LMC mass, Msun (0: no LMC, the Milky Way stays at rest).
    duration_myr : float
        How far back, Myr (> 0).
    friction : ChandrasekharFriction or None
        Dynamical friction on the LMC (None: none).
    frame
        Solar frame of the present-day LMC (`~halo_utils.frames.solar_frame` spec).
    mw_potential, lmc : gala potentials, optional
        Replace the Milky Way (default `~halo_utils.dynamics.POTENTIAL`) or the LMC (default
        `lmc_potential` of ``mass``; none for ``mass = 0``), e.g. point masses in tests.
    friction_potential : gala potential, optional
        The Milky Way whose dark halo (its ``"halo"`` component) drags the LMC (default: the
        Milky Way of the orbit; a test with a point-mass Milky Way names the package's).
    present : (pos, vel), optional
        Today's LMC position (kpc) and velocity (km/s) relative to the Milky Way, instead of
        `LMC_PRESENT`.
    """
    mass = check_real("mass", mass, low=0, unit="Msun")
    duration_myr = check_real("duration_myr", duration_myr, low=0, low_open=True, unit="Myr")
    if friction is not None and not isinstance(friction, ChandrasekharFriction):
        raise TypeError(f"friction must be a ChandrasekharFriction or None, got {type(friction).__name__}")
    mw = POTENTIAL if mw_potential is None else mw_potential
    if lmc is None and mass > 0:
        lmc = lmc_potential(mass)
    scale = lmc_scale_radius(mass) if mass > MASS_WITHIN_8P7_KPC[1] else 1.0
    pos, vel = lmc_present_phase_space(frame) if present is None else map(np.asarray, present)
    s0 = np.concatenate([np.zeros(6), pos, np.asarray(vel, float) * KMS_TO_KPC_MYR])
    drag = mw if friction_potential is None else friction_potential
    sol = solve_ivp(_two_body_rhs(mw, lmc, friction, drag, mass, scale), (0.0, -duration_myr), s0, method="DOP853",
                    rtol=1e-10, atol=1e-12, dense_output=True)
    if not sol.success:
        raise RuntimeError(f"two-body integration failed: {sol.message}")
    return TwoBodyOrbit(mass=float(mass), times=sol.t[::-1], states=sol.y[:, ::-1], solution=sol.sol)
