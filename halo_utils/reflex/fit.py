"""Fitting the reflex model: maximum likelihood with Laplace bands, dynesty nested sampling
with resumable checkpoints, and iterative model-based sigma clipping (conventions §11)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import dynesty
import dynesty.pool
import numpy as np
from astropy.table import Table
from scipy.special import logit

from ..fingerprint import check_fingerprint, fingerprint
from ..fitting import NestedProgress
from ..fitting import check_sample_size as _check_sample_size
from ..maximization import covariance_from_hessian, hessian, maximize, maximize_with_gradient
from ..outputs import write_text_atomic
from ..validation import check_bool, check_choice, check_integer, check_real, make_generator
from ..lockstep import LockstepPool
from .gradient import BatchLogLikelihood, MaximumLikelihoodObjective, natural_from_fit_coordinates, supports_gradient
from .likelihood import LogLikelihood, outlier_probabilities, standardized_residuals
from .model import OutlierMixture, ReflexModel
from .radial import R_NODES, RadialDependence
from .result import ReflexFit
from .sky import unit_vector
from .stars import ReflexStars

__all__ = ["SAMPLER_SETTINGS", "NoCleanMaximum", "check_sample_size", "dynesty_queue_size", "fit_reflex",
           "fit_reflex_clipped"]


class NoCleanMaximum(RuntimeError):
    """The maximum-likelihood fit ended where minus the Hessian is not positive definite: no
    Laplace band exists there (a small or ill-conditioned sample; sample it with dynesty)."""

#: Start of the outlier fraction in the optimiser (1 %, a typical real catalogue).
_F_OUT_START = 0.01


# ------------------------------------------------------------------ maximum likelihood

def _cartesian_from_natural(theta, model):
    theta = model.check(theta)
    nodes = model.nodes(theta).copy()
    nodes[..., :3] = nodes[..., 0:1] * unit_vector(nodes[..., 1], nodes[..., 2])
    out = nodes.reshape(nodes.shape[:-2] + (model.n_base,))
    if model.outliers is None:
        return out
    f = np.clip(model.f_out(theta) / model.outliers.f_max, 1e-6, 1 - 1e-6)
    return np.concatenate([out, logit(f)[..., None]], axis=-1)


#: Random starts added when the maximum reached from the given starts is not clean (minus the
#: Hessian not positive definite): a start at v_travel ~ 0, where the apex is undefined, can
#: leave the climb on a saddle.
_FALLBACK_STARTS = 4


def _random_start(rng, model):
    node = np.concatenate([rng.normal(0, 20, 3), rng.normal(0, 20, 3), np.log(rng.uniform(50, 150, 3))])
    x0 = np.tile(node, model.n_nodes)
    return x0 if model.outliers is None else np.append(x0, logit(_F_OUT_START / model.outliers.f_max))


def _fit_mle(stars, model, rng, n_starts=4, n_draws=4000, start=None, gradient=True):
    n_starts = check_integer("n_starts", n_starts, low=0 if start is not None else 1,
                             why="random starts, besides `start` if given")
    n_draws = check_integer("n_draws", n_draws, low=2)
    check_bool("gradient", gradient)
    starts = []
    if start is not None:
        starts.append(_cartesian_from_natural(start, model))
    starts += [_random_start(rng, model) for _ in range(n_starts)]
    node_lo, node_hi = [-150.0] * 3 + [-250.0] * 3 + [0.0] * 3, [150.0] * 3 + [250.0] * 3 + [np.log(300.0)] * 3
    lo, hi = list(np.tile(node_lo, model.n_nodes)), list(np.tile(node_hi, model.n_nodes))
    # typical posterior widths at outer-halo scale (km/s, ln sigma, logit f_out): the search
    # runs in units of these, so that one step means the same in every direction
    scale = list(np.tile([5.0] * 6 + [0.05] * 3, model.n_nodes))
    if model.outliers is not None:  # logit(f_out / f_max): f_out from 1e-6 f_max to f_max
        lo, hi, scale = lo + [-14.0], hi + [14.0], scale + [0.5]

    def climb(starts):
        if gradient and supports_gradient(model):
            x_best, info, hess = _climb_with_gradient(stars, model, starts, lo, hi, scale)
        else:
            x_best, info, hess = _climb_without_gradient(stars, model, starts, lo, hi)
        info["f_out_fixed_in_laplace"] = False
        # f_out at the lower edge of its range (a clean catalogue): the likelihood is flat in
        # its logit there, so take the bands of the other parameters at the best f_out
        fix_f = model.outliers is not None and x_best[-1] < lo[-1] + 4.0
        cov = None if fix_f else _laplace_covariance(hess)
        if cov is None and model.outliers is not None:
            sub = _laplace_covariance(hess[:-1, :-1])
            if sub is not None:
                cov = np.zeros((x_best.size, x_best.size))
                cov[:-1, :-1] = sub
                info["f_out_fixed_in_laplace"] = True
        return x_best, info, cov

    x_best, info, cov = climb(starts)
    if cov is None and n_starts < _FALLBACK_STARTS:
        x_best, info, cov = climb(starts + [_random_start(rng, model) for _ in range(_FALLBACK_STARTS)])
        info["fallback_starts"] = _FALLBACK_STARTS
    if cov is None:
        raise NoCleanMaximum("reflex MLE: minus the Hessian is not positive definite (no clean maximum); "
                             "use sampler='dynesty'")
    lnl = LogLikelihood(stars, model)(natural_from_fit_coordinates(x_best, model))
    draws = rng.multivariate_normal(x_best, cov, size=n_draws, method="eigh")
    return natural_from_fit_coordinates(draws, model), natural_from_fit_coordinates(x_best, model), lnl, info


def _climb_with_gradient(stars, model, starts, lo, hi, scale):
    """L-BFGS-B on the exact gradient, then the exact Hessian: (x_best, info, Hessian)."""
    objective = MaximumLikelihoodObjective(stars, model)
    # the likelihood is smooth (no kinks), so L-BFGS-B can run to ~1e-9 in ln L
    res = maximize_with_gradient(objective.value_and_gradient, starts, bounds=list(zip(lo, hi)), scale=scale,
                                 ftol=1e-13)
    info = {"n_starts": len(starts), "n_starts_run": res["n_starts_run"], "start_log_likelihoods": res["values"],
            "n_calls": res["n_calls"], "gradient": "exact", "hessian": "exact"}
    return res["x"], info, objective.hessian(res["x"])


def _climb_without_gradient(stars, model, starts, lo, hi):
    """Derivative-free search (finite-difference L-BFGS-B and Nelder-Mead) and a finite-difference
    Hessian: for radial dependences that are not linear in their nodes, or on request."""
    loglike = LogLikelihood(stars, model)
    calls = [0]

    def objective(x):
        calls[0] += 1
        return loglike(natural_from_fit_coordinates(x, model))

    x_best, _, values = maximize(objective, starts, bounds=list(zip(lo, hi)))
    steps = np.tile([0.5] * 6 + [0.01] * 3, model.n_nodes)
    if model.outliers is not None:
        steps = np.append(steps, 0.1)
    info = {"n_starts": len(starts), "n_starts_run": len(starts), "start_log_likelihoods": values,
            "gradient": "finite differences", "hessian": "finite differences", "hessian_steps": steps.tolist()}
    hess = hessian(objective, x_best, steps)
    info["n_calls"] = calls[0]
    return x_best, info, hess


def _laplace_covariance(hess):
    """inv(-H), or None where it is not finite and positive definite."""
    try:
        return covariance_from_hessian(hess)
    except (ValueError, np.linalg.LinAlgError):
        return None


# ------------------------------------------------------------------ nested sampling

def _stars_fingerprint(stars: ReflexStars, model: ReflexModel) -> str:
    """Fingerprint of the star arrays the likelihood reads and of the model."""
    arrays = [getattr(stars, f.name) for f in dataclasses.fields(stars)
              if isinstance(getattr(stars, f.name), np.ndarray)]
    outliers = None if model.outliers is None else dataclasses.asdict(model.outliers)
    return fingerprint(arrays, stars.settings, *model.radial.fingerprint_items(), outliers)


#: Proposals queued per dynesty refill with a pool, per live point: nlive / 8 (at most
#: `MAX_QUEUE`). One refill hands every worker several random walks at once instead of one
#: walk each, so the workers wait less on one another and on the main process, and the walks
#: of a refill advance in lockstep through the compiled batch likelihood
#: (`halo_utils.lockstep`); the likelihood threshold rises by only ~1/8 of an e-fold of
#: prior volume while a queue is used, so few queued points are spent. On the chapter-5
#: problem (19 parameters, nlive 500, 2 processes) a full run took 221 s against 287 s
#: with a queue of 2, before the lockstep walks.
QUEUE_PER_LIVE_POINT = 1 / 8
#: Longest dynesty queue (see `QUEUE_PER_LIVE_POINT`).
MAX_QUEUE = 64


def dynesty_queue_size(nlive: int, n_procs: int, lockstep: bool = False) -> int:
    """Proposals per refill of dynesty's queue: nlive * `QUEUE_PER_LIVE_POINT`, at most
    `MAX_QUEUE`, at least one, whatever the number of processes with ``lockstep`` (the walks
    run in lockstep, `halo_utils.lockstep`); otherwise with ``n_procs`` processes the same
    but at least ``n_procs``, and 1 without a pool (``n_procs`` = 1)."""
    queue = max(1, min(MAX_QUEUE, int(nlive * QUEUE_PER_LIVE_POINT)))
    if lockstep:
        return queue
    if n_procs <= 1:
        return 1
    return max(n_procs, queue)


def _run_dynesty(stars, model, rng, *, nlive=500, bound="multi", sample="rwalk", dlogz=0.5,
                 checkpoint_file=None, checkpoint_every=60.0, restart=False, n_procs=1, maxiter=None,
                 report_progress=True):
    bound = check_choice("bound", bound, ("none", "single", "multi", "balls", "cubes"))
    sample = check_choice("sample", sample, ("auto", "unif", "rwalk", "slice", "rslice"))
    nlive = check_integer("nlive", nlive, low=model.ndim + 1, why="more live points than parameters")
    n_procs = check_integer("n_procs", n_procs, low=1)
    dlogz = check_real("dlogz", dlogz, low=0, low_open=True)
    if maxiter is not None:
        maxiter = check_integer("maxiter", maxiter, low=1)
    checkpoint_every = check_real("checkpoint_every", checkpoint_every, low=0, unit="s")
    # dynesty draws from its own generator, seeded from ``rng``: the caller's generator
    # advances by the same single draw whether the run starts afresh or resumes
    seed = int(rng.integers(2**63))
    # dlogz and maxiter too: a finished run resumed with another stopping rule would come
    # back unchanged but labelled with the new one (and dynesty counts maxiter per call)
    # random walks on a model with the compiled likelihood run in lockstep over each queue
    lockstep = sample == "rwalk" and supports_gradient(model)
    queue_size = dynesty_queue_size(nlive, n_procs, lockstep)
    key = fingerprint(_stars_fingerprint(stars, model), nlive, bound, sample, seed, float(dlogz),
                      -1 if maxiter is None else int(maxiter), queue_size, lockstep)
    loglike = LogLikelihood(stars, model)
    run_kwargs = {"dlogz": dlogz, "maxiter": maxiter, "print_progress": True,
                  "print_func": NestedProgress(nlive, dlogz, f"dynesty ({model.ndim} parameters, nlive {nlive})",
                                               enabled=report_progress)}
    resume = False
    if checkpoint_file is not None:
        checkpoint_file = Path(checkpoint_file)
        sidecar = checkpoint_file.with_name(checkpoint_file.name + ".fingerprint")
        run_kwargs.update(checkpoint_file=str(checkpoint_file), checkpoint_every=checkpoint_every)
        resume = checkpoint_file.exists() and not restart
        if resume:
            stored = sidecar.read_text().strip() if sidecar.exists() else None
            check_fingerprint(checkpoint_file, stored, key, what="dynesty checkpoint")
        else:
            checkpoint_file.unlink(missing_ok=True)
            write_text_atomic(sidecar, key + "\n")

    def run(pool, lnl, ptform):
        if resume:
            sampler = dynesty.NestedSampler.restore(str(checkpoint_file), pool=pool)
            with warnings.catch_warnings():  # a finished run resumes to itself, as documented
                warnings.filterwarnings("ignore", message="You are resuming a finished static run")
                sampler.run_nested(resume=True, **run_kwargs)
        else:
            sampler = dynesty.NestedSampler(lnl, ptform, model.ndim, nlive=nlive, bound=bound,
                                            sample=sample, rstate=np.random.default_rng(seed), pool=pool,
                                            queue_size=queue_size if pool is not None else None)
            sampler.run_nested(**run_kwargs)
        return sampler.results, sampler.rstate

    if lockstep:
        with LockstepPool(model.prior_transform, BatchLogLikelihood(stars, model), n_procs) as pool:
            res, rstate = run(pool, loglike, model.prior_transform)
    elif n_procs > 1:
        with dynesty.pool.Pool(n_procs, loglike, model.prior_transform) as pool:
            res, rstate = run(pool, pool.loglike, pool.prior_transform)
    else:
        res, rstate = run(None, loglike, model.prior_transform)
    samples = res.samples_equal(rstate=rstate)
    i_best = int(np.argmax(res.logl))
    info = {"nlive": nlive, "bound": bound, "sample": sample, "dlogz": dlogz, "queue_size": queue_size,
            "lockstep": lockstep,
            "niter": int(res.niter),
            "ncall": int(np.sum(res.ncall)), "logz": float(res.logz[-1]), "logzerr": float(res.logzerr[-1]),
            "resumed": bool(resume)}
    return samples, res.samples[i_best], float(res.logl[i_best]), info


# ------------------------------------------------------------------ the public fit

#: Keyword settings of each sampler of `fit_reflex`.
SAMPLER_SETTINGS = {
    "mle": frozenset({"n_starts", "n_draws", "start", "gradient"}),
    "dynesty": frozenset({"nlive", "bound", "sample", "dlogz", "checkpoint_file", "checkpoint_every", "restart",
                          "n_procs", "maxiter", "report_progress"}),
}


def check_sample_size(n_stars: int, model: ReflexModel) -> None:
    """Refuse fewer than `~halo_utils.fitting.MIN_STARS_PER_PARAMETER` stars per free
    parameter of ``model`` (ValueError with the count and the minimum), before any work."""
    mixture = " with the outlier mixture" if model.outliers is not None else ""
    _check_sample_size(n_stars, model.ndim, f"the {model.kind} reflex model{mixture}")


def _model_from(model, r_nodes, outliers):
    """``model`` as a `ReflexModel`: as it is, or a `RadialDependence` with ``outliers``, or a
    name with ``r_nodes`` and ``outliers``."""
    if isinstance(model, ReflexModel):
        return model
    if isinstance(model, RadialDependence):
        return ReflexModel(model, outliers=outliers)
    return ReflexModel(model, tuple(r_nodes), outliers)


def fit_reflex(table, model="linear", sampler="mle", rng=None, *, r_nodes=R_NODES,
               outliers: OutlierMixture | None = OutlierMixture(), distance_term: str = "marginal",
               n_distance_nodes: int = 5, distance_prior=None, frame=None, **sampler_kwargs) -> ReflexFit:
    """Fit the reflex model to exactly the rows of ``table`` (select first, explicitly).

    Parameters
    ----------
    table : `~astropy.table.Table` or `ReflexStars`
        A catalogue with (at least) the `~halo_utils.reflex.REFLEX_COLUMNS`, or stars
        already precomputed (then the distance and frame settings below are theirs).
    model : {"constant", "linear"}, `~halo_utils.reflex.RadialDependence` or `ReflexModel`
        A name is combined with ``r_nodes`` and ``outliers``, a radial dependence with
        ``outliers``.
    sampler : {"mle", "dynesty"}
        ``"mle"``: multi-start L-BFGS-B in Cartesian travel-vector coordinates (and the
        logit of f_out / f_max) on the exact gradient (`~halo_utils.reflex.gradient`; the
        starts stop once two end at the same maximum), bands from draws of the Gaussian of
        the inverse exact Hessian (kwargs ``n_starts``, ``n_draws``, ``start``: a parameter
        vector inside the prior; with a mixture, a vector of the halo parameters alone starts
        f_out at 1 %; ``gradient``: False searches with finite differences and a
        Nelder-Mead polish instead, as does a radial dependence that is not linear in its
        nodes). When the maximum reached is not clean (minus the Hessian not positive
        definite; a ``start`` at v_travel ~ 0, where the apex is undefined, can do that)
        and fewer than four random starts were asked for, four more are added and the
        search run again (``info["fallback_starts"]``); `NoCleanMaximum` if that fails too.
        ``info`` reports ``n_calls``, ``n_starts_run`` and how the gradient and Hessian were
        obtained.
        ``"dynesty"``: static nested sampling (kwargs ``nlive`` (500), ``bound``
        ("multi"), ``sample`` ("rwalk"), ``dlogz`` (0.5), ``checkpoint_file`` (an
        interrupted run resumes from it when called with the same stars, model, settings
        and seed; its fingerprint sits beside it in ``<file>.fingerprint``, and any other
        call is refused with `~halo_utils.fingerprint.FingerprintMismatch`),
        ``restart`` (overwrite an existing checkpoint), ``n_procs`` (processes of dynesty's
        pool; each refill queues `dynesty_queue_size` proposals; random walks on a model
        linear in its nodes advance in lockstep through the compiled batch likelihood,
        `halo_utils.lockstep`, with the same result for any ``n_procs``), ``maxiter``,
        ``report_progress`` (True: a line every 20 s with the iterations, dlogz and an
        estimate of the time left, `~halo_utils.fitting.NestedProgress`)).
    rng : int or `numpy.random.Generator`
        Seed or generator of every random draw (required: the same seed gives the same fit).
    outliers : `OutlierMixture` or None
        The outlier mixture (on by default); ``None`` fits the plain Gaussian likelihood.
    distance_term, n_distance_nodes, distance_prior, frame
        How distance errors enter, and the solar frame: see `ReflexStars.from_table`.
    """
    if sampler not in SAMPLER_SETTINGS:
        raise ValueError(f"sampler must be 'mle' or 'dynesty', got {sampler!r}")
    unknown = sorted(set(sampler_kwargs) - SAMPLER_SETTINGS[sampler])
    if unknown:
        raise TypeError(f"fit_reflex(sampler={sampler!r}) got unknown setting(s) {unknown}; "
                        f"expected some of {sorted(SAMPLER_SETTINGS[sampler])}")
    model = _model_from(model, r_nodes, outliers)
    stars = table if isinstance(table, ReflexStars) else ReflexStars.from_table(
        table, distance_term=distance_term, n_distance_nodes=n_distance_nodes, distance_prior=distance_prior,
        frame=frame)
    start = sampler_kwargs.pop("start", None) if sampler == "mle" else None
    if start is not None:
        start = np.asarray(start, float)
        if model.outliers is not None and start.shape[-1] == model.n_base:
            start = model.with_f_out(start, _F_OUT_START)
        start = model.validate(start, "start")
    check_sample_size(len(stars), model)
    rng = make_generator("rng", rng)
    if sampler == "mle":
        samples, best, lnl, info = _fit_mle(stars, model, rng, start=start, **sampler_kwargs)
    else:
        samples, best, lnl, info = _run_dynesty(stars, model, rng, **sampler_kwargs)
    samples, best = np.asarray(samples), np.asarray(best)
    p_out = None
    if model.outliers is not None:
        draws = best if sampler == "mle" else samples[rng.choice(len(samples), min(200, len(samples)), replace=False)]
        p_out = outlier_probabilities(draws, stars, model)
    info = {**info, **stars.settings}
    return ReflexFit(model=model, samples=samples, best=best, max_log_likelihood=lnl, sampler=sampler,
                     n_stars=len(stars), info=info, star_id=stars.star_id, outlier_probability=p_out)


def fit_reflex_clipped(table: Table, model="linear", rng=None, *, n_sigma: float = 3.0, max_iter: int = 10,
                       r_nodes=R_NODES, frame=None, **kwargs):
    """Iterative model-based sigma clipping (S004 section 5.1), the alternative to the mixture.

    Fit the plain Gaussian model (maximum likelihood) to the kept stars, compute every
    input star's `standardized_residuals` at the fit, keep the stars within ``n_sigma`` in
    v_los, mu_l* and mu_b, and repeat until the kept set no longer changes (at most
    ``max_iter`` fits). Returns ``(fit, keep, n_iterations)``; ``keep`` is a boolean mask
    over the rows of ``table``. Other kwargs go to `fit_reflex`.
    """
    n_sigma = check_real("n_sigma", n_sigma, low=0, low_open=True)
    max_iter = check_integer("max_iter", max_iter, low=1)
    rng = make_generator("rng", rng)
    model = _model_from(model, r_nodes, None).without_outliers()
    keep = np.ones(len(table), bool)
    start = kwargs.pop("start", None)
    for iteration in range(1, int(max_iter) + 1):
        fit = fit_reflex(table[keep], model, "mle", rng, frame=frame, start=start, **kwargs)
        res = standardized_residuals(fit.best, table, model, frame=frame)
        new = np.max(np.abs([res["z_vlos"], res["z_mu_l"], res["z_mu_b"]]), axis=0) <= n_sigma
        if np.array_equal(new, keep):
            break
        keep, start = new, fit.best
        kwargs["n_starts"] = 0  # later fits start from the previous maximum
    return fit, keep, iteration
