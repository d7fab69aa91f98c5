"""Catalogue I/O and schema validation (SPEC section 2, H3 "rcat"-compatible).

A catalogue is an `astropy.table.Table` with one row per star and the columns of
`REQUIRED_COLUMNS`. Optional columns (everything a real rcat file carries beyond the
schema) are kept unchanged. Reading validates the schema and raises `CatalogError`
naming the column and the number of offending rows, never a numpy traceback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.table import Table

__all__ = [
    "CatalogError",
    "REQUIRED_COLUMNS",
    "INTEGER_COLUMNS",
    "POSITIVE_COLUMNS",
    "read_catalog",
    "validate_catalog",
    "write_catalog",
]


class CatalogError(ValueError):
    """A catalogue does not follow the schema of SPEC section 2."""


#: Required columns and their units (None: dimensionless).
REQUIRED_COLUMNS: dict[str, str | None] = {
    "star_id": None,
    "RA": "deg",
    "DEC": "deg",
    "dist_adpt": "kpc",
    "dist_adpt_err": "kpc",
    "Vrad": "km/s",
    "Vrad_err": "km/s",
    "GAIAEDR3_PMRA": "mas/yr",
    "GAIAEDR3_PMDEC": "mas/yr",
    "GAIAEDR3_PMRA_ERROR": "mas/yr",
    "GAIAEDR3_PMDEC_ERROR": "mas/yr",
    "GAIAEDR3_PMRA_PMDEC_CORR": None,
    "GAIAEDR3_PARALLAX": "mas",
    "GAIAEDR3_PARALLAX_ERROR": "mas",
    "FeH": "dex",
    "FeH_err": "dex",
    "aFe": "dex",
    "aFe_err": "dex",
    "logg": "dex",
    "SNR": None,
    "PS_R": "mag",
    "FLAG": None,
    "tileID": None,
    "XFIT_RANK": None,
}

#: Columns that must hold integers (all other required columns must be real numbers).
INTEGER_COLUMNS = ("star_id", "FLAG", "tileID", "XFIT_RANK")

#: Columns whose values must be strictly positive (distances and 1-sigma errors).
POSITIVE_COLUMNS = (
    "dist_adpt",
    "dist_adpt_err",
    "Vrad_err",
    "GAIAEDR3_PMRA_ERROR",
    "GAIAEDR3_PMDEC_ERROR",
    "GAIAEDR3_PARALLAX_ERROR",
    "FeH_err",
    "aFe_err",
)

#: Optional column naming the survey of each star (H3, SEGUE, MagE, ...). Real rcat
#: files lack it, so it is validated only when present.
SURVEY_COLUMN = "survey"


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def validate_catalog(table: Table, *, required=REQUIRED_COLUMNS) -> Table:
    """Check ``table`` against the catalogue schema and return it unchanged.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Candidate catalogue.
    required : iterable of str, optional
        Columns that must be present (default: the full SPEC section 2 schema).

    Raises
    ------
    CatalogError
        For the first problem found: a missing column, a column of the wrong dtype,
        NaN/inf values, non-positive distances or errors, ``|DEC| > 90`` deg, or a
        proper-motion correlation outside [-1, 1]. The message names the column and
        how many rows are bad.
    """
    if not isinstance(table, Table):
        raise CatalogError(f"expected an astropy Table, got {type(table).__name__}")
    missing = [c for c in required if c not in table.colnames]
    if missing:
        raise CatalogError(
            f"missing required column{'s' if len(missing) > 1 else ''}: "
            + ", ".join(repr(c) for c in missing)
        )
    for name in required:
        col = np.asarray(table[name])
        if name in INTEGER_COLUMNS:
            if not np.issubdtype(col.dtype, np.integer):
                raise CatalogError(
                    f"column {name!r} has dtype {col.dtype}, expected an integer type"
                )
            continue
        if not (np.issubdtype(col.dtype, np.floating) or np.issubdtype(col.dtype, np.integer)):
            raise CatalogError(
                f"column {name!r} has dtype {col.dtype}, expected a real number type"
            )
        bad = ~np.isfinite(col)
        if hasattr(table[name], "mask"):
            bad |= np.ma.getmaskarray(table[name])
        if bad.any():
            raise CatalogError(f"column {name!r}: {_rows(int(bad.sum()))} are NaN, inf or masked")
    for name in POSITIVE_COLUMNS:
        if name in required:
            n_bad = int(np.sum(np.asarray(table[name]) <= 0))
            if n_bad:
                raise CatalogError(f"column {name!r}: {_rows(n_bad)} are <= 0, expected > 0")
    if "DEC" in required:
        n_bad = int(np.sum(np.abs(np.asarray(table["DEC"])) > 90))
        if n_bad:
            raise CatalogError(f"column 'DEC': {_rows(n_bad)} have |DEC| > 90 deg")
    if "GAIAEDR3_PMRA_PMDEC_CORR" in required:
        n_bad = int(np.sum(np.abs(np.asarray(table["GAIAEDR3_PMRA_PMDEC_CORR"])) > 1))
        if n_bad:
            raise CatalogError(
                f"column 'GAIAEDR3_PMRA_PMDEC_CORR': {_rows(n_bad)} lie outside [-1, 1]"
            )
    if "star_id" in required:
        n_dup = len(table) - len(np.unique(np.asarray(table["star_id"])))
        if n_dup:
            raise CatalogError(f"column 'star_id': {_rows(n_dup)} repeat an earlier star_id")
    if SURVEY_COLUMN in table.colnames and table[SURVEY_COLUMN].dtype.kind not in "US":
        raise CatalogError(
            f"column {SURVEY_COLUMN!r} has dtype {table[SURVEY_COLUMN].dtype}, expected strings"
        )
    return table


def read_catalog(path: str | Path, *, required=REQUIRED_COLUMNS) -> Table:
    """Read and validate a catalogue (FITS, ECSV, CSV, or any format astropy infers from the name).

    Parameters
    ----------
    path : str or Path
        File to read, e.g. the embedded mock ``data/h3_mock_catalog.fits`` or a real H3
        rcat file. Extra columns are kept unchanged.
    required : iterable of str
        Columns the caller needs (default: the whole schema; the reflex fit needs only
        `halo_utils.reflex.REFLEX_COLUMNS`).

    Returns
    -------
    `~astropy.table.Table`
        The catalogue, validated with `validate_catalog`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"catalogue file not found: {path}")
    table = Table.read(path)
    table.convert_bytestring_to_unicode()  # FITS strings (e.g. `survey`) come back as bytes
    return validate_catalog(table, required=required)


def write_catalog(table: Table, path: str | Path, *, overwrite: bool = True) -> None:
    """Validate ``table`` and write it (FITS by default) to ``path``."""
    validate_catalog(table)
    table.write(path, overwrite=overwrite)
