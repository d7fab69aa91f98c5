"""The reflex response of the outer halo to the LMC (SPEC section 8; S004 after PP21).

The inner Galaxy moves with a *travel velocity* v_travel towards the apex ``n_apex``
relative to the outer halo, so halo stars show the opposite (reflex) motion. At a star's
Galactocentric position (observed distance) the model mean velocity is

    v_mean = -v_travel n_apex + <v_r> e_r + <v_theta> e_theta + <v_phi> e_phi,

and with ``u = v_mean - v_sun`` the predicted observables are v_los = u.n,
mu_l* = u.e_l / (k d), mu_b = u.e_b / (k d), where n, e_l, e_b are the star's
heliocentric line of sight and Galactic basis vectors. The likelihood is Gaussian:
v_los ~ N(pred, eps_v^2 + sigma_los^2) and (mu_l*, mu_b) ~ N2(pred, C) with

    C = C_obs + (eps_d / d)^2 mu_obs mu_obs^T + diag(sigma_l^2, sigma_b^2) / (k d)^2.

The middle term propagates the distance error into the proper motions; unlike PP21 we
keep its off-diagonal element (the full outer product), which is what a Gaussian
distance error implies to first order.

Conventions
-----------
* Apex directions are (l, b) in degrees; ``n_apex = (cos b cos l, cos b sin l, sin b)`` is
  used directly in Galactocentric axes (SPEC 8, "Galactic orientation"). The samplers
  work in Magellanic Stream coordinates (L_MS, B_MS) of gala's
  ``MagellanicStreamNidever08`` so that the posterior stays away from the poles (S004).
* Models: ``"constant"`` (9 parameters, PP21/S004 appendix E) and ``"linear"`` (the
  S004 continuity model: every parameter linear in r_gal between its values at the two
  nodes, default 40 and 120 kpc; dispersions linear in ln sigma; the apex linear in
  L_MS, B_MS with L_MS periodic; 18 parameters). Parameters outside the nodes are
  extrapolated linearly.
* Priors (SPEC 8): v_travel U(0, 150) km/s; apex isotropic (L_MS uniform, sin B_MS
  uniform); means U(-250, 250) km/s; ln sigma U(ln 1, ln 300).
* The fitted intrinsic dispersions are along the observed axes (los, l, b); for beta we
  follow S004 and identify them with (r, phi, theta), which holds for distant stars.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from astropy.stats import sigma_clipped_stats
from astropy.table import Table

from . import cuts
from .catalog import CatalogError, validate_catalog
from .fitting import hessian, maximize
from .frames import (_ROT, _V_SUN, K_KMS, galactic_lb, icrs_to_galactocentric, spherical_components,
                     wrap_longitude)

__all__ = [
    "BASE_NAMES", "PRIOR_BOUNDS", "R_NODES", "REFLEX_COLUMNS", "ReflexModel", "ReflexStars",
    "OuterHaloCuts", "select_outer_halo", "galactic_velocities", "ms_to_galactic",
    "galactic_to_ms", "apex_vector", "predict_observables", "model_galactic_velocities", "log_likelihood",
    "ReflexFit", "fit_reflex", "smoothed_sky_mean", "binned_mean", "quadrant_masks",
]

#: Parameters of one node (the constant model), in sampling order.
BASE_NAMES = ("v_travel", "L_MS", "B_MS", "vr_mean", "vphi_mean", "vtheta_mean",
              "ln_sigma_los", "ln_sigma_l", "ln_sigma_b")
#: Prior ranges (km/s, deg, ln km/s); B_MS is isotropic (uniform in sin B_MS).
PRIOR_BOUNDS = {"v_travel": (0.0, 150.0), "L_MS": (-180.0, 180.0), "B_MS": (-90.0, 90.0),
                "vr_mean": (-250.0, 250.0), "vphi_mean": (-250.0, 250.0),
                "vtheta_mean": (-250.0, 250.0), "ln_sigma_los": (0.0, np.log(300.0)),
                "ln_sigma_l": (0.0, np.log(300.0)), "ln_sigma_b": (0.0, np.log(300.0))}
#: Node radii of the continuity model (kpc, S004).
R_NODES = (40.0, 120.0)
#: Catalogue columns the reflex fit reads (SPEC section 2 names).
REFLEX_COLUMNS = ("star_id", "RA", "DEC", "dist_adpt", "dist_adpt_err", "Vrad", "Vrad_err",
                  "GAIAEDR3_PMRA", "GAIAEDR3_PMDEC", "GAIAEDR3_PMRA_ERROR", "GAIAEDR3_PMDEC_ERROR",
                  "GAIAEDR3_PMRA_PMDEC_CORR")


# ------------------------------------------------------------------- frame matrices

def _frame_matrix(frame_from, frame_to):
    """3x3 matrix taking Cartesian unit vectors of ``frame_from`` to ``frame_to`` (from astropy)."""
    eye = coord.CartesianRepresentation(np.eye(3) * u.one)
    sc = coord.SkyCoord(eye, frame=frame_from).transform_to(frame_to)
    return sc.cartesian.xyz.value  # columns are the images of the basis vectors


def _gala_ms_frame():
    from gala.coordinates import MagellanicStreamNidever08

    return MagellanicStreamNidever08()


_MS_TO_GAL = _frame_matrix(_gala_ms_frame(), coord.Galactic())
_GAL_TO_ICRS = _frame_matrix(coord.Galactic(), coord.ICRS())
#: Galactic Cartesian axes -> Galactocentric axes (through ICRS, astropy's matrices).
_GAL_TO_GC = _ROT @ _GAL_TO_ICRS


def _unit(lon_deg, lat_deg):
    lon, lat = np.deg2rad(lon_deg), np.deg2rad(lat_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def _angles(vec):
    vec = np.asarray(vec, float)
    lon = np.rad2deg(np.arctan2(vec[..., 1], vec[..., 0]))
    lat = np.rad2deg(np.arcsin(np.clip(vec[..., 2] / np.linalg.norm(vec, axis=-1), -1, 1)))
    return lon, lat


def ms_to_galactic(L_ms, B_ms):
    """Magellanic Stream (L_MS, B_MS) -> Galactic (l, b), deg (l in (-180, 180])."""
    return _angles(_unit(L_ms, B_ms) @ _MS_TO_GAL.T)


def galactic_to_ms(l, b):
    """Galactic (l, b) -> Magellanic Stream (L_MS, B_MS), deg (L_MS in (-180, 180])."""
    return _angles(_unit(l, b) @ _MS_TO_GAL)


def apex_vector(v_travel, L_ms, B_ms):
    """Cartesian travel velocity (km/s, Galactocentric axes) from amplitude and MS apex."""
    return np.asarray(v_travel, float)[..., None] * (_unit(L_ms, B_ms) @ _MS_TO_GAL.T)


_wrap = wrap_longitude


# ------------------------------------------------------------------------ the model

@dataclass(frozen=True)
class ReflexModel:
    """A reflex model: ``kind`` is ``"constant"`` (9 parameters) or ``"linear"`` (18).

    Parameter vectors are ordered as `names`: for ``"linear"`` the nine `BASE_NAMES`
    at the first node (suffix ``_40``) and then at the second (``_120``).
    """

    kind: str = "linear"
    r_nodes: tuple = R_NODES

    def __post_init__(self):
        if self.kind not in ("constant", "linear"):
            raise ValueError(f"model must be 'constant' or 'linear', got {self.kind!r}")
        r0, r1 = (float(r) for r in self.r_nodes)
        if not (0 < r0 < r1):
            raise ValueError(f"r_nodes must be two increasing positive radii (kpc), got {self.r_nodes}")

    @property
    def n_nodes(self) -> int:
        return 1 if self.kind == "constant" else 2

    @property
    def names(self) -> tuple:
        if self.kind == "constant":
            return BASE_NAMES
        return tuple(f"{n}_{r:g}" for r in self.r_nodes for n in BASE_NAMES)

    @property
    def ndim(self) -> int:
        return 9 * self.n_nodes

    def check(self, theta) -> np.ndarray:
        theta = np.asarray(theta, float)
        if theta.shape[-1] != self.ndim:
            raise ValueError(f"{self.kind} model takes {self.ndim} parameters {self.names}, "
                             f"got a vector of length {theta.shape[-1]}")
        return theta

    def nodes(self, theta) -> np.ndarray:
        """Parameters as an array (..., n_nodes, 9)."""
        theta = self.check(theta)
        return theta.reshape(theta.shape[:-1] + (self.n_nodes, 9))

    def values_at(self, theta, r, wrap: bool = True):
        """The nine base parameters at Galactocentric radius ``r`` (kpc).

        Returns an array (9, ...) broadcast over ``r`` (and leading axes of ``theta``);
        L_MS is interpolated along the shorter arc and wrapped to [-180, 180).
        """
        nodes = np.moveaxis(self.nodes(theta), -1, 0)  # (9, ..., n_nodes)
        if self.kind == "constant":
            v = nodes[..., 0]
            return v if np.ndim(r) == 0 else v[..., None] * np.ones(np.shape(r))
        r0, r1 = self.r_nodes
        t = (np.asarray(r, float) - r0) / (r1 - r0)
        lo, hi = nodes[..., 0], nodes[..., 1]
        delta = hi - lo
        delta[1] = _wrap(delta[1])
        if np.ndim(t):
            lo, delta = lo[..., None], delta[..., None]
        out = lo + t * delta
        if wrap:
            out[1] = _wrap(out[1])
        return out

    def log_prior(self, theta) -> float:
        """Log prior density (up to a constant); -inf outside the SPEC 8 ranges."""
        nodes = self.nodes(theta)
        for i, name in enumerate(BASE_NAMES):
            lo, hi = PRIOR_BOUNDS[name]
            v = nodes[..., i]
            if not np.all(np.isfinite(v)) or np.any(v < lo) or np.any(v > hi):
                return -np.inf
        return float(np.sum(np.log(np.cos(np.deg2rad(nodes[..., 2])) + 1e-300)))

    def prior_transform(self, cube) -> np.ndarray:
        """Unit cube -> parameters under the SPEC 8 priors (for dynesty)."""
        c = np.asarray(cube, float).reshape(self.n_nodes, 9)
        out = np.empty_like(c)
        for i, name in enumerate(BASE_NAMES):
            lo, hi = PRIOR_BOUNDS[name]
            out[:, i] = lo + (hi - lo) * c[:, i]
        out[:, 2] = np.rad2deg(np.arcsin(2.0 * c[:, 2] - 1.0))
        return out.ravel()

    def from_dict(self, params: dict) -> np.ndarray:
        """Parameter vector from a dict keyed by `names` (sigmas may be given as ``sigma_*``)."""
        values = []
        for name in self.names:
            if name in params:
                values.append(params[name])
            elif name.startswith("ln_sigma") and name[3:] in params:
                values.append(np.log(params[name[3:]]))
            else:
                raise KeyError(f"parameter {name!r} missing (model {self.kind!r} needs {self.names})")
        return np.asarray(values, float)


# -------------------------------------------------------------------- star arrays

def _galactic_basis(l_deg, b_deg):
    l, b = np.deg2rad(l_deg), np.deg2rad(b_deg)
    cl, sl, cb, sb = np.cos(l), np.sin(l), np.cos(b), np.sin(b)
    n = np.stack([cb * cl, cb * sl, sb], axis=-1)
    e_l = np.stack([-sl, cl, np.zeros_like(l)], axis=-1)
    e_b = np.stack([-sb * cl, -sb * sl, cb], axis=-1)
    return n, e_l, e_b


def _observed(table):
    """Validated observables as float arrays, plus Galactic l, b and the PM rotation."""
    validate_catalog(table, required=REFLEX_COLUMNS)
    col = {c: np.asarray(table[c], float) for c in REFLEX_COLUMNS[1:]}
    l, b = galactic_lb(col["RA"], col["DEC"])
    n_gal, el_gal, eb_gal = _galactic_basis(l, b)
    ra = np.deg2rad(col["RA"])
    e_ra = np.stack([-np.sin(ra), np.cos(ra), np.zeros_like(ra)], axis=-1)
    # rotation angle between the (ra, dec) and (l, b) bases at each star
    el_icrs = el_gal @ _GAL_TO_ICRS.T
    eb_icrs = eb_gal @ _GAL_TO_ICRS.T
    c = np.sum(e_ra * el_icrs, axis=-1)
    s = -np.sum(e_ra * eb_icrs, axis=-1)
    return col, l, b, c, s, (n_gal, el_gal, eb_gal)


@dataclass
class ReflexStars:
    """Per-star quantities of the reflex likelihood, computed once (SPEC 8).

    With distance marginalisation every array holds K copies of the N stars (node-major:
    K quadrature distances per star, log weights ``log_w``); otherwise K = 1.

    Attributes
    ----------
    r : ndarray (K N,)
        Galactocentric radius at the (node) distance, kpc.
    basis : ndarray (N, 3, 3)
        Rows n, e_l, e_b (heliocentric line of sight and Galactic basis) in
        Galactocentric axes.
    design : ndarray (3, 6, N)
        ``design[a, c, i]``: basis row a of star i dotted with the Magellanic-Stream
        Cartesian axes (c = 0-2; the apex unit vector is taken there) and with e_r,
        e_theta, e_phi (c = 3-5); stars last, so every contraction runs over contiguous memory.
    u_sun : ndarray (3, N)
        The Sun's Galactocentric velocity projected on the basis rows, km/s.
    kd : ndarray (N,)
        k d (km/s per mas/yr).
    v_los, v_los_var : ndarray (N,)
        Heliocentric radial velocity and its error variance, km/s.
    mu : ndarray (N, 2)
        Observed (mu_l*, mu_b), mas/yr.
    cov_ll, cov_lb, cov_bb : ndarray (N,)
        Observed PM covariance in (l, b), (mas/yr)^2 (plus the distance-error term built
        from the observed PMs when ``distance_term="observed"``).
    star_id : ndarray (N,)
    frac_dist_var : ndarray (N,) or None
        (eps_d / d)^2 when the distance-error term is built from the model PMs.
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
    log_w: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(1))
    n_stars: int = 0

    def __len__(self):
        return self.n_stars

    @classmethod
    def from_table(cls, table: Table, *, distance_term: str = "marginal",
                   n_distance_nodes: int = 5) -> "ReflexStars":
        """Precompute from a catalogue in the SPEC section 2 schema.

        ``distance_term`` sets how distance errors enter:

        * ``"marginal"`` (default): the likelihood of each star is integrated over its
          true distance, ln d ~ N(ln d_obs, eps_d / d_obs), by ``n_distance_nodes``-point
          Gauss-Hermite quadrature; every node has its own Galactocentric radius (so
          its own model parameters in the continuity model) and its own k d. This is
          exact up to the quadrature and takes no linearisation.
        * ``"model"``: first order, PM covariance + (eps_d / d)^2 mu mu^T with mu the
          model PMs.
        * ``"observed"``: the same with the observed PMs (SPEC 8 / PP21 as written).
        * ``"none"``: distance errors ignored.

        Why marginalise: a distance error moves a star both in PM (the solar reflex,
        ~250 km/s, dominates its tangential motion) and in r, where the continuity
        model's parameters change; the two shifts are correlated, which neither
        first-order form captures. On a mock 7x the default size the first-order forms
        bias the 100-kpc tangential dispersions (``"model"``, +5 sigma) or the apex
        latitude (``"observed"``, +5 sigma); marginalising removes both (tests and
        chapter 5). Raises `~halo_utils.catalog.CatalogError` for missing columns,
        NaN/inf values or non-positive distances and errors.
        """
        if len(table) == 0:
            raise CatalogError("the reflex fit needs at least one star, got an empty table")
        if distance_term not in ("marginal", "model", "observed", "none"):
            raise ValueError("distance_term must be 'marginal', 'model', 'observed' or 'none', "
                             f"got {distance_term!r}")
        col, l, b, c, s, (n_gal, el_gal, eb_gal) = _observed(table)
        n = len(table)
        d_obs = col["dist_adpt"]
        frac = col["dist_adpt_err"] / d_obs
        if distance_term == "marginal":
            x, w = np.polynomial.hermite_e.hermegauss(int(n_distance_nodes))
            log_w = np.log(w / np.sqrt(2 * np.pi))
            d = (d_obs[None, :] * np.exp(frac[None, :] * x[:, None])).ravel()  # (K * N,) node-major
        else:
            log_w = np.zeros(1)
            d = d_obs
        k = log_w.size
        tile = (lambda a: np.tile(a, (k,) + (1,) * (a.ndim - 1))) if k > 1 else (lambda a: a)
        basis = tile(np.stack([n_gal, el_gal, eb_gal], axis=1) @ _GAL_TO_GC.T)  # (K N, 3, 3)
        pos, _ = icrs_to_galactocentric(tile(col["RA"]), tile(col["DEC"]), d, 0.0, 0.0, 0.0)
        r = np.sqrt(np.sum(pos**2, axis=0))
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
        design = np.ascontiguousarray(np.transpose(np.concatenate([basis @ _MS_TO_GAL, proj], axis=2), (1, 2, 0)))
        return cls(r=r, basis=basis, design=design, u_sun=np.ascontiguousarray((basis @ _V_SUN).T), kd=K_KMS * d,
                   v_los=tile(col["Vrad"]), v_los_var=tile(col["Vrad_err"] ** 2),
                   mu=tile(np.stack([mu_l, mu_b], -1)), cov_ll=tile(cov_ll), cov_lb=tile(cov_lb),
                   cov_bb=tile(cov_bb), star_id=np.asarray(table["star_id"]),
                   frac_dist_var=f2 if distance_term == "model" else None, log_w=log_w, n_stars=n)


