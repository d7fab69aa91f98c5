"""The test-particle halo: its distribution function against the Jeans equation, the leapfrog
against gala's orbits and energy conservation, equilibrium without the LMC, the reflex with
it, and reproducibility."""

import dataclasses

import numpy as np
import astropy.units as u
import gala.dynamics as gd
import gala.integrate as gi
import pytest

from halo_utils import lmc
from halo_utils.dynamics import POTENTIAL, energy

WIDE_SHELLS = np.array([20.0, 30.0, 45.0, 65.0, 100.0, 150.0])


@pytest.fixture(scope="module")
def halo():
    return lmc.draw_halo(200_000, 7)


def test_distribution_function_has_the_jeans_dispersions_and_beta_one_half(halo):
    """Beyond the break the density is the pure power law r^-3.5, whose Jeans sigma_r with
    beta = 1/2 is independent of the distribution function: each shell's sigma_r within 4
    standard errors of it at the shell's middle (sigma / sqrt(2 N_pairs)), beta within 4 of
    its error, and the counts per shell within 4 Poisson sigma of r^-3.5 (each pair counted
    once). The error of beta = 1 - sigma_t^2 / sigma_r^2 (sigma_t^2 the mean of two components)
    is (1 - beta) sqrt(1/N + 2/N) = 0.87 / sqrt(N) for Gaussian velocities; 1.1 / sqrt(N)
    allows for the distribution function's non-Gaussian speeds."""
    pos, vel = halo
    tab = lmc.shell_profiles(pos, vel, WIDE_SHELLS)
    pairs = tab["n"] / 2
    jeans = lmc.jeans_sigma_r(tab["r_mid"], 3.5, 0.5)
    assert np.all(np.abs(tab["sigma_r"] / jeans - 1) < 4 / np.sqrt(2 * pairs)), (tab["sigma_r"], jeans)
    assert np.all(np.abs(tab["beta"] - 0.5) < 4 * 1.1 / np.sqrt(pairs)), tab["beta"]
    lo, hi = WIDE_SHELLS[:-1], WIDE_SHELLS[1:]
    expected = hi**-0.5 - lo**-0.5
    share = pairs / pairs.sum()
    expected = expected / expected.sum()
    assert np.all(np.abs(share - expected) < 4 * np.sqrt(expected / pairs.sum())), (share, expected)


def test_mirror_pairs_and_seeds(halo):
    pos, vel = halo
    half = pos.shape[1] // 2
    assert np.array_equal(pos[:, :half], -pos[:, half:]) and np.array_equal(vel[:, :half], -vel[:, half:])
    again = lmc.draw_halo(200_000, 7)
    assert np.array_equal(again[0], pos) and np.array_equal(again[1], vel)
    assert not np.array_equal(lmc.draw_halo(200_000, 8)[0], pos)


def test_no_particle_is_unbound(halo):
    pos, vel = halo
    r = np.linalg.norm(pos, axis=0)
    psi = lmc.relative_potential(r)
    assert np.all(0.5 * np.sum(vel**2, axis=0) < psi)


def test_leapfrog_follows_galas_orbits():
    """A few particles in the static Milky Way (no LMC) for 1 Gyr at 0.5 Myr steps: positions
    within 0.1 % of gala's DOPRI853 orbits from the same start."""
    rng = np.random.default_rng(3)
    pos, vel = lmc.draw_halo(20, rng, r_range=(20.0, 150.0))
    orbit = lmc.integrate_two_body(0.0, 1000.0)
    ours, _ = lmc.integrate_particles(pos, vel, orbit, dt_myr=0.5)
    w0 = gd.PhaseSpacePosition(pos=pos * u.kpc, vel=vel * u.km / u.s)
    ref = POTENTIAL.integrate_orbit(w0, dt=0.5 * u.Myr, n_steps=2000, Integrator=gi.DOPRI853Integrator)
    theirs = ref[-1].xyz.to_value(u.kpc)
    r = np.linalg.norm(theirs, axis=0)
    assert np.max(np.linalg.norm(ours - theirs, axis=0) / r) < 1e-3


def _leapfrog_alone(pos, vel, orbit, dt, eta, max_level):
    """The block scheme written plainly for one particle (the reference of the test below):
    each block, the particle's own level, then 2^k kick-drift-kick steps, forces from the two
    moving centres one point at a time."""
    mw, lmc_pot = POTENTIAL, lmc.lmc_potential(orbit.mass)

    def accel(x, t):
        s = orbit.solution(t)
        return -(lmc.gradient(mw, (x - s[0:3])[:, None], t) + lmc.gradient(lmc_pot, (x - s[6:9])[:, None], t))[:, 0]

    t0 = float(orbit.times[0])
    s = orbit.solution(t0)
    x, v = pos + s[0:3], vel * lmc.KMS_TO_KPC_MYR + s[3:6]
    a = accel(x, t0)
    edges = np.linspace(t0, 0.0, int(np.ceil(-t0 / dt)) + 1)
    step = edges[1] - edges[0]
    for start in edges[:-1]:
        now = orbit.solution(start)
        r, speed = np.linalg.norm(x - now[0:3]), np.linalg.norm(v - now[3:6])
        scale = eta * min(r / speed, np.sqrt(r / np.linalg.norm(a)))
        k = 0 if scale >= step else int(min(max(np.ceil(np.log2(step / scale)), 0), max_level))
        h = step / 2**k
        for m in range(1, 2**k + 1):
            v = v + 0.5 * h * a
            x = x + h * v
            a = accel(x, start + h * m)
            v = v + 0.5 * h * a
    end = orbit.solution(0.0)
    return x - end[0:3], (v - end[3:6]) / lmc.KMS_TO_KPC_MYR


