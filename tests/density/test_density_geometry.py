"""The ellipsoid of the density model (conventions §7): rotation, r_q, and the geometry variants."""

import numpy as np
import pytest

from halo_utils import density as dens
from scipy.spatial.transform import Rotation

from halo_utils.density.geometry import SHAPE_BOUNDS, quadratic_form
from halo_utils.frames.solar import GALCEN_FRAME
from halo_utils.mock import MockConfig


@pytest.mark.parametrize("pitch, yaw", [(25.0, 25.0), (-40.0, 120.0), (0.0, 0.0)])
def test_rotation_maps_major_axis_to_x(pitch, yaw):
    p, y = np.deg2rad(pitch), np.deg2rad(yaw)
    a = np.array([np.cos(p) * np.cos(y), np.cos(p) * np.sin(y), -np.sin(p)])
    np.testing.assert_allclose(dens.rotation_matrix(pitch, yaw) @ a, [1, 0, 0], atol=1e-12)
    R = dens.rotation_matrix(pitch, yaw)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)


@pytest.mark.parametrize("pitch, yaw", [(25.0, 25.0), (-40.0, 70.0), (12.0, -130.0)])
def test_rotation_is_scipys_yaw_then_pitch(pitch, yaw):
    """Independently of the hand-written matrices: the ellipsoid's axes are the Galactocentric
    axes turned by yaw about +z and then tipped by pitch about the new +y (scipy's intrinsic
    "zy" Euler angles), so the rotation into the ellipsoid frame is that rotation's inverse."""
    body_to_galcen = Rotation.from_euler("ZY", [yaw, pitch], degrees=True).as_matrix()
    np.testing.assert_allclose(dens.rotation_matrix(pitch, yaw), body_to_galcen.T, atol=1e-12)


def test_default_gse_points_above_the_plane_towards_the_sun():
    """S001: GSE's major axis "points above the Galactic plane towards the Sun". For the mock's
    truth (pitch = yaw = 25 deg), the Sun-side end of the axis is at x < 0 and z > 0, and the
    density is higher at a point above the plane on the Sun's side than at its mirror below."""
    gse = MockConfig().gse
    end = dens.sun_side_major_axis(gse["pitch"], gse["yaw"])
    assert end[0] < 0 and end[2] > 0
    np.testing.assert_allclose(end[2], np.sin(np.deg2rad(gse["pitch"])), rtol=1e-12)
    x_sun = -GALCEN_FRAME.galcen_distance.to_value("kpc")
    above, below = np.array([[x_sun], [0.0], [6.0]]), np.array([[x_sun], [0.0], [-6.0]])
    shape = {k: gse[k] for k in ("p", "q", "pitch", "yaw")}
    assert dens.ellipsoidal_radius(above, **shape)[0] < dens.ellipsoidal_radius(below, **shape)[0]
    # and the far end (x > 0) dips below the plane
    assert dens.ellipsoidal_radius(-above, **shape)[0] < dens.ellipsoidal_radius(-below, **shape)[0]


@pytest.mark.parametrize("pitch, yaw", [(25.0, 25.0), (-10.0, 150.0), (0.0, 0.0)])
def test_sun_side_major_axis_is_the_axis_end_with_x_le_0(pitch, yaw):
    end = dens.sun_side_major_axis(pitch, yaw)
    a = dens.rotation_matrix(pitch, yaw)[0]
    assert end[0] <= 0
    np.testing.assert_allclose(np.abs(end @ a), 1.0, rtol=1e-12)


def test_ellipsoidal_radius_axes():
    pos = np.array([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0]]).T
    np.testing.assert_allclose(dens.ellipsoidal_radius(pos, 0.8, 0.5), [3.0, 3.0 / 0.8, 6.0])


def test_quadratic_form_of_monomials_is_r_q_squared(rng):
    """The likelihood's r_q^2 = c . monomials equals `ellipsoidal_radius` squared."""
    pos = rng.normal(0, 20, (3, 50))
    c = quadratic_form(0.8, 0.55, 23.0, -61.0)
    np.testing.assert_allclose(dens.monomials(pos) @ c, dens.ellipsoidal_radius(pos, 0.8, 0.55, 23.0, -61.0) ** 2,
                               rtol=1e-12)


@pytest.mark.parametrize("geometry, free", [
    (dens.Spherical(), ()), (dens.Oblate(), ("q",)), (dens.TriaxialAligned(), ("p", "q")),
    (dens.Triaxial(), ("p", "q", "pitch", "yaw")),
])
def test_geometries_fix_what_they_do_not_fit(geometry, free):
    assert geometry.free == free
    assert set(geometry.free) | set(geometry.fixed) == {"p", "q", "pitch", "yaw"}
    assert not set(geometry.free) & set(geometry.fixed)
    assert geometry.problems({"p": 0.7, "q": 0.8}) == ["q = 0.8 > p = 0.7 (need 1 >= p >= q > 0)"]


@pytest.mark.parametrize("geometry", [dens.Oblate(), dens.TriaxialAligned(), dens.Triaxial()])
def test_optimiser_box_keeps_q_below_p(geometry, rng):
    """Anywhere inside the optimiser's box the parameters satisfy p >= q and their prior ranges,
    and `from_opt` inverts `to_opt`."""
    bounds = np.array(geometry.opt_bounds())
    for _ in range(200):
        x = rng.uniform(bounds[:, 0], bounds[:, 1])
        params = {**geometry.fixed, **geometry.from_opt(x)}
        assert not geometry.problems(params)
        assert all(SHAPE_BOUNDS[n][0] <= params[n] <= SHAPE_BOUNDS[n][1] for n in geometry.free)
        np.testing.assert_allclose(geometry.to_opt(params), x, rtol=1e-12, atol=1e-12)
