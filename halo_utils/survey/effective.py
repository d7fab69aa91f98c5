"""The effective selection S_t(D): the selection probability averaged over a luminosity
function, per tile and distance (conventions §3 and §8)."""

from __future__ import annotations

import numpy as np

from ..validation import check_array, check_integer, check_real
from .luminosity import LuminosityFunction
from .selection import SelectionConfig, _check_config, _selection_probability
from .tiles import SELECTION_TILE_COLUMNS, validate_tiles

__all__ = ["effective_selection"]


def effective_selection(tiles, distance_kpc, lf: LuminosityFunction,
                        config: SelectionConfig = SelectionConfig(), *, mag_step: float = 0.01,
                        tile_chunk: int = 64):
    """S_t(D) of conventions §3: the LF-averaged selection probability per tile and distance.

    S_t(D) = int dM Phi(M) P(M, D, t), with ``Phi`` normalised to one over its range, so
    that the expected number of selected stars of a component with number density
    ``n(x)`` (stars of this LF per kpc^3) is ``sum_t Omega_t int dD D^2 n(x_t(D)) S_t(D)``.

    Parameters
    ----------
    tiles : Table
        Tile table with ``r_lim``, ``has_rank1``, ``f_rank1`` and ``f_rank2``, checked with
        `validate_tiles` (which also checks RA, DEC and solid_angle where present).
    distance_kpc : array_like
        Heliocentric distance nodes, kpc (1-d, finite, > 0).
    lf : LuminosityFunction
        Luminosity function of the tracer.
    mag_step : float
        Absolute-magnitude integration step, mag (> 0, at most the LF's range; trapezoid;
        the rank windows have sharp edges, so the step sets the accuracy, ~1e-3 relative
        at 0.01 mag).
    tile_chunk : int
        Tiles per vectorised block (>= 1; memory ~ 8 * tile_chunk * n_D * n_M bytes).

    Returns
    -------
    ndarray, shape (n_tiles, n_D)

    Raises
    ------
    ValueError, TypeError
        Bad tiles (see `validate_tiles`), distances or settings; the message names them.
    """
    validate_tiles(tiles, required=SELECTION_TILE_COLUMNS)
    dist = check_array("distance_kpc", distance_kpc, ndim=1, min_size=1, low=0, low_open=True, unit="kpc")
    if not isinstance(lf, LuminosityFunction):
        raise TypeError(f"lf must be a LuminosityFunction, got {type(lf).__name__}")
    config = _check_config(config)
    mag_step = check_real("mag_step", mag_step, low=0, high=lf.faint - lf.bright, low_open=True, unit="mag",
                          why="at most the luminosity function's range")
    tile_chunk = check_integer("tile_chunk", tile_chunk, low=1)
    n_mag = int(np.ceil((lf.faint - lf.bright) / mag_step)) + 1
    mags = np.linspace(lf.bright, lf.faint, n_mag)
    weights = lf.pdf(mags) * np.gradient(mags)
    weights[[0, -1]] *= 0.5  # trapezoid end points
    cols = {k: np.asarray(tiles[k]) for k in SELECTION_TILE_COLUMNS}
    cols["has_rank1"] = cols["has_rank1"].astype(bool)
    out = np.empty((len(tiles), dist.size))
    for start in range(0, len(tiles), tile_chunk):
        sl = slice(start, start + tile_chunk)
        p = _selection_probability(mags[:, None, None], dist[None, :, None],
                                   cols["r_lim"][sl][None, None, :], cols["has_rank1"][sl][None, None, :],
                                   cols["f_rank1"][sl][None, None, :], cols["f_rank2"][sl][None, None, :],
                                   config)
        out[sl] = np.tensordot(weights, p, axes=(0, 0)).T
    return out
