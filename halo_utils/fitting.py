"""Generic fitting and sampling helpers: sample-size checks, emcee runs, nested-sampling progress, summaries.

The model subpackages (`halo_utils.density`, `halo_utils.reflex`) own their likelihoods;
this module only knows about functions of a parameter vector (maximisation and Hessians are in
`halo_utils.maximization`).
"""

from __future__ import annotations

import time
from pathlib import Path

import emcee
import h5py
import numpy as np

from .fingerprint import check_fingerprint
from .fingerprint import fingerprint as _fingerprint
from .progress import Progress
from .validation import check_integer, check_real

__all__ = ["MIN_STARS_PER_PARAMETER", "check_sample_size", "BufferedHDFBackend", "run_emcee", "NestedProgress",
           "chain_summary", "summary_contains"]


#: Fewest stars per free parameter a fit accepts. Below ~5 a model's parameters are set by a
#: handful of stars each: the likelihood has no clean maximum, and the Hessian (Laplace
#: errors) or the posterior degenerates - late, and with a cryptic message.
MIN_STARS_PER_PARAMETER = 5


def check_sample_size(n_stars: int, n_params: int, what: str) -> None:
    """Refuse fewer than `MIN_STARS_PER_PARAMETER` stars per free parameter, before any work.

    ``what`` names the model in the message (e.g. "the linear reflex model").
    """
    need = MIN_STARS_PER_PARAMETER * n_params
    if n_stars < need:
        raise ValueError(f"{n_stars} stars cannot constrain the {n_params} parameters of {what}: it needs at "
                         f"least {need} ({MIN_STARS_PER_PARAMETER} per parameter); select more stars or fit "
                         "a simpler model")


def _check_points(n_steps_max: int, check_every: int):
    """Iterations at which the chain is checked: every ``check_every`` steps and at the cap."""
    points = list(range(check_every, n_steps_max, check_every))
    return points + [n_steps_max]


def _autocorr_at(chain, iteration: int):
    """(burn-in, tau) of the first ``iteration`` steps of ``chain`` (n_steps, n_walkers, ndim).

    The burn-in is the first third, tau is estimated on the rest: walkers that wander into a
    distant, low-probability region early (the r1 -> r2 corner of the density model)
    otherwise inflate tau long after they have left it.
    """
    burn_in = iteration // 3
    return burn_in, emcee.autocorr.integrated_time(chain[burn_in:iteration], tol=0)


def _converged(tau, old_tau, n_after_burn, n_tau, tau_rtol) -> bool:
    return bool(np.all(np.isfinite(tau)) and n_after_burn > n_tau * np.max(tau)
                and np.all(np.abs(old_tau - tau) / tau < tau_rtol))


#: HDF5 attribute holding the fingerprint of the run that made an emcee backend.
BACKEND_FINGERPRINT_ATTR = "halo_utils_fingerprint"


