"""Many independent tasks (mock fits, coverage studies, bootstraps) on `dask.distributed`.

A *study* is ``n_tasks`` calls of one function, ``task(index, rng, *args)``, that differ only
in their index and random stream. Task ``i`` draws from
``numpy.random.default_rng(numpy.random.SeedSequence(seed).spawn(n_tasks)[i])``, so its
result depends on the study seed and its index alone: the same for any number of workers,
any order of completion and any machine running it (conventions §12).

By default `run_study` starts a `distributed.LocalCluster` on this machine (one process per
core, one thread each, glibc malloc set by `WORKER_MALLOC_ENVIRON`) and closes it afterwards; given ``scheduler_address`` it sends the same
tasks to a cluster that is already running (for example one started with dask-jobqueue on an
HPC system, see the README). The task function must be importable on the workers: a
module-level function of an installed package, not one defined in a notebook.

Given ``cache_dir`` and a ``cache_key``, every finished task's result is written there at
once (atomically, one file per task), and a later call with the same key loads the finished
tasks instead of running them again: a study killed half-way resumes where it stopped, and a
study grown from n to 2n tasks runs only the new ones (task ``i``'s random stream does not
depend on the number of tasks). The key must fingerprint everything the results depend on
besides the seed and the index (`halo_utils.fingerprint.fingerprint` of the task's settings
and data); results made under another key are never read.

The module knows nothing about the models: the studies themselves live above the models
and simulators (`halo_utils.density_coverage`, `halo_utils.reflex_coverage`).
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from contextlib import contextmanager, nullcontext
from collections.abc import Callable, Sequence
from pathlib import Path

import dask
import numpy as np
from distributed import Client, LocalCluster, as_completed

from .fingerprint import fingerprint
from .outputs import atomic_path
from .progress import Progress

__all__ = ["StudyTaskError", "StudyCacheError", "task_seeds", "mock_seed", "run_task", "run_study",
           "WORKER_MALLOC_ENVIRON"]


class StudyTaskError(RuntimeError):
    """A task of a study raised; ``index`` is the task's index, the cause is chained."""

    def __init__(self, index: int, n_tasks: int, cause: BaseException):
        super().__init__(f"study task {index} (of {n_tasks}) failed: {type(cause).__name__}: {cause}")
        self.index = index


class StudyCacheError(RuntimeError):
    """A cached task result cannot be read back (the file names it)."""


def task_seeds(seed: int, n_tasks: int) -> list[np.random.SeedSequence]:
    """The seed of every task of a study: ``SeedSequence(seed).spawn(n_tasks)``."""
    return np.random.SeedSequence(seed).spawn(n_tasks)


def mock_seed(seed: int, index: int) -> int:
    """The integer seed of mock ``index`` of a mock study with seed ``seed`` (the mock
    generators take one integer): ``seed * 100_003 + index``, distinct for every index below
    100,003 and every seed."""
    return int(seed * 100_003 + index)


def run_task(task: Callable, index: int, seed_seq: np.random.SeedSequence, *args):
    """Run one task as `run_study` does: ``task(index, numpy.random.default_rng(seed_seq), *args)``."""
    return task(index, np.random.default_rng(seed_seq), *args)


def _reporter(progress) -> Callable[[str], None] | None:
    if progress is True:
        return lambda line: print(line, file=sys.stdout, flush=True)
    return progress or None


#: glibc malloc settings of the local cluster's workers. dask's nanny sets
#: MALLOC_TRIM_THRESHOLD_=65536, which hands freed memory back to the system at once: numpy's
#: temporaries of a few MB then cost fresh pages on every likelihood call. Measured here (the
#: density likelihood at H3 scale, data scattered to a worker): 2.7 ms per call in a plain
#: process, 6.8 ms in a default worker, 3.9 ms without the trim setting, 2.8-3.2 ms with these
#: (temporaries below 32 MiB come from the heap, which keeps up to 256 MiB of free memory).
#: Variables already set in the environment win over these.
WORKER_MALLOC_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": str(256 * 2**20), "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20)}


@contextmanager
def _local_cluster(n_workers: int | None):
    # no dashboard; the scheduler's small HTTP server (health checks) takes any free local port
    # instead of 8787, so that two studies at once do not warn about a busy port; the errors of
    # tasks reach the caller as StudyTaskError, so the cluster's own logs stay silent
    saved = dict(os.environ)  # the nannies set their workers' variables in this process too
    try:
        malloc = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_MALLOC_ENVIRON.items()}
        with dask.config.set(malloc):
            cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None,
                                   scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   silence_logs=logging.CRITICAL)
        with cluster:
            yield cluster
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update({k: v for k, v in saved.items() if os.environ.get(k) != v})