def _mean_projected(values, stars):
    """u = v_mean - v_sun projected on (n, e_l, e_b) for each star, km/s, shape (3, K N).

    ``values`` holds the nine base parameters, scalars (constant model) or per star.
    One contraction with the precomputed design tensor ``stars.design`` (the basis rows
    dotted with the MS apex axes and with e_r, e_theta, e_phi) does all the projections.
    """
    v_t, L, B, vr, vphi, vth = values[:6]
    Lr = np.deg2rad(L)
    sin_b = np.sin(np.deg2rad(B))
    vcb = -v_t * np.sqrt(1.0 - sin_b**2)  # cos B >= 0: B stays in [-90, 90] (nodes and between)
    if np.ndim(v_t) == 0:
        coef = np.array([vcb * np.cos(Lr), vcb * np.sin(Lr), -v_t * sin_b, vr, vth, vphi])
        return np.einsum("ijn,j->in", stars.design, coef) - stars.u_sun
    coef = np.empty((6, np.size(v_t)))  # filled row by row: contiguous, no strided stack
    coef[0], coef[1], coef[2] = vcb * np.cos(Lr), vcb * np.sin(Lr), -v_t * sin_b
    coef[3], coef[4], coef[5] = vr, vth, vphi
    return np.einsum("ijn,jn->in", stars.design, coef) - stars.u_sun


