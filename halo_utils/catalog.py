"""Catalogue I/O and schema validation (conventions §2, H3 "rcat"-compatible).

A catalogue is an `astropy.table.Table` with one row per star and the columns of
`REQUIRED_COLUMNS`. Optional columns (everything a real rcat file carries beyond the
schema) are kept unchanged. Reading validates the schema and raises `CatalogError`
naming the column and the number of offending rows, never a numpy traceback.

Units: a required column that carries an astropy unit (e.g. a FITS ``TUNIT``) is converted
to the schema unit of `REQUIRED_COLUMNS` (a distance in pc becomes kpc); a unit that cannot
be converted is an error. A column without a unit is taken to be in the schema unit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import astropy.units as u
from astropy.table import Table

from .outputs import atomic_path, write_table_file
from .validation import describe_value

__all__ = [
    "CatalogError",
    "REQUIRED_COLUMNS",
    "INTEGER_COLUMNS",
    "POSITIVE_COLUMNS",
    "read_catalog",
    "read_table",
    "match_truth",
    "validate_catalog",
    "write_catalog",
]


class CatalogError(ValueError):
    """A catalogue does not follow the catalogue schema (conventions §2)."""


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


#: Logarithmic units convert only to themselves (astropy would turn 1 dex into -2.5 mag).
_LOGARITHMIC_UNITS = (u.dex, u.mag)


def _rows(n: int, verb: str = "") -> str:
    """``"3 rows lie"``, ``"1 row lies"`` (``verb`` in its plural form)."""
    singular = {"are": "is", "have": "has"}.get(verb, verb + "s")
    return f"{n} row{'s' if n != 1 else ''}" + (f" {verb if n != 1 else singular}" if verb else "")


def _check_required(required) -> tuple:
    try:
        names = tuple(required) if not isinstance(required, str) else None
    except TypeError:
        names = None
    if names is None or not all(isinstance(c, str) for c in names):
        raise TypeError(f"required must be a collection of column names, got {describe_value(required)}")
    required = names
    unknown = [c for c in required if c not in REQUIRED_COLUMNS]
    if unknown:
        raise ValueError(f"required names column(s) {unknown} that are not in the schema; "
                         f"expected names from {list(REQUIRED_COLUMNS)}")
    return required


def _schema_scale(name: str, col):
    """Factor taking ``col`` to its schema unit (None when it already is in it, or has no unit)."""
    unit = getattr(col, "unit", None)
    if unit is None or unit == u.dimensionless_unscaled:
        return None  # no unit: taken as the schema unit
    target = u.Unit(REQUIRED_COLUMNS[name] or u.dimensionless_unscaled)
    if unit == target:
        return None
    expected = f"the schema unit {target}" if REQUIRED_COLUMNS[name] else "a dimensionless number"
    if isinstance(unit, u.UnrecognizedUnit):
        raise CatalogError(f"column {name!r} has the unrecognised unit {str(unit)!r}, expected {expected} "
                           f"(remove the unit to take the values as {target or 'dimensionless'})")
    if unit in _LOGARITHMIC_UNITS or target in _LOGARITHMIC_UNITS:
        raise CatalogError(f"column {name!r} is in {unit}, expected {expected}")
    try:
        return unit.to(target)
    except u.UnitsError as exc:
        raise CatalogError(f"column {name!r} is in {unit}, which does not convert to {expected}") from exc


def _converted(name: str, col, scale: float):
    """``col`` in its schema unit: a new column (the caller's table is not modified)."""
    target = u.Unit(REQUIRED_COLUMNS[name] or u.dimensionless_unscaled)
    if isinstance(col, u.Quantity):  # a QTable column
        return col.to(target)
    if name in INTEGER_COLUMNS and scale != 1:
        raise CatalogError(f"column {name!r} holds integers in {col.unit}, expected dimensionless integers")
    data = col.data * scale if scale != 1 else col.data  # a masked column keeps its mask
    return col.__class__(data, name=name, unit=None if REQUIRED_COLUMNS[name] is None else target,
                         description=col.description, meta=col.meta)


def validate_catalog(table: Table, *, required=REQUIRED_COLUMNS) -> Table:
    """Check ``table`` against the catalogue schema; return it in the schema units.

    Units: a required column with an astropy unit convertible to its `REQUIRED_COLUMNS`
    unit is converted (e.g. ``dist_adpt`` in pc is divided by 1000 and labelled kpc);
    nothing else changes. A column without a unit is taken to be in the schema unit.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Candidate catalogue.
    required : iterable of str, optional
        Columns that must be present (default: the full schema of conventions §2), each
        one of `REQUIRED_COLUMNS`.

    Returns
    -------
    `~astropy.table.Table`
        ``table`` itself when every unit is already the schema's, otherwise a copy with
        the converted columns (the input table is never modified).

    Raises
    ------
    CatalogError
        For the first problem found: a missing column, a column of the wrong dtype, a unit
        that does not convert to the schema unit, NaN/inf/masked values, non-positive
        distances or errors, RA outside [0, 360) deg, ``|DEC| > 90`` deg, or a
        proper-motion correlation outside [-1, 1], repeated ``star_id``. The message names
        the column and how many rows are bad.
    TypeError
        ``table`` is not a Table, or ``required`` is not a collection of names.
    ValueError
        ``required`` names a column outside the schema.
    """
    if not isinstance(table, Table):
        raise CatalogError(f"expected an astropy Table, got {type(table).__name__}")
    required = _check_required(required)
    missing = [c for c in required if c not in table.colnames]
    if missing:
        raise CatalogError(
            f"missing required column{'s' if len(missing) > 1 else ''}: "
            + ", ".join(repr(c) for c in missing)
        )
    converted = {}
    for name in required:
        col = np.asarray(table[name])
        if name in INTEGER_COLUMNS:
            if not np.issubdtype(col.dtype, np.integer):
                raise CatalogError(
                    f"column {name!r} has dtype {col.dtype}, expected an integer type"
                )
        elif not (np.issubdtype(col.dtype, np.floating) or np.issubdtype(col.dtype, np.integer)):
            raise CatalogError(
                f"column {name!r} has dtype {col.dtype}, expected a real number type"
            )
        scale = _schema_scale(name, table[name])
        if scale is not None:
            converted[name] = _converted(name, table[name], scale)
    if converted:
        table = table.copy(copy_data=False)
        for name, col in converted.items():
            table.replace_column(name, col)
    for name in required:
        col = np.asarray(table[name])
        bad = np.ma.getmaskarray(table[name]).copy()
        if name not in INTEGER_COLUMNS:
            bad |= ~np.isfinite(col)
        if bad.any():
            raise CatalogError(f"column {name!r}: {_rows(int(bad.sum()), 'are')} NaN, inf or masked")
    for name in POSITIVE_COLUMNS:
        if name in required:
            n_bad = int(np.sum(np.asarray(table[name]) <= 0))
            if n_bad:
                raise CatalogError(f"column {name!r}: {_rows(n_bad, 'are')} <= 0, expected > 0")
    if "RA" in required:
        ra = np.asarray(table["RA"])
        n_bad = int(np.sum((ra < 0) | (ra >= 360)))
        if n_bad:
            raise CatalogError(f"column 'RA': {_rows(n_bad, 'lie')} outside [0, 360) deg "
                               "(wrap them with RA % 360)")
    if "DEC" in required:
        n_bad = int(np.sum(np.abs(np.asarray(table["DEC"])) > 90))
        if n_bad:
            raise CatalogError(f"column 'DEC': {_rows(n_bad, 'have')} |DEC| > 90 deg")
    if "GAIAEDR3_PMRA_PMDEC_CORR" in required:
        n_bad = int(np.sum(np.abs(np.asarray(table["GAIAEDR3_PMRA_PMDEC_CORR"])) > 1))
        if n_bad:
            raise CatalogError(
                f"column 'GAIAEDR3_PMRA_PMDEC_CORR': {_rows(n_bad, 'lie')} outside [-1, 1]"
            )
    if "star_id" in required:
        n_dup = len(table) - len(np.unique(np.asarray(table["star_id"])))
        if n_dup:
            raise CatalogError(f"column 'star_id': {_rows(n_dup, 'repeat')} an earlier star_id")
    if SURVEY_COLUMN in table.colnames and table[SURVEY_COLUMN].dtype.kind not in "US":
        raise CatalogError(
            f"column {SURVEY_COLUMN!r} has dtype {table[SURVEY_COLUMN].dtype}, expected strings"
        )
    return table


def _check_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike file name, got {describe_value(path)}")
    return Path(path)


def read_table(path: str | Path, *, what: str = "table") -> Table:
    """Read any astropy-readable table (FITS, ECSV, CSV, ...), with errors that name the file.

    ``what`` names the file in the messages (e.g. ``"truth_path"``). Raises
    FileNotFoundError when ``path`` is not a file and `CatalogError` when it cannot be read
    as a table (junk, truncated; the reader's exception is chained). FITS strings come back
    as str, not bytes.
    """
    path = _check_path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file not found: {path}")
    if path.is_dir():
        raise CatalogError(f"{what} {path}: could not be read as a table (it is a directory)")
    try:
        table = Table.read(path)
    except Exception as exc:  # astropy's readers raise OSError, ValueError, IORegistryError, ...
        reason = (str(exc).splitlines() or [""])[0]  # astropy may append a long table of formats
        raise CatalogError(f"{what} {path}: could not be read as a table ({type(exc).__name__}: {reason})") from exc
    table.convert_bytestring_to_unicode()  # FITS strings (e.g. `survey`) come back as bytes
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
        The catalogue, validated with `validate_catalog`: required columns carrying a unit
        are converted to the schema units (e.g. ``dist_adpt`` in pc to kpc); columns
        without a unit are taken to be in the schema units.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    CatalogError
        The file cannot be read as a table (junk, truncated, a directory; the reader's
        exception is chained), or the table fails `validate_catalog`. Every message
        starts with the path.
    """
    required = _check_required(required)
    table = read_table(path, what="catalogue")
    try:
        return validate_catalog(table, required=required)
    except CatalogError as exc:
        raise CatalogError(f"{path}: {exc}") from exc


def write_catalog(table: Table, path: str | Path, *, overwrite: bool = False) -> None:
    """Validate ``table`` and write it, in the schema units, to ``path`` (format from the
    name, e.g. ``.fits``), atomically: a killed write leaves the old file or none, never half
    of one. An existing file is refused (FileExistsError) unless ``overwrite``."""
    path = _check_path(path)
    if not isinstance(overwrite, (bool, np.bool_)):
        raise TypeError(f"overwrite must be True or False, got {describe_value(overwrite)}")
    if path.exists() and not overwrite:
        raise FileExistsError(f"refusing to overwrite {path}; pass overwrite=True or choose another path")
    table = validate_catalog(table)
    with atomic_path(path) as tmp:
        write_table_file(table, tmp)


def match_truth(catalog: Table, truth: Table, *, required=(), what: str = "truth table") -> Table:
    """The rows of ``truth`` that belong to the catalogue's stars, in catalogue order.

    Rows are matched by ``star_id``; the truth table may hold more stars than the catalogue
    and in any order. Raises `CatalogError` naming ``what`` if a column of ``required`` (or
    ``star_id``) is missing, if a truth ``star_id`` repeats, or if a catalogue star has no
    truth row (with the number of such stars and the first few ids).
    """
    missing = [c for c in ("star_id", *required) if c not in truth.colnames]
    if missing:
        raise CatalogError(f"{what} lacks column(s) {missing}")
    if "star_id" not in catalog.colnames:
        raise CatalogError("the catalogue lacks column 'star_id', needed to match it with the " + what)
    ids = np.asarray(truth["star_id"])
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    if sorted_ids.size and np.any(sorted_ids[1:] == sorted_ids[:-1]):
        raise CatalogError(
            f"{what} has repeated star_id values, e.g. {sorted_ids[1:][sorted_ids[1:] == sorted_ids[:-1]][0]!s}")
    wanted = np.asarray(catalog["star_id"])
    pos = np.searchsorted(sorted_ids, wanted).clip(0, max(len(ids) - 1, 0))
    found = (sorted_ids[pos] == wanted) if ids.size else np.zeros(wanted.shape, bool)
    if not found.all():
        absent = wanted[~found]
        raise CatalogError(f"{absent.size} catalogue star(s) have no row in the {what}, "
                           f"e.g. star_id {[int(i) if np.issubdtype(absent.dtype, np.integer) else i for i in absent[:5]]}")
    return truth[order[pos]]
