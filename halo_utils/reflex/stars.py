"""Per-star arrays of the reflex likelihood, and how each star's distance error enters.

Everything that does not depend on the model parameters is computed once here: each
star's Galactic basis in Galactocentric axes, its design tensor, the Sun's projected
velocity, k d, the observed proper motions rotated to (l, b) with their covariance, and,
with distance marginalisation, the quadrature distances and their weights under the
`DistancePrior`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from astropy.table import Table
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from ..catalog import CatalogError, validate_catalog
from ..validation import check_array, check_bool, check_choice, check_integer, check_interval, check_real
from ..frames import K_KMS, frame_vectors, galactic_lb, icrs_to_galactocentric
from .sky import GAL_TO_ICRS, MS_TO_GAL, galactic_basis, galactic_to_galactocentric_axes

__all__ = ["REFLEX_COLUMNS", "DISTANCE_TERMS", "MAX_DISTANCE_NODES", "DistancePrior", "ReflexStars",
           "observed_galactic"]

#: The only catalogue columns the reflex fit reads (catalogue schema names; units deg,
#: kpc, km/s, mas/yr). Any other column (a ``survey`` name, chemistry, ...) is optional.
REFLEX_COLUMNS = ("star_id", "RA", "DEC", "dist_adpt", "dist_adpt_err", "Vrad", "Vrad_err",
                  "GAIAEDR3_PMRA", "GAIAEDR3_PMDEC", "GAIAEDR3_PMRA_ERROR", "GAIAEDR3_PMDEC_ERROR",
                  "GAIAEDR3_PMRA_PMDEC_CORR")
#: How distance errors enter the likelihood (see `ReflexStars.from_table`).
DISTANCE_TERMS = ("marginal", "model", "observed", "none")
#: Most Gauss-Hermite nodes per star: every node multiplies the memory and the time of each
#: likelihood call, so a mistyped count would stall a fit instead of failing.
MAX_DISTANCE_NODES = 50


@dataclass(frozen=True)
class DistancePrior:
    """The weight of each true distance d inside a star's distance marginalisation.

    A star's velocities are integrated over its true distance with the posterior of d given
    the catalogue value d_obs,

        p(d | d_obs) ∝ p(d_obs | d) d^2 nu(r(d)),    nu ∝ r^-slope,

    i.e. the volume element times the tracer density at the Galactocentric radius r(d)
    along the line of sight (``volume=False`` drops d^2). The catalogue error model is
    log-normal with the catalogue's fractional error f = dist_adpt_err / dist_adpt:

        ln d_obs = ln d + f z - f^2 / 2   (``mean_unbiased=True``: E[d_obs | d] = d),
        ln d_obs = ln d + f z             (``mean_unbiased=False``),   z ~ N(0, 1),

    the first being how the package's mocks draw distances. Each star's weights are
    normalised, so the prior shapes the distance integral but carries no information on
    the halo parameters.

    **The flat limit.** ``DistancePrior.flat()`` (``slope=0, volume=False,
    mean_unbiased=False``) weights ln d uniformly about ln d_obs: exactly the likelihood
    of earlier versions of this package.

    Parameters
    ----------
    slope : float
        Power-law slope of the tracer density, nu ∝ r^-slope (>= 0; default 3.5: the
        outer halo's number density falls as r^-3.5 to r^-4.5 beyond ~30 kpc, and giants
        of a magnitude-limited survey beyond 40 kpc follow dN/dr ∝ r^-1.5 to r^-2, i.e.
        an effective slope of 3.5-4 with the survey depth folded in;
        `DistancePrior.from_radii` measures it on a sample).
    volume : bool
        Include the volume element d^2.
    mean_unbiased : bool
        Catalogue distances are mean-unbiased (see above).
    """

    slope: float = 3.5
    volume: bool = True
    mean_unbiased: bool = True

    def __post_init__(self):
        check_real("DistancePrior.slope", self.slope, low=0, why="nu ∝ r^-slope")
        check_bool("DistancePrior.volume", self.volume)
        check_bool("DistancePrior.mean_unbiased", self.mean_unbiased)

    @classmethod
    def flat(cls) -> "DistancePrior":
        """Uniform in ln d about the catalogue value (no volume, no density, no debiasing)."""
        return cls(slope=0.0, volume=False, mean_unbiased=False)

    @classmethod
    def from_radii(cls, r, r_range, **kwargs) -> "DistancePrior":
        """The prior whose slope is the maximum-likelihood power law of dN/dr ∝ r^(2 - slope)
        fitted to Galactocentric radii ``r`` (kpc, finite) inside ``r_range`` (two increasing
        positive radii; the effective slope of a sample: tracer density and survey depth
        together). ``kwargs`` are the other fields (``volume``, ``mean_unbiased``)."""
        lo, hi = check_interval("r_range", r_range, low=0, unit="kpc")
        if lo == 0:
            raise ValueError(f"r_range must start above 0 kpc (the power law diverges there), got {r_range}")
        unknown = set(kwargs) - {"volume", "mean_unbiased"}
        if unknown:
            raise TypeError(f"DistancePrior.from_radii got unknown setting(s) {sorted(unknown)}; "
                            "expected volume, mean_unbiased")
        r = check_array("r", r, ndim=1, unit="kpc")
        r = r[(r > lo) & (r < hi)]
        if r.size < 10:
            raise ValueError(f"DistancePrior.from_radii needs >= 10 radii inside {r_range}, got {r.size}")
        mean_ln = np.mean(np.log(r))

        def nll(a):  # -lnL per star of p(r) ∝ r^a on [lo, hi]
            k = a + 1.0
            norm = np.log(hi / lo) if abs(k) < 1e-8 else np.log(abs((hi**k - lo**k) / k))
            return -(a * mean_ln - norm)

        a = minimize_scalar(nll, bounds=(-10.0, 2.0), method="bounded").x
        return cls(slope=max(0.0, 2.0 - a), **kwargs)

    def centre_shift(self, frac):
        """Shift of the quadrature centre in ln d from ln d_obs (f^2/2 when mean-unbiased) for
        fractional distance errors ``frac`` (finite, >= 0)."""
        frac = check_array("frac", frac, low=0)
        return 0.5 * frac**2 if self.mean_unbiased else np.zeros_like(frac)

    def log_weight(self, d, r):
        """Unnormalised log prior weight per unit ln d at distance d and radius r (kpc, finite,
        > 0, broadcasting)."""
        d = check_array("d", d, low=0, low_open=True, unit="kpc")
        r = check_array("r", r, low=0, low_open=True, unit="kpc")
        out = -self.slope * np.log(r) if self.slope else np.zeros_like(r)
        return out + 3.0 * np.log(d) if self.volume else out


def observed_galactic(table: Table):
    """Validated observables, Galactic (l, b), the (ra, dec) -> (l, b) rotation and bases.

    Returns ``(col, l, b, c, s, (n, e_l, e_b))``: ``col`` the `REFLEX_COLUMNS` as float
    arrays (in the schema units: columns with units are converted), (c, s) the cosine and
    sine of the rotation between the (ra, dec) and (l, b) proper-motion bases at each
    star, and the Galactic basis vectors in Galactic axes.
    """
    table = validate_catalog(table, required=REFLEX_COLUMNS)
    col = {c: np.asarray(table[c], float) for c in REFLEX_COLUMNS[1:]}
    l, b = galactic_lb(col["RA"], col["DEC"])
    n_gal, el_gal, eb_gal = galactic_basis(l, b)
    ra = np.deg2rad(col["RA"])
    e_ra = np.stack([-np.sin(ra), np.cos(ra), np.zeros_like(ra)], axis=-1)
    el_icrs = el_gal @ GAL_TO_ICRS.T
    eb_icrs = eb_gal @ GAL_TO_ICRS.T
    c = np.sum(e_ra * el_icrs, axis=-1)
    s = -np.sum(e_ra * eb_icrs, axis=-1)
    return col, l, b, c, s, (n_gal, el_gal, eb_gal)


@dataclass
class ReflexStars:
    """Per-star quantities of the reflex likelihood, computed once.

    With distance marginalisation every per-node array holds K copies of the N stars
    (node-major: K quadrature distances per star, log weights ``log_w`` of shape (K, N),
    normalised per star); otherwise K = 1.

    Attributes
    ----------
    r : ndarray (K N,)
        Galactocentric radius at the (node) distance, kpc.
    basis : ndarray (K N, 3, 3)
        Rows n, e_l, e_b (heliocentric line of sight and Galactic basis) in
        Galactocentric axes.
    design : ndarray (3, 6, K N)
        ``design[a, c, i]``: basis row a of star i dotted with the Magellanic-Stream
        Cartesian axes (c = 0-2; the apex unit vector is taken there) and with e_r,
        e_theta, e_phi (c = 3-5); stars last, so every contraction runs over contiguous memory.
    u_sun : ndarray (3, K N)
        The Sun's Galactocentric velocity projected on the basis rows, km/s.
    kd : ndarray (K N,)
        k d (km/s per mas/yr).
    v_los, v_los_var : ndarray (K N,)
        Heliocentric radial velocity and its error variance, km/s.
    mu : ndarray (K N, 2)
        Observed (mu_l*, mu_b), mas/yr.
    cov_ll, cov_lb, cov_bb : ndarray (K N,)
        Observed PM covariance in (l, b), (mas/yr)^2 (plus, when ``distance_term="observed"``,
        the distance-error term built on the observed PMs).
    star_id : ndarray (N,)
    frac_dist_var : ndarray (N,) or None
        (eps_d / d)^2 when the distance-error term is built from the model PMs.
    log_w : ndarray (K, N)
        Log quadrature weights of each star's distance nodes (zeros((1, N)) for K = 1).
    """

    r: np.ndarray
    basis: np.ndarray
    design: np.ndarray
    u_sun: np.ndarray
    kd: np.ndarray
    v_los: np.ndarray
    v_los_var: np.ndarray
    mu: np.ndarray
    cov_ll: np.ndarray
    cov_lb: np.ndarray
    cov_bb: np.ndarray
    star_id: np.ndarray
    frac_dist_var: np.ndarray | None = None
    log_w: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((1, 0)))
    n_stars: int = 0
    settings: dict = dataclasses.field(default_factory=dict)
    _outlier_cache: dict = dataclasses.field(default_factory=dict, repr=False)

    def __len__(self):
        return self.n_stars

    @property
    def n_nodes(self) -> int:
        """Distance nodes per star (1 without marginalisation)."""
        return self.log_w.shape[0]

    @cached_property
    def inv_kd2(self) -> np.ndarray:
        """1 / (k d)^2 per node, (mas/yr per km/s)^2: a dispersion in km/s to a PM variance."""
        return 1.0 / self.kd**2

    @cached_property
    def mu_l(self) -> np.ndarray:
        """Observed mu_l* (K N,), mas/yr, contiguous (a column of ``mu``)."""
        return np.ascontiguousarray(self.mu[:, 0])

    @cached_property
    def mu_b(self) -> np.ndarray:
        """Observed mu_b (K N,), mas/yr, contiguous."""
        return np.ascontiguousarray(self.mu[:, 1])

    @cached_property
    def frac_dist_var_nodes(self) -> np.ndarray | None:
        """`frac_dist_var` repeated for each distance node (K N,), or None."""
        return None if self.frac_dist_var is None else np.tile(self.frac_dist_var, self.n_nodes)

    @classmethod
    def from_table(cls, table: Table, *, distance_term: str = "marginal", n_distance_nodes: int = 5,
                   distance_prior: DistancePrior | None = None, frame=None) -> "ReflexStars":
        """Precompute from a catalogue holding (at least) the `REFLEX_COLUMNS`.

        Parameters
        ----------
        table : `~astropy.table.Table`
        distance_term : {"marginal", "model", "observed", "none"}
            How distance errors enter:

            * ``"marginal"`` (default): each star's likelihood is integrated over its true
              distance under ``distance_prior`` by ``n_distance_nodes``-point Gauss-Hermite
              quadrature in ln d; every node has its own Galactocentric radius (so its own
              model parameters in the continuity model) and its own k d. Exact up to the
              quadrature; no linearisation.
            * ``"model"``: first order, PM covariance + (eps_d / d)^2 mu mu^T with mu the
              model PMs.
            * ``"observed"``: the same with the observed PMs (PP21 as written).
            * ``"none"``: distance errors ignored.

            Why marginalise: a distance error moves a star both in PM (the solar reflex,
            ~250 km/s, dominates its tangential motion) and in r, where the continuity
            model's parameters change; the two shifts are correlated, which neither
            first-order form captures (chapter 5 compares the four).
        n_distance_nodes : int
            Quadrature nodes per star (``"marginal"`` only; 1 to `MAX_DISTANCE_NODES`).
        distance_prior : `DistancePrior`, optional
            Weight of the true distances (``"marginal"`` only; default ``DistancePrior()``).
        frame : optional
            The solar frame (any `~halo_utils.frames.solar_frame` spec; default astropy v4.0).

        Raises
        ------
        CatalogError
            Not a Table, missing columns, NaN/inf values, non-positive distances or errors,
            an empty table (see `~halo_utils.catalog.validate_catalog`).
        ValueError, TypeError
            An unknown ``distance_term``, a bad node count, a ``distance_prior`` that is not
            a `DistancePrior`, or a bad ``frame``.
        """
        if not isinstance(table, Table):
            raise CatalogError(f"expected an astropy Table, got {type(table).__name__}")
        if len(table) == 0:
            raise CatalogError("the reflex fit needs at least one star, got an empty table")
        check_choice("distance_term", distance_term, DISTANCE_TERMS)
        n_distance_nodes = check_integer("n_distance_nodes", n_distance_nodes, low=1, high=MAX_DISTANCE_NODES,
                                         why="Gauss-Hermite nodes per star")
        prior = DistancePrior() if distance_prior is None else distance_prior
        if not isinstance(prior, DistancePrior):
            raise TypeError(f"distance_prior must be a DistancePrior, got {type(prior).__name__}")
        col, l, b, c, s, (n_gal, el_gal, eb_gal) = observed_galactic(table)
        n = len(table)
        d_obs = col["dist_adpt"]
        frac = col["dist_adpt_err"] / d_obs
        if distance_term == "marginal":
            x, w = np.polynomial.hermite_e.hermegauss(int(n_distance_nodes))
            ln_d = np.log(d_obs) + prior.centre_shift(frac) + frac[None, :] * x[:, None]  # (K, N)
            d = np.exp(ln_d).ravel()  # (K * N,) node-major
        else:
            w = np.ones(1)
            d = d_obs
        k = w.size
        tile = (lambda a: np.tile(a, (k,) + (1,) * (a.ndim - 1))) if k > 1 else (lambda a: a)
        _, _, v_sun = frame_vectors(frame)
        basis = tile(np.stack([n_gal, el_gal, eb_gal], axis=1) @ galactic_to_galactocentric_axes(frame).T)
        pos, _ = icrs_to_galactocentric(tile(col["RA"]), tile(col["DEC"]), d, 0.0, 0.0, 0.0, frame)
        r = np.sqrt(np.sum(pos**2, axis=0))
        if k > 1:
            log_w = np.log(w / np.sqrt(2 * np.pi))[:, None] + prior.log_weight(d, r).reshape(k, n)
            log_w -= logsumexp(log_w, axis=0)
        else:
            log_w = np.zeros((1, n))
        theta, phi = np.arccos(pos[2] / r), np.arctan2(pos[1], pos[0])
        e_r = (pos / r).T
        e_th = np.stack([np.cos(theta) * np.cos(phi), np.cos(theta) * np.sin(phi), -np.sin(theta)], -1)
        e_ph = np.stack([-np.sin(phi), np.cos(phi), np.zeros_like(phi)], -1)
        proj = basis @ np.stack([e_r, e_th, e_ph], axis=-1)
        # PMs and their covariance rotated from (ra, dec) to (l, b)
        mra, mdec = col["GAIAEDR3_PMRA"], col["GAIAEDR3_PMDEC"]
        sra, sdec, rho = col["GAIAEDR3_PMRA_ERROR"], col["GAIAEDR3_PMDEC_ERROR"], col["GAIAEDR3_PMRA_PMDEC_CORR"]
        mu_l, mu_b = c * mra + s * mdec, -s * mra + c * mdec
        caa, cdd, cad = sra**2, sdec**2, rho * sra * sdec
        cov_ll = c * c * caa + 2 * c * s * cad + s * s * cdd
        cov_bb = s * s * caa - 2 * c * s * cad + c * c * cdd
        cov_lb = -c * s * caa + (c * c - s * s) * cad + c * s * cdd
        f2 = frac**2
        if distance_term == "observed":
            cov_ll, cov_lb, cov_bb = cov_ll + f2 * mu_l**2, cov_lb + f2 * mu_l * mu_b, cov_bb + f2 * mu_b**2
        design = np.ascontiguousarray(np.transpose(np.concatenate([basis @ MS_TO_GAL, proj], axis=2), (1, 2, 0)))
        settings = {"distance_term": distance_term, "n_distance_nodes": int(k),
                    "distance_prior": dataclasses.asdict(prior) if k > 1 else None,
                    "frame": frame if frame is None or isinstance(frame, (str, dict)) else repr(frame)}
        return cls(r=r, basis=basis, design=design, u_sun=np.ascontiguousarray((basis @ v_sun).T), kd=K_KMS * d,
                   v_los=tile(col["Vrad"]), v_los_var=tile(col["Vrad_err"] ** 2),
                   mu=tile(np.stack([mu_l, mu_b], -1)), cov_ll=tile(cov_ll), cov_lb=tile(cov_lb),
                   cov_bb=tile(cov_bb), star_id=np.asarray(table["star_id"]),
                   frac_dist_var=f2 if distance_term == "model" else None, log_w=log_w, n_stars=n,
                   settings=settings)
