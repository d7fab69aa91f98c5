"""A survey's tile table from its targeting and its spectra (conventions §2-3).

The density chapters need one row per spectroscopic tile (`TILE_COLUMNS`): where it points,
the solid angle it covers, how deep its spectra go, whether it targets rank 1, and which
fraction of each rank's candidates received a fibre. A survey knows these from its own
records; this module turns two plain tables into that row per tile:

* **fields**, one row per tile: ``tileID``, the centre ``RA``, ``DEC`` (deg), the field's
  ``radius`` (deg) or ``solid_angle`` (sr), and either ``r_lim`` (mag) or nothing, in which
  case `tile_depth_from_snr` measures it from the catalogue's S/N; optionally ``has_rank1``;
* **targets**, one row per *candidate* of the targeting (a star inside a rank's magnitude
  window that passed the parallax cut), whether or not it got a fibre: ``tileID``, ``rank``
  (1 or 2) and ``observed`` (True when it received a fibre).

The fibre fractions are then counts, ``f_rank_k = observed / candidates`` of rank k (1 for a
tile with no candidate of that rank), which is what the selection function's
``f_{t,k}`` means (conventions §3); the mock computes the same fractions from its
fibre budget, and the tests check that this module recovers them from the mock's records.
"""

from __future__ import annotations

import numpy as np
import astropy.units as u
from astropy.table import Table

from ..validation import check_array, check_flags, check_table
from .selection import SelectionConfig
from .tiles import validate_tiles

__all__ = ["tile_depth_from_snr", "build_tiles"]

#: How a CSV file spells a boolean (astropy reads such a column as text).
_TEXT_FLAGS = {"true": True, "false": False, "1": True, "0": False}


def _flags(name, values):
    """`check_flags`, also reading the words True/False (any case) of a CSV file."""
    raw = np.asarray(values)
    if raw.dtype.kind in "US":
        words = np.char.lower(np.char.strip(raw.astype(str)))
        bad = ~np.isin(words, list(_TEXT_FLAGS))
        if bad.any():
            raise ValueError(f"{name}: {bad.sum()} value(s) are neither True nor False (e.g. {raw[bad][:3].tolist()})")
        return np.array([_TEXT_FLAGS[w] for w in words], bool)
    return check_flags(name, raw)


def tile_depth_from_snr(tile_id, r_mag, snr, *, config: SelectionConfig = SelectionConfig(),
                        min_spectra: int = 5) -> Table:
    """Each tile's depth ``r_lim`` (mag) from the S/N of the spectra taken on it.

    The S/N model of conventions §3, ``S/N = snr_limit * 10**(-0.4 (r - r_lim)) * exp(s z)``
    with ``z ~ N(0, 1)``, makes ``r + 2.5 log10(S/N / snr_limit)`` an unbiased draw of
    ``r_lim`` with a symmetric scatter, so each tile's ``r_lim`` is the median of that over
    its spectra (error ~1.25 x 2.5 s / ln 10 / sqrt(n) mag: 0.014 mag for 200 spectra).

    Parameters
    ----------
    tile_id : array of int
        Each spectrum's tile (the catalogue's ``tileID``).
    r_mag : array of float
        Dereddened r magnitudes (mag; the catalogue's ``PS_R``).
    snr : array of float
        S/N per pixel (the catalogue's ``SNR``); spectra with S/N <= 0 carry no depth and
        are left out.
    config : SelectionConfig
        Gives ``snr_limit`` (the S/N at ``r = r_lim``).
    min_spectra : int
        Tiles with fewer usable spectra get NaN (give their depth in the fields table).

    Returns
    -------
    `~astropy.table.Table`
        ``tileID``, ``r_lim`` (mag) and ``n_spectra``, one row per tile, sorted by tileID.
    """
    tile_id = np.asarray(tile_id)
    r_mag = check_array("r_mag", r_mag, ndim=1, unit="mag")
    snr = check_array("snr", snr, ndim=1, finite=False)
    if not (tile_id.shape == r_mag.shape == snr.shape):
        raise ValueError(f"tile_id, r_mag and snr must have one shape; got {tile_id.shape}, {r_mag.shape}, "
                         f"{snr.shape}")
    if tile_id.dtype.kind not in "iu":
        raise TypeError(f"tile_id must hold integers (the catalogue's tileID), got dtype {tile_id.dtype}")
    usable = np.isfinite(snr) & (snr > 0) & np.isfinite(r_mag)
    depth = r_mag[usable] + 2.5 * np.log10(snr[usable] / config.snr_limit)
    tiles, inverse = np.unique(tile_id, return_inverse=True)
    per_tile = inverse[usable]
    order = np.argsort(per_tile, kind="stable")
    groups = np.split(depth[order], np.cumsum(np.bincount(per_tile, minlength=tiles.size))[:-1])
    n = np.array([g.size for g in groups])
    r_lim = np.array([np.median(g) if g.size >= min_spectra else np.nan for g in groups])
    return Table({"tileID": tiles, "r_lim": r_lim * u.mag, "n_spectra": n})


