"""Galactocentric transforms against astropy, and the sign conventions (conventions §1)."""

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
import pytest

from halo_utils.frames import (GALCEN_FRAME, K_KMS, galactocentric_to_icrs, icrs_to_galactocentric,
                               spherical_components, spherical_to_cartesian_velocity)


def random_stars(rng, n=2000):
    """Isotropic stars at 0.1-150 kpc with halo-like (~200 km/s) heliocentric velocities."""
    d = rng.uniform(0.1, 150, n)
    return dict(ra=rng.uniform(0, 360, n), dec=np.rad2deg(np.arcsin(rng.uniform(-1, 1, n))),
                distance=d, pmra=rng.normal(0, 200, n) / (K_KMS * d),
                pmdec=rng.normal(0, 200, n) / (K_KMS * d), rv=rng.normal(0, 200, n))


def astropy_galcen(s):
    c = coord.SkyCoord(ra=s["ra"] * u.deg, dec=s["dec"] * u.deg, distance=s["distance"] * u.kpc,
                       pm_ra_cosdec=s["pmra"] * u.mas / u.yr, pm_dec=s["pmdec"] * u.mas / u.yr,
                       radial_velocity=s["rv"] * u.km / u.s)
    return c.transform_to(GALCEN_FRAME)


def test_frame_is_astropy_v40():
    assert GALCEN_FRAME.galcen_distance.to_value(u.kpc) == pytest.approx(8.122)
    assert GALCEN_FRAME.z_sun.to_value(u.pc) == pytest.approx(20.8)
    np.testing.assert_allclose(GALCEN_FRAME.galcen_v_sun.xyz.to_value(u.km / u.s), [12.9, 245.6, 7.78])
    assert GALCEN_FRAME.roll.to_value(u.deg) == 0.0


def test_forward_transform_matches_astropy(rng):
    s = random_stars(rng)
    pos, vel = icrs_to_galactocentric(**s)
    ref = astropy_galcen(s)
    np.testing.assert_allclose(pos, ref.cartesian.xyz.to_value(u.kpc), rtol=0, atol=1e-9)
    np.testing.assert_allclose(vel, ref.velocity.d_xyz.to_value(u.km / u.s), rtol=0, atol=1e-6)


def test_inverse_transform_matches_astropy(rng):
    s = random_stars(rng)
    ref = astropy_galcen(s)
    back = galactocentric_to_icrs(ref.cartesian.xyz.to_value(u.kpc), ref.velocity.d_xyz.to_value(u.km / u.s))
    icrs = ref.transform_to(coord.ICRS())
    np.testing.assert_allclose(back["distance"], icrs.distance.to_value(u.kpc), rtol=1e-12)
    np.testing.assert_allclose(back["pmra"], icrs.pm_ra_cosdec.to_value(u.mas / u.yr), atol=1e-7)
    np.testing.assert_allclose(back["pmdec"], icrs.pm_dec.to_value(u.mas / u.yr), atol=1e-7)
    np.testing.assert_allclose(back["rv"], icrs.radial_velocity.to_value(u.km / u.s), atol=1e-6)
    sep = coord.angular_separation(back["ra"] * u.deg, back["dec"] * u.deg, icrs.ra, icrs.dec)
    assert sep.to_value(u.arcsec).max() < 1e-6


def test_spherical_components_match_astropy(rng):
    s = random_stars(rng)
    ref = astropy_galcen(s)
    pos, vel = icrs_to_galactocentric(**s)
    sph = spherical_components(pos, vel)
    rep = ref.represent_as(coord.PhysicsSphericalRepresentation, coord.PhysicsSphericalDifferential)
    dif = rep.differentials["s"]
    r = rep.r.to_value(u.kpc)
    np.testing.assert_allclose(sph["r"], r, rtol=1e-12)
    np.testing.assert_allclose(sph["theta"], rep.theta.to_value(u.rad), atol=1e-12)
    np.testing.assert_allclose(sph["V_r"], dif.d_r.to_value(u.km / u.s), atol=1e-6)
    v_theta = (dif.d_theta * rep.r).to(u.km / u.s, u.dimensionless_angles()).value
    v_phi = (dif.d_phi * rep.r * np.sin(rep.theta)).to(u.km / u.s, u.dimensionless_angles()).value
    np.testing.assert_allclose(sph["V_theta"], v_theta, atol=1e-6)
    np.testing.assert_allclose(sph["V_phi"], v_phi, atol=1e-6)
    L = np.cross(pos.T, vel.T).T
    np.testing.assert_allclose(np.stack([sph["L_x"], sph["L_y"], sph["L_z"]]), L, rtol=1e-12)
    back = spherical_to_cartesian_velocity(pos, sph["V_r"], sph["V_theta"], sph["V_phi"])
    np.testing.assert_allclose(back, vel, atol=1e-9)


def test_prograde_convention():
    """A star on the Sun's circular orbit is prograde: L_z < 0 and V_phi < 0."""
    pos = np.array([[-8.122], [0.0], [0.0]])
    vel = np.array([[0.0], [230.0], [0.0]])
    sph = spherical_components(pos, vel)
    assert sph["L_z"][0] < 0 and sph["V_phi"][0] == pytest.approx(-230.0)
    # the Sun itself (zero heliocentric velocity) is prograde too
    _, v_sun = icrs_to_galactocentric(0.0, 0.0, 1e-9, 0.0, 0.0, 0.0)
    assert v_sun[1] == pytest.approx(245.6)
