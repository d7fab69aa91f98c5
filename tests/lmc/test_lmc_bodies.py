"""The two moving bodies: gala's potentials as the package calls them, the LMC's mass model,
today's phase space, momentum bookkeeping and dynamical friction."""

import numpy as np
import astropy.units as u
import gala.potential as gp
import pytest
from scipy.integrate import solve_ivp

from halo_utils import lmc
from halo_utils.dynamics import POTENTIAL
from halo_utils.lmc.bodies import _two_body_rhs


def test_gradient_helper_is_galas_public_gradient():
    """The package calls gala's compiled gradient directly (shape (3, n)); it must equal the
    public, unit-aware method, so that a change of gala's private API fails here: the Milky
    Way (a compiled composite, asked through its C instance), the LMC, and a Python-level
    composite (no C instance: the components' own gradients summed by gala)."""
    x = np.random.default_rng(1).normal(0, 40, (3, 7))
    python_composite = gp.CompositePotential(mw=POTENTIAL, lmc=lmc.lmc_potential(1.8e11))
    assert getattr(python_composite, "c_instance", None) is None
    for potential in (POTENTIAL, lmc.lmc_potential(1.8e11), python_composite):
        public = potential.gradient(x * u.kpc).to_value(u.kpc / u.Myr**2)
        assert np.allclose(lmc.gradient(potential, x), public, rtol=1e-12, atol=0)


def test_compiled_composite_gradient_is_the_python_sum_bit_for_bit():
    """The Milky Way's gradient in one C pass is gala's component-by-component sum exactly,
    so the simulations do not depend on which path computed their forces."""
    x = np.random.default_rng(2).normal(0, 40, (3, 1000))
    python_sum = gp.CompositePotential._gradient(POTENTIAL, x, np.array([0.0]))
    assert np.array_equal(lmc.gradient(POTENTIAL, x), python_sum)


@pytest.mark.parametrize("mass", lmc.LMC_MASSES)
def test_every_lmc_has_the_measured_mass_within_8p7_kpc(mass):
    """gala's own enclosed mass of the Hernquist LMC at 8.7 kpc is 1.7e10 Msun."""
    r, m_r = lmc.MASS_WITHIN_8P7_KPC
    enclosed = lmc.lmc_potential(mass).mass_enclosed([r, 0.0, 0.0] * u.kpc).to_value(u.Msun)
    assert enclosed == pytest.approx(m_r, rel=1e-6)


def test_scale_radius_rejects_too_small_a_mass():
    with pytest.raises(ValueError, match="mass"):
        lmc.lmc_scale_radius(1e10)


def test_today_is_the_lmcs_measured_phase_space_and_the_orbit_returns_to_it():
    """At t = 0 the LMC sits at its measured position and velocity and the Milky Way at rest
    at the origin; integrating the same equations forward from 2 Gyr ago (friction included)
    returns there to the integration's accuracy."""
    orbit = lmc.integrate_two_body(1.8e11, 2000.0)
    x_mw, v_mw, x_lmc, v_lmc = orbit.at(0.0)
    pos, vel = lmc.lmc_present_phase_space()
    assert np.allclose(x_lmc, pos, atol=1e-9) and np.allclose(v_lmc, vel, atol=1e-9)
    assert np.allclose(x_mw, 0, atol=1e-12) and np.allclose(v_mw, 0, atol=1e-12)
    assert 48 < np.linalg.norm(pos) < 51 and 300 < np.linalg.norm(vel) < 340  # ~50 kpc, ~320 km/s
    rhs = _two_body_rhs(POTENTIAL, lmc.lmc_potential(1.8e11), lmc.ChandrasekharFriction(), POTENTIAL, 1.8e11,
                        lmc.lmc_scale_radius(1.8e11))
    back = solve_ivp(rhs, (-2000.0, 0.0), orbit.solution(-2000.0), method="DOP853", rtol=1e-10, atol=1e-12)
    today = back.y[:, -1]
    assert np.allclose(today[6:9], pos, atol=1e-5)
    assert np.allclose(today[9:12] / lmc.KMS_TO_KPC_MYR, vel, atol=1e-4)