def _star_values(theta, stars, model):
    """Base parameters (9,) for the constant model (one apex for all stars), else (9, N)."""
    theta = model.check(theta)
    return model.nodes(theta)[0] if model.kind == "constant" else model.values_at(theta, stars.r, wrap=False)


def predict_observables(theta, stars: ReflexStars, model: ReflexModel = ReflexModel("constant")):
    """Model mean v_los (km/s) and (mu_l*, mu_b) (mas/yr) of each star."""
    values = _star_values(theta, stars, model)
    uproj = _mean_projected(values, stars)
    return uproj[0], (uproj[1:] / stars.kd).T


def model_galactic_velocities(theta, table: Table, model: ReflexModel = ReflexModel("linear")) -> dict:
    """The model's mean ``v_gsr``, ``v_l``, ``v_b`` (km/s, solar motion removed, as in
    `galactic_velocities`) at each star's observed position: what the data maps would show
    for infinitely many stars at these positions."""
    stars = ReflexStars.from_table(table, distance_term="none")
    u_model = _mean_projected(_star_values(theta, stars, model), stars) + stars.u_sun
    return {"v_gsr": u_model[0], "v_l": u_model[1], "v_b": u_model[2]}


def log_likelihood(theta, stars: ReflexStars, model: ReflexModel = ReflexModel("linear")) -> float:
    """Gaussian log-likelihood of SPEC 8 summed over stars (vectorised, normalised)."""
    values = _star_values(theta, stars, model)
    uproj = _mean_projected(values, stars)
    var_v = stars.v_los_var + np.exp(2.0 * values[6])
    dv = stars.v_los - uproj[0]
    inv_kd2 = 1.0 / stars.kd**2
    mu_l, mu_b = uproj[1] / stars.kd, uproj[2] / stars.kd
    c11 = stars.cov_ll + np.exp(2.0 * values[7]) * inv_kd2
    c22 = stars.cov_bb + np.exp(2.0 * values[8]) * inv_kd2
    c12 = stars.cov_lb
    if stars.frac_dist_var is not None:
        f2 = stars.frac_dist_var
        c11, c22, c12 = c11 + f2 * mu_l**2, c22 + f2 * mu_b**2, c12 + f2 * mu_l * mu_b
    det = c11 * c22 - c12**2
    dx = stars.mu[:, 0] - mu_l
    dy = stars.mu[:, 1] - mu_b
    chi2 = dv**2 / var_v + (c22 * dx**2 - 2.0 * c12 * dx * dy + c11 * dy**2) / det
    per_node = -0.5 * (chi2 + np.log(var_v) + np.log(det))
    if stars.log_w.size > 1:  # marginalise over the quadrature distances of each star
        per_node = per_node.reshape(stars.log_w.size, -1) + stars.log_w[:, None]
        top = per_node.max(axis=0)
        per_node = top + np.log(np.sum(np.exp(per_node - top), axis=0))
    return float(np.sum(per_node) - 1.5 * len(stars) * np.log(2 * np.pi))


