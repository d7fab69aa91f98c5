"""The reflex likelihood: predicted observables, the Gaussian halo term, the outlier
mixture, per-star outlier probabilities and standardised residuals.

With ``u = v_mean - v_sun`` projected on a star's line of sight n and Galactic axes
(e_l, e_b), the predicted observables are v_los = u.n, mu_l* = u.e_l / (k d),
mu_b = u.e_b / (k d). The halo likelihood is Gaussian: v_los ~ N(pred, eps_v^2 +
sigma_los^2) and (mu_l*, mu_b) ~ N2(pred, C) with

    C = C_obs + diag(sigma_l^2, sigma_b^2) / (k d)^2   [+ (eps_d / d)^2 mu mu^T to first order],

integrated over each star's true distance (`ReflexStars`). With an `OutlierMixture`
each star's likelihood is (1 - f_out) L_halo + f_out L_out.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table
from scipy.stats import norm

from ..validation import check_array, check_table
from .model import ReflexModel
from .stars import ReflexStars

__all__ = ["predict_observables", "model_galactic_velocities", "log_likelihood", "halo_log_likelihoods",
           "outlier_probabilities", "standardized_residuals", "residual_fractions", "LogLikelihood"]

_LN_2PI = np.log(2 * np.pi)


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
    """Base parameters (9,) where they do not depend on radius (one apex for all stars), else
    (9, K N), for one checked parameter vector."""
    return model.radial.star_values(theta[:model.n_base].reshape(model.n_nodes, 9), stars.r)


def _checked(theta, stars, model, table=False):
    """``theta`` as one parameter vector inside the prior of ``model`` (ValueError naming every
    parameter outside it, NaN included), after checking the types of ``stars`` (a Table
    with ``table=True``) and ``model``."""
    if not isinstance(model, ReflexModel):
        raise TypeError(f"model must be a ReflexModel, got {type(model).__name__}")
    if table and not isinstance(stars, Table):
        raise TypeError(f"table must be an astropy Table, got {type(stars).__name__}")
    if not table and not isinstance(stars, ReflexStars):
        raise TypeError(f"stars must be a ReflexStars (e.g. ReflexStars.from_table(table)), "
                        f"got {type(stars).__name__}")
    theta = model.check(theta)
    if theta.ndim != 1:
        raise ValueError(f"theta must be one parameter vector of length {model.ndim}, got shape {theta.shape}")
    return model.validate(theta, "theta")


def predict_observables(theta, stars: ReflexStars, model: ReflexModel = ReflexModel("constant")):
    """Model mean v_los (km/s) and (mu_l*, mu_b) (mas/yr) of each star (and distance node).

    ``theta`` must lie inside the prior of ``model`` (ValueError naming the parameters).
    """
    values = _star_values(_checked(theta, stars, model), stars, model)
    uproj = _mean_projected(values, stars)
    return uproj[0], (uproj[1:] / stars.kd).T


def model_galactic_velocities(theta, table: Table, model: ReflexModel = ReflexModel("linear"),
                              frame=None) -> dict:
    """The model's mean ``v_gsr``, ``v_l``, ``v_b`` (km/s, solar motion removed, as in
    `~halo_utils.reflex.galactic_velocities`) at each star's observed position: what the
    data maps would show for infinitely many stars at these positions. ``theta`` must lie
    inside the prior of ``model``."""
    theta = _checked(theta, table, model, table=True)
    stars = ReflexStars.from_table(table, distance_term="none", frame=frame)
    u_model = _mean_projected(_star_values(theta, stars, model), stars) + stars.u_sun
    return {"v_gsr": u_model[0], "v_l": u_model[1], "v_b": u_model[2]}


def _gaussian_log_density(stars, dv, var_v, dx, dy, c11, c12, c22):
    """Per-node log density of (v_los, mu_l*, mu_b) without the (2 pi)^-3/2 constant."""
    det = c11 * c22 - c12**2
    chi2 = dv**2 / var_v + (c22 * dx**2 - 2.0 * c12 * dx * dy + c11 * dy**2) / det
    return -0.5 * (chi2 + np.log(var_v * det))  # one log for both determinants


def _marginalise(per_node, stars):
    """Integrate per-node log densities over each star's distance nodes: (K N,) -> (N,)."""
    if stars.n_nodes == 1:
        return per_node
    per_node = per_node.reshape(stars.n_nodes, -1) + stars.log_w
    top = per_node.max(axis=0)  # by hand: scipy's logsumexp costs more than the sum here
    return top + np.log(np.sum(np.exp(per_node - top), axis=0))


