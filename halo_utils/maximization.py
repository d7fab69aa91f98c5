"""Multi-start maximisation and Hessians of log-likelihoods, with or without exact gradients.

The model subpackages (`halo_utils.density`, `halo_utils.reflex`) own their likelihoods;
this module only knows about functions of a parameter vector. Where a model supplies its
exact gradient (`maximize_with_gradient`, `hessian_with_gradient`) a fit costs tens of
likelihood calls per start instead of thousands; the derivative-free variants (`maximize`,
`hessian`) serve models without one.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .validation import check_integer

__all__ = ["maximize", "maximize_with_gradient", "hessian", "hessian_with_gradient", "laplace_covariance",
           "covariance_from_hessian"]

#: Objective value L-BFGS-B sees where the function is -inf (outside a prior): finite, so
#: the line search backtracks instead of stopping on a NaN.
_OUTSIDE = 1e300


def maximize(func, starts, *, bounds=None, polish=True, fd_step=1e-4):
    """Maximise ``func`` (a vector -> float, -inf allowed) from several starting vectors.

    Each start runs L-BFGS-B (box ``bounds``) with finite-difference gradients of step
    ``fd_step``: a log-likelihood of ~1e4 carries ~1e-5 of rounding noise, so scipy's
    default 1e-8 step gives garbage gradients and stops the search at its start. The best
    result is polished with Nelder-Mead. Returns ``(best_vector, best_value, values)``.
    """
    def neg(x):
        val = func(x)
        return _OUTSIDE if not np.isfinite(val) else -val

    best_x, best_val, values = None, -np.inf, []
    for x0 in starts:
        res = optimize.minimize(neg, np.asarray(x0, float), method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": 2000, "maxfun": 20000, "eps": fd_step})
        val = -res.fun if res.fun < _OUTSIDE else -np.inf
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


def maximize_with_gradient(func_and_grad, starts, *, bounds, scale, n_agree=2, same_value=1e-3, max_hops=4,
                           hop_gain=1e-4, gtol=1e-6, ftol=2.220446049250313e-09, max_calls=3000):
    """Maximise a function with an exact gradient from several starts (scaled L-BFGS-B with restarts).

    Each start runs L-BFGS-B on the coordinates ``x / scale`` (``scale``: a typical step
    per coordinate, so that one unit means the same in every direction and the search is
    well conditioned), then *hops*: L-BFGS-B is restarted from where it stopped, with a
    fresh curvature memory, until a restart gains less than ``hop_gain`` or ``max_hops``
    restarts have run. A likelihood with kinks (a broken power law summed over stars) can
    end a line search early; the restart carries on where a derivative-free polish would
    spend thousands of calls.

    Starts run in order and stop early once ``n_agree`` of them have ended at the best value
    found (within ``same_value``): the best mode has then been found independently that
    many times, and further starts only repeat it.

    Parameters
    ----------
    func_and_grad : callable
        Vector -> (value, gradient); value -inf (gradient ignored) outside the domain.
    starts : sequence of array_like
        Starting vectors, tried in order.
    bounds : sequence of (low, high)
        Box bounds per coordinate.
    scale : array_like
        Positive typical step per coordinate, in the coordinates' units.
    n_agree : int
        Starts that must end at the best value before the rest are skipped (>= 1; a large
        number runs every start).
    same_value : float
        Two ends agree when their values differ by less than this (the function's units).
    max_hops, hop_gain : int, float
        Restarts per start, and the gain below which restarting stops.
    gtol : float
        L-BFGS-B's projected-gradient tolerance in the scaled coordinates.
    ftol : float
        L-BFGS-B's relative-decrease tolerance (scipy's default): it stops once a step lowers
        |value| by less than ``ftol`` times |value|, i.e. ~1e-5 on a ln L of ~5,000; a
        smooth likelihood fitted to that precision takes a smaller value.
    max_calls : int
        Cap on the function calls of one L-BFGS-B run.

    Returns
    -------
    dict
        ``x`` (best vector), ``value``, ``values`` (per start run, in order), ``n_calls``
        (function calls in total) and ``n_starts_run``.
    """
    n_agree = check_integer("n_agree", n_agree, low=1)
    scale = np.asarray(scale, float)
    if np.any(~(scale > 0)):
        raise ValueError(f"scale must be positive per coordinate, got {scale.tolist()}")
    scaled_bounds = [(lo / s, hi / s) for (lo, hi), s in zip(bounds, scale)]
    calls = [0]

    def neg(y):
        calls[0] += 1
        val, grad = func_and_grad(y * scale)
        if not np.isfinite(val):
            return _OUTSIDE, np.zeros_like(y)
        return -val, -np.asarray(grad, float) * scale

    def descend(y0):
        res = optimize.minimize(neg, y0, jac=True, method="L-BFGS-B", bounds=scaled_bounds,
                                options={"maxiter": max_calls, "maxfun": max_calls, "gtol": gtol, "ftol": ftol})
        return res.x, -res.fun if res.fun < _OUTSIDE else -np.inf

    best_x, best_val, values, agree = None, -np.inf, [], 0
    for x0 in starts:
        y, val = descend(np.asarray(x0, float) / scale)
        for _ in range(max_hops if np.isfinite(val) else 0):
            y_new, val_new = descend(y)
            if not val_new > val:
                break
            gain, y, val = val_new - val, y_new, val_new
            if gain < hop_gain:
                break
        values.append(val)
        if val > best_val + same_value:
            agree = 1
        elif val > best_val - same_value:
            agree += 1
        if val > best_val:
            best_x, best_val = y * scale, val
        if agree >= n_agree:
            break
    if best_x is None:
        raise RuntimeError("no start gave a finite objective")
    return {"x": np.asarray(best_x), "value": float(best_val), "values": values, "n_calls": calls[0],
            "n_starts_run": len(values)}


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


def hessian_with_gradient(func_and_grad, x, steps):
    """Hessian from values and exact gradients at x +- h_i e_i: 2 n + 1 calls instead of ~2 n^2.

    The off-diagonal entries are central differences of the gradient,
    (g_j(x + h_i e_i) - g_j(x - h_i e_i)) / (2 h_i), symmetrised; the diagonal is the second
    difference of the values at the same points, (f(x + h_i e_i) - 2 f(x) + f(x - h_i e_i)) / h_i^2,
    exactly as the value-only `hessian` computes it. The two differ where the function has
    kinks: a maximum of a sum of concave kinks (a broken power law summed over stars, each
    star crossing the break) sits on a kink, where the gradient jumps, and along an axis the
    gradient difference over a step is noisier than the value difference (it can lose
    definiteness where the value-based curvature does not).

    Parameters
    ----------
    func_and_grad : callable
        Vector -> (value, gradient); a non-finite value makes the Hessian non-finite.
    x : array_like
        Where.
    steps : array_like
        Per-coordinate steps.

    Returns
    -------
    ndarray, shape (n, n)
    """
    x = np.asarray(x, float)
    h = np.asarray(steps, float)
    f0 = func_and_grad(x)[0]
    H = np.empty((x.size, x.size))
    diag = np.empty(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h[i]
        f_up, g_up = func_and_grad(x + e)
        f_down, g_down = func_and_grad(x - e)
        if not (np.isfinite(f_up) and np.isfinite(f_down)):
            f_up = f_down = np.nan
        H[:, i] = (np.asarray(g_up, float) - np.asarray(g_down, float)) / (2 * h[i])
        diag[i] = (f_up - 2 * f0 + f_down) / h[i] ** 2
    H = 0.5 * (H + H.T)
    np.fill_diagonal(H, diag)
    return H


def covariance_from_hessian(H):
    """Covariance of the Laplace approximation from the Hessian ``H`` of ln L: inv(-H), symmetrised.

    Raises ValueError if ``H`` has non-finite entries or is not negative definite (not a maximum).
    """
    H = np.asarray(H, float)
    if not np.all(np.isfinite(H)):
        raise ValueError("Hessian has non-finite entries (maximum at a prior edge?)")
    cov = np.linalg.inv(-H)
    if np.any(np.linalg.eigvalsh(0.5 * (cov + cov.T)) <= 0):
        raise ValueError("minus the Hessian is not positive definite: not at a maximum")
    return 0.5 * (cov + cov.T)


def laplace_covariance(log_like, x, steps):
    """Covariance of the Laplace approximation from a value-only ln L (finite-difference Hessian).

    Raises ValueError if the Hessian is not negative definite (not a maximum).
    """
    return covariance_from_hessian(hessian(log_like, x, steps))
