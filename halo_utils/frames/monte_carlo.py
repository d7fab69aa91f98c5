"""Galactocentric quantities of catalogue stars with Monte Carlo errors (conventions §1-2)."""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from ..catalog import validate_catalog
from ..validation import check_generator, check_integer
from .transforms import _icrs_to_galactocentric, _spherical_components

__all__ = ["GALCEN_COLUMNS", "galactocentric"]


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
        Catalogue with (at least) ``star_id`` and the observables and errors of the catalogue
        schema (conventions §2); it is checked with `~halo_utils.catalog.validate_catalog` (so
        columns with units are converted to the schema units).
    n_mc : int
        Monte Carlo draws per star (>= 0; at least 200 for stable errors, chapter 1's default). ``0`` skips the errors.
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