class _LogLike:
    """Picklable log-likelihood bound to its stars and model (for pools)."""

    def __init__(self, stars, model):
        self.stars, self.model = stars, model

    def __call__(self, theta):
        return log_likelihood(theta, self.stars, self.model)


# --------------------------------------------------------------- selection and maps

def galactic_velocities(table: Table) -> Table:
    """Galactocentric and solar-reflex-corrected velocities of each star (observed distance).

    Columns: ``l``, ``b`` (deg), ``d``, ``x``, ``y``, ``z``, ``r`` (kpc), ``v_gsr``,
    ``v_l``, ``v_b`` (km/s: the Galactocentric velocity projected on the heliocentric
    n, e_l, e_b, i.e. the solar motion removed), ``V_r``, ``V_theta``, ``V_phi``
    (km/s) and ``L_x``, ``L_y``, ``L_z`` (kpc km/s).
    """
    col, l, b, _, _, (n_gal, el_gal, eb_gal) = _observed(table)
    d = col["dist_adpt"]
    pos, vel = icrs_to_galactocentric(col["RA"], col["DEC"], d, col["GAIAEDR3_PMRA"],
                                      col["GAIAEDR3_PMDEC"], col["Vrad"])
    sph = spherical_components(pos, vel)
    basis = np.stack([n_gal, el_gal, eb_gal], axis=1) @ _GAL_TO_GC.T
    uvec = np.einsum("nij,jn->ni", basis, vel)
    return Table({"star_id": np.asarray(table["star_id"]), "l": l, "b": b, "d": d,
                  "x": pos[0], "y": pos[1], "z": pos[2], "r": sph["r"],
                  "v_gsr": uvec[:, 0], "v_l": uvec[:, 1], "v_b": uvec[:, 2],
                  "V_r": sph["V_r"], "V_theta": sph["V_theta"], "V_phi": sph["V_phi"],
                  "L_x": sph["L_x"], "L_y": sph["L_y"], "L_z": sph["L_z"]})


