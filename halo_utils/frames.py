"""The Galactocentric frame and velocity transformations (SPEC section 1).

`GALCEN_FRAME` is the package's default frame: astropy's ``Galactocentric`` with its
"v4.0" parameters (R0 = 8.122 kpc, z_sun = 20.8 pc, v_sun = (12.9, 245.6, 7.78) km/s,
roll 0). Another solar position or velocity is one `solar_frame` spec (a name of
`SOLAR_FRAMES` or a dict of `SOLAR_FRAME_KEYS`), accepted by every transform here as
``frame=`` and passed on unchanged by the reflex fit and the outer-halo selection. Conventions: right-handed, the Sun at x < 0,
disk rotation +y at the Sun, so prograde orbits have L_z < 0 and V_phi < 0; spherical
angles theta from +z and phi = atan2(y, x).

The transforms are hand-written matrix products on numpy arrays (fast enough to run
inside Monte Carlo loops); the matrix and offset come from astropy itself
(`get_matrix_vectors`), and the tests check the results against ``SkyCoord``.
"""

from __future__ import annotations

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from astropy.coordinates.builtin_frames.galactocentric import get_matrix_vectors
from astropy.table import Table

from .catalog import validate_catalog
from .validation import check_array, check_generator, check_integer

__all__ = [
    "GALCEN_FRAME",
    "R0_KPC",
    "Z_SUN_KPC",
    "SOLAR_FRAMES",
    "SOLAR_FRAME_KEYS",
    "solar_frame",
    "frame_vectors",
    "K_KMS",
    "icrs_to_galactocentric",
    "galactocentric_to_icrs",
    "spherical_components",
    "spherical_to_cartesian_velocity",
    "galactic_lb",
    "wrap_longitude",
    "galactocentric",
]

with coord.galactocentric_frame_defaults.set("v4.0"):
    #: The package's default Galactocentric frame (astropy "v4.0" parameters).
    GALCEN_FRAME = coord.Galactocentric()

#: The Sun's distance from the Galactic centre (kpc) and height above the plane (kpc) in
#: `GALCEN_FRAME`; the Sun sits at (x, y, z) = (-R0_KPC, 0, Z_SUN_KPC) to within 3e-5 kpc.
R0_KPC = float(GALCEN_FRAME.galcen_distance.to_value(u.kpc))
Z_SUN_KPC = float(GALCEN_FRAME.z_sun.to_value(u.kpc))

#: km/s per (kpc mas/yr).
K_KMS = 4.740470463

#: The solar parameters a user may set, with their units: the Sun's distance from the
#: Galactic centre (kpc), its height above the plane (pc) and its Galactocentric velocity
#: (vx, vy, vz, km/s). Anything not given keeps its astropy "v4.0" value.
SOLAR_FRAME_KEYS = {"galcen_distance": "kpc", "z_sun": "pc", "galcen_v_sun": "km/s"}

#: Named solar frames. ``"v4.0"``: astropy's defaults (GRAVITY 2018 R0 = 8.122 kpc,
#: Bennett & Bovy 2019 z_sun = 20.8 pc, Drimmel & Poggio 2018 v_sun = (12.9, 245.6, 7.78)
#: km/s). ``"pp21"``: the frame of Petersen & Penarrubia (2021): R0 = 8.3 kpc and
#: v_sun = (11.1, 244.24, 7.25) km/s (Schoenrich et al. 2010 peculiar motion on a 232 km/s
#: circular speed); z_sun keeps the v4.0 value, which PP21 do not state.
SOLAR_FRAMES = {
    "v4.0": {},
    "pp21": {"galcen_distance": 8.3, "galcen_v_sun": (11.1, 244.24, 7.25)},
}