def run_study(task: Callable, n_tasks: int, *, seed: int, args: Sequence = (), scheduler_address: str | None = None,
              n_workers: int | None = None, progress: bool | Callable[[str], None] = True,
              label: str = "study", cache_dir: str | Path | None = None, cache_key: str | None = None) -> list:
    """Run ``task(i, rng_i, *args)`` for i = 0 .. n_tasks - 1 on dask.distributed.

    Parameters
    ----------
    task : callable
        ``task(index, rng, *args)``; a module-level function (the workers import it).
    n_tasks : int
        Number of tasks.
    seed : int
        Study seed: task ``i`` gets ``numpy.random.default_rng(task_seeds(seed, n_tasks)[i])``.
    args : sequence
        Further arguments, the same for every task. Each is sent to every worker once
        (``Client.scatter(..., broadcast=True)``), not once per task.
    scheduler_address : str, optional
        Address of a running dask scheduler (``"tcp://host:8786"``); its workers must import
        the same version of this package (and should have `WORKER_MALLOC_ENVIRON` set, see
        the README). None or ``""``: a `distributed.LocalCluster` on this machine, started
        here and closed afterwards.
    n_workers : int, optional
        Worker processes of the local cluster (default: the number of cores). Ignored with
        ``scheduler_address``. The results do not depend on it.
    progress : bool or callable
        True: print a line with tasks done, elapsed time and an estimate of the time left as
        each task finishes; a callable receives that line instead; False: silent.
    label : str
        Name of the study in the progress lines.
    cache_dir : str or Path, optional
        Folder of the task cache (created if missing): each finished task's result goes to
        ``<cache_dir>/<cache_key[:16]>/task_<index>.pkl`` as soon as it is back, and a task
        whose file is there is loaded, not run (see the module docstring).
    cache_key : str
        Required with ``cache_dir``: a fingerprint of everything the results depend on apart
        from the seed and the task's index (the task function's name is added here).

    Returns
    -------
    list
        The tasks' results, in task order.

    Raises
    ------
    StudyTaskError
        When a task raises; it names the task's index and chains the task's exception. The
        tasks finished before it stay in the cache.
    StudyCacheError
        When a cached result cannot be read (delete the file it names to recompute it).
    """
    if int(n_tasks) != n_tasks or n_tasks < 1:
        raise ValueError(f"n_tasks must be a positive integer, got {n_tasks!r}")
    if n_workers is not None and (int(n_workers) != n_workers or n_workers < 1):
        raise ValueError(f"n_workers must be a positive integer or None, got {n_workers!r}")
    n_tasks = int(n_tasks)
    report = _reporter(progress)
    seeds = task_seeds(seed, n_tasks)
    cache = _TaskCache(cache_dir, cache_key, task, seed) if cache_dir is not None else None
    if cache is None and cache_key is not None:
        raise ValueError("cache_key is given but cache_dir is not: where should the results go?")
    results = [None] * n_tasks
    todo = list(range(n_tasks))
    if cache is not None:
        todo = [i for i in todo if not cache.load_into(results, i)]
        if report and len(todo) < n_tasks:
            report(f"{label}: {n_tasks - len(todo)} of {n_tasks} tasks read from the cache {cache.folder}")
    if not todo:
        return results
    target = nullcontext(scheduler_address) if scheduler_address else _local_cluster(n_workers)
    with target as cluster_or_address, Client(cluster_or_address) as client:
        _run(client, task, seeds, todo, list(args), report, label, results, cache)
    return results


class _TaskCache:
    """One file per finished task under ``<cache_dir>/<key>/`` (see `run_study`)."""

    def __init__(self, cache_dir, cache_key, task, seed):
        if not cache_key or not isinstance(cache_key, str):
            raise ValueError(f"cache_dir needs a cache_key (a fingerprint of the study's settings), got {cache_key!r}")
        name = f"{getattr(task, '__module__', '')}.{getattr(task, '__qualname__', repr(task))}"
        self.folder = Path(cache_dir) / fingerprint(cache_key, name, int(seed))[:16]
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, index: int) -> Path:
        return self.folder / f"task_{index:07d}.pkl"

    def load_into(self, results: list, index: int) -> bool:
        path = self.path(index)
        if not path.exists():
            return False
        try:
            with open(path, "rb") as fh:
                results[index] = pickle.load(fh)
        except Exception as exc:  # a file this module did not write whole
            raise StudyCacheError(f"cannot read the cached result {path}: {type(exc).__name__}: {exc} "
                                  "(delete it to run that task again)") from exc
        return True

    def store(self, index: int, result) -> None:
        with atomic_path(self.path(index)) as tmp:
            with open(tmp, "wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())


def _run(client: Client, task: Callable, seeds: list, todo: list, args: list, report, label: str, results: list,
         cache: _TaskCache | None) -> None:
    shared = client.scatter(args, broadcast=True) if args else []
    tracker = Progress(label, len(todo), unit="tasks", enabled=False)  # report() prints the line
    futures = {client.submit(run_task, task, i, seeds[i], *shared, pure=False): i for i in todo}
    for done, future in enumerate(as_completed(futures), start=1):
        i = futures[future]
        try:
            results[i] = future.result()
        except Exception as exc:
            client.cancel(list(futures))
            raise StudyTaskError(i, len(seeds), exc) from exc
        if cache is not None:
            cache.store(i, results[i])
        line = tracker.update(done)
        if report:
            report(line)