@dataclass(frozen=True)
class OuterHaloCuts:
    """The outer-halo selection of SPEC 8 (S004 section 2.3); every step can be switched off.

    ``clip_bins`` are the distance-bin edges (kpc) of the sigma clipping; stars outside
    them are not clipped. ``sgr_cut`` is the angular-momentum cut of SPEC 4 (S004 also
    removes stars near a Sgr stream model; no such model is embedded here).
    """

    r_range: tuple = (40.0, 160.0)
    vrad_err_max: float = 15.0
    frac_dist_err_max: float = 0.25
    sgr_cut: bool = True
    v_max: float = 1000.0
    clip_sigma: float = 3.5
    clip_bins: tuple = (40.0, 60.0, 90.0, 120.0)
    clip: bool = True


def _clip_outliers(v, r, bins, n_sigma):
    """True for stars >= n_sigma from the sigma-clipped mean of any column of ``v`` in their bin."""
    out = np.zeros(len(r), bool)
    for lo, hi in zip(bins[:-1], bins[1:]):
        inb = (r >= lo) & (r < hi)
        if inb.sum() < 3:
            continue
        for comp in v:
            mean, _, std = sigma_clipped_stats(comp[inb], sigma=n_sigma)
            out[inb] |= np.abs(comp[inb] - mean) >= n_sigma * std
    return out


