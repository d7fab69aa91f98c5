"""Distance errors in the density likelihood: each star's term integrated over its true distance.

S001 evaluates the density at each star's observed position and names the distance errors
a limitation (its section 5.1). The survey measures a star's apparent magnitude m and
direction well; its distance is uncertain because its absolute magnitude is. Along the
star's own line of sight x(D), the probability of what is observed given the model is then

    L_i  propto  int dD D^2 n(x(D)) Phi(m - mu(D)) P_sel(m - mu(D), D, t) p(D_hat | D),

with D^2 the volume element, Phi the tracers' luminosity function at the absolute magnitude
that m implies at D, P_sel the survey's selection probability on the star's tile t (the
function `~halo_utils.survey.selection_probability` that the selection grid averages over
Phi; it depends on D through the rank-1 window's absolute-magnitude limit and the parallax
cut), any position-dependent completeness of the sample at x(D), and p(D_hat | D) the
log-normal distance error, ln D_hat ~ N(ln D, sigma) with sigma = dist_adpt_err / dist_adpt
(conventions §2). The expected number Lambda is unchanged, except that the sample's radial
range is cut on observed distances (`~halo_utils.density.selection.SelectionGrid`'s
``distance_error``).

`fold_distance_errors` evaluates the integral by Gauss-Legendre quadrature in ln D over
+- n_sigma of each star's error around its observed distance, in segments split where the
integrand jumps: where the implied absolute magnitude crosses an edge of the luminosity
function or the rank-1 limit (between those points it is smooth, and a few nodes per
segment reach ~1e-3 in differences of ln L where evenly spaced nodes need hundreds). It
returns `~halo_utils.density.likelihood.Stars` whose star term is
sum_i ln sum_k w_ik n(x_ik), the weights normalised per star (constant factors do not change
the fit), so the whole likelihood stack (values, exact gradients, the compiled kernel, the
maximum-likelihood fits and the chains) uses it unchanged.
"""

from __future__ import annotations

import numpy as np

from ..frames import icrs_to_galactocentric
from ..survey import SelectionConfig, distance_modulus, giant_luminosity_function, selection_probability
from ..validation import check_integer, check_real
from .likelihood import Stars
from .selection import SelectionGrid

__all__ = ["DISTANCE_ERROR_COLUMNS", "fold_distance_errors", "median_distance_error"]

#: Columns of a sample that `fold_distance_errors` reads: sky position (deg), distance and its
#: error (kpc), apparent r magnitude (mag) and the tile the star was observed on.
DISTANCE_ERROR_COLUMNS = ("RA", "DEC", "dist_adpt", "dist_adpt_err", "PS_R", "tileID")


def _column(table, name):
    col = table[name]
    return np.asarray(getattr(col, "value", col), float)


def median_distance_error(table) -> float:
    """The median fractional distance error (dist_adpt_err / dist_adpt) of a sample: the sigma
    of ln D with which `SelectionGrid` smooths the sample's radial edges."""
    missing = [c for c in ("dist_adpt", "dist_adpt_err") if c not in table.colnames]
    if missing:
        raise ValueError(f"sample lacks distance column(s) {missing}")
    return float(np.median(_column(table, "dist_adpt_err") / _column(table, "dist_adpt")))


def _segment_nodes(z_edges, n_sigma, n_segments, nodes_per_segment):
    """Gauss-Legendre nodes and weights in z over [-n_sigma, n_sigma], per star.

    The range is cut into ``n_segments`` equal parts and, in addition, at each star's
    ``z_edges`` (N, E) inside it; an edge outside it cuts at a fixed point instead (the
    centres of E equal parts of the range), so that no node is wasted on an empty segment.

    Returns
    -------
    z, w : ndarray, shape (N, (n_segments + E) * nodes_per_segment)
    """
    n = z_edges.shape[0]
    uniform = np.broadcast_to(np.linspace(-n_sigma, n_sigma, n_segments + 1), (n, n_segments + 1))
    n_edges = z_edges.shape[1]
    fillers = -n_sigma + 2.0 * n_sigma * (np.arange(n_edges) + 0.5) / n_edges
    cuts = np.where(np.abs(z_edges) < n_sigma, z_edges, fillers[None, :])
    bounds = np.sort(np.concatenate([uniform, cuts], axis=1), axis=1)
    lo, hi = bounds[:, :-1], bounds[:, 1:]
    x, w = np.polynomial.legendre.leggauss(nodes_per_segment)
    half, mid = 0.5 * (hi - lo), 0.5 * (hi + lo)
    z = (mid[:, :, None] + half[:, :, None] * x[None, None, :]).reshape(n, -1)
    return z, (half[:, :, None] * w[None, None, :]).reshape(n, -1)


