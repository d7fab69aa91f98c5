"""Literature reference data used across the package: satellites, the Magellanic Clouds,
the Sagittarius stream's coordinate frame, and the published measurements the papers compare
with (``data/published_measurements.ecsv``).

A bottom-layer module: the cuts, the mock and the chapters all read their positions from
here, so each number has one definition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from astropy.table import Table
from gala.coordinates import SagittariusLaw10

__all__ = ["SATELLITES", "MAGELLANIC_CLOUDS_LB", "LMC_LB", "sgr_latitude", "PUBLISHED_MEASUREMENTS",
           "MEASUREMENT_KINDS", "published_measurements"]

#: Cold satellites: ICRS centre (deg), heliocentric distance (kpc), Plummer half-light
#: radius (deg), line-of-sight velocity (km/s), proper motion (mas/yr), stellar mass
#: (Msun) and [Fe/H]. Approximate literature values (McConnachie 2012; Gaia EDR3
#: systemic proper motions); the cut of chapter 1 uses the same positions.
SATELLITES = {
    "Draco": dict(ra=260.05, dec=57.92, distance=76.0, r_half=0.15, rv=-291.0,
                  pmra=0.044, pmdec=-0.188, mass=3e5, feh=-1.9),
    "Ursa Minor": dict(ra=227.28, dec=67.22, distance=76.0, r_half=0.14, rv=-247.0,
                       pmra=-0.182, pmdec=0.074, mass=3e5, feh=-2.1),
    "Sextans": dict(ra=153.26, dec=-1.61, distance=86.0, r_half=0.46, rv=224.0,
                    pmra=-0.41, pmdec=0.04, mass=5e5, feh=-1.9),
    "M92": dict(ra=259.28, dec=43.14, distance=8.5, r_half=0.03, rv=-120.0,
                pmra=-4.93, pmdec=-0.57, mass=3e5, feh=-2.3),
}

#: Galactic (l, b) of the LMC and the SMC, deg (McConnachie 2012).
MAGELLANIC_CLOUDS_LB = {"LMC": (280.47, -32.89), "SMC": (302.80, -44.30)}
#: Galactic (l, b) of the LMC, deg.
LMC_LB = MAGELLANIC_CLOUDS_LB["LMC"]


def sgr_latitude(ra_deg, dec_deg):
    """Sagittarius-stream coordinates (Lambda, B) in deg (gala `SagittariusLaw10`)."""
    sgr = coord.SkyCoord(ra=np.asarray(ra_deg) * u.deg, dec=np.asarray(dec_deg) * u.deg).transform_to(
        SagittariusLaw10())
    return sgr.Lambda.wrap_at(360 * u.deg).to_value(u.deg), sgr.Beta.to_value(u.deg)


#: The table of published measurements (ECSV; its header describes every column).
PUBLISHED_MEASUREMENTS = Path(__file__).resolve().parent.parent / "data" / "published_measurements.ecsv"
#: What a row of the table is: a measurement on real stars, or a number from a simulation.
MEASUREMENT_KINDS = ("measurement", "simulation")
_COLUMNS = ("key", "value", "err_minus", "err_plus", "unit", "r_kpc", "r_min_kpc", "r_max_kpc", "sample", "model",
            "kind", "bibkey", "source", "where", "quote")


def published_measurements(key: str | None = None, *, bibkey: str | None = None, kind: str | None = None,
                           path: str | Path = PUBLISHED_MEASUREMENTS) -> Table:
    """Published measurements the papers compare with: one row per printed number.

    Every row gives the number as printed (``value``, ``err_minus``, ``err_plus``, NaN where
    none is printed), its ``unit`` (km/s, deg, kpc or empty), the radius it refers to
    (``r_kpc``) or the radial range of its sample (``r_min_kpc``, ``r_max_kpc``), the
    ``sample`` and ``model``, whether it is a ``measurement`` on real stars or a number from a
    ``simulation`` (``kind``), the work it comes from (``source``, ``bibkey`` of the book's
    bibliography), where it was read (``where``) and the printed text (``quote``). The keys
    are the package's parameter names where there is one (``v_travel``, ``l_apex``,
    ``vr_mean``, ``sigma_los``, ``r1``, ``p``, ...); ``vphi_mean > 0`` is retrograde, as in the
    package (conventions §1). Figures show these as published values, never as mock truth.

    Parameters
    ----------
    key, bibkey, kind : str, optional
        Keep only the rows with this key, this source (e.g. ``"Chandra2024"``) or this kind.
    path : str or Path
        The table (default: the book's ``data/published_measurements.ecsv``).

    Returns
    -------
    `~astropy.table.Table`
        The rows, in the file's order.

    Raises
    ------
    ValueError
        A column missing from the file, a kind other than `MEASUREMENT_KINDS`, a negative
        error, or a ``kind``/``key``/``bibkey`` asked for that no row has.
    """
    table = Table.read(path, format="ascii.ecsv")
    for name in table.colnames:  # ECSV reads an empty text cell as masked: it means ""
        if hasattr(table[name], "mask") and table[name].dtype.kind in "US":
            table[name] = table[name].filled("")
    missing = [c for c in _COLUMNS if c not in table.colnames]
    if missing:
        raise ValueError(f"published measurements {path}: missing column(s) {missing}")
    bad_kind = ~np.isin(np.asarray(table["kind"]).astype(str), MEASUREMENT_KINDS)
    if bad_kind.any():
        raise ValueError(f"published measurements {path}: {bad_kind.sum()} row(s) of a kind other than "
                         f"{MEASUREMENT_KINDS}")
    errors = np.concatenate([np.asarray(table["err_minus"], float), np.asarray(table["err_plus"], float)])
    if np.any(errors[np.isfinite(errors)] < 0):
        raise ValueError(f"published measurements {path}: negative errors (errors are printed as positive widths)")
    if kind is not None and kind not in MEASUREMENT_KINDS:
        raise ValueError(f"kind must be one of {MEASUREMENT_KINDS}, got {kind!r}")
    for name, wanted in (("key", key), ("bibkey", bibkey), ("kind", kind)):
        if wanted is not None:
            table = table[np.asarray(table[name]).astype(str) == wanted]
            if len(table) == 0:
                raise ValueError(f"no published measurement has {name} = {wanted!r} (with the other filters)")
    return table