class BufferedHDFBackend(emcee.backends.HDFBackend):
    """emcee's HDF5 backend, writing ``flush_every`` steps at a time instead of one.

    emcee's backend opens the file for every step (~2 ms, several % of a chain's time);
    this one keeps the steps in memory and writes them, with the random state after the
    last of them, in one transaction. A killed run loses at most the unwritten steps and
    resumes from the last written one exactly as from emcee's own backend. `flush` writes
    what is buffered; `run_emcee` calls it after every stretch of steps. Blobs are not
    supported.
    """

    def __init__(self, filename, flush_every: int = 100, **kwargs):
        super().__init__(filename, **kwargs)
        self.flush_every = check_integer("flush_every", flush_every, low=1)
        self._buffer = []

    def save_step(self, state, accepted):
        """Keep one step (emcee's ``State`` and its per-walker acceptance flags) for the next `flush`."""
        self._check(state, accepted)
        if state.blobs is not None:
            raise ValueError("BufferedHDFBackend does not store blobs")
        self._buffer.append((np.array(state.coords), np.array(state.log_prob), np.array(accepted, int),
                             state.random_state))
        if len(self._buffer) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write the buffered steps (and the random state after the last) to the file."""
        if not self._buffer:
            return
        n = len(self._buffer)
        with self.open("a") as f:
            g = f[self.name]
            start = g.attrs["iteration"]
            g["chain"][start:start + n] = np.stack([b[0] for b in self._buffer])
            g["log_prob"][start:start + n] = np.stack([b[1] for b in self._buffer])
            g["accepted"][:] += np.sum([b[2] for b in self._buffer], axis=0)
            for i, v in enumerate(self._buffer[-1][3]):
                g.attrs[f"random_state_{i}"] = v
            g.attrs["iteration"] = start + n
        self._buffer = []


def _open_backend(path, n_walkers, ndim, fingerprint, restart):
    """An emcee HDF backend at ``path``: resumed if it holds this run's chain, else fresh."""
    path = Path(path)
    if path.exists() and restart:
        path.unlink()
    if path.exists():
        try:
            with h5py.File(path, "r") as f:
                stored = f.attrs.get(BACKEND_FINGERPRINT_ATTR)
        except OSError as exc:
            raise ValueError(f"emcee backend {path} is not a readable HDF5 file ({exc}); delete it, choose another "
                             "path, or pass restart=True") from None
        backend = BufferedHDFBackend(str(path))
        if backend.initialized and backend.iteration > 0:
            stored = stored.decode() if isinstance(stored, bytes) else stored
            check_fingerprint(path, stored, fingerprint, what="emcee backend")
            return backend, True
    backend = BufferedHDFBackend(str(path))
    backend.reset(n_walkers, ndim)
    with h5py.File(path, "a") as f:
        f.attrs[BACKEND_FINGERPRINT_ATTR] = fingerprint
    return backend, False


def _moves_spec(moves) -> list:
    """emcee moves as (class name, weight) pairs: a description stable across processes."""
    if moves is None:
        return [("StretchMove", 1.0)]
    spec = []
    for item in moves if isinstance(moves, (list, tuple)) else [moves]:
        move, weight = item if isinstance(item, tuple) else (item, 1.0)
        spec.append((type(move).__name__, float(weight)))
    return spec


def _acceptance(chain, p0) -> float:
    """Mean acceptance fraction counted from the chain: a walker moved or it did not.

    emcee's HDF backend adds a step's acceptances to disk before the step counter, so a
    run killed between the two counts that step twice on resume; the chain itself is
    exact (the proposals are continuous: an accepted move never lands on the old point).
    """
    previous = np.concatenate([p0[None], chain[:-1]])
    return float(np.mean(np.any(chain != previous, axis=-1)))