def test_block_steps_are_each_particles_own_leapfrog():
    """The levels batched on one grid of fine times (`integrate_particles`) against each
    particle integrated alone by the plainly written scheme, with the LMC, for 200 Myr:
    the same to rounding (1e-9 kpc, 1e-9 km/s), for particles at every level, the
    plunging ones included."""
    rng = np.random.default_rng(5)
    pos, vel = lmc.draw_halo(40, rng, r_range=(0.5, 200.0), reach_kpc=0.0)
    orbit = lmc.integrate_two_body(1.8e11, 200.0)
    together = lmc.integrate_particles(pos, vel, orbit, dt_myr=1.0)
    alone = np.array([_leapfrog_alone(pos[:, i], vel[:, i], orbit, 1.0, 0.02, 6) for i in range(pos.shape[1])])
    assert np.max(np.abs(together[0] - alone[:, 0].T)) < 1e-9
    assert np.max(np.abs(together[1] - alone[:, 1].T)) < 1e-9


def test_energy_is_conserved_in_the_static_milky_way(halo):
    """3 Gyr without the LMC: of the particles that start beyond 15 kpc, half keep their
    energy to 1e-5 and 99.9 % to 1e-3 (with a fixed 1 Myr step 7 % lost more than 1 %: the
    radial orbits plunge through the nucleus)."""
    pos, vel = halo[0][:, :20000], halo[1][:, :20000]
    orbit = lmc.integrate_two_body(0.0, 3000.0)
    end_pos, end_vel = lmc.integrate_particles(pos, vel, orbit, dt_myr=1.0)
    outer = np.linalg.norm(pos, axis=0) > 15
    e0, e1 = energy(pos[:, outer], vel[:, outer]), energy(end_pos[:, outer], end_vel[:, outer])
    rel = np.abs(e1 / e0 - 1)
    assert np.median(rel) < 1e-5 and np.percentile(rel, 99.9) < 1e-3, np.percentile(rel, [50, 99.9])


@pytest.mark.slow
def test_without_the_lmc_the_halo_stays_in_equilibrium():
    """No LMC, 3 Gyr, 10^5 particles: no travel velocity (< 2 km/s: zero to rounding, the
    mirror pairs keep every shell's mean at zero) and, between 20 and 150 kpc, density and
    sigma_r per shell within 5 % of the start (the shells hold 5 x 10^3 - 1.5 x 10^4 pairs:
    1-2 % of noise)."""
    pos, vel = lmc.draw_halo(100_000, 7)
    orbit = lmc.integrate_two_body(0.0, 3000.0)
    end = lmc.shell_profiles(*lmc.integrate_particles(pos, vel, orbit, dt_myr=1.0), WIDE_SHELLS)
    start = lmc.shell_profiles(pos, vel, WIDE_SHELLS)
    assert np.all(end["v_travel"] < 2.0)
    assert np.all(np.abs(end["n"] / start["n"] - 1) < 0.05), end["n"] / start["n"]
    assert np.all(np.abs(end["sigma_r"] / start["sigma_r"] - 1) < 0.05), end["sigma_r"] / start["sigma_r"]


@pytest.mark.slow
def test_travel_velocity_grows_with_radius_and_with_the_lmcs_mass():
    """The reflex (S004 section 4.1, GC19): with the LMC the outer halo moves with respect to
    the inner Galaxy, faster further out and for heavier LMCs; tens of km/s at 100 kpc, the
    apex in the southern sky (where the LMC came from)."""
    pos, vel = lmc.draw_halo(50_000, 8)
    edges = np.array([30.0, 50.0, 80.0, 120.0])
    travel = []
    for mass in (1.0e11, 2.5e11):
        tab = lmc.shell_profiles(*lmc.integrate_particles(pos, vel, lmc.integrate_two_body(mass, 3000.0)), edges)
        assert np.all(np.diff(tab["v_travel"]) > 0), tab["v_travel"]
        assert np.all(tab["b_apex"][1:] < -30), tab["b_apex"]
        travel.append(tab["v_travel"])
    assert np.all(travel[1] > travel[0])
    assert 10 < travel[0][-1] < 80 and 20 < travel[1][-1] < 120


