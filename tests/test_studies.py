"""Many-task studies on dask.distributed: the same results for any number of workers, in task
order, equal to a plain loop over the same seeds; failures name their task; a running
cluster named by its scheduler address is used instead of a local one."""

import os
import time
from pathlib import Path

import numpy as np
import pytest
from distributed import LocalCluster, get_worker

from halo_utils.studies import WORKER_MALLOC_ENVIRON, StudyTaskError, mock_seed, run_study, run_task, task_seeds

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def workers_import_this_module(monkeypatch):
    """The workers are new processes: they import the task functions below from this file."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))


def _draw(index, rng, scale, shared, options):
    """A tiny task: a few draws of its own stream; the early tasks finish last."""
    time.sleep(0.05 * (4 - index) if index < 4 else 0.0)
    return index, scale * rng.standard_normal(3), float(shared.sum()), options["tag"]


def _fail_at_two(index, rng):
    if index == 2:
        raise ValueError("bad mock")
    return rng.random()


def _worker(index, rng):
    return get_worker().address


def _malloc_environ(index, rng):
    return {k: os.environ.get(k) for k in WORKER_MALLOC_ENVIRON}


ARGS = (2.5, np.arange(100_000.0), {"tag": "x"})


def _plain_loop(seed, n):
    return [_draw(i, np.random.default_rng(s), *ARGS) for i, s in enumerate(np.random.SeedSequence(seed).spawn(n))]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x[0] == y[0] and np.array_equal(x[1], y[1]) and x[2:] == y[2:]


def test_results_do_not_depend_on_the_number_of_workers():
    lines = []
    one = run_study(_draw, 6, seed=11, args=ARGS, n_workers=1, progress=lines.append)
    two = run_study(_draw, 6, seed=11, args=ARGS, n_workers=2, progress=False)
    assert [r[0] for r in two] == list(range(6)), "results come back in task order"
    _assert_same(one, two)
    _assert_same(one, _plain_loop(11, 6))
    assert len(lines) == 6 and lines[-1].startswith("study: 6/6 tasks (100 %)") and lines[-1].endswith("done")
    assert lines[0].startswith("study: 1/6 tasks (17 %)") and "to go" in lines[0]


def test_task_seeds_are_the_spawned_sequence():
    seeds = task_seeds(4, 3)
    assert [s.spawn_key for s in seeds] == [(0,), (1,), (2,)] and seeds[0].entropy == 4
    assert np.array_equal(run_task(_draw, 3, seeds[2], *ARGS)[1], _plain_loop(4, 3)[2][1])


def test_a_failing_task_is_named():
    with pytest.raises(StudyTaskError, match="study task 2 \\(of 4\\) failed: ValueError: bad mock") as err:
        run_study(_fail_at_two, 4, seed=0, n_workers=2, progress=False)
    assert err.value.index == 2 and isinstance(err.value.__cause__, ValueError)


def test_a_running_cluster_is_used_when_named():
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        workers = set(cluster.scheduler_info["workers"])
        where = run_study(_worker, 3, seed=0, scheduler_address=cluster.scheduler_address, progress=False)
        assert set(where) <= workers
        _assert_same(run_study(_draw, 5, seed=7, args=ARGS, scheduler_address=cluster.scheduler_address,
                               progress=False), _plain_loop(7, 5))
        assert cluster.status.name == "running", "the study leaves a cluster it did not start running"


def test_local_workers_get_the_malloc_settings_and_this_process_keeps_its_environment(monkeypatch):
    for name in WORKER_MALLOC_ENVIRON:
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    assert run_study(_malloc_environ, 1, seed=0, n_workers=1, progress=False) == [WORKER_MALLOC_ENVIRON]
    assert dict(os.environ) == before


@pytest.mark.parametrize("bad", [{"n_tasks": 0}, {"n_tasks": 2.5}, {"n_tasks": 2, "n_workers": 0}])
def test_bad_sizes_are_refused(bad):
    with pytest.raises(ValueError):
        run_study(_draw, seed=0, **bad)


def test_mock_seeds_are_distinct_integers():
    seeds = {mock_seed(s, i) for s in range(5) for i in range(1000)}
    assert len(seeds) == 5000 and all(isinstance(x, int) for x in seeds)
    assert mock_seed(3, 7) == 3 * 100_003 + 7  # the mocks of the reference summaries were drawn with it


def _logged_draw(index, rng, log_dir, fail_at):
    """A task that records each time it runs, and fails at ``fail_at`` while the file
    ``<log_dir>/fail`` exists (a study killed part-way)."""
    Path(log_dir, f"ran_{index}_{time.monotonic_ns()}").touch()
    if index == fail_at and Path(log_dir, "fail").exists():
        raise RuntimeError("killed")
    time.sleep(0.02)
    return index, rng.standard_normal(2)


def _runs(log_dir):
    return sorted(int(p.name.split("_")[1]) for p in Path(log_dir).glob("ran_*"))


def test_a_cached_study_resumes_after_a_failure_and_grows_without_rerunning(tmp_path):
    log, cache = tmp_path / "log", tmp_path / "cache"
    log.mkdir()
    (log / "fail").touch()
    args = (str(log), 5)
    with pytest.raises(StudyTaskError, match="study task 5"):
        run_study(_logged_draw, 8, seed=3, args=args, n_workers=1, progress=False, cache_dir=cache, cache_key="k1")
    cached_after_kill = sorted(p.name for p in cache.rglob("task_*.pkl"))
    assert "task_0000005.pkl" not in cached_after_kill and not list(cache.rglob("*.tmp*"))
    (log / "fail").unlink()
    for p in log.glob("ran_*"):
        p.unlink()
    lines = []
    resumed = run_study(_logged_draw, 8, seed=3, args=args, n_workers=2, progress=lines.append, cache_dir=cache,
                        cache_key="k1")
    # only the tasks that had not finished ran again, and the results are those of a fresh run
    assert _runs(log) == sorted(set(range(8)) - {int(n[5:12]) for n in cached_after_kill})
    assert lines[0] == f"study: {len(cached_after_kill)} of 8 tasks read from the cache {next(cache.iterdir())}"
    fresh = run_study(_logged_draw, 8, seed=3, args=args, n_workers=1, progress=False)
    assert [r[0] for r in resumed] == list(range(8))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(resumed, fresh))
    # a study grown to 12 tasks runs only tasks 8-11, and its first 8 results are unchanged
    for p in log.glob("ran_*"):
        p.unlink()
    grown = run_study(_logged_draw, 12, seed=3, args=args, n_workers=2, progress=False, cache_dir=cache,
                      cache_key="k1")
    assert _runs(log) == [8, 9, 10, 11]
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(grown[:8], fresh))
    # another key (other settings) never reads these results
    for p in log.glob("ran_*"):
        p.unlink()
    run_study(_logged_draw, 3, seed=3, args=args, n_workers=1, progress=False, cache_dir=cache, cache_key="k2")
    assert _runs(log) == [0, 1, 2]


def test_a_cache_needs_a_key_and_an_unreadable_result_is_named(tmp_path):
    from halo_utils.studies import StudyCacheError

    with pytest.raises(ValueError, match="cache_dir needs a cache_key"):
        run_study(_fail_at_two, 1, seed=0, progress=False, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="cache_key is given but cache_dir is not"):
        run_study(_fail_at_two, 1, seed=0, progress=False, cache_key="k")
    run_study(_fail_at_two, 2, seed=0, n_workers=1, progress=False, cache_dir=tmp_path, cache_key="k")
    (target,) = [p for p in tmp_path.rglob("task_0000001.pkl")]
    target.write_bytes(b"not a pickle")
    with pytest.raises(StudyCacheError, match="task_0000001.pkl"):
        run_study(_fail_at_two, 2, seed=0, n_workers=1, progress=False, cache_dir=tmp_path, cache_key="k")
