"""Radial profiles (conventions §7): continuity, shell integrals, normalisation, and a non-power-law profile."""

import numpy as np
import pytest
from scipy import integrate

from halo_utils import density as dens


def test_power_law_continuous_at_breaks():
    alphas, breaks = (1.7, 3.1, 4.6), (12.0, 28.0)
    for rb in breaks:
        lo, hi = dens.broken_power_law([rb * (1 - 1e-9), rb * (1 + 1e-9)], alphas, breaks)
        assert lo == pytest.approx(hi, rel=1e-7)
    assert dens.broken_power_law(12.0, alphas, breaks) == pytest.approx(1.0)
    # slopes are the stated ones
    r = np.array([5.0, 6.0])
    assert -np.diff(np.log(dens.broken_power_law(r, alphas, breaks))) / np.diff(np.log(r)) == pytest.approx(1.7)


@pytest.mark.parametrize("alphas, breaks", [((1.7, 3.1, 4.6), (12.0, 28.0)), ((3.0,), ()), ((2.0, 3.0), (20.0,)),
                                            ((2.0, 3.0, 4.0), (0.5, 150.0)), ((1.0, 3.0, 3.0), (5.0, 50.0))])
def test_shell_integral_matches_quadrature(alphas, breaks):
    f = lambda r: r**2 * dens.broken_power_law(r, alphas, breaks)  # noqa: E731
    pts = [b for b in breaks if 1 < b < 100]
    expected = integrate.quad(f, 1.0, 100.0, points=pts or None, limit=200)[0]
    assert dens.shell_integral(alphas, breaks, 1.0, 100.0) == pytest.approx(expected, rel=1e-8)


def test_density_normalised_to_total(rng):
    """Monte Carlo volume integral over 1 < r_q < 100 recovers ``total``."""
    kw = dict(total=1e6, alphas=(1.7, 3.1, 4.6), breaks=(12.0, 28.0), p=0.8, q=0.7, pitch=25.0, yaw=25.0)
    # integrate in ellipsoidal coordinates: x' = r u, y' = p r v, z' = q r w, dV = p q r^2 dr dOmega
    n = 200000
    r = np.exp(rng.uniform(0, np.log(100), n))
    u = rng.normal(size=(3, n))
    u /= np.linalg.norm(u, axis=0)
    xp = np.stack([r * u[0], 0.8 * r * u[1], 0.7 * r * u[2]])
    pos = dens.rotation_matrix(25.0, 25.0).T @ xp
    integrand = dens.density(pos, **kw) * 0.8 * 0.7 * r**3 * 4 * np.pi * np.log(100)
    est, err = integrand.mean(), integrand.std() / np.sqrt(n)
    assert abs(est - 1e6) < 4 * err


FULL = {"alpha1": 1.7, "alpha2": 3.1, "alpha3": 4.6, "r1": 12.0, "r2": 28.0}


@pytest.mark.parametrize("profile", [dens.PowerLaw(), dens.BrokenPowerLaw(1), dens.BrokenPowerLaw(2)])
def test_log_profile_is_the_log_of_the_broken_power_law(profile):
    """The likelihood's branch-free ln-profile in ln r_q^2 equals ln `broken_power_law`, and the
    profile's shell integral is `shell_integral` of its slopes and breaks."""
    r = np.geomspace(0.5, 200.0, 301)
    alphas, breaks = profile.alphas_breaks(FULL)
    assert len(alphas) == profile.n_breaks + 1 and len(breaks) == profile.n_breaks
    expected = np.log(dens.broken_power_law(r, alphas, breaks))
    np.testing.assert_allclose(profile.log_profile(np.log(r**2), FULL), expected, rtol=1e-12, atol=1e-12)
    assert profile.shell_integral(FULL, 2.0, 70.0) == dens.shell_integral(alphas, breaks, 2.0, 70.0)


def test_broken_power_law_variants_and_constraints():
    assert dens.PowerLaw().free == ("alpha1",)
    assert dens.BrokenPowerLaw(1).free == ("alpha1", "alpha2", "r1")
    assert dens.BrokenPowerLaw(2).free == ("alpha1", "alpha2", "alpha3", "r1", "r2")
    assert dens.BrokenPowerLaw(2).problems({**FULL, "r2": 10.0}) == ["r2 = 10 <= r1 = 12 (need r1 < r2)"]
    assert dens.BrokenPowerLaw(1).problems({**FULL, "r2": 10.0}) == []
    with pytest.raises(ValueError, match="n_breaks must be 1 or 2"):
        dens.BrokenPowerLaw(3)


def test_optimiser_box_keeps_r1_below_r2(rng):
    profile = dens.BrokenPowerLaw(2)
    bounds = np.array(profile.opt_bounds())
    for _ in range(200):
        x = rng.uniform(bounds[:, 0], bounds[:, 1])
        params = profile.from_opt(x)
        assert not profile.problems(params)
        np.testing.assert_allclose(profile.to_opt(params), x, rtol=1e-12, atol=1e-12)


EINASTO = [{"alpha_ein": 0.3, "r_s": 15.0}, {"alpha_ein": 0.08, "r_s": 40.0}, {"alpha_ein": 2.5, "r_s": 3.0}]


@pytest.mark.parametrize("full", EINASTO)
@pytest.mark.parametrize("r_min, r_max", [(1.0, 100.0), (6.0, 60.0), (0.01, 5.0)])
def test_einasto_shell_integral_matches_quadrature(full, r_min, r_max):
    """The analytic (incomplete gamma) shell integral equals the quadrature of r^2 exp(log_profile)."""
    prof = dens.Einasto()
    f = lambda r: r**2 * np.exp(prof.log_profile(np.log(r**2), full))  # noqa: E731
    expected = integrate.quad(f, r_min, r_max, epsrel=1e-12, limit=200)[0]
    assert prof.shell_integral(full, r_min, r_max) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("full", EINASTO)
def test_einasto_profile_shape(full):
    """Unity with logarithmic slope -2 at r_s, slope -2 (r / r_s)^alpha elsewhere."""
    prof = dens.Einasto()
    r_s, a = full["r_s"], full["alpha_ein"]
    assert prof.log_profile(np.log(r_s**2), full) == pytest.approx(0.0, abs=1e-14)
    for r in (0.3 * r_s, r_s, 4.0 * r_s):
        h = 1e-5
        slope = (prof.log_profile(2 * np.log(r) + 2 * h, full) - prof.log_profile(2 * np.log(r) - 2 * h, full)) / (2 * h)
        assert slope == pytest.approx(-2.0 * (r / r_s) ** a, rel=1e-7)