def test_simulate_is_reproducible_and_tabulates_every_mass():
    config = lmc.SimulationConfig(masses=(0.0, 1.8e11), n_particles=200, duration_myr=200.0, dt_myr=5.0)
    a = lmc.simulate(3, config, report_progress=False)
    b = lmc.simulate(3, config, report_progress=False)
    for key in ("particles", "orbits"):
        assert all(np.array_equal(a[key][c], b[key][c]) for c in a[key].colnames)
    assert sorted(set(a["particles"]["lmc_mass"])) == [0.0, 1.8e11] and len(a["particles"]) == 400
    today = a["orbits"][(a["orbits"]["lmc_mass"] == 1.8e11) & (a["orbits"]["t"] == 0)]
    pos, _ = lmc.lmc_present_phase_space()
    assert np.allclose([today["x_lmc"][0], today["y_lmc"][0], today["z_lmc"][0]], pos, atol=1e-9)
    c = lmc.simulate(4, config, report_progress=False)
    assert not np.array_equal(a["particles"]["x"], c["particles"]["x"])
    # pairs interleaved: particles 2k and 2k + 1 are mirror images in the control run
    p0 = a["particles"][a["particles"]["lmc_mass"] == 0]
    assert np.allclose(p0["x"][0::2], -p0["x"][1::2]) and np.allclose(p0["vz"][0::2], -p0["vz"][1::2])
    # the particles split into other chunks (tasks): the same particles, in order, to rounding
    d = lmc.simulate(3, dataclasses.replace(config, chunks_per_mass=3), report_progress=False)
    assert np.array_equal(d["particles"]["id"], a["particles"]["id"]) and len(d["orbits"]) == len(a["orbits"])
    for c in ("x", "y", "z", "vx", "vy", "vz"):
        assert np.allclose(d["particles"][c], a["particles"][c], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    (dict(n_particles=201), "even"), (dict(masses=(1e11, 1e11)), "distinct"), (dict(dt_myr=0.0), "dt_myr"),
    (dict(masses=(-1.0,)), "masses"), (dict(slope_outer=1.0), "slope_outer"), (dict(coulomb_c=0.0), "coulomb_c"),
    (dict(reach_kpc=600.0), "reach_kpc"), (dict(chunks_per_mass=0), "chunks_per_mass")])
def test_bad_configs_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lmc.SimulationConfig(**kwargs)


@pytest.mark.parametrize("beta,halo_mass_factor", [(0.0, 0.7), (0.8, 1.3), (-0.3, 1.0)])
def test_any_anisotropy_in_any_milky_way_has_the_jeans_dispersions(beta, halo_mass_factor):
    """The Cuddeford inversion for beta other than 1/2 (a fractional derivative computed by
    product integration) in a Milky Way with a lighter or heavier halo: beyond the break, each
    shell's sigma_r within 4 standard errors of the Jeans sigma_r of that potential and beta,
    and the measured beta within 4 of its error (as in the beta = 1/2 test above). The Jeans
    sigma_r of the default potential differs from that of a halo 30 % lighter or heavier by
    > 10 %, so the test sees which potential the tracers were drawn in."""
    potential = lmc.scaled_milky_way(halo_mass_factor)
    tracers = lmc.HaloTracers(beta=beta, potential=potential)
    pos, vel = lmc.draw_halo(100_000, 11, tracers=tracers)
    tab = lmc.shell_profiles(pos, vel, WIDE_SHELLS)
    pairs = tab["n"] / 2
    jeans = lmc.jeans_sigma_r(tab["r_mid"], 3.5, beta, potential)
    assert np.all(np.abs(tab["sigma_r"] / jeans - 1) < 4 / np.sqrt(2 * pairs)), (tab["sigma_r"], jeans)
    assert np.all(np.abs(tab["beta"] - beta) < 4 * 1.1 * (1 - beta) / np.sqrt(pairs) / 0.5), tab["beta"]
    if halo_mass_factor != 1.0:
        default = lmc.jeans_sigma_r(tab["r_mid"], 3.5, beta)
        assert np.all(np.abs(default / jeans - 1) > 0.1)


def test_scaled_milky_way_changes_only_the_halo():
    """The halo's mass, and only it: the mass inside 50 kpc moves by the NFW halo's share
    (M_NFW(<r) = m [ln(1 + x) - x / (1 + x)], x = r / r_s, analytic), the disc's gradient not at all."""
    light, default = lmc.scaled_milky_way(0.6), lmc.scaled_milky_way(1.0)
    assert default is POTENTIAL
    x = 50.0 / 15.62
    nfw = 5.4e11 * (np.log1p(x) - x / (1 + x))
    assert abs(lmc.enclosed_mass(50.0, POTENTIAL) - lmc.enclosed_mass(50.0, light) - 0.4 * nfw) < 1e-3 * nfw
    point = np.array([[8.0], [0.0], [0.1]])
    assert np.allclose(lmc.gradient(light["disk"], point), lmc.gradient(POTENTIAL["disk"], point), rtol=1e-14)
    with pytest.raises(ValueError, match="halo_mass_factor"):
        lmc.scaled_milky_way(0.0)


def test_tracers_refuse_anisotropies_without_a_distribution_function():
    with pytest.raises(ValueError, match="beta"):
        lmc.HaloTracers(beta=1.0)
    with pytest.raises(ValueError, match="slope_inner must be at least 2 beta"):
        lmc.HaloTracers(slope_inner=1.5, beta=0.9)
