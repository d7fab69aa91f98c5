"""Geometry of the density model: a tilted triaxial ellipsoid and its nested variants.

Coordinates are Galactocentric Cartesian (kpc, `halo_utils.frames.GALCEN_FRAME`;
conventions §1). The ellipsoid frame is x' = R_y(-pitch) R_z(-yaw) x, which maps the
major-axis unit vector a = (cos pitch cos yaw, cos pitch sin yaw, -sin pitch) to (1, 0, 0)
(roll 0): yaw is the azimuth of the axis from +x towards +y and, for pitch > 0 and
|yaw| < 90 deg, the axis's end on the Sun's side of the centre (x < 0, -a; `sun_side_major_axis`)
rises pitch degrees above the plane, as S001 describes GSE ("tilted above the Galactic plane
towards the Sun"). Then

    r_q^2 = x'^2 + (y'/p)^2 + (z'/q)^2,   1 >= p >= q > 0

(conventions §7; S001 section 3). A geometry variant fixes some of (p, q, pitch, yaw):
`Spherical` all four, `Oblate` p = 1 and no tilt, `TriaxialAligned` no tilt, `Triaxial`
none.
"""

from __future__ import annotations

import numpy as np

from .components import Component

__all__ = ["rotation_matrix", "sun_side_major_axis", "ellipsoidal_radius", "quadratic_form", "quadratic_form_jacobian", "monomials",
           "SHAPE_NAMES", "SHAPE_BOUNDS", "SHAPE_STEPS", "Geometry", "Spherical", "Oblate", "TriaxialAligned", "Triaxial"]


def _r_y(angle):
    """The rotation matrix R_y(angle) about the y axis, angle in rad."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _r_z(angle):
    """The rotation matrix R_z(angle) about the z axis, angle in rad."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_matrix(pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """Rotation from Galactocentric axes to the ellipsoid's principal axes.

    Parameters
    ----------
    pitch_deg, yaw_deg : float
        Orientation of the major axis, deg: yaw its azimuth from +x towards +y, pitch the
        elevation above the plane of its end on the Sun's side of the centre (conventions §7).

    Returns
    -------
    ndarray, shape (3, 3)
        R_y(-pitch) R_z(-yaw); its first row is the major-axis unit vector
        a = (cos pitch cos yaw, cos pitch sin yaw, -sin pitch).
    """
    return _r_y(-np.deg2rad(pitch_deg)) @ _r_z(-np.deg2rad(yaw_deg))


def sun_side_major_axis(pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """Unit vector along the major axis towards the end on the Sun's side of the centre.

    The axis is a line (a and -a describe the same ellipsoid); this picks the end with
    x <= 0, the side of the Galactic centre where the Sun is (x = -8.122 kpc).

    Parameters
    ----------
    pitch_deg, yaw_deg : float
        Orientation of the major axis, deg (`rotation_matrix`).

    Returns
    -------
    ndarray, shape (3,)
        Galactocentric unit vector; its z component is sin pitch when |yaw| < 90 deg, so the
        end is above the plane for pitch > 0.
    """
    a = rotation_matrix(pitch_deg, yaw_deg)[0]
    return -a if a[0] > 0 else a


def ellipsoidal_radius(pos, p: float, q: float, pitch: float = 0.0, yaw: float = 0.0):
    """Ellipsoidal radius r_q of Galactocentric positions.

    Parameters
    ----------
    pos : array_like, shape (3, ...)
        Galactocentric positions, kpc.
    p, q : float
        Intermediate/major and minor/major axis ratios.
    pitch, yaw : float
        Orientation of the major axis, deg.

    Returns
    -------
    ndarray, shape (...)
        r_q, kpc.
    """
    xp = np.einsum("ij,j...->i...", rotation_matrix(pitch, yaw), np.asarray(pos, float))
    return np.sqrt(xp[0] ** 2 + (xp[1] / p) ** 2 + (xp[2] / q) ** 2)


def quadratic_form(p: float, q: float, pitch: float, yaw: float) -> np.ndarray:
    """Six coefficients c with r_q^2 = c . (x^2, y^2, z^2, xy, xz, yz), kpc^0.

    With `monomials` of the positions, r_q^2 of many stars is one matrix-vector product.
    """
    R = rotation_matrix(pitch, yaw)
    A = R.T @ np.diag([1.0, 1.0 / p ** 2, 1.0 / q ** 2]) @ R
    return _coefficients(A)


def _coefficients(A):
    """The six coefficients of a symmetric matrix's quadratic form, in the order of `monomials`."""
    return np.array([A[0, 0], A[1, 1], A[2, 2], 2 * A[0, 1], 2 * A[0, 2], 2 * A[1, 2]])


