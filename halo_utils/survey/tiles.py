"""The tile table: its schema, reading and validation (conventions §2)."""

from __future__ import annotations

import numpy as np
import astropy.units as u
from astropy.table import Table

from ..catalog import read_table
from ..validation import check_array, check_flags, check_table

__all__ = ["TILE_COLUMNS", "SELECTION_TILE_COLUMNS", "read_tiles", "validate_tiles"]


#: Tile-table columns and their units (None: dimensionless): what the selection function
#: (`SELECTION_TILE_COLUMNS`) and the density model's tile geometry read.
TILE_COLUMNS = {"RA": "deg", "DEC": "deg", "solid_angle": "sr", "r_lim": "mag", "has_rank1": None,
                "f_rank1": None, "f_rank2": None}
#: The tile columns `effective_selection` reads.
SELECTION_TILE_COLUMNS = ("r_lim", "has_rank1", "f_rank1", "f_rank2")


def read_tiles(path) -> Table:
    """Read a tile table (any astropy format) and check it with `validate_tiles`.

    Every error names the file: FileNotFoundError, `~halo_utils.catalog.CatalogError` for a
    file that is not a table, ValueError/TypeError for bad tiles.
    """
    tiles = read_table(path, what="tile table")
    try:
        return validate_tiles(tiles)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"tile table {path}: {exc}") from exc


def validate_tiles(tiles, *, required=tuple(TILE_COLUMNS)) -> Table:
    """Check a tile table and return it unchanged (O(n_tiles)).

    Every column of `TILE_COLUMNS` that is present is checked, the ``required`` ones must
    be there: finite values; RA in [0, 360) and DEC in [-90, 90] deg; ``solid_angle`` > 0
    sr; ``f_rank1``, ``f_rank2`` in [0, 1]; ``has_rank1`` booleans; a unit, where a column
    carries one, equal to the one in `TILE_COLUMNS` (a solid angle in deg^2 would be off
    by 3283); and, with a ``tileID`` column, no repeated tile.

    Parameters
    ----------
    tiles : `~astropy.table.Table`
        Tile table (e.g. `halo_utils.mock.make_tiles` plus the fibre fractions).
    required : iterable of str
        Columns that must be present (default: all of `TILE_COLUMNS`).

    Raises
    ------
    ValueError
        A missing column, an empty table, or bad values; the message names the column and
        counts the bad tiles.
    TypeError
        ``tiles`` is not a Table, or a column has the wrong dtype.
    """
    unknown = [c for c in required if c not in TILE_COLUMNS]
    if unknown:
        raise ValueError(f"required names column(s) {unknown} outside the tile schema {list(TILE_COLUMNS)}")
    check_table("tiles", tiles, required, min_rows=1)
    ranges = {"RA": dict(low=0, high=360, high_open=True), "DEC": dict(low=-90, high=90),
              "solid_angle": dict(low=0, low_open=True), "f_rank1": dict(low=0, high=1),
              "f_rank2": dict(low=0, high=1)}
    for name, unit in TILE_COLUMNS.items():
        if name not in tiles.colnames:
            continue
        col = tiles[name]
        if col.unit is not None and unit is not None and col.unit != u.Unit(unit):
            raise ValueError(f"tile column {name!r} is in {col.unit}, expected {unit}")
        if name == "has_rank1":
            check_flags("tile column 'has_rank1'", col)
            continue
        check_array(f"tile column {name!r}", col, unit=unit, noun="tile", **ranges.get(name, {}))
    if "tileID" in tiles.colnames:
        n_dup = len(tiles) - np.unique(np.asarray(tiles["tileID"])).size
        if n_dup:
            raise ValueError(f"tile column 'tileID': {n_dup} tile{'s repeat' if n_dup > 1 else ' repeats'} "
                             "an earlier tileID")
    return tiles
