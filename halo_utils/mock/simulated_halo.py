"""An outer-halo mock drawn from the Milky Way + LMC simulation (conventions §14).

The same surveys, footprints, radial selections, error model and imperfections as the
model-drawn mock of chapter 5 (`~halo_utils.mock.outer_halo`), but every halo star is a
particle of a physical simulation (`halo_utils.lmc`) instead of a draw from the reflex model
that chapter 5 fits: its test of the fit cannot be passed by construction. Hot outliers,
stars with wrong distances, survey zero points, bad errors and Sagittarius debris are added
exactly as in the model-drawn mock (the hot outliers around the reflex model of
``config.truth`` with 4x its dispersions).
"""

from __future__ import annotations

import numpy as np
import astropy.coordinates as coord
from astropy.table import Table

from ..frames import galactic_lb, galactocentric_to_icrs
from ..reference import MAGELLANIC_CLOUDS_LB
from ..validation import check_real
from .outer_halo import OuterHaloConfig, _imperfect_part, _observe_outer, _sgr_parts, outer_footprint

__all__ = ["particles_of_mass", "draw_survey_particles", "generate_simulated_outer_halo"]

#: The simulation's tracers fall as nu ~ r^-3.5 beyond 20 kpc, i.e. dN/dr ~ r^-1.5 (`halo_utils.lmc.tracers`).
_PARTICLE_DN_DR_SLOPE = -1.5


def particles_of_mass(particles: Table, lmc_mass: float):
    """Positions (kpc) and velocities (km/s), each (3, n), of the particles of one LMC mass in a
    simulation table (`halo_utils.lmc.simulate`); ValueError naming the masses it holds."""
    lmc_mass = check_real("lmc_mass", lmc_mass, low=0, unit="Msun")
    masses = np.unique(np.asarray(particles["lmc_mass"]))
    sel = np.isclose(np.asarray(particles["lmc_mass"]), lmc_mass, rtol=1e-9, atol=0)
    if not sel.any():
        raise ValueError(f"lmc_mass = {lmc_mass:.3g} Msun is not in the simulation; it holds {masses.tolist()}")
    t = particles[sel]
    pos = np.array([t["x"], t["y"], t["z"]], float)
    vel = np.array([t["vx"], t["vy"], t["vz"]], float)
    return pos, vel


def draw_survey_particles(pos, n: int, r_range, slope: float, survey: str, cfg: OuterHaloConfig, rng):
    """Indices of ``n`` particles for one survey: inside its footprint and ``r_range`` (kpc), at
    least ``cfg.lmc_avoid_deg`` from the Magellanic Clouds, drawn without replacement with
    weights r^(slope + 1.5) that turn the particles' dN/dr ~ r^-1.5 into the survey's r^slope.
    RuntimeError when fewer than ``n`` particles qualify."""
    r = np.linalg.norm(pos, axis=0)
    obs = galactocentric_to_icrs(pos, np.zeros_like(pos))
    l, b = galactic_lb(obs["ra"], obs["dec"])
    ok = outer_footprint(survey, obs["ra"], obs["dec"], l, b) & (r >= r_range[0]) & (r <= r_range[1])
    for lc, bc in MAGELLANIC_CLOUDS_LB.values():
        sep = coord.angular_separation(*(np.deg2rad(a) for a in (l, b, lc, bc)))
        ok &= np.rad2deg(sep) > cfg.lmc_avoid_deg
    candidates = np.flatnonzero(ok)
    if candidates.size < n:
        raise RuntimeError(f"{survey}: only {candidates.size} simulation particles in its footprint and "
                           f"{r_range} kpc, {n} asked for; run the simulation with more particles")
    weight = r[candidates] ** (slope - _PARTICLE_DN_DR_SLOPE)
    return rng.choice(candidates, n, replace=False, p=weight / weight.sum())


def generate_simulated_outer_halo(seed: int, pos, vel, config: OuterHaloConfig = OuterHaloConfig()):
    """The outer-halo mock with its halo stars drawn from simulation particles: ``(catalog, truth)``
    in the schema of `~halo_utils.mock.generate_outer_halo`, the truth's ``meta["REFLEX"]``
    set to ``"simulation"`` (its reflex is the particles', not a vector of the model).

    Parameters
    ----------
    seed : int
        Seed of every draw (which particles, imperfections, errors).
    pos, vel : array_like, shape (3, n)
        The particles today in the frame of the inner Galaxy (kpc, km/s; e.g.
        `particles_of_mass`); the Sun sits where the package's solar frame puts it.
    config : OuterHaloConfig
        Surveys (numbers, radial ranges and slopes, errors, zero points) and imperfections;
        ``config.truth`` only shapes the hot outliers.
    """
    if not isinstance(config, OuterHaloConfig):
        raise TypeError(f"config must be an OuterHaloConfig, got {type(config).__name__}")
    pos, vel = np.asarray(pos, float), np.asarray(vel, float)
    if pos.ndim != 2 or pos.shape[0] != 3 or vel.shape != pos.shape:
        raise ValueError(f"pos and vel must both have shape (3, n), got {pos.shape} and {vel.shape}")
    rng = np.random.default_rng([seed, 14])
    cfg = config
    parts, taken = [], np.zeros(pos.shape[1], bool)
    for name, sv in cfg.surveys.items():
        free = np.flatnonzero(~taken)  # a particle is one star, in one survey
        idx = free[draw_survey_particles(pos[:, free], sv["n"], sv["r_range"], sv["r_slope"], name, cfg, rng)]
        taken[idx] = True
        outlier = rng.uniform(size=sv["n"]) < cfg.f_outlier
        parts.append(_imperfect_part(name, pos[:, idx].copy(), vel[:, idx].copy(), outlier, cfg, rng))
    catalog, truth = _observe_outer(parts + _sgr_parts(cfg, rng), cfg, rng)
    # the reflex truth is the simulation, not a vector of the fitted model (chapter 5 reads this)
    truth.meta["REFLEX"] = "simulation"
    return catalog, truth