def select_outer_halo(table: Table, cuts_config: OuterHaloCuts = OuterHaloCuts()):
    """Apply the outer-halo cuts in order; returns ``(mask, cut_flow_table)``.

    Steps: r_gal range; ``Vrad_err`` < 15 km/s; ``dist_adpt_err / dist_adpt`` < 0.25;
    Sgr members out (|B_Sgr| < 25 deg and L_y < -0.3 L_z - 2.5, 10^3 kpc km/s); radial or
    tangential Galactocentric speed > 1000 km/s out; 3.5 sigma clipping of v_gsr, v_l and
    v_b (solar motion removed) in distance bins. Counts of every step are in the table.
    """
    cfg = cuts_config
    gv = galactic_velocities(table)
    flow = cuts.CutFlow(len(table))
    r = np.asarray(gv["r"])
    flow.keep(f"{cfg.r_range[0]:g} < r_gal < {cfg.r_range[1]:g} kpc", (r > cfg.r_range[0]) & (r < cfg.r_range[1]))
    flow.keep(f"Vrad_err < {cfg.vrad_err_max:g} km/s", np.asarray(table["Vrad_err"]) < cfg.vrad_err_max)
    frac = np.asarray(table["dist_adpt_err"]) / np.asarray(table["dist_adpt"])
    flow.keep(f"dist_err/dist < {cfg.frac_dist_err_max:g}", frac < cfg.frac_dist_err_max)
    if cfg.sgr_cut:
        flow.remove("Sgr members", cuts.sgr_member_mask(table["RA"], table["DEC"], gv["L_y"], gv["L_z"]))
    v_tan = np.hypot(gv["V_theta"], gv["V_phi"])
    flow.remove(f"|v_r| or v_tan > {cfg.v_max:g} km/s",
                (np.abs(gv["V_r"]) > cfg.v_max) | (v_tan > cfg.v_max))
    if cfg.clip:
        m = flow.mask
        bad = np.zeros(len(table), bool)
        v = [np.asarray(gv[c])[m] for c in ("v_gsr", "v_l", "v_b")]
        bad[m] = _clip_outliers(v, r[m], np.asarray(cfg.clip_bins, float), cfg.clip_sigma)
        flow.remove(f"{cfg.clip_sigma:g} sigma velocity outliers", bad)
    return flow.mask, flow.table()


def smoothed_sky_mean(l, b, values, *, nside: int = 16, kernel_deg: float = 45.0,
                      subtract_mean: bool = True) -> np.ndarray:
    """Gaussian-kernel weighted mean of ``values`` on a HEALPix grid (Galactic, RING).

    Every pixel centre averages all stars with weights exp(-theta^2 / (2 s^2)), theta the
    angular separation and s = ``kernel_deg`` the kernel's standard deviation (S004
    fig 3). With ``subtract_mean`` the unweighted sky mean is removed.
    """
    import healpy as hp

    values = np.asarray(values, float)
    pix_vec = np.stack(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))), axis=-1)
    star_vec = _unit(np.asarray(l, float), np.asarray(b, float))
    cosang = np.clip(pix_vec @ star_vec.T, -1, 1)
    w = np.exp(-np.arccos(cosang) ** 2 / (2 * np.deg2rad(kernel_deg) ** 2))
    out = w @ values / w.sum(axis=1)
    return out - values.mean() if subtract_mean else out


def binned_mean(x, values, bins, *, n_boot: int = 1000, rng=None, min_count: int = 3):
    """Mean of ``values`` in bins of ``x`` with bootstrap 1-sigma errors.

    Returns a Table with ``x_lo``, ``x_hi``, ``x_mid`` (median x of the bin), ``n``,
    ``mean`` and ``err`` (std of ``n_boot`` bootstrap means; NaN with < ``min_count`` stars).
    """
    rng = np.random.default_rng(rng)
    x, values = np.asarray(x, float), np.asarray(values, float)
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        v = values[(x >= lo) & (x < hi)]
        if v.size < min_count:
            rows.append((lo, hi, 0.5 * (lo + hi), v.size, np.nan, np.nan))
            continue
        boot = v[rng.integers(0, v.size, (n_boot, v.size))].mean(axis=1)
        rows.append((lo, hi, float(np.median(x[(x >= lo) & (x < hi)])), v.size, v.mean(), boot.std()))
    return Table(rows=rows, names=("x_lo", "x_hi", "x_mid", "n", "mean", "err"))


def quadrant_masks(l, b):
    """S004 fig 4 quadrants: ``"LMC"`` (180 <= l < 360, b < 0) and ``"opposite"`` (l < 180, b > 0)."""
    l = np.asarray(l, float) % 360.0
    b = np.asarray(b, float)
    return {"LMC": (l >= 180) & (b < 0), "opposite": (l < 180) & (b > 0)}


# -------------------------------------------------------------------------- fitting

#: Quantities reported by `ReflexFit.at`.
AT_NAMES = ("v_travel", "l_apex", "b_apex", "L_MS", "B_MS", "vr_mean", "vphi_mean", "vtheta_mean",
            "sigma_los", "sigma_l", "sigma_b", "v_travel_x", "v_travel_y", "v_travel_z", "beta")
_CIRCULAR = ("l_apex", "L_MS")


def _circular_percentiles(deg, q):
    centre = np.rad2deg(np.arctan2(np.mean(np.sin(np.deg2rad(deg))), np.mean(np.cos(np.deg2rad(deg)))))
    unwrapped = centre + _wrap(deg - centre)
    return np.percentile(unwrapped, q)


