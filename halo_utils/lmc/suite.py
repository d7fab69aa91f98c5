"""One Milky Way + LMC simulation per draw from a prior: the simulations of the LMC- and
Milky-Way-mass inference (conventions §14).

Each draw sets four parameters (`SuitePrior`): the LMC's total mass, the Milky Way's dark-halo
mass (a factor on the NFW halo of gala's MilkyWayPotential v1, `scaled_milky_way`), the
stellar halo's anisotropy before the LMC arrives (beta_0, the constant beta of its
distribution function, `~halo_utils.lmc.tracers.HaloTracers`) and the strength of the
dynamical friction on the LMC (a factor on Chandrasekhar's formula, which N-body orbits
calibrate only to tens of per cent). `simulate_draw` then runs the simulation of the book's
other chapters with those values: a halo of test particles in equilibrium in that Milky Way,
the two-body orbit back from the LMC's measured position and velocity today, and the
particles forward in the two moving potentials. What the data constrain are the masses
*inside 50 kpc* (Brooks et al. 2025-26), which `derived_masses` gives for each draw.

The halo's density and the orbit's duration are fixed (`SuiteConfig`), not inferred: the
outer halo's density slope is measured far better by its star counts (chapter 3) than its
kinematics would measure it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..validation import check_interval, make_generator
from .bodies import ChandrasekharFriction, integrate_two_body, lmc_mass_within
from .milky_way import enclosed_mass, scaled_milky_way
from .particles import check_particle_settings, integrate_particles
from .shells import shell_profiles
from .tracers import HaloTracers, draw_halo

__all__ = ["PRIOR_PARAMETERS", "SuitePrior", "SuiteConfig", "derived_masses", "initial_conditions", "simulate_draw",
           "travel_at"]

#: The parameters every simulation draws, in the order of `SuitePrior`'s arrays.
PRIOR_PARAMETERS = ("lmc_mass", "halo_mass_factor", "beta_0", "friction_strength")

#: Each parameter's domain (lower, upper limit, as text): an LMC heavier than its 1.7e10 Msun
#: within 8.7 kpc, a halo of positive mass, a beta the distribution function exists for, a
#: friction that drags.
_DOMAINS = {"lmc_mass": (1.7e10, np.inf, "(1.7e10, inf) Msun"), "halo_mass_factor": (0.0, np.inf, "(0, inf)"),
            "beta_0": (-0.5, 1.0, "(-0.5, 1)"), "friction_strength": (0.0, np.inf, "[0, inf)")}


@dataclass(frozen=True)
class SuitePrior:
    """Independent uniform priors on the `PRIOR_PARAMETERS`, each a (low, high) range.

    Attributes
    ----------
    lmc_mass : (float, float)
        The LMC's total (Hernquist) mass, Msun: 3e10 - 3e11, i.e. 2.7e10 - 1.24e11 within
        50 kpc, around the values measured from the LMC's rotation curve (1.7e10 within
        8.7 kpc, the lowest) to the heaviest of Garavito-Camargo et al. (2019) and beyond.
    halo_mass_factor : (float, float)
        The Milky Way's NFW halo mass over gala's 5.4e11 Msun: 0.5 - 1.5, i.e. the Milky Way's
        mass within 50 kpc 2.5e11 - 6.2e11 Msun (the literature's 3-5e11 and more).
    beta_0 : (float, float)
        The stellar halo's anisotropy before the LMC's infall: 0 (isotropic) - 0.9 (nearly
        radial; the outer halo is measured at 0.5-0.8).
    friction_strength : (float, float)
        Factor on the dynamical friction: 0.5 - 1.5.
    """

    lmc_mass: tuple = (3.0e10, 3.0e11)
    halo_mass_factor: tuple = (0.5, 1.5)
    beta_0: tuple = (0.0, 0.9)
    friction_strength: tuple = (0.5, 1.5)

    def __post_init__(self):
        for name in PRIOR_PARAMETERS:
            low, high = check_interval(name, getattr(self, name))
            floor, ceiling, text = _DOMAINS[name]
            if not ((low >= floor if name == "friction_strength" else low > floor) and high < ceiling):
                raise ValueError(f"{name} must be a range inside {text}, got {getattr(self, name)}")
            object.__setattr__(self, name, (low, high))

    @property
    def bounds(self) -> np.ndarray:
        """(4, 2) array of the ranges, in the order of `PRIOR_PARAMETERS`."""
        return np.array([getattr(self, name) for name in PRIOR_PARAMETERS])

    def draw(self, rng) -> dict:
        """One draw: ``{parameter: value}`` from ``rng`` (a seed or generator)."""
        rng = make_generator("rng", rng)
        low, high = self.bounds.T
        return dict(zip(PRIOR_PARAMETERS, (low + (high - low) * rng.uniform(size=low.size)).tolist()))

    def contains(self, theta) -> np.ndarray:
        """Whether each row of ``theta`` (n, 4) lies inside the prior's support."""
        theta = np.atleast_2d(np.asarray(theta, float))
        low, high = self.bounds.T
        return np.all((theta >= low) & (theta <= high), axis=1)


@dataclass(frozen=True)
class SuiteConfig:
    """Settings of every simulation of the suite (all enter the cache's fingerprint).

    Attributes
    ----------
    n_particles : int
        Test particles (even: mirror pairs). The mock surveys draw their ~1,300 stars between
        38 and 165 kpc without replacement from the particles in their footprints (H3 first,
        then SEGUE from those H3 left, then MagE), so those must be several times as many:
        16,000 with ``reach_kpc`` 35 leave ~8,000 between 40 and 165 kpc and ~1,700 in SEGUE's
        footprint, of which it needs 400 (with 8,000 particles too few are left for some draws).
    duration_myr, dt_myr : float
        How far back the orbit starts, and the particles' block step, Myr.
    r_min, r_max, reach_kpc : float
        The halo is drawn between ``r_min`` and ``r_max`` kpc, keeping the particles whose
        orbits reach beyond ``reach_kpc`` (below 38 kpc, the surveys' inner edge, nothing
        measured is lost; the particles that stay inside are not followed).
    slope_inner, slope_outer, r_break : float
        The tracers' broken power law.
    coulomb_c : float
        C of the Coulomb logarithm (`ChandrasekharFriction`).
    travel_shell : (float, float)
        Galactocentric shell (kpc) in which the simulation's travel velocity "at 100 kpc" is
        measured directly (the particles' mean velocity; `~halo_utils.lmc.shells`).
    """

    n_particles: int = 16_000
    duration_myr: float = 3000.0
    dt_myr: float = 1.0
    r_min: float = 0.5
    r_max: float = 500.0
    reach_kpc: float = 35.0
    slope_inner: float = 2.0
    slope_outer: float = 3.5
    r_break: float = 20.0
    coulomb_c: float = 1.22
    travel_shell: tuple = (80.0, 120.0)

    def __post_init__(self):
        check_particle_settings(self)
        object.__setattr__(self, "travel_shell", check_interval("travel_shell", self.travel_shell, low=0, unit="kpc"))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def derived_masses(lmc_mass, halo_mass_factor, radius: float = 50.0) -> tuple:
    """(M_LMC(< radius), M_MW(< radius)), Msun, of draws (scalars or arrays): the Hernquist
    LMC's enclosed mass and that of the scaled Milky Way's monopole. The Milky Way's is
    linear in the halo factor (only the halo scales), so two potentials give every draw's."""
    factor = np.asarray(halo_mass_factor, float)
    base, halo_only = enclosed_mass(radius), enclosed_mass(radius, scaled_milky_way(2.0)) - enclosed_mass(radius)
    return lmc_mass_within(lmc_mass, radius), base + (factor - 1.0) * halo_only


def initial_conditions(parameters: dict, rng, config: SuiteConfig = SuiteConfig()):
    """What a simulation of one draw starts from: ``(pos0, vel0, orbit, potential)``, the halo's
    particles (3, n; kpc, km/s) drawn in equilibrium in the draw's Milky Way ``potential``, and
    the two-body ``orbit`` back from today (`simulate_draw` integrates the particles in it)."""
    missing = [name for name in PRIOR_PARAMETERS if name not in parameters]
    if missing:
        raise ValueError(f"parameters must give {list(PRIOR_PARAMETERS)}; missing {missing}")
    if not isinstance(config, SuiteConfig):
        raise TypeError(f"config must be a SuiteConfig, got {type(config).__name__}")
    potential = scaled_milky_way(parameters["halo_mass_factor"])
    tracers = HaloTracers(config.slope_inner, config.slope_outer, config.r_break, beta=parameters["beta_0"],
                          potential=potential)
    pos0, vel0 = draw_halo(config.n_particles, rng, tracers=tracers, r_range=(config.r_min, config.r_max),
                           reach_kpc=config.reach_kpc)
    friction = ChandrasekharFriction(config.coulomb_c, parameters["friction_strength"])
    orbit = integrate_two_body(parameters["lmc_mass"], config.duration_myr, friction=friction, mw_potential=potential)
    return pos0, vel0, orbit, potential


def simulate_draw(parameters: dict, rng, config: SuiteConfig = SuiteConfig()):
    """The simulation of one draw of the prior.

    Parameters
    ----------
    parameters : dict
        Values of the `PRIOR_PARAMETERS` (e.g. `SuitePrior.draw`).
    rng : int or numpy.random.Generator
        Seed or generator of the halo's particles.
    config : SuiteConfig

    Returns
    -------
    pos, vel : ndarray (3, n)
        The particles today in the frame of the inner Galaxy, kpc and km/s.
    orbit : `~halo_utils.lmc.bodies.TwoBodyOrbit`
        The two centres over time.
    """
    pos0, vel0, orbit, potential = initial_conditions(parameters, rng, config)
    pos, vel = integrate_particles(pos0, vel0, orbit, dt_myr=config.dt_myr, mw_potential=potential)
    return pos, vel, orbit


def travel_at(pos, vel, shell) -> dict:
    """The travel velocity measured directly in a Galactocentric ``shell`` (kpc): ``v_travel``
    (km/s), its apex ``l_apex``, ``b_apex`` (deg) and ``n`` particles
    (`~halo_utils.lmc.shells.shell_profiles`)."""
    row = shell_profiles(pos, vel, list(shell))[0]
    return {name: float(row[name]) for name in ("v_travel", "l_apex", "b_apex", "n")}
