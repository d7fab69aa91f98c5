"""One simulation per prior draw (halo_utils.lmc.suite): the prior, the masses within 50 kpc,
and what each parameter does to the simulation."""

import numpy as np
import pytest

from halo_utils import lmc
from halo_utils.dynamics import POTENTIAL

SMALL = lmc.SuiteConfig(n_particles=400, duration_myr=300.0, dt_myr=5.0, reach_kpc=12.0)
DRAW = {"lmc_mass": 1.5e11, "halo_mass_factor": 1.0, "beta_0": 0.5, "friction_strength": 1.0}


def test_prior_draws_are_uniform_inside_the_ranges_and_reproducible():
    prior = lmc.SuitePrior()
    draws = np.array([list(prior.draw(np.random.default_rng([4, i])).values()) for i in range(4000)])
    low, high = prior.bounds.T
    assert np.all(prior.contains(draws))
    # the mean of n uniform draws is within 4 standard errors ((high - low) / sqrt(12 n)) of the middle
    assert np.all(np.abs(draws.mean(axis=0) - 0.5 * (low + high)) < 4 * (high - low) / np.sqrt(12 * 4000))
    assert prior.draw(7) == prior.draw(7) and prior.draw(7) != prior.draw(8)
    assert not prior.contains([[3.5e11, 1.0, 0.5, 1.0]])[0]


@pytest.mark.parametrize("kwargs,match", [
    (dict(lmc_mass=(1e10, 1e11)), "lmc_mass"), (dict(beta_0=(0.0, 1.0)), "beta_0"),
    (dict(halo_mass_factor=(0.0, 1.0)), "halo_mass_factor"), (dict(friction_strength=(1.0, 0.5)), "friction_strength"),
    (dict(friction_strength=(-1.0, 1.0)), "friction_strength"), (dict(beta_0=0.5), "beta_0")])
def test_bad_priors_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lmc.SuitePrior(**kwargs)


def test_masses_within_50_kpc():
    """M_LMC(<50) is the Hernquist M r^2 / (r + a)^2 (1.7e10 within 8.7 kpc by construction);
    M_MW(<50) is that of the scaled potential itself, linear in the halo's factor."""
    lmc_50, mw_50 = lmc.derived_masses(np.array([1e11, 2.5e11]), np.array([0.6, 1.3]))
    assert np.isclose(lmc.lmc_mass_within(1e11, 8.7), 1.7e10, rtol=1e-12)
    a = lmc.lmc_scale_radius(2.5e11)
    assert np.isclose(lmc_50[1], 2.5e11 * 50**2 / (50 + a) ** 2, rtol=1e-12)
    assert np.allclose(mw_50, [lmc.enclosed_mass(50.0, lmc.scaled_milky_way(f)) for f in (0.6, 1.3)], rtol=1e-9)
    assert np.isclose(lmc.derived_masses(1e11, 1.0)[1], lmc.enclosed_mass(50.0, POTENTIAL), rtol=1e-12)


def test_simulate_draw_is_reproducible_and_every_parameter_matters():
    """The same draw and seed give the same particles; the halo's mass changes the orbits
    (the particles end elsewhere), the anisotropy the velocities drawn, the LMC's mass and the
    friction the orbit of the LMC."""
    pos, vel, orbit = lmc.simulate_draw(DRAW, 3, SMALL)
    again = lmc.simulate_draw(DRAW, 3, SMALL)
    assert np.array_equal(pos, again[0]) and np.array_equal(vel, again[1])
    for name, value in (("halo_mass_factor", 1.3), ("beta_0", 0.1), ("lmc_mass", 2.5e11)):
        other = lmc.simulate_draw({**DRAW, name: value}, 3, SMALL)
        assert np.max(np.abs(other[0] - pos)) > 0.1, name
    start = orbit.at(-300.0)[2]
    weaker = lmc.simulate_draw({**DRAW, "friction_strength": 0.5}, 3, SMALL)[2].at(-300.0)[2]
    assert np.linalg.norm(weaker - start) > 0.05  # kpc: the LMC came from elsewhere
    with pytest.raises(ValueError, match="missing"):
        lmc.simulate_draw({"lmc_mass": 1e11}, 3, SMALL)


def test_travel_at_is_minus_the_shells_mean_velocity():
    rng = np.random.default_rng(2)
    pos = rng.normal(size=(3, 5000)) * 60.0
    vel = rng.normal(size=(3, 5000)) * 100.0 + np.array([[0.0], [-10.0], [-30.0]])
    r = np.linalg.norm(pos, axis=0)
    shell = (r >= 80) & (r < 120)
    got = lmc.travel_at(pos, vel, (80.0, 120.0))
    assert got["n"] == shell.sum()
    assert np.isclose(got["v_travel"], np.linalg.norm(vel[:, shell].mean(axis=1)), rtol=1e-12)
    assert got["b_apex"] > 45  # minus a mean velocity pointing to -z