@dataclass
class ReflexFit:
    """Result of `fit_reflex`.

    Attributes
    ----------
    model : ReflexModel
    samples : ndarray (S, ndim)
        Equal-weight posterior draws (dynesty) or draws from the Laplace approximation
        (mle), ordered as ``model.names``.
    best : ndarray (ndim,)
        Maximum-likelihood vector (the MLE, or the best nested-sampling point).
    max_log_likelihood : float
    sampler : str
    n_stars : int
    info : dict
        Sampler diagnostics (dynesty: nlive, bound, sample, niter, ncall, logz, logzerr,
        runtime; mle: number of starts, Hessian steps).
    """

    model: ReflexModel
    samples: np.ndarray
    best: np.ndarray
    max_log_likelihood: float
    sampler: str
    n_stars: int
    info: dict

    def draws_at(self, r_kpc: float) -> dict:
        """Posterior draws of every `AT_NAMES` quantity at radius ``r_kpc``."""
        v = self.model.values_at(self.samples, float(r_kpc))  # (9, S)
        vt, L, B = v[0], v[1], v[2]
        vec = apex_vector(vt, L, B)
        l_apex, b_apex = ms_to_galactic(L, B)
        sig = np.exp(v[6:9])
        mean2 = lambda m, s: m**2 + s**2  # noqa: E731 - second moments as in S004
        beta = 1.0 - (mean2(v[4], sig[1]) + mean2(v[5], sig[2])) / (2.0 * mean2(v[3], sig[0]))
        return {"v_travel": vt, "l_apex": l_apex, "b_apex": b_apex, "L_MS": L, "B_MS": B,
                "vr_mean": v[3], "vphi_mean": v[4], "vtheta_mean": v[5], "sigma_los": sig[0],
                "sigma_l": sig[1], "sigma_b": sig[2], "v_travel_x": vec[:, 0],
                "v_travel_y": vec[:, 1], "v_travel_z": vec[:, 2], "beta": beta}

    def at(self, r_kpc: float) -> dict:
        """(median, p16, p84) of every `AT_NAMES` quantity at ``r_kpc`` (apex in deg)."""
        out = {}
        for name, d in self.draws_at(r_kpc).items():
            p16, p50, p84 = (_circular_percentiles(d, [16, 50, 84]) if name in _CIRCULAR
                             else np.percentile(d, [16, 50, 84]))
            if name in _CIRCULAR:
                p50w = _wrap(p50)
                p16, p84, p50 = p16 + (p50w - p50), p84 + (p50w - p50), p50w
            out[name] = (float(p50), float(p16), float(p84))
        return out

    def interval(self, r_kpc: float, name: str, level: float = 95.0):
        """Central ``level`` % interval of one quantity at ``r_kpc``."""
        d = self.draws_at(r_kpc)[name]
        q = [50 - level / 2, 50 + level / 2]
        return tuple(float(x) for x in (_circular_percentiles(d, q) if name in _CIRCULAR else np.percentile(d, q)))

    def table(self, radii=(40.0, 100.0, 120.0), truth: "ReflexFit | None" = None) -> Table:
        """S004 tables 1-2: one row per (radius, quantity) with median, p16 and p84.

        With ``truth`` (e.g. a `ReflexFit` holding the mock's truth vector as its only
        sample) the table adds the true value and ``in_95``: whether it lies inside the
        central 95 % interval (longitudes compared on the interval's branch).
        """
        rows = []
        for r in radii:
            at = self.at(r)
            ref = truth.at(r) if truth is not None else None
            for q, (p50, p16, p84) in at.items():
                row = {"r_kpc": float(r), "quantity": q, "p50": p50, "p16": p16, "p84": p84}
                if ref is not None:
                    lo, hi = self.interval(r, q, 95.0)
                    t = ref[q][0]
                    if q in _CIRCULAR:  # the truth on the branch nearest the interval's centre
                        t = 0.5 * (lo + hi) + _wrap(t - 0.5 * (lo + hi))
                    row.update(truth=ref[q][0], in_95=bool(lo <= t <= hi))
                rows.append(row)
        return Table(rows=rows)


def _natural_from_cartesian(x, model):
    """MLE parameterisation (travel vector in MS axes) -> model parameters."""
    x = np.asarray(x, float).reshape(x.shape[:-1] + (model.n_nodes, 9))
    w = x[..., :3]
    v = np.linalg.norm(w, axis=-1)
    L, B = _angles(w)
    out = x.copy()
    out[..., 0], out[..., 1], out[..., 2] = v, L, B
    return out.reshape(out.shape[:-2] + (model.ndim,))


def _cartesian_from_natural(theta, model):
    nodes = model.nodes(theta).copy()
    nodes[..., :3] = nodes[..., 0:1] * _unit(nodes[..., 1], nodes[..., 2])
    return nodes.reshape(nodes.shape[:-2] + (model.ndim,))


