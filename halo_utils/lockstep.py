"""dynesty's random-walk proposals run in lockstep over its queue, for a batched likelihood.

With a pool, dynesty's static sampler fills a queue of proposals at a time: each starts a
random walk of ``walks`` steps (`dynesty.internal_samplers.RWalkSampler`) from a live point,
and the pool maps the walks one by one, one likelihood call per step. A likelihood that
evaluates many parameter vectors in one call (`~halo_utils.reflex.gradient.BatchLogLikelihood`,
compiled and vectorised) costs far less per vector than one call each, so `LockstepPool`
advances all the walks of a queue together: at each step every walk proposes its next point
with dynesty's own `propose_ball_point` and its own random generator, and the proposals
inside the unit cube are evaluated in one batch. Each walk then sees exactly the draws,
points and acceptances it would have seen alone: `random_walks_in_lockstep` returns what
`RWalkSampler.sample` returns for each walk, to the rounding of the batched likelihood
(bit for bit with the same likelihood; tested), and the walks do not depend on how they are
split between processes.

The same holds for the uniform draws of the unit-cube phase before dynesty's first bound
(`dynesty.internal_samplers.UnitCubeSampler`: each proposer draws until one point beats the
bound), `uniform_draws_in_lockstep`. Everything else dynesty maps (the live points' first
likelihoods, the bound updates) runs as dynesty's own functions in this process.
"""

from __future__ import annotations

import multiprocessing
import pickle
import uuid

import numpy as np
from dynesty.internal_samplers import RWalkSampler, SamplerReturn, UnitCubeSampler, propose_ball_point
from dynesty.utils import SamplerHistoryItem, get_random_generator

from .validation import check_integer

__all__ = ["LockstepPool", "random_walks_in_lockstep", "uniform_draws_in_lockstep"]


def random_walks_in_lockstep(starts, loglstar: float, axes, scale: float, seeds, kwargs: dict,
                             prior_transform, batch_loglikelihood) -> list:
    """dynesty's random walk (`dynesty.internal_samplers.generic_random_walk`) from each start,
    all walks advanced step by step together.

    Parameters
    ----------
    starts : sequence of ndarray (ndim,)
        Start of each walk in the unit cube (copies of live points).
    loglstar : float
        The likelihood bound a step must exceed to be accepted.
    axes : sequence of ndarray (ncdim, ncdim)
        Each walk's proposal ellipsoid axes.
    scale : float
        dynesty's proposal scale.
    seeds : sequence
        Each walk's seed (`numpy.random.SeedSequence` or generator), as dynesty hands them.
    kwargs : dict
        The random walk sampler's settings (``walks``, ``nonbounded``, ``periodic``,
        ``reflective``).
    prior_transform : callable
        Unit cube -> parameters, one vector.
    batch_loglikelihood : callable
        ln L of the rows of an array (P, ndim) with keyword ``pad_to`` (the number of walks,
        so that a compiled likelihood sees one batch size).

    Returns
    -------
    list of `dynesty.internal_samplers.SamplerReturn`
        One per walk, as `RWalkSampler.sample` returns it.
    """
    n_walks = len(starts)
    walks = kwargs["walks"]
    periodic, reflective, nonbounded = kwargs.get("periodic"), kwargs.get("reflective"), kwargs.get("nonbounded")
    rstates = [get_random_generator(seed) for seed in seeds]
    u = [np.array(s, dtype=float) for s in starts]
    v, logl = [None] * n_walks, [None] * n_walks
    n_accept, n_reject = [0] * n_walks, [0] * n_walks
    history = [[] for _ in range(n_walks)]
    for _ in range(walks):  # every step of dynesty's walk counts one call, in the cube or not
        proposed, index = [], []
        for i in range(n_walks):
            u_prop, fail = propose_ball_point(u[i], scale, axes[i], len(u[i]), axes[i].shape[0], rstate=rstates[i],
                                              periodic=periodic, reflective=reflective, nonbounded=nonbounded)
            if fail:
                n_reject[i] += 1
            else:
                proposed.append(u_prop)
                index.append(i)
        if not index:
            continue
        v_prop = [prior_transform(p) for p in proposed]
        logl_prop = batch_loglikelihood(np.array(v_prop), pad_to=n_walks)
        for k, i in enumerate(index):
            history[i].append(SamplerHistoryItem(u=proposed[k], v=v_prop[k], logl=logl_prop[k]))
            if logl_prop[k] > loglstar:
                u[i], v[i], logl[i] = proposed[k], v_prop[k], logl_prop[k]
                n_accept[i] += 1
            else:
                n_reject[i] += 1
    stuck = [i for i in range(n_walks) if n_accept[i] == 0]
    if stuck:  # dynesty evaluates the start again, uncounted
        v_stuck = [prior_transform(u[i]) for i in stuck]
        logl_stuck = batch_loglikelihood(np.array(v_stuck), pad_to=n_walks)
        for k, i in enumerate(stuck):
            v[i], logl[i] = v_stuck[k], logl_stuck[k]
    return [SamplerReturn(u=u[i], v=v[i], logl=logl[i], ncalls=walks, evaluation_history=history[i],
                          tuning_info={"accept": n_accept[i], "reject": n_reject[i], "scale": scale},
                          proposal_stats={"n_accept": n_accept[i], "n_reject": n_reject[i]})
            for i in range(n_walks)]