def test_point_masses_conserve_total_momentum():
    """Two Kepler potentials pull each other with equal and opposite forces: m_MW v_MW +
    m_LMC v_LMC stays what it is today (m_LMC v_LMC, the Milky Way at rest) along the orbit."""
    m_mw, m_lmc = 1e12, 1.5e11
    orbit = lmc.integrate_two_body(m_lmc, 3000.0, friction=None,
                                   mw_potential=gp.KeplerPotential(m=m_mw, units=POTENTIAL.units),
                                   lmc=gp.KeplerPotential(m=m_lmc, units=POTENTIAL.units))
    t = np.linspace(-3000, 0, 31)
    _, v_mw, _, v_lmc = orbit.at(t)
    momentum = m_mw * v_mw + m_lmc * v_lmc
    assert np.allclose(momentum, momentum[:, -1:], rtol=0, atol=1e-8 * m_lmc * np.linalg.norm(v_lmc[:, -1]))
    assert np.max(np.linalg.norm(v_mw, axis=0)) > 10  # the Milky Way did move


def test_friction_changes_momentum_by_its_own_impulse():
    """With friction on, the total momentum of two point masses changes by exactly the
    impulse of the friction on the LMC: m_LMC times the integral of a_DF over time."""
    m_mw, m_lmc = 1e12, 1.5e11
    kw = dict(mw_potential=gp.KeplerPotential(m=m_mw, units=POTENTIAL.units),
              lmc=gp.KeplerPotential(m=m_lmc, units=POTENTIAL.units), friction_potential=POTENTIAL)
    friction = lmc.ChandrasekharFriction()
    orbit = lmc.integrate_two_body(m_lmc, 2000.0, friction=friction, **kw)
    t = np.linspace(-2000, 0, 20001)
    s = orbit.solution(t)
    a_df = np.array([friction.acceleration(s[6:9, i] - s[0:3, i], s[9:12, i] - s[3:6, i], m_lmc,
                                           lmc.lmc_scale_radius(m_lmc)) for i in range(t.size)]).T
    impulse = m_lmc * np.trapezoid(a_df, t, axis=1)
    momentum = m_mw * s[3:6] + m_lmc * s[9:12]
    change = momentum[:, -1] - momentum[:, 0]
    assert np.linalg.norm(impulse) > 0.01 * m_lmc * np.linalg.norm(s[9:12, -1])  # friction matters (~4 %)
    assert np.allclose(change, impulse, rtol=1e-4, atol=0)


def test_friction_opposes_the_motion_and_vanishes_without_mass():
    f = lmc.ChandrasekharFriction()
    dx, dv = np.array([0.0, -40.0, -30.0]), np.array([0.05, 0.2, -0.1])
    a = f.acceleration(dx, dv, 1.8e11, lmc.lmc_scale_radius(1.8e11))
    assert np.dot(a, dv) < 0 and np.allclose(np.cross(a, dv), 0, atol=1e-20)
    assert not np.any(f.acceleration(dx, dv, 0.0, 1.0))
    assert not np.any(lmc.ChandrasekharFriction(strength=0).acceleration(dx, dv, 1.8e11, 20.0))
    # at a fixed scale radius the deceleration is proportional to the mass (Chandrasekhar)
    a2 = f.acceleration(dx, dv, 3.6e11, lmc.lmc_scale_radius(1.8e11))
    assert np.allclose(a2, 2 * a, rtol=1e-12)


def test_no_lmc_leaves_the_milky_way_at_rest():
    orbit = lmc.integrate_two_body(0.0, 1000.0)
    x_mw, v_mw, _, _ = orbit.at(np.linspace(-1000, 0, 11))
    assert not np.any(x_mw) and not np.any(v_mw)


def test_heavier_lmcs_pull_the_milky_way_harder():
    """The Milky Way's speed 1 Gyr ago (relative to today's rest frame) grows with the LMC's mass,
    and even the lightest LMC moves it by tens of km/s (30 km/s measured for 0.8e11 Msun)."""
    speeds = [np.linalg.norm(lmc.integrate_two_body(m, 1000.0).at(-1000.0)[1]) for m in lmc.LMC_MASSES]
    assert np.all(np.diff(speeds) > 0) and speeds[0] > 10


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="duration_myr"):
        lmc.integrate_two_body(1.8e11, 0.0)
    with pytest.raises(TypeError, match="friction"):
        lmc.integrate_two_body(1.8e11, 100.0, friction="yes")
    with pytest.raises(ValueError, match="coulomb_c"):
        lmc.ChandrasekharFriction(coulomb_c=0)
