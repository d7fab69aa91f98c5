"""Posterior sampling of a density model with emcee, and a run in worker processes with its report.

Priors are uniform (conventions §9); every random draw comes from the caller's generator, and
a chain stored in HDF5 resumes after a kill (`halo_utils.fitting.run_emcee`). The
likelihood runs through the compiled kernel (`halo_utils.density.kernel`) where the model's
profile has one.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

import emcee
import numpy as np

from ..fingerprint import fingerprint
from ..fitting import chain_summary, check_sample_size, run_emcee
from ..validation import check_integer
from .kernel import CompiledLogProbability, supports_kernel
from .likelihood import as_stars, log_probability
from .models import get_model
from .selection import SelectionGrid

__all__ = ["DensityPosterior", "fit_emcee", "sample_posterior", "chain_report"]


class DensityPosterior:
    """Picklable ln-posterior of a free-parameter vector, for emcee and its pools.

    Parameters
    ----------
    stars, grid
        As for `~halo_utils.density.likelihood.log_likelihood`.
    model : str or DensityModel
    compiled : bool
        Evaluate through the compiled JAX kernel (`~halo_utils.density.kernel`) when the
        model's profile has one (the power-law family), else numpy's
        `~halo_utils.density.likelihood.log_probability`; the two agree to rounding.
    """

    def __init__(self, stars, grid: SelectionGrid, model="triaxial_double_break", compiled: bool = True):
        self.stars, self.grid, self.model = as_stars(stars), grid, get_model(model)
        self._kernel = (CompiledLogProbability(self.stars, grid, self.model)
                        if compiled and supports_kernel(self.model) else None)

    @property
    def compiled(self) -> bool:
        """Whether calls go through the compiled kernel."""
        return self._kernel is not None

    def __call__(self, vector):
        if self._kernel is not None:
            return self._kernel(vector)
        return log_probability(vector, self.stars, self.grid, self.model)

    def batch(self, vectors) -> np.ndarray:
        """ln posterior of each row of ``vectors`` (n, ndim): one compiled call for the whole
        batch where the kernel serves the model (emcee's ``vectorize`` mode), else row by row."""
        if self._kernel is not None:
            return self._kernel.batch(vectors)
        return np.array([log_probability(v, self.stars, self.grid, self.model) for v in np.asarray(vectors, float)])


#: Posteriors installed in this process, by token (`_InstalledPosterior`).
_INSTALLED = {}


def _install(token: str, posterior) -> None:
    """Initializer of a worker process: keep ``posterior`` under ``token`` for `_InstalledPosterior`."""
    _INSTALLED[token] = posterior


class _InstalledPosterior:
    """A posterior installed once per process, called by token.

    emcee hands its walkers to the pool at every move; pickling the posterior itself would
    send every star and selection node (~10 MB) each time. This stand-in pickles as its
    token, and each worker received the posterior once, at start.
    """

    def __init__(self, token: str):
        self.token = token

    def batch(self, vectors):
        return _INSTALLED[self.token].batch(vectors)


class _PooledBatches:
    """emcee's vectorised log-probability, the walkers of a move split into one batch per
    worker process."""

    def __init__(self, pool, token: str, n_processes: int):
        self.pool, self.posterior, self.n = pool, _InstalledPosterior(token), n_processes

    def __call__(self, vectors):
        return np.concatenate(self.pool.map(self.posterior.batch, np.array_split(np.asarray(vectors), self.n)))


def fit_emcee(stars, grid: SelectionGrid, model="triaxial_double_break", *, start: dict, rng,
              n_walkers=None, n_steps_max=20000, pool=None, backend_path=None, restart=False,
              check_every=500, init_scale=None, n_tau=50, log_prob=None, vectorize=None):
    """Sample the posterior with emcee (the model's uniform priors, conventions §9).

    Walkers start in a small Gaussian ball around ``start`` (typically the MLE; it must lie
    inside the prior) and run until the chain exceeds ``n_tau`` autocorrelation times (or
    ``n_steps_max``), with emcee's differential-evolution moves (80 % DEMove, 20 %
    DESnookerMove). Every random draw, the moves' included, comes from ``rng``: the same
    seed gives the same chain. With ``backend_path`` the chain is stored in HDF5 with a
    fingerprint of the stars, the selection grid, the model and the start; a killed run
    resumes at its last step when called again with the same arguments (a different
    fingerprint is refused unless ``restart=True``). ``pool`` may be any object with a ``map`` method.

    Parameters
    ----------
    stars, grid
        As for `~halo_utils.density.likelihood.log_likelihood`.
    model : str or DensityModel
    start : dict
        Free parameters of ``model`` at the centre of the initial ball (natural units).
    rng : numpy.random.Generator
        Source of the walkers' positions and of emcee's seed.
    n_walkers : int, optional
        Walkers (default max(4 ndim, 32); at least 3 ndim).
    n_steps_max : int
        Step cap.
    pool : object with a ``map`` method, optional
    backend_path : str or Path, optional
        HDF5 file of the chain (resumable).
    restart : bool
        Overwrite an existing backend instead of resuming it.
    check_every : int
        Steps between convergence checks.
    init_scale : dict, optional
        Spread of the initial ball per parameter (natural units; default the model's
        finite-difference steps).
    n_tau : float
        Chain length in autocorrelation times at which to stop.
    log_prob : callable, optional
        What emcee calls in place of this posterior (`DensityPosterior` of the same stars,
        grid and model; with ``vectorize``, of a batch (n, ndim)): `sample_posterior`
        passes batches that its worker processes resolve without pickling the data at
        every step.
    vectorize : bool, optional
        Hand emcee's moves whole batches of walkers (``log_prob`` then maps (n, ndim) to
        (n,)); default: when the compiled kernel serves the model and there is no ``pool``
        (`DensityPosterior.batch`).

    Returns
    -------
    dict
        ``samples`` (flat; the burn-in of `run_emcee` or 3 tau, whichever is longer, dropped
        and thinned by tau / 2; both capped for chains shorter than 6 tau), ``names``,
        ``tau``, ``converged``, ``n_steps``, ``acceptance``, ``n_walkers``, ``summary``
        (percentiles per parameter), ``resumed`` and ``sampler``.
    """
    m = get_model(model)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    check_sample_size(len(as_stars(stars)), m.ndim, f"the {m.name} density model")
    n_walkers = n_walkers or max(4 * m.ndim, 32)
    n_walkers = check_integer("n_walkers", n_walkers, low=3 * m.ndim, why="3 x the number of parameters")
    bad = m.problems(start)
    if bad:
        raise ValueError(f"fit_emcee start lies outside the prior of {m.name!r}: " + "; ".join(bad))
    x0 = m.vector(start)
    scale = np.array([(init_scale or {}).get(n, m.steps[n]) for n in m.free])
    p0 = []
    # a start on a prior edge keeps about half of its trials; 1000 x n_walkers is never reached
    for _ in range(1000 * n_walkers):
        trial = x0 + scale * rng.standard_normal(m.ndim)
        if not m.problems(m.params(trial)):
            p0.append(trial)
            if len(p0) == n_walkers:
                break
    else:
        raise ValueError(f"could not place {n_walkers} walkers inside the prior around {start}; "
                         "move the start away from the prior edges or shrink init_scale")
    seed = int(rng.integers(2**32))
    post = DensityPosterior(stars, grid, m)
    if vectorize is None:
        vectorize = pool is None and log_prob is None and post.compiled
    if log_prob is None:
        log_prob = post.batch if vectorize else post
    # differential-evolution moves: on this 10-d posterior (alpha1-r1 and pitch-yaw are
    # correlated) they give ~2.5x shorter autocorrelation times than the stretch move
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    folded = (post.stars.ln_weight,) if post.stars.folded else ()  # unfolded keys as before
    key = fingerprint(post.stars.pos, *folded, grid.pos, grid.weight, grid.giants_per_msun, m.name, np.array(p0))
    run = run_emcee(log_prob, np.array(p0), n_steps_max=n_steps_max, seed=seed, backend_path=backend_path,
                    fingerprint=key, restart=restart, pool=pool, check_every=check_every, n_tau=n_tau,
                    moves=moves, vectorize=vectorize)
    tau = run["tau"]
    tmax = float(np.nanmax(tau)) if np.any(np.isfinite(tau)) else 1.0
    # burn-in (at least 3 tau) and thinning tau / 2, capped so that short (smoke) runs keep half the chain
    discard = min(max(int(3 * tmax), run["burn_in"]), run["n_steps"] // 2)
    thin = max(1, min(int(tmax / 2), (run["n_steps"] - discard) // 10))
    samples = run["sampler"].get_chain(discard=discard, thin=thin, flat=True)
    return {**run, "samples": samples, "names": m.free, "n_walkers": n_walkers,
            "summary": chain_summary(samples, m.free)}


def sample_posterior(stars, grid: SelectionGrid, model="triaxial_double_break", *, start: dict, rng,
                     n_processes: int = 1, **kwargs) -> dict:
    """`fit_emcee` with the walkers of each move evaluated as batches, timed.

    With ``n_processes = 1`` each move's walkers go to `DensityPosterior.batch` in this
    process: one compiled call, which XLA already spreads over the cores. With more, the
    walkers are split into one batch per worker process (started with ``spawn``; each
    receives the posterior once, then only the walkers' positions): worth it where there
    are more cores than one call keeps busy, or for the numpy path of a profile without
    the kernel. On this project's 2-core machine one process was fastest (a 500-step
    chain of the chapter-3 problem: 9.4 s in one process, 12.6 s in two). The chain does
    not depend on ``n_processes`` beyond rounding.

    Parameters
    ----------
    stars, grid, model, start, rng
        As for `fit_emcee`.
    n_processes : int
        Worker processes (1: none).
    **kwargs
        Further arguments of `fit_emcee` (``n_walkers``, ``n_steps_max``, ``backend_path``,
        ``restart``, ``n_tau``, ...).

    Returns
    -------
    dict
        The result of `fit_emcee` plus ``runtime_s`` (wall-clock seconds).
    """
    n_processes = check_integer("n_processes", n_processes, low=1)
    t0 = time.perf_counter()
    if n_processes == 1:
        chain = fit_emcee(stars, grid, model, start=start, rng=rng, **kwargs)
    else:
        token = uuid.uuid4().hex
        posterior = DensityPosterior(stars, grid, model)
        with multiprocessing.get_context("spawn").Pool(n_processes, initializer=_install,
                                                       initargs=(token, posterior)) as pool:
            chain = fit_emcee(stars, grid, model, start=start, rng=rng,
                              log_prob=_PooledBatches(pool, token, n_processes), vectorize=True, **kwargs)
    return {**chain, "runtime_s": time.perf_counter() - t0}


def chain_report(chain: dict) -> str:
    """One line on a `fit_emcee` chain: steps, walkers, tau, length in tau, acceptance, convergence."""
    tau_max = float(np.max(chain["tau"]))
    runtime = f" in {chain['runtime_s']:.0f} s" if "runtime_s" in chain else ""
    return (f"{chain['n_steps']} steps x {chain['n_walkers']} walkers{runtime}; max tau = {tau_max:.0f} steps, "
            f"N / tau = {(chain['n_steps'] - chain['burn_in']) / tau_max:.0f} after a burn-in of "
            f"{chain['burn_in']}; acceptance {chain['acceptance']:.2f}; converged: {chain['converged']}")