def uniform_draws_in_lockstep(seeds, loglstar: float, ndim: int, prior_transform, batch_loglikelihood) -> list:
    """dynesty's unit-cube proposal (`dynesty.internal_samplers.UnitCubeSampler`) for each seed:
    uniform draws in the unit cube until one has ln L above ``loglstar``, all proposers
    drawing together (arguments as for `random_walks_in_lockstep`). Returns one
    `dynesty.internal_samplers.SamplerReturn` per seed, as `UnitCubeSampler.sample` does."""
    n = len(seeds)
    rstates = [get_random_generator(seed) for seed in seeds]
    history = [[] for _ in range(n)]
    done = [None] * n
    active = list(range(n))
    while active:
        u = [rstates[i].uniform(size=ndim) for i in active]
        v = [prior_transform(x) for x in u]
        logl = batch_loglikelihood(np.array(v), pad_to=n)
        still = []
        for k, i in enumerate(active):
            history[i].append(SamplerHistoryItem(u=u[k], v=v[k], logl=logl[k]))
            if logl[k] > loglstar:
                done[i] = (u[k], v[k], logl[k])
            else:
                still.append(i)
        active = still
    return [SamplerReturn(u=done[i][0], v=done[i][1], logl=done[i][2], ncalls=len(history[i]), tuning_info=None,
                          evaluation_history=history[i], proposal_stats={"n_proposals": len(history[i])})
            for i in range(n)]


def _random_walk_job(args):
    """The arguments of `random_walks_in_lockstep` from dynesty's for each walk of a chunk."""
    return ("walk", [a.u for a in args], args[0].loglstar, [a.axes for a in args], args[0].scale,
            [a.rseed for a in args], args[0].kwargs)


def _uniform_job(args):
    """The arguments of `uniform_draws_in_lockstep` from dynesty's for each proposer of a chunk."""
    return ("uniform", [a.rseed for a in args], args[0].loglstar, args[0].kwargs["ndim"])


#: dynesty's proposal functions that run in lockstep, and how their arguments are packed.
_LOCKSTEP_JOBS = {RWalkSampler.sample: _random_walk_job, UnitCubeSampler.sample: _uniform_job}


def _run_job(job, prior_transform, batch_loglikelihood):
    kind, *arguments = job
    run = random_walks_in_lockstep if kind == "walk" else uniform_draws_in_lockstep
    return run(*arguments, prior_transform, batch_loglikelihood)


#: What each worker process of a `LockstepPool` holds, by the pool's token.
_INSTALLED = {}


def _install(token: str, functions: bytes) -> None:
    """Initializer of a worker process: keep the pickled functions under ``token``. They come
    as bytes, unpickled here, so that the parent, which writes them down a pipe, is not held
    while each worker in turn imports what they need."""
    _INSTALLED[token] = pickle.loads(functions)


def _run_installed_job(token_and_job):
    token, job = token_and_job
    return _run_job(job, *_INSTALLED[token])


class LockstepPool:
    """A pool for dynesty that runs each queue of random walks in lockstep (module docstring).

    Pass it as ``pool`` to `dynesty.NestedSampler` (``sample="rwalk"``, an explicit
    ``queue_size``) with the scalar likelihood and prior transform of the same problem; the
    queue's walks are split into ``n_processes`` chunks, each advanced in lockstep in a
    worker process (``spawn``, each receiving the functions once) or, with one process,
    here. The result does not depend on ``n_processes``. Use it as a context manager (or
    call `close`).

    Parameters
    ----------
    prior_transform : callable
        Unit cube -> parameters, one vector (picklable).
    batch_loglikelihood : callable
        ln L of the rows of (P, ndim), with keyword ``pad_to`` (picklable).
    n_processes : int
        Worker processes (1: none).
    """

    def __init__(self, prior_transform, batch_loglikelihood, n_processes: int = 1):
        self.n_processes = check_integer("n_processes", n_processes, low=1)
        self.prior_transform, self.batch_loglikelihood = prior_transform, batch_loglikelihood
        self._token = uuid.uuid4().hex
        self._pool = None
        if self.n_processes > 1:
            self._pool = multiprocessing.get_context("spawn").Pool(
                self.n_processes, initializer=_install,
                initargs=(self._token, pickle.dumps((prior_transform, batch_loglikelihood))))

    @property
    def size(self) -> int:
        """Processes (dynesty's default queue size when none is given)."""
        return self.n_processes

    def map(self, func, iterable) -> list:
        """dynesty's ``map``: a queue of random walks or of unit-cube draws in lockstep
        (split between the processes), anything else here."""
        args = list(iterable)
        pack = _LOCKSTEP_JOBS.get(func)
        if pack is None or not args:
            return list(map(func, args))
        if any(a.loglstar != args[0].loglstar or a.scale != args[0].scale for a in args):
            raise RuntimeError("a queue of proposals with different bounds or scales cannot run in lockstep")
        chunks = [c for c in np.array_split(np.arange(len(args)), self.n_processes) if c.size]
        jobs = [pack([args[i] for i in c]) for c in chunks]
        if self._pool is None:
            results = [_run_job(job, self.prior_transform, self.batch_loglikelihood) for job in jobs]
        else:
            results = self._pool.map(_run_installed_job, [(self._token, job) for job in jobs])
        return [r for chunk in results for r in chunk]

    def close(self) -> None:
        """Stop the worker processes (after their work, unless terminated)."""
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if self._pool is not None and exc_type is not None:
            self._pool.terminate()  # an interrupted run: do not wait for the workers
        self.close()
        return False