def _fit_mle(stars, model, rng, n_starts=4, n_draws=4000, start=None):
    loglike = _LogLike(stars, model)

    def objective(x):
        theta = _natural_from_cartesian(x, model)
        if not np.isfinite(model.log_prior(theta)):
            return -np.inf
        return loglike(theta)

    starts = []
    if start is not None:
        starts.append(_cartesian_from_natural(model.check(start), model))
    for _ in range(n_starts):
        node = np.concatenate([rng.normal(0, 20, 3), rng.normal(0, 20, 3), np.log(rng.uniform(50, 150, 3))])
        starts.append(np.tile(node, model.n_nodes))
    lo = np.tile([-150.0] * 3 + [-250.0] * 3 + [0.0] * 3, model.n_nodes)
    hi = np.tile([150.0] * 3 + [250.0] * 3 + [np.log(300.0)] * 3, model.n_nodes)
    x_best, lnl, values = maximize(objective, starts, bounds=list(zip(lo, hi)))
    steps = np.tile([0.5] * 6 + [0.01] * 3, model.n_nodes)
    H = hessian(objective, x_best, steps)
    cov = np.linalg.inv(-H)
    cov = 0.5 * (cov + cov.T)
    if not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh(cov) <= 0):
        raise RuntimeError("reflex MLE: minus the Hessian is not positive definite (no clean maximum); "
                           "use sampler='dynesty'")
    draws = rng.multivariate_normal(x_best, cov, size=n_draws)
    info = {"n_starts": len(starts), "start_log_likelihoods": values, "hessian_steps": steps.tolist()}
    return _natural_from_cartesian(draws, model), _natural_from_cartesian(x_best, model), lnl, info


def _run_dynesty(stars, model, rng, *, nlive=500, bound="multi", sample="rwalk", dlogz=0.5,
                 checkpoint_file=None, checkpoint_every=60.0, n_procs=1, maxiter=None):
    import dynesty
    import dynesty.pool

    loglike = _LogLike(stars, model)
    run_kwargs = {"dlogz": dlogz, "print_progress": False, "maxiter": maxiter}
    if checkpoint_file is not None:
        run_kwargs.update(checkpoint_file=str(checkpoint_file), checkpoint_every=checkpoint_every)
    resume = checkpoint_file is not None and Path(checkpoint_file).exists()

    def run(pool, lnl, ptform):
        if resume:
            sampler = dynesty.NestedSampler.restore(str(checkpoint_file), pool=pool)
            sampler.run_nested(resume=True, **run_kwargs)
        else:
            sampler = dynesty.NestedSampler(lnl, ptform, model.ndim, nlive=nlive, bound=bound,
                                            sample=sample, rstate=rng, pool=pool,
                                            queue_size=n_procs if pool is not None else None)
            sampler.run_nested(**run_kwargs)
        return sampler.results

    if n_procs > 1:
        with dynesty.pool.Pool(n_procs, loglike, model.prior_transform) as pool:
            res = run(pool, pool.loglike, pool.prior_transform)
    else:
        res = run(None, loglike, model.prior_transform)
    samples = res.samples_equal(rstate=rng)
    i_best = int(np.argmax(res.logl))
    info = {"nlive": nlive, "bound": bound, "sample": sample, "dlogz": dlogz, "niter": int(res.niter),
            "ncall": int(np.sum(res.ncall)), "logz": float(res.logz[-1]), "logzerr": float(res.logzerr[-1]),
            "resumed": bool(resume)}
    return samples, res.samples[i_best], float(res.logl[i_best]), info


def fit_reflex(table, model="linear", sampler="mle", rng=None, *, r_nodes=R_NODES,
               distance_term: str = "marginal", **sampler_kwargs) -> ReflexFit:
    """Fit the reflex model to exactly the rows of ``table`` (select first, explicitly).

    Parameters
    ----------
    table : `~astropy.table.Table` or `ReflexStars`
        Catalogue in the SPEC section 2 schema (a real H3/SEGUE/MagE-like file works).
    model : {"constant", "linear"} or `ReflexModel`
    sampler : {"mle", "dynesty"}
        ``"mle"``: multi-start L-BFGS-B in Cartesian travel-vector coordinates, bands from
        draws of the inverse-Hessian Gaussian (kwargs ``n_starts``, ``n_draws``,
        ``start``). ``"dynesty"``: static nested sampling (kwargs ``nlive`` (500),
        ``bound`` ("multi"), ``sample`` ("rwalk"), ``dlogz`` (0.5), ``checkpoint_file``
        (an interrupted run resumes from it), ``n_procs``, ``maxiter``).
    rng : int or `numpy.random.Generator`
    """
    rng = np.random.default_rng(rng)
    if not isinstance(model, ReflexModel):
        model = ReflexModel(model, tuple(r_nodes))
    stars = table if isinstance(table, ReflexStars) else ReflexStars.from_table(table, distance_term=distance_term)
    if sampler == "mle":
        samples, best, lnl, info = _fit_mle(stars, model, rng, **sampler_kwargs)
    elif sampler == "dynesty":
        samples, best, lnl, info = _run_dynesty(stars, model, rng, **sampler_kwargs)
    else:
        raise ValueError(f"sampler must be 'mle' or 'dynesty', got {sampler!r}")
    return ReflexFit(model=model, samples=np.asarray(samples), best=np.asarray(best),
                     max_log_likelihood=lnl, sampler=sampler, n_stars=len(stars), info=info)