def solar_frame(spec=None) -> coord.Galactocentric:
    """The Galactocentric frame described by ``spec``.

    Parameters
    ----------
    spec : None, str, dict or `~astropy.coordinates.Galactocentric`
        ``None`` or ``"v4.0"``: `GALCEN_FRAME`. A name in `SOLAR_FRAMES`. A dict with
        keys of `SOLAR_FRAME_KEYS` (plain numbers in the units given there, or astropy
        quantities) overriding the v4.0 values. A ``Galactocentric`` frame is returned as is.

    Raises
    ------
    ValueError
        For an unknown name or key, or a non-positive or non-finite value.
    """
    if spec is None:
        return GALCEN_FRAME
    if isinstance(spec, coord.Galactocentric):
        return spec
    if isinstance(spec, str):
        if spec not in SOLAR_FRAMES:
            raise ValueError(f"unknown solar frame {spec!r}; expected one of {sorted(SOLAR_FRAMES)} "
                             f"or a dict with keys {sorted(SOLAR_FRAME_KEYS)}")
        spec = SOLAR_FRAMES[spec]
    if not isinstance(spec, dict):
        raise TypeError(f"solar frame must be None, a name, a dict or a Galactocentric frame, "
                        f"got {type(spec).__name__}")
    unknown = set(spec) - set(SOLAR_FRAME_KEYS)
    if unknown:
        raise ValueError(f"unknown solar frame key(s) {sorted(unknown)}; expected {sorted(SOLAR_FRAME_KEYS)}")
    kwargs = {}
    for key, unit in SOLAR_FRAME_KEYS.items():
        if key not in spec:
            continue
        try:
            value = u.Quantity(spec[key], unit)
        except (TypeError, ValueError) as exc:  # a str, or a quantity in another unit
            raise ValueError(f"solar frame {key!r} must be a number in {unit} (or a quantity convertible "
                             f"to it), got {spec[key]!r}") from exc
        if not np.all(np.isfinite(value.value)):
            raise ValueError(f"solar frame {key!r} must be finite, got {spec[key]!r}")
        if key == "galcen_distance" and value.value <= 0:
            raise ValueError(f"solar frame 'galcen_distance' must be > 0 kpc, got {spec[key]!r}")
        if key == "galcen_v_sun":
            if value.shape != (3,):
                raise ValueError(f"solar frame 'galcen_v_sun' must be three numbers (vx, vy, vz) in km/s, "
                                 f"got {spec[key]!r}")
            value = coord.CartesianDifferential(value)
        kwargs[key] = value
    with coord.galactocentric_frame_defaults.set("v4.0"):
        return coord.Galactocentric(**kwargs)


def _frame_key(frame):
    v_sun = frame.galcen_v_sun
    v_sun = v_sun.d_xyz if hasattr(v_sun, "d_xyz") else v_sun.xyz  # a differential or a representation
    return (frame.galcen_distance.to_value(u.kpc), frame.z_sun.to_value(u.pc), frame.roll.to_value(u.deg),
            tuple(v_sun.to_value(u.km / u.s)), frame.galcen_coord.ra.deg, frame.galcen_coord.dec.deg)


_VECTORS = {}


def frame_vectors(frame=None):
    """``(R, x_sun, v_sun)`` of a Galactocentric frame (any `solar_frame` spec).

    ``R`` rotates ICRS Cartesian axes into Galactocentric ones; ``x_sun`` (kpc) and
    ``v_sun`` (km/s) are the Sun's Galactocentric position and velocity. Taken from
    astropy (`get_matrix_vectors`) and cached per frame.
    """
    if frame is None and None in _VECTORS:  # the default frame, on every call of the transforms
        return _VECTORS[None]
    frame = solar_frame(frame)
    key = _frame_key(frame)
    if key not in _VECTORS:
        rot, offset = get_matrix_vectors(frame)
        _VECTORS[key] = (np.asarray(rot), offset.get_xyz().to_value(u.kpc),
                         offset.differentials["s"].get_d_xyz().to_value(u.km / u.s))
    if frame is GALCEN_FRAME:
        _VECTORS[None] = _VECTORS[key]
    return _VECTORS[key]