def build_tiles(fields: Table, targets: Table) -> Table:
    """The tile table (`TILE_COLUMNS`) of a survey from its fields and its targeting.

    Parameters
    ----------
    fields : `~astropy.table.Table`
        One row per tile: ``tileID`` (int, unique), ``RA``, ``DEC`` (deg), ``radius`` (deg,
        the field's radius; the solid angle is 2 pi (1 - cos radius)) or ``solid_angle``
        (sr), ``r_lim`` (mag; e.g. from `tile_depth_from_snr`), and optionally
        ``has_rank1`` (bool: the tile's design targets rank 1). Other columns are kept.
        Booleans may be written as the words True and False (a CSV file).
    targets : `~astropy.table.Table`
        One row per candidate of the targeting, observed or not: ``tileID``, ``rank`` (1 or
        2) and ``observed`` (bool, or the words True/False: it received a fibre).

    Returns
    -------
    `~astropy.table.Table`
        ``fields`` with ``solid_angle`` (sr), ``has_rank1`` (given, or: the tile has rank-1
        candidates), ``n_cand_rank1``, ``n_cand_rank2``, ``n_obs_rank1``, ``n_obs_rank2``
        and the fibre fractions ``f_rank1``, ``f_rank2`` (observed / candidates, 1 where
        there are no candidates), checked by `validate_tiles`.

    Raises
    ------
    ValueError
        A missing column, a repeated tileID, a target on a tile that is not in ``fields``,
        a rank other than 1 or 2, or a tile without a finite ``r_lim``; each message names
        the column and counts the offending rows.
    """
    check_table("fields", fields, ("tileID", "RA", "DEC", "r_lim"), min_rows=1)
    check_table("targets", targets, ("tileID", "rank", "observed"))
    if "radius" not in fields.colnames and "solid_angle" not in fields.colnames:
        raise ValueError("fields needs the field size: a 'radius' column (deg) or a 'solid_angle' column (sr)")
    tiles = Table(fields, copy=True)
    ids = np.asarray(tiles["tileID"])
    if ids.dtype.kind not in "iu":
        raise TypeError(f"fields column 'tileID' must hold integers, got dtype {ids.dtype}")
    if np.unique(ids).size != ids.size:
        raise ValueError(f"fields column 'tileID': {ids.size - np.unique(ids).size} tile(s) repeat an earlier tileID")
    bad_depth = ~np.isfinite(np.asarray(tiles["r_lim"], float))
    if bad_depth.any():
        raise ValueError(f"fields column 'r_lim': {bad_depth.sum()} tile(s) without a finite depth "
                         f"(e.g. tileID {ids[bad_depth][:5].tolist()}); measure it with tile_depth_from_snr "
                         "or give it")
    if "solid_angle" not in tiles.colnames:
        radius = check_array("fields column 'radius'", tiles["radius"], unit="deg", low=0, high=180, low_open=True,
                             noun="tile")
        tiles["solid_angle"] = 2 * np.pi * (1 - np.cos(np.deg2rad(radius))) * u.sr

    order = np.argsort(ids)
    target_ids = np.asarray(targets["tileID"])
    where = order[np.clip(np.searchsorted(ids[order], target_ids), 0, ids.size - 1)]
    unknown = ids[where] != target_ids
    if unknown.any():
        raise ValueError(f"targets column 'tileID': {unknown.sum()} target(s) on tiles not in fields "
                         f"(e.g. tileID {np.unique(target_ids[unknown])[:5].tolist()})")
    rank = np.asarray(targets["rank"])
    bad_rank = ~np.isin(rank, (1, 2))
    if bad_rank.any():
        raise ValueError(f"targets column 'rank': {bad_rank.sum()} target(s) with a rank other than 1 or 2")
    observed = _flags("targets column 'observed'", targets["observed"])

    n_tiles = ids.size
    for k in (1, 2):
        mine = rank == k
        cand = np.bincount(where[mine], minlength=n_tiles)
        obs = np.bincount(where[mine & observed], minlength=n_tiles)
        tiles[f"n_cand_rank{k}"], tiles[f"n_obs_rank{k}"] = cand, obs
        tiles[f"f_rank{k}"] = np.where(cand > 0, obs / np.maximum(cand, 1), 1.0)
    if "has_rank1" in tiles.colnames:
        tiles["has_rank1"] = _flags("fields column 'has_rank1'", tiles["has_rank1"])
    else:
        tiles["has_rank1"] = tiles["n_cand_rank1"] > 0
    return validate_tiles(tiles)
