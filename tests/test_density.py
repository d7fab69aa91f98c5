"""The tilted triaxial broken power law (SPEC 6.1): geometry, continuity, normalisation."""

import numpy as np
import pytest
from scipy import integrate

from halo_utils import density as dens


@pytest.mark.parametrize("pitch, yaw", [(25.0, 25.0), (-40.0, 120.0), (0.0, 0.0)])
def test_rotation_maps_major_axis_to_x(pitch, yaw):
    p, y = np.deg2rad(pitch), np.deg2rad(yaw)
    a = np.array([np.cos(p) * np.cos(y), np.cos(p) * np.sin(y), np.sin(p)])
    np.testing.assert_allclose(dens.rotation_matrix(pitch, yaw) @ a, [1, 0, 0], atol=1e-12)
    R = dens.rotation_matrix(pitch, yaw)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)


def test_ellipsoidal_radius_axes():
    pos = np.array([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0]]).T
    np.testing.assert_allclose(dens.ellipsoidal_radius(pos, 0.8, 0.5), [3.0, 3.0 / 0.8, 6.0])


def test_power_law_continuous_at_breaks():
    alphas, breaks = (1.7, 3.1, 4.6), (12.0, 28.0)
    for rb in breaks:
        lo, hi = dens.broken_power_law([rb * (1 - 1e-9), rb * (1 + 1e-9)], alphas, breaks)
        assert lo == pytest.approx(hi, rel=1e-7)
    assert dens.broken_power_law(12.0, alphas, breaks) == pytest.approx(1.0)
    # slopes are the stated ones
    r = np.array([5.0, 6.0])
    assert -np.diff(np.log(dens.broken_power_law(r, alphas, breaks))) / np.diff(np.log(r)) == pytest.approx(1.7)


@pytest.mark.parametrize("alphas, breaks", [((1.7, 3.1, 4.6), (12.0, 28.0)), ((3.0,), ()), ((2.0, 3.0), (20.0,))])
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
