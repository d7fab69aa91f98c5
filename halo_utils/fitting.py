"""Generic fitting and sampling helpers: multi-start maximisation, Laplace errors, emcee.

The model modules (`halo_utils.density`, later the reflex model) own their likelihoods;
this module only knows about functions of a parameter vector.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import optimize

__all__ = ["maximize", "hessian", "laplace_covariance", "run_emcee", "chain_summary"]


def maximize(func, starts, *, bounds=None, polish=True, fd_step=1e-4):
    """Maximise ``func`` (a vector -> float, -inf allowed) from several starting vectors.

    Each start runs L-BFGS-B (box ``bounds``) with finite-difference gradients of step
    ``fd_step``: a log-likelihood of ~1e4 carries ~1e-5 of rounding noise, so scipy's
    default 1e-8 step gives garbage gradients and stops the search at its start. The best
    result is polished with Nelder-Mead. Returns ``(best_vector, best_value, values)``.
    """
    def neg(x):
        val = func(x)
        return 1e300 if not np.isfinite(val) else -val

    best_x, best_val, values = None, -np.inf, []
    for x0 in starts:
        res = optimize.minimize(neg, np.asarray(x0, float), method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": 2000, "maxfun": 20000, "eps": fd_step})
        val = -res.fun if res.fun < 1e299 else -np.inf
        values.append(val)
        if val > best_val:
            best_x, best_val = res.x, val
    if best_x is None:
        raise RuntimeError("no start gave a finite objective")
    if polish:
        res = optimize.minimize(neg, best_x, method="Nelder-Mead",
                                options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6, "adaptive": True})
        if -res.fun > best_val:
            best_x, best_val = res.x, -res.fun
    return np.asarray(best_x), float(best_val), values


def hessian(func, x, steps):
    """Central finite-difference Hessian of ``func`` at ``x`` with per-parameter ``steps``."""
    x = np.asarray(x, float)
    h = np.asarray(steps, float)
    n = x.size
    f0 = func(x)
    H = np.empty((n, n))
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h[i]
        H[i, i] = (func(x + ei) - 2 * f0 + func(x - ei)) / h[i] ** 2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (func(x + ei + ej) - func(x + ei - ej) - func(x - ei + ej)
                                 + func(x - ei - ej)) / (4 * h[i] * h[j])
    return H


def laplace_covariance(log_like, x, steps):
    """Covariance of the Laplace approximation: inverse of minus the Hessian of ln L.

    Raises ValueError if the Hessian is not negative definite (not a maximum).
    """
    H = hessian(log_like, x, steps)
    if not np.all(np.isfinite(H)):
        raise ValueError("Hessian has non-finite entries (maximum at a prior edge?)")
    cov = np.linalg.inv(-H)
    if np.any(np.linalg.eigvalsh(0.5 * (cov + cov.T)) <= 0):
        raise ValueError("minus the Hessian is not positive definite: not at a maximum")
    return 0.5 * (cov + cov.T)


def run_emcee(log_prob, p0, *, n_steps_max, backend_path=None, pool=None, check_every=500,
              n_tau=50, tau_rtol=0.05, progress=False, moves=None):
    """Run emcee until the chain is longer than ``n_tau`` autocorrelation times.

    Parameters
    ----------
    log_prob : callable
        Vector -> ln posterior (picklable if ``pool`` is a process pool).
    p0 : ndarray, shape (n_walkers, ndim)
        Initial walkers; ignored when resuming from a non-empty backend.
    n_steps_max : int
        Hard cap on the total number of steps (including resumed ones).
    backend_path : str or Path, optional
        HDF5 file of an `emcee.backends.HDFBackend`: the chain is saved as it runs, and a
        killed run resumes from the last saved step when called again with the same file.
    pool : object with a ``map`` method, optional
        Any map-style pool (e.g. ``multiprocessing.pool.ThreadPool``: numpy releases the
        GIL in the large array operations of the likelihood).
    check_every : int
        Steps between convergence checks.
    n_tau, tau_rtol : float
        Converged when the chain after burn-in is longer than n_tau * max(tau) and tau
        changed by < tau_rtol since the previous check. The burn-in is the first third of
        the chain, and tau is estimated on the rest: walkers that wander into a distant,
        low-probability region early (the r1 -> r2 corner of the density model) otherwise
        inflate tau long after they have left it.

    Returns
    -------
    dict
        ``sampler``, ``tau`` (per parameter, after burn-in), ``burn_in`` (steps),
        ``converged``, ``n_steps``, ``acceptance`` (mean acceptance fraction).
    """
    import emcee

    p0 = np.asarray(p0, float)
    n_walkers, ndim = p0.shape
    backend = None
    start = p0
    if backend_path is not None:
        backend = emcee.backends.HDFBackend(str(backend_path))
        resumable = Path(backend_path).exists() and backend.initialized and backend.iteration > 0
        if resumable and backend.shape == (n_walkers, ndim):
            start = None  # continue from the last stored position
        else:
            backend.reset(n_walkers, ndim)
    sampler = emcee.EnsembleSampler(n_walkers, ndim, log_prob, pool=pool, backend=backend, moves=moves)
    old_tau = np.inf
    converged = False
    tau = np.full(ndim, np.nan)
    burn_in = 0
    while sampler.iteration < n_steps_max:
        n = min(check_every, n_steps_max - sampler.iteration)
        sampler.run_mcmc(start, n, progress=progress)
        start = None
        burn_in = sampler.iteration // 3
        tau = sampler.get_autocorr_time(discard=burn_in, tol=0)
        if np.all(np.isfinite(tau)) and sampler.iteration - burn_in > n_tau * np.max(tau) and \
                np.all(np.abs(old_tau - tau) / tau < tau_rtol):
            converged = True
            break
        old_tau = tau
    return {"sampler": sampler, "tau": tau, "burn_in": int(burn_in), "converged": converged,
            "n_steps": int(sampler.iteration), "acceptance": float(np.mean(sampler.acceptance_fraction))}


def chain_summary(samples, names, percentiles=(2.5, 16, 50, 84, 97.5)):
    """Per-parameter percentiles of flat samples: ``{name: {"p2.5": ..., "p16": ..., ...}}``."""
    pct = np.percentile(samples, percentiles, axis=0)
    return {name: {f"p{p:g}": float(pct[i, j]) for i, p in enumerate(percentiles)}
            for j, name in enumerate(names)}
