"""The Milky Way + LMC simulations of the compendium: one stellar halo, several LMC masses
(conventions §14).

`simulate` draws one halo of test particles around the Milky Way at the start (the same
particles for every mass, from one seed), integrates the two-body orbit back from today for
each LMC mass, and then the particles forward in the moving potentials. Its tables (the
particles today in the frame of the inner Galaxy, and the two centres along the orbit) are
what `make data` caches under ``data/`` (`halo_utils.mock.files`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table, vstack

from ..studies import run_study
from ..validation import check_integer, check_real, make_generator
from .bodies import LMC_MASSES, ChandrasekharFriction, integrate_two_body
from .particles import check_particle_settings, integrate_particles
from .tracers import HaloTracers, draw_halo

__all__ = ["SimulationConfig", "simulate", "ORBIT_STEP_MYR"]

#: Spacing of the stored orbit of the two centres, Myr.
ORBIT_STEP_MYR = 10.0


@dataclass(frozen=True)
class SimulationConfig:
    """Settings of the simulation suite (every field enters the cache's manifest).

    Attributes
    ----------
    masses : tuple of float
        LMC masses, Msun; 0 (no LMC: the control run) and the four masses of
        Garavito-Camargo et al. (2019).
    n_particles : int
        Test particles of the halo (even: mirror pairs).
    duration_myr, dt_myr : float
        How far back the orbit starts, and the particles' leapfrog step, Myr.
    r_min, r_max : float
        Radii between which the halo is drawn, kpc.
    reach_kpc : float
        Only particles whose orbits reach beyond it are kept (`~halo_utils.lmc.tracers.draw_halo`).
    slope_inner, slope_outer, r_break : float
        The tracers' broken power law (`~halo_utils.lmc.tracers.HaloTracers`).
    coulomb_c, friction_strength : float
        Dynamical friction (`~halo_utils.lmc.bodies.ChandrasekharFriction`).
    chunks_per_mass : int
        Tasks each mass's particles are split into (whole mirror pairs), so that the
        workers share the masses evenly (5 masses on 2 workers would leave one idle for a
        third of the time). Test particles do not interact, so the split changes nothing
        but the last bits of a few forces (`~halo_utils.lmc.particles`).
    """

    masses: tuple = (0.0,) + LMC_MASSES
    n_particles: int = 100_000
    duration_myr: float = 3000.0
    dt_myr: float = 1.0
    r_min: float = 0.5
    r_max: float = 500.0
    reach_kpc: float = 12.0
    slope_inner: float = 2.0
    slope_outer: float = 3.5
    r_break: float = 20.0
    coulomb_c: float = 1.22
    friction_strength: float = 1.0
    chunks_per_mass: int = 2

    def __post_init__(self):
        masses = tuple(float(check_real("masses", m, low=0, unit="Msun")) for m in self.masses)
        if not masses or len(set(masses)) != len(masses):
            raise ValueError(f"masses must be distinct LMC masses (Msun), got {self.masses}")
        object.__setattr__(self, "masses", masses)
        check_particle_settings(self)
        check_real("friction_strength", self.friction_strength, low=0)
        check_integer("chunks_per_mass", self.chunks_per_mass, low=1, high=self.n_particles // 2)

    def tracers(self) -> HaloTracers:
        return HaloTracers(self.slope_inner, self.slope_outer, self.r_break)

    def friction(self) -> ChandrasekharFriction:
        return ChandrasekharFriction(self.coulomb_c, self.friction_strength)


def _chunk(config, part):
    """Particle ids ``[start, stop)`` of chunk ``part`` of a mass (even bounds: whole mirror pairs)."""
    bounds = 2 * np.linspace(0, config.n_particles // 2, config.chunks_per_mass + 1).astype(int)
    return bounds[part], bounds[part + 1]


def _run_task(index, rng, pos0, vel0, config):
    """One task of the suite: the orbit of mass ``index // chunks_per_mass`` and the particles
    of chunk ``index % chunks_per_mass`` in it (the halo is the same for every mass, so
    ``rng`` is not used)."""
    mass_index, part = divmod(index, config.chunks_per_mass)
    mass = config.masses[mass_index]
    start, stop = _chunk(config, part)
    orbit = integrate_two_body(mass, config.duration_myr, friction=config.friction())
    pos, vel = integrate_particles(pos0[:, start:stop], vel0[:, start:stop], orbit, dt_myr=config.dt_myr)
    particles = Table({"lmc_mass": np.full(stop - start, mass), "id": np.arange(start, stop, dtype=np.int32)})
    for name, col in zip(("x", "y", "z", "vx", "vy", "vz"), np.concatenate([pos, vel])):
        particles[name] = col.astype(np.float32)
    if part > 0:
        return particles, None
    t = np.arange(-config.duration_myr, 0.5 * ORBIT_STEP_MYR, ORBIT_STEP_MYR)
    x_mw, v_mw, x_lmc, v_lmc = orbit.at(t)
    track = Table({"lmc_mass": np.full(t.size, mass), "t": t})
    for body, x, v in (("mw", x_mw, v_mw), ("lmc", x_lmc, v_lmc)):
        for axis, xa, va in zip("xyz", x, v):
            track[f"{axis}_{body}"], track[f"v{axis}_{body}"] = xa, va
    return particles, track


def simulate(seed, config: SimulationConfig = SimulationConfig(), *, scheduler_address: str | None = None,
             n_workers: int | None = None, report_progress: bool = True) -> dict:
    """Run every mass of ``config`` on one halo drawn from ``seed``, the masses (each in
    ``config.chunks_per_mass`` chunks of particles) as tasks of a dask study (`~halo_utils.studies.run_study`: a local cluster, or the one at
    ``scheduler_address``; the results do not depend on the workers).

    Returns
    -------
    dict
        ``{"particles": Table, "orbits": Table}``, every mass stacked with its LMC mass in
        the column ``lmc_mass`` (Msun). ``particles``: each particle today relative to the
        inner Galaxy, ``x``, ``y``, ``z`` (kpc), ``vx``, ``vy``, ``vz`` (km/s), float32, and
        ``id``, its index in the drawn halo (the same particles for every mass; ``2k`` and
        ``2k + 1`` are mirror pairs). ``orbits``: the two centres every `ORBIT_STEP_MYR`,
        ``t`` (Myr, 0 today) and ``x_mw`` ... ``vz_lmc`` (kpc, km/s; the Milky Way's centre
        at rest at the origin today).
    """
    if not isinstance(config, SimulationConfig):
        raise TypeError(f"config must be a SimulationConfig, got {type(config).__name__}")
    rng = make_generator("seed", seed)
    pos0, vel0 = draw_halo(config.n_particles, rng, tracers=config.tracers(), r_range=(config.r_min, config.r_max),
                           reach_kpc=config.reach_kpc)
    # pairs interleaved (2k, 2k + 1), so that any contiguous run of ids keeps whole pairs
    half = config.n_particles // 2
    order = np.column_stack([np.arange(half), np.arange(half) + half]).ravel()
    pos0, vel0 = pos0[:, order], vel0[:, order]
    results = run_study(_run_task, len(config.masses) * config.chunks_per_mass, seed=0, args=(pos0, vel0, config),
                        scheduler_address=scheduler_address, n_workers=n_workers, progress=report_progress,
                        label="MW + LMC simulations")
    return {"particles": vstack([r[0] for r in results]),
            "orbits": vstack([r[1] for r in results if r[1] is not None])}
