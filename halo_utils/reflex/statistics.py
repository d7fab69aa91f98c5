"""Binned kinematic statistics of the outer halo: what a catalogue and a simulation are
compared by (issue 18's simulation-based inference; Brooks et al. 2025-26 after S004).

A catalogue's stars (after the outer-halo cuts, with the velocities of
`~halo_utils.reflex.galactic_velocities`: ``v_gsr``, ``v_l``, ``v_b`` in km/s, solar motion
removed, at the observed ``l``, ``b``, ``r``) are sorted into sky quadrants and shells of
Galactocentric distance; in each cell the statistics are the number of stars and the mean
and standard deviation of each velocity. They are *observed* statistics: a simulation is
compared through a mock catalogue that carries the data's errors, selection and
imperfections (`halo_utils.mock.generate_simulated_outer_halo`), and then through this same
function, so nothing is deconvolved here and the two sides are measured identically.

The sky quadrants split Galactic longitude at 180 deg and latitude at 0: the quadrant that
holds the LMC (l >= 180, b < 0, as in S004 fig 4), the one opposite it (l < 180, b >= 0),
and the two others. Every star falls in exactly one quadrant; a star outside the distance
edges is counted in ``outside`` and in no cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from ..validation import check_array, check_integer, check_table

__all__ = ["SKY_QUADRANTS", "VELOCITY_NAMES", "DISTANCE_EDGES_KPC", "KinematicStatistics",
           "sky_quadrant", "kinematic_statistics"]

#: The sky quadrants, in the order of the statistics: name -> (l range, b range), deg,
#: half-open [low, high) except b = 90 (the pole belongs to the northern quadrants).
SKY_QUADRANTS = {
    "LMC": ((180.0, 360.0), (-90.0, 0.0)),
    "LMC-north": ((180.0, 360.0), (0.0, 90.0)),
    "opposite": ((0.0, 180.0), (0.0, 90.0)),
    "opposite-south": ((0.0, 180.0), (-90.0, 0.0)),
}
#: The velocities summarised, km/s (columns of `~halo_utils.reflex.galactic_velocities`).
VELOCITY_NAMES = ("v_gsr", "v_l", "v_b")
#: Default shells of Galactocentric distance, kpc: S004 fig 19's bins.
DISTANCE_EDGES_KPC = (40.0, 60.0, 80.0, 100.0, 160.0)


def sky_quadrant(l, b) -> np.ndarray:
    """Index into `SKY_QUADRANTS` of each star's quadrant; ``l``, ``b`` in deg (finite,
    ``|b| <= 90``, any longitude: it is taken modulo 360)."""
    l = check_array("l", l, ndim=1, unit="deg") % 360.0
    b = check_array("b", b, shape=l.shape, low=-90, high=90, unit="deg")
    index = np.full(l.shape, -1)
    for i, ((l_lo, l_hi), (b_lo, b_hi)) in enumerate(SKY_QUADRANTS.values()):
        inside = (l >= l_lo) & (l < l_hi) & (b >= b_lo) & ((b < b_hi) | (b_hi == 90.0))
        index[inside] = i
    return index


@dataclass(frozen=True)
class KinematicStatistics:
    """Counts, means and standard deviations in (quadrant, distance shell) cells.

    Attributes
    ----------
    quadrants : tuple of str
        Keys of `SKY_QUADRANTS`, the first axis of the arrays.
    edges : ndarray (n_shells + 1,)
        Distance edges, kpc; shell j is [edges[j], edges[j+1]).
    count : ndarray (n_quadrants, n_shells) of int
    mean, std : dict of ndarray (n_quadrants, n_shells)
        Per velocity of `VELOCITY_NAMES`, km/s; NaN in a cell with fewer than ``min_count``
        stars. ``std`` is the sample standard deviation (ddof = 1).
    outside : int
        Stars outside the distance edges (in no cell).
    min_count : int
    """

    quadrants: tuple
    edges: np.ndarray
    count: np.ndarray
    mean: dict
    std: dict
    outside: int
    min_count: int

    def names(self) -> list:
        """Names of `vector`'s entries: ``"<velocity>_<mean|std>[<quadrant>, <lo>-<hi>]"``."""
        shells = [f"{lo:g}-{hi:g}" for lo, hi in zip(self.edges[:-1], self.edges[1:])]
        return [f"{v}_{kind}[{q}, {s}]" for kind in ("mean", "std") for v in VELOCITY_NAMES
                for q in self.quadrants for s in shells]

    def vector(self) -> np.ndarray:
        """Every mean, then every standard deviation, as one vector (order of `names`)."""
        return np.concatenate([getattr(self, kind)[v].ravel() for kind in ("mean", "std") for v in VELOCITY_NAMES])

    def table(self) -> Table:
        """One row per cell: ``quadrant``, ``r_lo``, ``r_hi`` (kpc), ``n``, then
        ``<velocity>_mean`` and ``<velocity>_std`` (km/s)."""
        q, j = np.meshgrid(np.arange(len(self.quadrants)), np.arange(len(self.edges) - 1), indexing="ij")
        q, j = q.ravel(), j.ravel()
        out = Table({"quadrant": np.array(self.quadrants)[q], "r_lo": self.edges[j], "r_hi": self.edges[j + 1],
                     "n": self.count.ravel()})
        for v in VELOCITY_NAMES:
            out[f"{v}_mean"] = self.mean[v].ravel()
            out[f"{v}_std"] = self.std[v].ravel()
        return out