def run_emcee(log_prob, p0, *, n_steps_max, seed, backend_path=None, fingerprint=None, restart=False,
              pool=None, check_every=500, n_tau=50, tau_rtol=0.05, progress=False, moves=None,
              report_progress=True, vectorize=False):
    """Run emcee until the chain is longer than ``n_tau`` autocorrelation times.

    Parameters
    ----------
    log_prob : callable
        Vector -> ln posterior (picklable if ``pool`` is a process pool).
    p0 : ndarray, shape (n_walkers, ndim)
        Initial walkers, each with a finite ``log_prob``; ignored when resuming.
    n_steps_max : int
        Hard cap on the total number of steps (including resumed ones), >= 1.
    seed : int
        Seed of emcee's own random state (its moves draw from it, never from numpy's
        global generator): the same seed gives the same chain, in any process.
    backend_path : str or Path, optional
        HDF5 file of an `emcee.backends.HDFBackend`: the chain is saved step by step, and a
        killed run resumes from the last saved step when called again with the same file,
        continuing exactly as the uninterrupted run would have (the random state is saved
        with every step, and convergence is checked at the same iterations).
    fingerprint : str, optional
        Identifies the data and model (`halo_utils.fingerprint.fingerprint`); it is combined
        with ``seed``, ``check_every``, ``n_tau`` and ``tau_rtol`` and stored in the
        backend. Resuming a backend with another fingerprint raises
        `~halo_utils.fingerprint.FingerprintMismatch`. Default: ``p0`` (pass one that
        includes the data). The moves (by class and weight) always enter. ``n_steps_max`` may grow
        between calls: a resume then extends the chain.
    restart : bool
        Overwrite an existing backend with a fresh run instead of resuming it.
    pool : object with a ``map`` method, optional
        Any map-style pool (e.g. ``multiprocessing.pool.ThreadPool``: numpy releases the
        GIL in the large array operations of the likelihood).
    check_every : int
        Steps between convergence checks (>= 1).
    n_tau, tau_rtol : float
        Converged when the chain after burn-in is longer than n_tau * max(tau) and tau
        changed by < tau_rtol since the previous check (see `_autocorr_at` for the burn-in).
    progress : bool
        emcee's own per-step progress bar (tqdm).
    moves : optional
        emcee moves (default: emcee's stretch move).
    report_progress : bool
        Print one line per convergence check: steps done, max tau, elapsed time and the most
        time the chain can still take (`halo_utils.progress.Progress`).
    vectorize : bool
        ``log_prob`` takes an array of walkers (n, ndim) and returns their n values
        (emcee's vectorised mode: one call per move for half of the ensemble). Not with
        ``pool``.

    Returns
    -------
    dict
        ``sampler``, ``tau`` (per parameter, after burn-in), ``burn_in`` (steps),
        ``converged``, ``n_steps``, ``acceptance`` (mean acceptance fraction, counted from
        the chain), ``resumed``.
        A backend that already holds a finished run is returned post-processed exactly
        like the run that made it.
    """
    n_steps_max = check_integer("n_steps_max", n_steps_max, low=1)
    check_every = check_integer("check_every", check_every, low=1)
    n_tau = check_real("n_tau", n_tau, low=0, low_open=True)
    tau_rtol = check_real("tau_rtol", tau_rtol, low=0, low_open=True)
    seed = check_integer("seed", seed, low=0)
    p0 = np.asarray(p0, float)
    if p0.ndim != 2:
        raise ValueError(f"p0 must have shape (n_walkers, ndim), got {p0.shape}")
    n_walkers, ndim = p0.shape
    if vectorize and pool is not None:
        raise ValueError("vectorize=True evaluates the walkers in one call; it takes no pool")
    # the stopping rule is part of the run: a resume replays its checks with these settings
    fingerprint = _fingerprint(p0 if fingerprint is None else fingerprint, _moves_spec(moves), int(seed),
                               int(check_every), float(n_tau), float(tau_rtol))
    backend, resumed = (None, False) if backend_path is None else \
        _open_backend(backend_path, n_walkers, ndim, fingerprint, restart)
    if not resumed:
        if not np.all(np.isfinite(p0)):
            raise ValueError("p0 holds NaN or inf")
        lp0 = np.asarray(log_prob(p0), float) if vectorize else np.array([log_prob(p) for p in p0])
        bad = np.flatnonzero(~np.isfinite(lp0))
        if bad.size:
            raise ValueError(f"{bad.size} of {n_walkers} initial walkers have ln posterior = {lp0[bad[0]]} "
                             f"(outside the prior?), e.g. walker {bad[0]} at {p0[bad[0]].tolist()}")
    sampler = emcee.EnsembleSampler(n_walkers, ndim, log_prob, pool=pool, backend=backend, moves=moves,
                                    vectorize=bool(vectorize))
    if not resumed:
        sampler.random_state = np.random.RandomState(int(seed)).get_state()
    if sampler.iteration > n_steps_max:
        raise ValueError(f"emcee backend {backend_path} already holds {sampler.iteration} steps, more than "
                         f"n_steps_max = {n_steps_max}; raise n_steps_max or pass restart=True")
    checks = _check_points(int(n_steps_max), int(check_every))
    old_tau, tau, burn_in, converged = np.inf, np.full(ndim, np.nan), 0, False
    if resumed:  # replay the checks the interrupted run made, from its stored chain
        chain = backend.get_chain()
        for point in [c for c in checks if c <= sampler.iteration]:
            burn_in, tau = _autocorr_at(chain, point)
            converged = _converged(tau, old_tau, point - burn_in, n_tau, tau_rtol)
            if converged:
                break
            old_tau = tau
    start = p0 if not resumed else None
    first = sampler.iteration
    report = Progress("emcee", int(n_steps_max) - first, unit="steps", upper_bound=True, enabled=report_progress)
    for point in [c for c in checks if c > sampler.iteration]:
        if converged:
            break
        sampler.run_mcmc(start, point - sampler.iteration, progress=progress)
        if backend is not None:
            backend.flush()
        start = None
        burn_in, tau = _autocorr_at(sampler.get_chain(), point)
        converged = _converged(tau, old_tau, point - burn_in, n_tau, tau_rtol)
        old_tau = tau
        report.update(point - first if not converged else report.total,
                      f"step {point:,}, max tau {np.nanmax(tau):.0f}" + (", converged" if converged else ""))
    return {"sampler": sampler, "tau": tau, "burn_in": int(burn_in), "converged": converged,
            "n_steps": int(sampler.iteration), "acceptance": _acceptance(sampler.get_chain(), p0),
            "resumed": resumed}