def _icrs_basis(ra_deg, dec_deg):
    """Unit vectors (line of sight, east, north) in ICRS Cartesian axes, shape (3, ...)."""
    ra, dec = np.deg2rad(ra_deg), np.deg2rad(dec_deg)
    cra, sra, cdec, sdec = np.cos(ra), np.sin(ra), np.cos(dec), np.sin(dec)
    n = np.stack([cdec * cra, cdec * sra, sdec])
    e_ra = np.stack([-sra, cra, np.zeros_like(ra)])
    e_dec = np.stack([-sdec * cra, -sdec * sra, cdec])
    return n, e_ra, e_dec


def icrs_to_galactocentric(ra, dec, distance, pmra, pmdec, rv, frame=None):
    """Heliocentric ICRS observables to Galactocentric Cartesian phase space.

    Parameters
    ----------
    ra, dec : array_like
        ICRS coordinates, deg (finite; ``|dec| <= 90``).
    distance : array_like
        Heliocentric distance, kpc (finite, >= 0).
    pmra, pmdec : array_like
        Proper motions, mas/yr (``pmra`` includes cos dec).
    rv : array_like
        Heliocentric radial velocity, km/s.
    frame : optional
        The solar frame (any `solar_frame` spec; default `GALCEN_FRAME`).

    All six arrays broadcast together (e.g. scalar zero proper motions).

    Returns
    -------
    pos, vel : ndarray, shape (3, ...)
        Galactocentric position (kpc) and velocity (km/s) in that frame.

    Raises
    ------
    ValueError
        NaN or inf, ``|dec| > 90``, a negative distance or shapes that do not broadcast
        (the message names the argument).
    """
    arrays = {"ra": check_array("ra", ra, unit="deg"), "dec": check_array("dec", dec, low=-90, high=90, unit="deg"),
              "distance": check_array("distance", distance, low=0, unit="kpc"),
              "pmra": check_array("pmra", pmra, unit="mas/yr"), "pmdec": check_array("pmdec", pmdec, unit="mas/yr"),
              "rv": check_array("rv", rv, unit="km/s")}
    try:
        arrays = dict(zip(arrays, np.broadcast_arrays(*arrays.values())))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"ra, dec, distance, pmra, pmdec and rv must broadcast together, got {shapes}") from None
    return _icrs_to_galactocentric(*arrays.values(), frame)


def _icrs_to_galactocentric(ra, dec, distance, pmra, pmdec, rv, frame=None):
    """`icrs_to_galactocentric` without the checks (arrays of one shape), for the Monte Carlo."""
    rot, x_sun, v_sun = frame_vectors(frame)
    n, e_ra, e_dec = _icrs_basis(ra, dec)
    x_icrs = distance * n
    v_icrs = rv * n + K_KMS * distance * (pmra * e_ra + pmdec * e_dec)
    pos = np.einsum("ij,j...->i...", rot, x_icrs) + x_sun.reshape((3,) + (1,) * distance.ndim)
    vel = np.einsum("ij,j...->i...", rot, v_icrs) + v_sun.reshape((3,) + (1,) * distance.ndim)
    return pos, vel


def check_phase_space(pos, vel):
    """``pos`` and ``vel`` as finite float arrays of one shape (3, ...)."""
    pos = check_array("pos", pos, unit="kpc")
    vel = check_array("vel", vel, unit="km/s")
    if pos.ndim == 0 or pos.shape[0] != 3:
        raise ValueError(f"pos must have shape (3, ...) (x, y, z in kpc), got shape {pos.shape}")
    if vel.shape != pos.shape:
        raise ValueError(f"vel must have the shape of pos {pos.shape} (vx, vy, vz in km/s), got {vel.shape}")
    return pos, vel


