"""Energies and eccentricities against gala and against orbits with known shapes."""

import numpy as np
import pytest
import astropy.units as u

from halo_utils.dynamics import POTENTIAL, energy, orbit_extent


def test_energy_matches_gala():
    pos = np.array([[8.0, 20.0, -50.0], [0.0, 5.0, 3.0], [1.0, -10.0, 20.0]])
    vel = np.array([[10.0, -200.0, 30.0], [220.0, 50.0, 0.0], [0.0, 80.0, -10.0]])
    expected = POTENTIAL.energy(pos * u.kpc).to_value(u.km**2 / u.s**2) + 0.5 * np.sum(vel**2, axis=0)
    np.testing.assert_allclose(energy(pos, vel), expected)


def test_circular_and_radial_orbits():
    R = 20.0
    v_c = POTENTIAL.circular_velocity([R, 0, 0] * u.kpc).to_value(u.km / u.s)[0]
    pos = np.array([[R, R], [0.0, 0.0], [0.0, 0.0]])
    vel = np.array([[0.0, 0.0], [v_c, 1.0], [0.0, 0.0]])
    peri, apo, ecc = orbit_extent(pos, vel, dt_myr=1.0, duration_myr=3000.0)
    assert ecc[0] < 0.01  # circular (the disk makes it slightly non-Keplerian)
    assert ecc[1] > 0.95  # nearly radial
    assert apo[1] == pytest.approx(R, rel=1e-3)


def test_unbound_gets_nan_and_bad_settings_raise():
    pos = np.array([[30.0], [0.0], [0.0]])
    vel = np.array([[2000.0], [0.0], [0.0]])
    _, _, ecc = orbit_extent(pos, vel)
    assert np.isnan(ecc[0])
    with pytest.raises(ValueError, match="3 Gyr"):
        orbit_extent(pos, vel, duration_myr=1000.0)
    with pytest.raises(ValueError, match="dt_myr must be positive"):
        orbit_extent(pos, vel, dt_myr=0.0)