def fold_distance_errors(table, grid: SelectionGrid, *, n_segments: int = 4, nodes_per_segment: int = 12,
                         n_sigma: float = 5.0, lf=None, config: SelectionConfig | None = None,
                         completeness=None) -> Stars:
    """`Stars` whose likelihood term integrates each star over its true distance (module docstring).

    Parameters
    ----------
    table : Table
        The sample, with `DISTANCE_ERROR_COLUMNS` (RA, DEC deg; dist_adpt, dist_adpt_err kpc,
        both > 0; PS_R mag; tileID of a tile in ``grid``).
    grid : SelectionGrid
        The tile-based selection the likelihood uses (`SelectionGrid.from_tiles`): its tiles
        give each star's selection.
    n_segments, nodes_per_segment : int
        Equal segments of the range in ln D (>= 1), each further split where the star's
        implied absolute magnitude crosses an edge of ``lf`` or the rank-1 limit, and
        Gauss-Legendre nodes per segment (>= 1): (n_segments + 3) * nodes_per_segment nodes
        per star.
    n_sigma : float
        Half-width of the node range, in units of the star's sigma of ln D.
    lf : LuminosityFunction, optional
        The tracers' luminosity function (default: the giants', as `SelectionGrid.from_tiles`).
    config : SelectionConfig, optional
        Selection thresholds (default: those of conventions §3, as `SelectionGrid.from_tiles`).
    completeness : callable, optional
        The sample's completeness at Galactocentric positions (3, N) kpc -> [0, 1] (e.g. the
        `KinematicCompleteness` folded into ``grid`` with `apply_completeness`): it selects at
        the true position, so it weights the nodes too.

    Returns
    -------
    Stars
        Positions of shape (3, N, K) and per-star normalised log-weights (K nodes per star).

    Raises
    ------
    ValueError
        Missing columns, non-positive distances or errors, tiles not in ``grid``, or stars
        with zero weight at every node (e.g. a magnitude that no tracer of ``lf`` could have
        within ``n_sigma`` of its distance); the message names them.
    """
    missing = [c for c in DISTANCE_ERROR_COLUMNS if c not in table.colnames]
    if missing:
        raise ValueError(f"sample lacks column(s) {missing} needed to fold its distance errors")
    if grid.tiles is None:
        raise ValueError("grid must be tile-based (SelectionGrid.from_tiles): its tiles give each star's selection")
    n_segments = check_integer("n_segments", n_segments, low=1)
    nodes_per_segment = check_integer("nodes_per_segment", nodes_per_segment, low=1)
    n_sigma = check_real("n_sigma", n_sigma, low=0, low_open=True)
    dist, dist_err = _column(table, "dist_adpt"), _column(table, "dist_adpt_err")
    bad = ~(np.isfinite(dist) & np.isfinite(dist_err) & (dist > 0) & (dist_err > 0))
    if bad.any():
        raise ValueError(f"{bad.sum()} stars have dist_adpt or dist_adpt_err not finite and > 0")
    tile_ids = np.asarray(grid.tiles["tileID"])
    order = np.argsort(tile_ids)
    where = np.searchsorted(tile_ids, np.asarray(table["tileID"]), sorter=order)
    where = order[np.clip(where, 0, len(order) - 1)]
    unknown = tile_ids[where] != np.asarray(table["tileID"])
    if unknown.any():
        raise ValueError(f"{unknown.sum()} stars are on tiles not in the selection grid "
                         f"(e.g. tileID {np.asarray(table['tileID'])[unknown][0]})")
    tiles = grid.tiles[where]
    lf = lf or giant_luminosity_function()
    config = config or SelectionConfig()

    sigma = dist_err / dist  # of ln D (conventions §2)
    r_mag = _column(table, "PS_R")[:, None]
    # where the implied M = r - mu(D) crosses an edge: ln D = ln 10 (r - M - 10) / 5
    edges_mag = np.array([lf.bright, lf.faint, config.rank1_max_abs_mag])
    z_edges = (np.log(10.0) * (r_mag - edges_mag[None, :] - 10.0) / 5.0 - np.log(dist)[:, None]) / sigma[:, None]
    z, w_z = _segment_nodes(z_edges, n_sigma, n_segments, nodes_per_segment)
    d = np.exp(np.log(dist)[:, None] + sigma[:, None] * z)
    abs_mag = r_mag - distance_modulus(d)
    sel = selection_probability(abs_mag, d, *(np.asarray(tiles[k])[:, None] for k in ("r_lim", "has_rank1", "f_rank1",
                                                                                         "f_rank2")),
                                config=config)
    ra = np.broadcast_to(_column(table, "RA")[:, None], d.shape)
    dec = np.broadcast_to(_column(table, "DEC")[:, None], d.shape)
    zero = np.zeros(d.shape)
    pos, _ = icrs_to_galactocentric(ra, dec, d, zero, zero, zero)
    # D^2 dD = D^3 d(ln D) = D^3 sigma dz (sigma, one per star, cancels); the log-normal error
    # in ln D; the luminosity function at the implied M
    weight = w_z * d**3 * np.exp(-0.5 * z**2) * lf.pdf(abs_mag) * sel
    if completeness is not None:
        weight = weight * np.asarray(completeness(pos.reshape(3, -1)), float).reshape(d.shape)
    total = weight.sum(axis=1)
    empty = ~(total > 0)
    if empty.any():
        raise ValueError(f"{empty.sum()} stars have zero probability at every distance node (their magnitude needs "
                         f"an absolute magnitude outside the luminosity function, or a selection of zero, within "
                         f"{n_sigma:g} sigma of their distance), e.g. star index {np.flatnonzero(empty)[0]}")
    with np.errstate(divide="ignore"):
        ln_weight = np.log(weight / total[:, None])
    return Stars(pos, ln_weight=ln_weight)