def kinematic_statistics(table: Table, edges=DISTANCE_EDGES_KPC, *, min_count: int = 5) -> KinematicStatistics:
    """The binned statistics of a catalogue's velocities (see the module docstring).

    Parameters
    ----------
    table : astropy Table
        Columns ``l``, ``b`` (deg), ``r`` (kpc, Galactocentric, observed) and `VELOCITY_NAMES`
        (km/s): `~halo_utils.reflex.galactic_velocities` of the selected stars. Every value
        finite.
    edges : sequence of float
        Strictly increasing distance edges, kpc (at least two).
    min_count : int
        Fewest stars (>= 2) for a cell's mean and standard deviation; a cell with fewer has NaN.

    Returns
    -------
    KinematicStatistics
    """
    check_table("table", table, ("l", "b", "r") + VELOCITY_NAMES)
    edges = check_array("edges", edges, ndim=1, min_size=2, low=0, unit="kpc")
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges must be strictly increasing distances (kpc), got {edges.tolist()}")
    min_count = check_integer("min_count", min_count, low=2)
    quadrant = sky_quadrant(np.asarray(table["l"], float), np.asarray(table["b"], float))
    r = check_array("r", np.asarray(table["r"], float), shape=quadrant.shape, low=0, unit="kpc")
    velocities = {v: check_array(v, np.asarray(table[v], float), shape=quadrant.shape, unit="km/s")
                  for v in VELOCITY_NAMES}
    shell = np.searchsorted(edges, r, side="right") - 1
    inside = (shell >= 0) & (shell < edges.size - 1)
    n_q, n_s = len(SKY_QUADRANTS), edges.size - 1
    cell = np.where(inside, quadrant * n_s + shell, -1)
    count = np.bincount(cell[inside], minlength=n_q * n_s)
    enough = count >= min_count
    mean, std = {}, {}
    for v, values in velocities.items():
        total = np.bincount(cell[inside], weights=values[inside], minlength=n_q * n_s)
        m = np.divide(total, count, out=np.full(n_q * n_s, np.nan), where=count > 0)
        # the second pass about each cell's own mean (not sum(x^2) - n m^2, which cancels badly)
        resid = values[inside] - m[cell[inside]]
        ss = np.bincount(cell[inside], weights=resid**2, minlength=n_q * n_s)
        s = np.sqrt(np.divide(ss, count - 1, out=np.full(n_q * n_s, np.nan), where=count > 1))
        mean[v] = np.where(enough, m, np.nan).reshape(n_q, n_s)
        std[v] = np.where(enough, s, np.nan).reshape(n_q, n_s)
    return KinematicStatistics(tuple(SKY_QUADRANTS), edges, count.reshape(n_q, n_s), mean, std,
                               int(np.count_nonzero(~inside)), min_count)