def _halo_per_node(values, stars, dispersions=True):
    uproj = _mean_projected(values, stars)
    mu_l, mu_b = uproj[1] / stars.kd, uproj[2] / stars.kd
    if dispersions:
        var_v = stars.v_los_var + np.exp(2.0 * values[6])
        c11 = stars.cov_ll + np.exp(2.0 * values[7]) * stars.inv_kd2
        c22 = stars.cov_bb + np.exp(2.0 * values[8]) * stars.inv_kd2
    else:
        var_v, c11, c22 = stars.v_los_var, stars.cov_ll, stars.cov_bb
    c12 = stars.cov_lb
    if stars.frac_dist_var is not None:
        f2 = stars.frac_dist_var_nodes
        c11, c22, c12 = c11 + f2 * mu_l**2, c22 + f2 * mu_b**2, c12 + f2 * mu_l * mu_b
    return stars.v_los - uproj[0], var_v, stars.mu_l - mu_l, stars.mu_b - mu_b, c11, c12, c22


def halo_log_likelihoods(theta, stars: ReflexStars, model: ReflexModel = ReflexModel("linear")) -> np.ndarray:
    """Per-star log-likelihood (N,) of the halo component alone (normalised densities).

    ``theta`` must lie inside the prior of ``model`` (ValueError naming the parameters).
    """
    return _halo_log_likelihoods(_checked(theta, stars, model), stars, model)


def _halo_log_likelihoods(theta, stars, model):
    per_node = _gaussian_log_density(stars, *_halo_per_node(_star_values(theta, stars, model), stars))
    return _marginalise(per_node, stars) - 1.5 * _LN_2PI


def _outlier_log_likelihoods(stars: ReflexStars, sigma: float) -> np.ndarray:
    """Per-star log-likelihood (N,) of the outlier component: an isotropic Gaussian of zero
    mean Galactocentric velocity and dispersion ``sigma`` (km/s) at every distance node.
    It does not depend on the halo parameters, so it is cached on ``stars``."""
    key = float(sigma)
    if key not in stars._outlier_cache:
        inv_kd2 = 1.0 / stars.kd**2
        var_pm = sigma**2 * inv_kd2
        dv = stars.v_los + stars.u_sun[0]  # the model's u = 0 - v_sun
        dx = stars.mu[:, 0] + stars.u_sun[1] / stars.kd
        dy = stars.mu[:, 1] + stars.u_sun[2] / stars.kd
        c11, c22, c12 = stars.cov_ll + var_pm, stars.cov_bb + var_pm, stars.cov_lb
        if stars.frac_dist_var is not None:
            f2 = stars.frac_dist_var_nodes
            ml, mb = -stars.u_sun[1] / stars.kd, -stars.u_sun[2] / stars.kd
            c11, c22, c12 = c11 + f2 * ml**2, c22 + f2 * mb**2, c12 + f2 * ml * mb
        per_node = _gaussian_log_density(stars, dv, stars.v_los_var + sigma**2, dx, dy, c11, c12, c22)
        stars._outlier_cache[key] = _marginalise(per_node, stars) - 1.5 * _LN_2PI
    return stars._outlier_cache[key]


def log_likelihood(theta, stars: ReflexStars, model: ReflexModel = ReflexModel("linear")) -> float:
    """Log-likelihood of ``theta`` summed over the stars (vectorised, normalised).

    Without a mixture (``model.outliers is None``) it is the Gaussian halo likelihood;
    with one, each star contributes ln[(1 - f_out) L_halo + f_out L_out].

    Raises
    ------
    ValueError
        ``theta`` has the wrong length, or parameters outside the prior of ``model`` or
        NaN (all of them named, with their prior ranges). Samplers and optimisers that
        probe outside the prior use `LogLikelihood`, which returns -inf there.
    TypeError
        ``stars`` is not a `ReflexStars` or ``model`` not a `ReflexModel`.
    """
    return _log_likelihood(_checked(theta, stars, model), stars, model)


def _log_likelihood(theta, stars, model):
    """`log_likelihood` of a vector already checked to lie inside the prior."""
    lh = _halo_log_likelihoods(theta, stars, model)
    if model.outliers is None:
        return float(np.sum(lh))
    f = float(theta[model.n_base])
    lo = _outlier_log_likelihoods(stars, model.outliers.sigma)
    with np.errstate(divide="ignore"):
        return float(np.sum(np.logaddexp(np.log1p(-f) + lh, np.log(f) + lo)))