def galactocentric_to_icrs(pos, vel, frame=None):
    """Galactocentric Cartesian phase space to heliocentric ICRS observables.

    Parameters
    ----------
    pos, vel : array_like, shape (3, ...)
        Galactocentric position (kpc) and velocity (km/s) in ``frame``, finite, of one
        shape; no position may coincide with the Sun's.
    frame : optional
        The solar frame (any `solar_frame` spec; default `GALCEN_FRAME`).

    Returns
    -------
    dict
        ``ra``, ``dec`` (deg, ra in [0, 360)), ``distance`` (kpc), ``pmra``, ``pmdec``
        (mas/yr, pmra includes cos dec) and ``rv`` (km/s).
    """
    pos, vel = check_phase_space(pos, vel)
    rot, x_sun, v_sun = frame_vectors(frame)
    shape = (3,) + (1,) * (pos.ndim - 1)
    x_icrs = np.einsum("ji,j...->i...", rot, pos - x_sun.reshape(shape))
    v_icrs = np.einsum("ji,j...->i...", rot, vel - v_sun.reshape(shape))
    distance = np.sqrt(np.sum(x_icrs**2, axis=0))
    n_sun = int(np.count_nonzero(distance == 0))
    if n_sun:
        raise ValueError(f"pos: {n_sun} position{'s coincide' if n_sun > 1 else ' coincides'} with the Sun's, "
                         "where the heliocentric direction is undefined")
    ra = np.rad2deg(np.arctan2(x_icrs[1], x_icrs[0])) % 360.0
    dec = np.rad2deg(np.arcsin(np.clip(x_icrs[2] / distance, -1, 1)))
    n, e_ra, e_dec = _icrs_basis(ra, dec)
    return {
        "ra": ra,
        "dec": dec,
        "distance": distance,
        "pmra": np.sum(v_icrs * e_ra, axis=0) / (K_KMS * distance),
        "pmdec": np.sum(v_icrs * e_dec, axis=0) / (K_KMS * distance),
        "rv": np.sum(v_icrs * n, axis=0),
    }


def spherical_components(pos, vel):
    """Spherical and cylindrical quantities of Galactocentric phase-space points.

    Parameters
    ----------
    pos, vel : array_like, shape (3, ...)
        Position (kpc) and velocity (km/s), finite, of one shape; no position on the z
        axis (R = 0), where the spherical basis is undefined.

    Returns
    -------
    dict
        ``r``, ``R`` (kpc), ``theta`` (polar angle from +z, rad), ``phi`` (atan2(y, x),
        rad), ``V_r``, ``V_theta``, ``V_phi`` (km/s) and ``L_x``, ``L_y``, ``L_z``
        (L = x cross v, kpc km/s).
    """
    pos, vel = check_phase_space(pos, vel)
    _check_off_axis(np.hypot(pos[0], pos[1]))
    return _spherical_components(pos, vel)


def _spherical_components(pos, vel):
    """`spherical_components` without the checks, for the Monte Carlo draws."""
    x, y, z = pos
    vx, vy, vz = vel
    R = np.hypot(x, y)
    r = np.hypot(R, z)
    cth, sth = z / r, R / r
    cph, sph = x / R, y / R
    v_r = (vx * cph + vy * sph) * sth + vz * cth
    v_theta = (vx * cph + vy * sph) * cth - vz * sth
    v_phi = -vx * sph + vy * cph
    return {
        "r": r,
        "R": R,
        "theta": np.arccos(cth),
        "phi": np.arctan2(y, x),
        "V_r": v_r,
        "V_theta": v_theta,
        "V_phi": v_phi,
        "L_x": y * vz - z * vy,
        "L_y": z * vx - x * vz,
        "L_z": x * vy - y * vx,
    }


def _check_off_axis(R):
    n_axis = int(np.count_nonzero(R == 0))
    if n_axis:
        raise ValueError(f"pos: {n_axis} position{'s lie' if n_axis > 1 else ' lies'} on the z axis (R = 0), "
                         "where the spherical basis is undefined")