class NestedProgress:
    """A dynesty ``print_func``: a `~halo_utils.progress.Progress` line every ``every`` seconds.

    Nested sampling has no fixed length; it stops when the evidence still held by the live
    points, ``dlogz``, falls below the target. Once the live points hold the last of the
    evidence, every ``nlive`` iterations shrink the prior volume, and ``expm1(dlogz)``, by
    a factor e, so about ``nlive * ln(expm1(dlogz) / expm1(target))`` iterations remain;
    each report re-estimates the total from that (an estimate that firms up as the run
    nears its end).

    Parameters
    ----------
    nlive : int
        Live points.
    target : float
        The stopping ``dlogz``.
    label : str
        What runs, e.g. ``"dynesty (18 parameters)"``.
    every : float
        Seconds between reports.
    enabled : bool
        False prints nothing.
    """

    def __init__(self, nlive: int, target: float, label: str = "dynesty", every: float = 20.0, enabled: bool = True):
        self.nlive, self.target, self.every = int(nlive), float(target), float(every)
        self.progress = Progress(label, 1, unit="iterations", enabled=enabled)
        self._last = self.progress.start

    def remaining_iterations(self, delta_logz: float) -> float:
        """Iterations still to go at the current ``delta_logz`` (0 once below the target)."""
        if not delta_logz > self.target:
            return 0.0
        if delta_logz > 700:  # expm1 overflows; ln(expm1(x)) -> x
            return self.nlive * (delta_logz - np.log(np.expm1(self.target)))
        return self.nlive * (np.log(np.expm1(delta_logz)) - np.log(np.expm1(self.target)))

    def __call__(self, results, niter, ncall, dlogz=None, **kwargs):
        now = time.perf_counter()
        if now - self._last < self.every:
            return
        self._last = now
        delta = float(results.delta_logz)
        self.progress.total = int(niter + self.remaining_iterations(delta)) or 1
        self.progress.update(int(niter), f"dlogz {delta:.3g} (stops below {self.target:g}), {int(ncall):,} calls")


def chain_summary(samples, names, percentiles=(2.5, 16, 50, 84, 97.5)):
    """Per-parameter percentiles of flat samples: ``{name: {"p2.5": ..., "p16": ..., ...}}``."""
    pct = np.percentile(samples, percentiles, axis=0)
    return {name: {f"p{p:g}": float(pct[i, j]) for i, p in enumerate(percentiles)}
            for j, name in enumerate(names)}


def summary_contains(summary: dict, values: dict, lo: str = "p2.5", hi: str = "p97.5") -> dict:
    """Whether each value lies inside its parameter's interval of a `chain_summary`.

    Parameters
    ----------
    summary : dict
        ``{name: {"p2.5": ..., ...}}`` of `chain_summary`.
    values : dict
        ``{name: value}`` (e.g. the truth of a mock), in the parameters' units; names not in
        ``summary`` are skipped.
    lo, hi : str
        Percentile keys of the interval (default: the central 95 %).

    Returns
    -------
    dict
        ``{name: bool}``.
    """
    return {k: bool(summary[k][lo] <= v <= summary[k][hi]) for k, v in values.items() if k in summary}