def outlier_probabilities(theta, stars: ReflexStars, model: ReflexModel) -> np.ndarray:
    """Posterior probability (N,) that each star belongs to the outlier component at ``theta``
    (a vector, or an array of posterior draws (S, ndim), averaged over the draws; every
    draw inside the prior of ``model``)."""
    if not isinstance(model, ReflexModel):
        raise TypeError(f"model must be a ReflexModel, got {type(model).__name__}")
    if not isinstance(stars, ReflexStars):
        raise TypeError(f"stars must be a ReflexStars, got {type(stars).__name__}")
    draws = model.check(theta)
    if draws.ndim > 2 or draws.size == 0:
        raise ValueError(f"theta must be one vector or an array of draws (S, {model.ndim}), got shape {draws.shape}")
    draws = np.atleast_2d(model.validate(draws, "theta"))
    if model.outliers is None:
        return np.zeros(len(stars))
    lo = _outlier_log_likelihoods(stars, model.outliers.sigma)
    out = np.zeros(len(stars))
    for t in draws:
        f = float(t[model.n_base])
        lh = _halo_log_likelihoods(t, stars, model)
        with np.errstate(divide="ignore"):
            a, b = np.log1p(-f) + lh, np.log(f) + lo
        out += np.exp(b - np.logaddexp(a, b))
    return out / len(draws)


def standardized_residuals(theta, table: Table, model: ReflexModel, frame=None) -> Table:
    """Residuals of each star from the halo model at ``theta``, in units of their predicted
    spread, at the catalogue distance with the distance error propagated to first order
    (the model-PM form). Columns ``star_id``, ``z_vlos``, ``z_mu_l``, ``z_mu_b`` (each
    N(0, 1) for stars the model describes) and ``chi2`` (the 3-D Mahalanobis distance,
    chi^2 with 3 degrees of freedom). ``theta`` must lie inside the prior of ``model``."""
    theta = _checked(theta, table, model, table=True)
    stars = ReflexStars.from_table(table, distance_term="model", frame=frame)
    dv, var_v, dx, dy, c11, c12, c22 = _halo_per_node(_star_values(theta, stars, model), stars)
    det = c11 * c22 - c12**2
    chi2 = dv**2 / var_v + (c22 * dx**2 - 2.0 * c12 * dx * dy + c11 * dy**2) / det
    return Table({"star_id": stars.star_id, "z_vlos": dv / np.sqrt(var_v), "z_mu_l": dx / np.sqrt(c11),
                  "z_mu_b": dy / np.sqrt(c22), "chi2": chi2})


def residual_fractions(residuals: Table, thresholds=(3.0, 5.0)) -> dict:
    """Fraction of stars beyond each threshold in |z| per observable, with the Gaussian
    expectation: ``{"z_vlos": {"3": f, "5": f}, ..., "gaussian": {"3": p, "5": p}}``.

    ``residuals`` is a non-empty table of `standardized_residuals`; ``thresholds`` are
    finite positive numbers."""
    check_table("residuals", residuals, ("z_vlos", "z_mu_l", "z_mu_b"), min_rows=1)
    thresholds = check_array("thresholds", thresholds, ndim=1, min_size=1, low=0, low_open=True)
    out = {c: {f"{t:g}": float(np.mean(np.abs(residuals[c]) > t)) for t in thresholds}
           for c in ("z_vlos", "z_mu_l", "z_mu_b")}
    out["gaussian"] = {f"{t:g}": float(2 * norm.sf(t)) for t in thresholds}
    return out


class LogLikelihood:
    """Picklable log-likelihood bound to its stars and model (for pools and samplers).

    Calling it returns `log_likelihood` inside the prior and -inf for a vector outside the
    prior of ``model`` or with NaN (samplers and optimisers probe there), never NaN; a
    vector of the wrong length is still a ValueError.
    """

    def __init__(self, stars: ReflexStars, model: ReflexModel):
        if not isinstance(stars, ReflexStars):
            raise TypeError(f"stars must be a ReflexStars, got {type(stars).__name__}")
        if not isinstance(model, ReflexModel):
            raise TypeError(f"model must be a ReflexModel, got {type(model).__name__}")
        self.stars, self.model = stars, model

    def __call__(self, theta):
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.model.ndim,):
            theta = self.model.check(theta)  # the wrong length: ValueError
        if not self.model.in_prior(theta):  # NaN included
            return -np.inf
        # checked here: the samplers' calls skip the validation of the public function
        return _log_likelihood(theta, self.stars, self.model)