def spherical_to_cartesian_velocity(pos, v_r, v_theta, v_phi):
    """Cartesian velocity (3, ...) from spherical components (km/s) at Galactocentric ``pos``
    (kpc, shape (3, ...), off the z axis); the components broadcast with ``pos[0]``."""
    pos = check_array("pos", pos, unit="kpc")
    if pos.ndim == 0 or pos.shape[0] != 3:
        raise ValueError(f"pos must have shape (3, ...) (x, y, z in kpc), got shape {pos.shape}")
    v_r, v_theta, v_phi = (check_array(k, v, unit="km/s") for k, v in
                           (("v_r", v_r), ("v_theta", v_theta), ("v_phi", v_phi)))
    try:
        np.broadcast_shapes(pos.shape[1:], v_r.shape, v_theta.shape, v_phi.shape)
    except ValueError:
        raise ValueError(f"v_r {v_r.shape}, v_theta {v_theta.shape} and v_phi {v_phi.shape} must broadcast "
                         f"with the positions {pos.shape[1:]}") from None
    x, y, z = pos
    R = np.hypot(x, y)
    _check_off_axis(R)
    r = np.hypot(R, z)
    cth, sth, cph, sph = z / r, R / r, x / R, y / R
    return np.stack([v_r * sth * cph + v_theta * cth * cph - v_phi * sph,
                     v_r * sth * sph + v_theta * cth * sph + v_phi * cph,
                     v_r * cth - v_theta * sth])


def wrap_longitude(angle_deg):
    """Angle in degrees (finite) wrapped to [-180, 180) (l = 0 at the centre of an all-sky plot)."""
    return (check_array("angle_deg", angle_deg, unit="deg") + 180.0) % 360.0 - 180.0


def galactic_lb(ra, dec):
    """Galactic longitude and latitude (deg, l in [0, 360)) of ICRS positions (deg; finite,
    ``|dec| <= 90``, of one shape)."""
    ra, dec = check_array("ra", ra, unit="deg"), check_array("dec", dec, low=-90, high=90, unit="deg")
    if ra.shape != dec.shape:
        raise ValueError(f"ra and dec must have one shape, got {ra.shape} and {dec.shape}")
    gal = coord.SkyCoord(ra=ra * u.deg, dec=dec * u.deg).galactic
    return gal.l.to_value(u.deg), gal.b.to_value(u.deg)


#: Quantities returned by `galactocentric`, each with a Monte Carlo ``<name>_err``.
GALCEN_COLUMNS = ("x", "y", "z", "r", "R", "vx", "vy", "vz", "V_r", "V_theta", "V_phi",
                  "L_x", "L_y", "L_z")
#: The catalogue columns `galactocentric` reads.
_OBSERVABLES = ("RA", "DEC", "dist_adpt", "dist_adpt_err", "Vrad", "Vrad_err", "GAIAEDR3_PMRA",
                "GAIAEDR3_PMDEC", "GAIAEDR3_PMRA_ERROR", "GAIAEDR3_PMDEC_ERROR", "GAIAEDR3_PMRA_PMDEC_CORR")