def quadratic_form_jacobian(p: float, q: float, pitch: float, yaw: float) -> np.ndarray:
    """Derivatives of the six `quadratic_form` coefficients with respect to (p, q, pitch, yaw).

    With A = R^T D R, D = diag(1, p^-2, q^-2) and R = R_y(-pitch) R_z(-yaw) (`rotation_matrix`),
    dA/dp = R^T dD/dp R and dA/dangle = dR^T D R + R^T D dR. The exact gradient of the
    density likelihood composes these with the profile's d ln f / d ln r_q^2 (conventions §8).

    Parameters
    ----------
    p, q : float
        Intermediate/major and minor/major axis ratios.
    pitch, yaw : float
        Orientation of the major axis, deg.

    Returns
    -------
    ndarray, shape (4, 6)
        Row j is dc/d(``SHAPE_NAMES[j]``) (see `SHAPE_NAMES`): per unit axis ratio for p and q, per degree for
        pitch and yaw (the units the parameters use).
    """
    a, b = np.deg2rad(pitch), np.deg2rad(yaw)
    r_y, r_z = _r_y(-a), _r_z(-b)
    # d R_y(-a)/da and d R_z(-b)/db
    dr_y = np.array([[-np.sin(a), 0.0, -np.cos(a)], [0.0, 0.0, 0.0], [np.cos(a), 0.0, -np.sin(a)]])
    dr_z = np.array([[-np.sin(b), np.cos(b), 0.0], [-np.cos(b), -np.sin(b), 0.0], [0.0, 0.0, 0.0]])
    R = r_y @ r_z
    D = np.diag([1.0, 1.0 / p**2, 1.0 / q**2])
    deg = np.pi / 180.0  # d(radians)/d(degrees)
    rows = [R.T @ np.diag([0.0, -2.0 / p**3, 0.0]) @ R, R.T @ np.diag([0.0, 0.0, -2.0 / q**3]) @ R]
    for dR in (dr_y @ r_z * deg, r_y @ dr_z * deg):
        rows.append(dR.T @ D @ R + R.T @ D @ dR)
    return np.array([_coefficients(dA) for dA in rows])


def monomials(pos) -> np.ndarray:
    """Second-order monomials of Galactocentric positions.

    Parameters
    ----------
    pos : array_like, shape (3, N)
        Galactocentric positions, kpc.

    Returns
    -------
    ndarray, shape (N, 6)
        (x^2, y^2, z^2, xy, xz, yz), kpc^2, stored column by column (Fortran order): the
        likelihood's ``mono @ c`` and ``mono.T @ v`` then stream six contiguous columns,
        twice as fast as rows of six at ~2e5 selection nodes.
    """
    x, y, z = np.asarray(pos, float)
    return np.stack([x * x, y * y, z * z, x * y, x * z, y * z], axis=0).T


