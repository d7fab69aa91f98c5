"""The survey selection on a grid of nodes, as the density likelihood needs it.

`SelectionGrid` holds S_t(D), the luminosity-function-averaged selection probability of
`halo_utils.survey` on a grid of (tile, heliocentric distance) nodes, and the quadrature
weight of each node, so that the expected number of selected stars is one weighted sum
(conventions §3 and §8; S001 section 2). `KinematicCompleteness` folds a position-dependent
kinematic cut into that selection.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ..cuts import GSE_RADIAL_RANGE_KPC
from ..frames import icrs_to_galactocentric
from ..survey import GIANTS_PER_MSUN, SelectionConfig, effective_selection, giant_luminosity_function, validate_tiles
from ..validation import check_real
from .geometry import monomials
from .models import log_number_density

__all__ = ["SelectionGrid", "KinematicCompleteness", "apply_completeness", "DISTANCE_RANGE_KPC", "N_DISTANCE_NODES"]

#: Heliocentric distance range of the default selection grid, kpc (log-spaced nodes).
DISTANCE_RANGE_KPC = (1.0, 150.0)

#: Default number of distance nodes per tile. The trapezoid rule in ln D on 120 nodes (cells
#: of 4.3 % in D) moves Lambda by ~1e-4 of itself against a 960-node grid at the chapter-3
#: posterior, and by a nearly constant amount: what varies across the posterior, and so
#: could move it, is ~0.03 in ln L (tests/density/test_density_selection_quadrature.py).
#: Twice the nodes would halve the cost-dominant node sum for no visible change.
N_DISTANCE_NODES = 120
#: Nodes of the distance-error average of the radial cut (evenly spaced over +-5 sigma).
_N_ERROR_NODES = 41


class SelectionGrid:
    """The survey selection precomputed for the density likelihood (conventions §8).

    Build it with `from_tiles` (a survey's tile table) or `from_nodes` (any nodes and
    weights).

    Attributes
    ----------
    tiles : Table
        The tiles used (excluded tiles dropped).
    distance : ndarray
        Heliocentric distance nodes, kpc (log-spaced).
    selection : ndarray, shape (n_tiles, n_distance)
        S_t(D): the LF-averaged selection probability of `halo_utils.survey`.
    weight : ndarray, shape (n_tiles, n_distance)
        Quadrature weight Omega_t D^2 dD S_t(D) of each node (zero outside the
        Galactocentric radius range of the sample, and below ``z_min`` in |Z|).
    z_min : float
        Smallest height |Z| (kpc) of the sample, for samples selected by height (0: none).
    distance_error : float
        sigma of ln D of the sample's distances (0: exact). The sample's radial range (and
        height cut) is applied to observed distances, so a node at true distance D counts with
        the probability that its observed distance D e^(sigma g), g ~ N(0, 1), falls inside;
        the folded likelihood needs this (`~halo_utils.density.distance_errors`).
    pos : ndarray, shape (3, n_tiles, n_distance)
        Galactocentric position of each node (on the tile's central line of sight).
    """

    def __init__(self, tiles, distance, selection, r_range=GSE_RADIAL_RANGE_KPC, giants_per_msun=GIANTS_PER_MSUN,
                 inside=None, z_min: float = 0.0, distance_error: float = 0.0):
        self.tiles = tiles
        self.distance = np.asarray(distance, float)
        self.selection = np.asarray(selection, float)
        self.r_range = tuple(r_range)
        self.z_min = float(z_min)
        self.distance_error = float(distance_error)
        self.giants_per_msun = giants_per_msun
        n_t, n_d = self.selection.shape
        ra = np.repeat(np.asarray(tiles["RA"], float)[:, None], n_d, axis=1)
        dec = np.repeat(np.asarray(tiles["DEC"], float)[:, None], n_d, axis=1)
        dist = np.broadcast_to(self.distance, (n_t, n_d))
        zero = np.zeros((n_t, n_d))
        self.pos, _ = icrs_to_galactocentric(ra, dec, dist, zero, zero, zero)
        ln_d = np.log(self.distance)
        dln = np.gradient(ln_d)
        dln[[0, -1]] *= 0.5  # trapezoid in ln D: D^3 dlnD = D^2 dD
        omega = np.asarray(tiles["solid_angle"], float)[:, None]
        # fraction of each node's cell inside r_range and above z_min (computed once, reusable)
        self.inside = self._inside_fraction(tiles, ln_d) if inside is None else np.asarray(inside, float)
        self.weight = omega * self.distance**3 * dln * self.selection * self.inside
        keep = self.weight > 0
        # the likelihood only needs the nodes that carry weight
        self._mono = monomials(self.pos[:, keep])
        self._w = self.weight[keep]

    def _inside_fraction(self, tiles, ln_d, n_sub=8):
        """Fraction of each node's ln D cell whose Galactocentric r lies in r_range (and |Z| > z_min).

        A hard indicator at the nodes would move the sample's radial edges by up to half a
        cell (1 % in D) in a direction-dependent way; sub-sampling each cell removes that.
        """
        edges = np.concatenate([[ln_d[0]], 0.5 * (ln_d[1:] + ln_d[:-1]), [ln_d[-1]]])
        sub = edges[:-1, None] + (np.arange(n_sub) + 0.5)[None, :] / n_sub * np.diff(edges)[:, None]
        d_sub = np.exp(sub).ravel()
        n_t = len(tiles)
        ra = np.repeat(np.asarray(tiles["RA"], float)[:, None], d_sub.size, axis=1)
        dec = np.repeat(np.asarray(tiles["DEC"], float)[:, None], d_sub.size, axis=1)
        if self.distance_error == 0.0:
            zero = np.zeros(ra.shape)
            pos, _ = icrs_to_galactocentric(ra, dec, np.broadcast_to(d_sub, ra.shape), zero, zero, zero)
            r = np.sqrt(np.sum(pos**2, axis=0)).reshape(n_t, ln_d.size, n_sub)
            high = np.abs(pos[2]).reshape(r.shape) > self.z_min
            return np.mean((r > self.r_range[0]) & (r < self.r_range[1]) & high, axis=2)
        # positions are affine in D along a line of sight: x(D) = x_sun + D u
        ones = np.ones((n_t, 1))
        at_1, _ = icrs_to_galactocentric(ra[:, :1], dec[:, :1], ones, 0 * ones, 0 * ones, 0 * ones)
        at_2, _ = icrs_to_galactocentric(ra[:, :1], dec[:, :1], 2 * ones, 0 * ones, 0 * ones, 0 * ones)
        u = at_2 - at_1
        sun = at_1 - u
        g = np.linspace(-5.0, 5.0, _N_ERROR_NODES)  # observed ln D = ln D + sigma g
        w_g = np.exp(-0.5 * g**2)
        w_g /= w_g.sum()
        inside = np.zeros((n_t, d_sub.size))
        for g_j, w_j in zip(g, w_g):
            obs = sun + u * (d_sub * np.exp(self.distance_error * g_j))[None, None, :]
            r = np.sqrt(np.sum(obs**2, axis=0))
            inside += w_j * ((r > self.r_range[0]) & (r < self.r_range[1]) & (np.abs(obs[2]) > self.z_min))
        return inside.reshape(n_t, ln_d.size, n_sub).mean(axis=2)

    @classmethod
    def from_tiles(cls, tiles, *, lf=None, config=None, distance=None, r_range=GSE_RADIAL_RANGE_KPC,
                   exclude=None, giants_per_msun=GIANTS_PER_MSUN, z_min: float = 0.0, distance_error: float = 0.0):
        """Precompute S_t(D) from a tile table (done once per survey).

        Parameters
        ----------
        tiles : Table
            Tile table of the survey (`halo_utils.mock.make_tiles` columns plus the fibre
            sampling fractions ``f_rank1``, ``f_rank2``).
        lf : LuminosityFunction, optional
            Tracer luminosity function (default: the giant LF of conventions §3).
        config : SelectionConfig, optional
            Selection thresholds (default: those of conventions §3).
        distance : array_like, optional
            Distance nodes, kpc (default: `N_DISTANCE_NODES` log-spaced nodes over
            `DISTANCE_RANGE_KPC`).
        r_range : (float, float)
            Galactocentric radius range of the sample; nodes outside get zero weight.
        z_min : float
            Smallest Galactocentric height |Z| of the sample, kpc (e.g. 5 for a halo selected
            by height, S001 figure 10); nodes closer to the plane get zero weight.
        distance_error : float
            sigma of ln D of the sample's distances (e.g. `median_distance_error`; 0: the cuts
            are taken at the true distance): the radial range and the height cut then count
            each node with the probability that its observed distance passes them.
        exclude : array_like of bool, optional
            Tiles to leave out (e.g. the satellite fields, whose stars are all cut).
        giants_per_msun : float
            Tracers per solar mass of the population (giants / Msun).
        """
        validate_tiles(tiles)
        if exclude is not None:
            exclude = np.asarray(exclude)
            if exclude.dtype != bool or exclude.shape != (len(tiles),):
                raise ValueError(f"exclude must hold one boolean per tile ({len(tiles)}), got dtype {exclude.dtype} "
                                 f"and shape {exclude.shape}")
            tiles = tiles[~exclude]
        distance = (np.geomspace(*DISTANCE_RANGE_KPC, N_DISTANCE_NODES) if distance is None
                    else np.asarray(distance, float))
        sel = effective_selection(tiles, distance, lf or giant_luminosity_function(), config or SelectionConfig())
        z_min = check_real("z_min", z_min, low=0.0)
        distance_error = check_real("distance_error", distance_error, low=0.0, high=1.0)
        return cls(tiles, distance, sel, r_range=r_range, giants_per_msun=giants_per_msun, z_min=z_min,
                   distance_error=distance_error)

    @classmethod
    def from_nodes(cls, pos, weight, giants_per_msun=GIANTS_PER_MSUN):
        """A grid given directly as Galactocentric nodes (3, ...) and weights (kpc^3).

        For custom geometries and tests: Lambda = sum(weight * n(pos)). The tile-based
        attributes (``tiles``, ``distance``, ``selection``) are None.
        """
        self = cls.__new__(cls)
        self.tiles = self.distance = self.selection = self.inside = None
        self.r_range, self.z_min, self.distance_error = (0.0, np.inf), 0.0, 0.0
        self.giants_per_msun = giants_per_msun
        self.pos = np.asarray(pos, float)
        self.weight = np.asarray(weight, float)
        if self.pos.shape[0] != 3 or self.pos.shape[1:] != self.weight.shape:
            raise ValueError("pos must have shape (3, ...) matching weight")
        keep = self.weight > 0
        self._mono = monomials(self.pos[:, keep])
        self._w = self.weight[keep]
        return self

    @property
    def n_nodes(self) -> int:
        """Nodes with non-zero weight (the size of the normalisation sum)."""
        return self._w.size

    def expected_number(self, params: dict, model="triaxial_double_break") -> float:
        """Lambda(theta): the expected number of selected stars (free ``params`` of ``model``)."""
        return float(self._w @ np.exp(log_number_density(self._mono, params, model, self.giants_per_msun)))

    def node_rates(self, params: dict, model="triaxial_double_break") -> np.ndarray:
        """Expected number of selected stars per (tile, distance) node, shape (n_tiles, n_D)."""
        # only the weighted nodes: an unweighted one may sit at the Galactic centre, where ln r_q = -inf
        rates = np.zeros(self.weight.shape)
        rates[self.weight > 0] = self._w * np.exp(log_number_density(self._mono, params, model, self.giants_per_msun))
        return rates


class KinematicCompleteness:
    """P(star passes a kinematic cut | position) as a smooth logistic function.

    The GSE sample keeps accreted-chemistry stars with e > 0.7. If the fraction of the
    accreted population on such orbits varies with position, the cut changes the density
    shape the forward model sees (S001 argues it does not on H3; on the mock it falls from
    the plane to high |Z| and varies with azimuth, enough to bias q, p and the tilt;
    conventions §13). This class models it from the data
    themselves: a logistic regression of the pass/fail flag of the parent (pre-cut) sample
    on ln r and the quadrupole of the direction u = x / r (u_z^2, u_x^2 - u_y^2, u_x u_y,
    u_x u_z, u_y u_z), the general second-order smooth dependence on position.
    """

    def __init__(self, coef):
        self.coef = np.asarray(coef, float)

    @staticmethod
    def _features(pos):
        pos = np.asarray(pos, float)
        r = np.sqrt(np.sum(pos**2, axis=0))
        ux, uy, uz = pos / r
        return np.stack([np.ones_like(r), np.log(r), uz**2, ux**2 - uy**2, ux * uy, ux * uz, uy * uz], axis=-1)

    @classmethod
    def fit(cls, pos, passed):
        """Maximum-likelihood logistic fit to parent-sample positions and pass/fail flags.

        Parameters
        ----------
        pos : array_like, shape (3, N)
            Galactocentric positions of the parent (pre-cut) sample, kpc.
        passed : array_like of bool, shape (N,)
            Whether each star passes the kinematic cut.
        """
        X = cls._features(pos)
        y = np.asarray(passed, bool)
        if y.all() or not y.any():
            raise ValueError("the parent sample must contain stars that pass and fail the cut")

        def nll(b):
            z = X @ b
            return np.sum(np.logaddexp(0.0, z)) - np.sum(z[y])

        def grad(b):
            p = 1.0 / (1.0 + np.exp(-(X @ b)))
            return X.T @ (p - y)

        res = minimize(nll, np.zeros(X.shape[1]), jac=grad, method="BFGS")
        return cls(res.x)

    def __call__(self, pos):
        """Probability of passing the cut at Galactocentric positions ``pos`` (3, ...), kpc."""
        return 1.0 / (1.0 + np.exp(-(self._features(pos) @ self.coef)))


def apply_completeness(grid: SelectionGrid, completeness) -> SelectionGrid:
    """A new `SelectionGrid` whose selection is multiplied by ``completeness(node positions)``.

    Parameters
    ----------
    grid : SelectionGrid
        A tile-based grid (`SelectionGrid.from_tiles`).
    completeness : callable
        Galactocentric positions (3, N), kpc -> probability in [0, 1], e.g. a
        `KinematicCompleteness`.
    """
    c = completeness(grid.pos.reshape(3, -1)).reshape(grid.selection.shape)
    return SelectionGrid(grid.tiles, grid.distance, grid.selection * c, r_range=grid.r_range,
                         giants_per_msun=grid.giants_per_msun, inside=grid.inside, z_min=grid.z_min,
                         distance_error=grid.distance_error)