def galactocentric(table: Table, n_mc: int = 200, rng=None, chunk_size: int = 2000, frame=None) -> Table:
    """Galactocentric positions and velocities of catalogue stars, with Monte Carlo errors.

    The values are the error-free transform of the observed (distance, RV, proper
    motion); the ``_err`` columns are the standard deviations over ``n_mc`` draws per
    star from the observational errors: Gaussian distance (``dist_adpt_err``; draws are
    floored at 1 pc, a > 5-sigma event for the mock's <= 20 % errors), Gaussian RV and a
    bivariate Gaussian proper motion with the catalogue correlation coefficient.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Catalogue with (at least) ``star_id`` and the observables and errors of the SPEC
        section 2 schema; it is checked with `~halo_utils.catalog.validate_catalog` (so
        columns with units are converted to the schema units).
    n_mc : int
        Monte Carlo draws per star (>= 0; SPEC asks for >= 200). ``0`` skips the errors.
    rng : `numpy.random.Generator`
        Source of the Monte Carlo draws (required when ``n_mc > 0``).
    chunk_size : int
        Stars per vectorised block (>= 1; bounds memory at ``chunk_size * n_mc`` doubles).
    frame : optional
        The solar frame (any `solar_frame` spec; default `GALCEN_FRAME`).

    Returns
    -------
    `~astropy.table.Table`
        ``star_id`` and `GALCEN_COLUMNS` (kpc, km/s, kpc km/s), plus ``<name>_err``
        columns when ``n_mc > 0``.

    Raises
    ------
    CatalogError
        A missing column or bad values (see `~halo_utils.catalog.validate_catalog`).
    TypeError, ValueError
        A bad ``n_mc``, ``rng`` or ``chunk_size`` (the message names it).
    """
    n_mc = check_integer("n_mc", n_mc, low=0)
    if n_mc > 0:
        check_generator("rng", rng, why="needed when n_mc > 0")
    chunk_size = check_integer("chunk_size", chunk_size, low=1)
    table = validate_catalog(table, required=("star_id",) + _OBSERVABLES)
    cols = {k: np.asarray(table[k], float) for k in _OBSERVABLES}
    pos, vel = _icrs_to_galactocentric(
        cols["RA"], cols["DEC"], cols["dist_adpt"], cols["GAIAEDR3_PMRA"],
        cols["GAIAEDR3_PMDEC"], cols["Vrad"], frame)
    point = _named(pos, vel)
    out = Table({"star_id": np.asarray(table["star_id"])})
    for name in GALCEN_COLUMNS:
        out[name] = point[name]
    if n_mc == 0:
        return out
    errs = {name: np.empty(len(table)) for name in GALCEN_COLUMNS}
    for start in range(0, len(table), chunk_size):
        sl = slice(start, start + chunk_size)
        draws = _mc_draws({k: v[sl] for k, v in cols.items()}, n_mc, rng, frame)
        for name in GALCEN_COLUMNS:
            errs[name][sl] = np.std(draws[name], axis=1)
    for name in GALCEN_COLUMNS:
        out[f"{name}_err"] = errs[name]
    return out


def _mc_draws(cols, n_mc, rng, frame=None):
    """Galactocentric quantities for ``n_mc`` error draws of each star, shape (n, n_mc)."""
    n = len(cols["RA"])
    shape = (n, n_mc)
    dist = cols["dist_adpt"][:, None] + cols["dist_adpt_err"][:, None] * rng.standard_normal(shape)
    dist = np.maximum(dist, 1e-3)
    rv = cols["Vrad"][:, None] + cols["Vrad_err"][:, None] * rng.standard_normal(shape)
    z1, z2 = rng.standard_normal(shape), rng.standard_normal(shape)
    rho = cols["GAIAEDR3_PMRA_PMDEC_CORR"][:, None]
    pmra = cols["GAIAEDR3_PMRA"][:, None] + cols["GAIAEDR3_PMRA_ERROR"][:, None] * z1
    pmdec = cols["GAIAEDR3_PMDEC"][:, None] + cols["GAIAEDR3_PMDEC_ERROR"][:, None] * (
        rho * z1 + np.sqrt(1.0 - rho**2) * z2)
    ra = np.broadcast_to(cols["RA"][:, None], shape)
    dec = np.broadcast_to(cols["DEC"][:, None], shape)
    return _named(*_icrs_to_galactocentric(ra, dec, dist, pmra, pmdec, rv, frame))


def _named(pos, vel):
    return {"x": pos[0], "y": pos[1], "z": pos[2], "vx": vel[0], "vy": vel[1], "vz": vel[2],
            **_spherical_components(pos, vel)}