#: Shape parameters of every geometry, in their canonical order.
SHAPE_NAMES = ("p", "q", "pitch", "yaw")
#: Uniform prior ranges of the shape parameters (axis ratios; angles in deg). Besides these, p >= q.
SHAPE_BOUNDS = {"p": (0.1, 1.0), "q": (0.1, 1.0), "pitch": (-90.0, 90.0), "yaw": (-90.0, 90.0)}
#: Finite-difference steps of the shape parameters (axis ratios; deg).
SHAPE_STEPS = {"p": 0.002, "q": 0.002, "pitch": 0.2, "yaw": 0.2}


class Geometry(Component):
    """A tilted triaxial ellipsoid, some of whose shape parameters are fixed.

    Every variant reads all of `SHAPE_NAMES` (the fixed ones at their set values), requires
    p >= q, and draws its optimiser starts from the same distribution. When both p and q
    are free the optimiser sees q as the fraction s of [q_low, p] with
    q = q_low + (p - q_low) s, so that q <= p inside the optimiser's box.
    """

    names = SHAPE_NAMES
    bounds = SHAPE_BOUNDS
    steps = SHAPE_STEPS

    def __init__(self):
        self.relative = ("q",) if "p" in self.free and "q" in self.free else ()

    def problems(self, full: dict) -> list:
        if full["q"] > full["p"]:
            return [f"q = {full['q']:g} > p = {full['p']:g} (need 1 >= p >= q > 0)"]
        return []

    def quadratic_form(self, full: dict) -> np.ndarray:
        """`quadratic_form` of completed parameters ``full``."""
        return quadratic_form(full["p"], full["q"], full["pitch"], full["yaw"])

    def quadratic_form_jacobian(self, full: dict) -> np.ndarray:
        """`quadratic_form_jacobian` rows of the free parameters, shape (len(free), 6) (per unit; per deg)."""
        jac = quadratic_form_jacobian(full["p"], full["q"], full["pitch"], full["yaw"])
        return jac[[SHAPE_NAMES.index(n) for n in self.free]]

    def from_opt_jacobian(self, values) -> np.ndarray:
        """d(free parameters)/d(`to_opt` coordinates ``values``): q = q_low + (p - q_low) s."""
        jac = np.eye(len(self.free))
        if self.relative:
            i_p, i_q = self.free.index("p"), self.free.index("q")
            jac[i_q, i_p] = values[i_q]
            jac[i_q, i_q] = values[i_p] - self.bounds["q"][0]
        return jac

    def draw_start(self, rng) -> dict:
        # every geometry draws all four (the fixed ones are ignored): the same random
        # sequence whatever the variant
        g = {"p": rng.uniform(0.7, 0.95), "pitch": rng.uniform(-40, 40), "yaw": rng.uniform(-60, 60)}
        g["q"] = rng.uniform(0.5, 0.95) * g["p"]
        return g

    def relative_to_opt(self, name: str, params: dict) -> float:
        lo = self.bounds["q"][0]
        return (params["q"] - lo) / (params["p"] - lo)

    def relative_from_opt(self, out: dict) -> dict:
        lo = self.bounds["q"][0]
        out["q"] = lo + (out["p"] - lo) * out["q"]
        return out


class Spherical(Geometry):
    """p = q = 1 (no shape parameter free)."""

    name = "spherical"
    free = ()
    fixed = {"p": 1.0, "q": 1.0, "pitch": 0.0, "yaw": 0.0}


class Oblate(Geometry):
    """An oblate spheroid aligned with the Galactic plane: p = 1, q free, no tilt."""

    name = "oblate"
    free = ("q",)
    fixed = {"p": 1.0, "pitch": 0.0, "yaw": 0.0}


class TriaxialAligned(Geometry):
    """A triaxial ellipsoid aligned with the Galactocentric axes: p and q free, no tilt."""

    name = "triaxial_aligned"
    free = ("p", "q")
    fixed = {"pitch": 0.0, "yaw": 0.0}


class Triaxial(Geometry):
    """A tilted triaxial ellipsoid: p, q, pitch and yaw free (the fiducial geometry)."""

    name = "triaxial"
    free = ("p", "q", "pitch", "yaw")
    fixed = {}
