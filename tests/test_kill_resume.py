"""A sampler killed with SIGKILL in another process resumes to the run that was never killed.

Each test starts this file as a child process (``python tests/test_kill_resume.py <what>
<file>``), which runs a small, fully seeded fit with a resumable file, waits until the file
shows progress, kills the child with ``kill -9`` (no handler, no ``finally``, no flush),
then resumes the fit in this process from whatever the child left behind and compares it,
sample for sample, with an uninterrupted run. A resume with other data must be refused
without touching the file.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import halo_utils
from halo_utils import density as dens
from halo_utils import mock
from halo_utils import reflex as rf
from halo_utils.fingerprint import FingerprintMismatch, file_sha256

REPO = Path(__file__).resolve().parents[1]
#: Longest wait for the child to show progress (a loaded CI machine, a cold import).
POLL_TIMEOUT = 120.0
#: Longest wait for the killed child to be reaped.
WAIT_TIMEOUT = 60.0

# ------------------------------------------------------------------ the two problems
# Both the child and this process build them from these functions, with fixed seeds.

EMCEE_START = {"alpha1": 3.0, "log10_mass": 7.0}
EMCEE_STEPS_MAX = 2000  # the cap; the chain converges (n_tau = 80) at step 1100, before it
EMCEE_CHECK_EVERY = 100
EMCEE_KILL_AFTER = 250  # steps: two convergence checks (100, 200) lie before the kill


def _emcee_problem(n_stars=300):
    """A spherical power law seen on a full-sky node grid, 6-60 kpc; 300 fixed stars."""
    import healpy as hp

    nside, r = 4, np.geomspace(6.0, 60.0, 60)
    vec = np.array(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))))
    dln = np.gradient(np.log(r))
    dln[[0, -1]] *= 0.5
    pos = vec[:, :, None] * r[None, None, :]
    weight = np.broadcast_to(4 * np.pi / vec.shape[1] * r**3 * dln, (vec.shape[1], r.size))
    survey = dens.SelectionGrid.from_nodes(pos, weight)
    stars = np.random.default_rng(2024).normal(0, 15, (3, 300)) + np.array([[20.0], [0], [0]])
    return dens.Stars(stars[:, :n_stars]), survey


def _fit_emcee(stars, survey, backend_path):
    return dens.fit_emcee(stars, survey, "spherical_no_break", start=EMCEE_START, rng=np.random.default_rng(5),
                          n_walkers=8, n_steps_max=EMCEE_STEPS_MAX, backend_path=backend_path,
                          check_every=EMCEE_CHECK_EVERY, n_tau=80)


DYNESTY = {"nlive": 40, "dlogz": 1.0}
DYNESTY_KILL_AFTER = 100  # iterations in the checkpoint; the whole run takes 951


def _reflex_stars(n=150):
    """The first ``n`` stars of the outer-halo mock (as tests/test_reflex.py selects them)."""
    cat, _ = mock.generate_outer_halo(mock.DEFAULT_SEED)
    return cat[:n]


def _fit_dynesty(table, checkpoint_file=None, **kw):
    if checkpoint_file is not None:
        kw["checkpoint_file"] = checkpoint_file
    return rf.fit_reflex(table, "constant", "dynesty", rng=5, **DYNESTY, **kw)


def _child_main(what, path):
    """Run in the child: say which halo_utils it imported, then fit until killed."""
    print(halo_utils.__file__, flush=True)
    if what == "emcee":
        _fit_emcee(*_emcee_problem(), path)
    elif what == "dynesty":
        # checkpoint often, so that the checkpoint is never far behind the kill
        _fit_dynesty(_reflex_stars(), path, checkpoint_every=0.1)
    else:
        raise SystemExit(f"unknown problem {what!r}")
    print("finished", flush=True)


# ------------------------------------------------------------------ killing a child


def _start_child(what, path, tmp_path):
    env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    out = open(tmp_path / f"{what}-child.out", "w")
    err = open(tmp_path / f"{what}-child.err", "w")
    try:
        child = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), what, str(path)],
                                 cwd=REPO, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    finally:
        out.close()
        err.close()
    return child


def _child_log(tmp_path, what):
    return "\n".join(f"--- {p.name}:\n{p.read_text()[-3000:]}"
                     for p in (tmp_path / f"{what}-child.out", tmp_path / f"{what}-child.err"))


def _kill_when(child, progress, target, *, what, tmp_path):
    """SIGKILL ``child`` once ``progress()`` reaches ``target``; return the progress seen then."""
    deadline = time.monotonic() + POLL_TIMEOUT
    seen = None
    try:
        while True:
            if child.poll() is not None:
                pytest.fail(f"the {what} child exited with status {child.returncode} before it was killed "
                            f"(last progress seen: {seen}, target {target}); the run is too short to be "
                            f"killed mid-way, make it longer.\n{_child_log(tmp_path, what)}")
            seen = progress()
            if seen is not None and seen >= target:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"the {what} child made no progress to {target} in {POLL_TIMEOUT:.0f} s "
                            f"(last progress seen: {seen}).\n{_child_log(tmp_path, what)}")
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        rc = child.wait(timeout=WAIT_TIMEOUT)
    finally:
        if child.poll() is None:  # a failure above: leave no orphan behind
            child.kill()
            child.wait(timeout=WAIT_TIMEOUT)
    assert rc == -signal.SIGKILL, (
        f"the {what} child was not killed by SIGKILL but exited with {rc} (it finished before the kill?)"
        f"\n{_child_log(tmp_path, what)}")
    lines = (tmp_path / f"{what}-child.out").read_text().splitlines()
    assert lines and Path(lines[0]) == Path(halo_utils.__file__), (
        f"the child imported another halo_utils: {lines[:1]} vs {halo_utils.__file__}")
    assert "finished" not in lines
    return seen


def _backend_iteration(path):
    """Steps saved in an emcee HDF5 backend, or None while it cannot be read.

    The child writes it without file locking; a read can catch it half-written, or before
    it exists, and is then simply tried again.
    """
    import h5py

    try:
        with h5py.File(path, "r", locking=False) as f:
            return int(f["mcmc"].attrs["iteration"])
    except Exception:  # noqa: BLE001 - any failure here means "not readable yet"
        return None


def _checkpoint_sampler(path):
    """The dynesty sampler pickled in a checkpoint (written atomically: tmp file + rename)."""
    with open(path, "rb") as fh:
        return pickle.load(fh)["sampler"]


def _checkpoint_iteration(path):
    try:
        return int(_checkpoint_sampler(path).it)
    except (OSError, EOFError, pickle.UnpicklingError):
        return None


@pytest.fixture
def one_blas_thread():
    """Run this process with one OpenBLAS thread, as the child runs (OPENBLAS_NUM_THREADS=1).

    The density likelihood makes BLAS calls on ~10^4-element vectors; on a machine whose
    cores are busy, OpenBLAS's spinning worker threads make the emcee test ~6x slower
    (90 s instead of 14 s measured on a loaded 2-core machine). Sets every loaded OpenBLAS
    (numpy's, scipy's) to one thread through its C API, as threadpoolctl would, and
    restores the old counts afterwards; does nothing where none is found.
    """
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    libs = sorted({line.split()[-1] for line in maps.splitlines()
                   if "openblas" in line.lower() and line.split()[-1].startswith("/")})
    restore = []
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
            get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                restore.append((put, get()))
                put(1)
                break
    yield
    for put, n in restore:
        put(n)


# ------------------------------------------------------------------ the tests


def test_emcee_killed_with_sigkill_resumes_to_the_uninterrupted_chain(tmp_path, monkeypatch, one_blas_thread):
    import emcee

    monkeypatch.setenv("HDF5_USE_FILE_LOCKING", "FALSE")
    path = tmp_path / "killed.h5"
    child = _start_child("emcee", path, tmp_path)
    seen = _kill_when(child, lambda: _backend_iteration(path), EMCEE_KILL_AFTER, what="emcee", tmp_path=tmp_path)

    killed = emcee.backends.HDFBackend(str(path), read_only=True)
    n_killed = killed.iteration
    assert seen <= n_killed < EMCEE_STEPS_MAX  # really interrupted (steps only ever get added)
    killed_chain = killed.get_chain()

    stars, survey = _emcee_problem()
    straight = _fit_emcee(stars, survey, tmp_path / "straight.h5")
    assert not straight["resumed"] and straight["converged"]
    assert n_killed < straight["n_steps"], "the child was killed after the run would have ended"
    # the steps the child saved before it died are the uninterrupted chain's first steps
    np.testing.assert_array_equal(killed_chain, straight["sampler"].get_chain()[:n_killed])

    # other data: refused, and the killed backend is left exactly as it was
    before = file_sha256(path)
    with pytest.raises(FingerprintMismatch, match="other data or settings"):
        _fit_emcee(_emcee_problem(n_stars=200)[0], survey, path)
    assert file_sha256(path) == before

    resumed = _fit_emcee(stars, survey, path)
    assert resumed["resumed"]
    assert resumed["n_steps"] == straight["n_steps"] and resumed["converged"] == straight["converged"]
    np.testing.assert_array_equal(resumed["sampler"].get_chain(), straight["sampler"].get_chain())
    np.testing.assert_array_equal(resumed["sampler"].get_log_prob(), straight["sampler"].get_log_prob())
    np.testing.assert_array_equal(resumed["samples"], straight["samples"])
    np.testing.assert_array_equal(resumed["tau"], straight["tau"])
    assert resumed["burn_in"] == straight["burn_in"]
    assert resumed["summary"] == straight["summary"]
    # counted from the chain: emcee's own counter can count a step twice when the kill falls
    # between its write of the acceptances and of the step number (seen once in ~100 kills)
    assert resumed["acceptance"] == straight["acceptance"]


# dynesty says so when halo_utils hands it a checkpoint of a finished run to "resume"
@pytest.mark.filterwarnings("ignore:You are resuming a finished static run:UserWarning")
def test_dynesty_killed_with_sigkill_resumes_to_the_uninterrupted_run(tmp_path, one_blas_thread):
    ck = tmp_path / "killed.save"
    sidecar = tmp_path / "killed.save.fingerprint"
    child = _start_child("dynesty", ck, tmp_path)
    _kill_when(child, lambda: _checkpoint_iteration(ck), DYNESTY_KILL_AFTER, what="dynesty", tmp_path=tmp_path)

    sampler = _checkpoint_sampler(ck)
    it_killed = sampler.it - 1  # dynesty counts iterations from 1
    assert not sampler.added_live, "the checkpoint holds a finished run: the child was not killed mid-way"
    assert sidecar.exists()

    sel = _reflex_stars()
    straight = _fit_dynesty(sel)
    assert not straight.info["resumed"]
    assert DYNESTY_KILL_AFTER - 1 <= it_killed < straight.info["niter"]

    # other data: refused, and the checkpoint and its fingerprint are left exactly as they were
    before = (file_sha256(ck), sidecar.read_text())
    with pytest.raises(FingerprintMismatch, match="other data or settings"):
        _fit_dynesty(sel[:120], ck)
    assert (file_sha256(ck), sidecar.read_text()) == before

    resumed = _fit_dynesty(sel, ck)
    assert resumed.info["resumed"]
    # bit-identical: the checkpoint pickles the whole sampler, its numpy Generator included
    np.testing.assert_array_equal(resumed.samples, straight.samples)
    np.testing.assert_array_equal(resumed.best, straight.best)
    assert resumed.max_log_likelihood == straight.max_log_likelihood
    for key in ("niter", "ncall", "logz", "logzerr"):
        assert resumed.info[key] == straight.info[key], key
    np.testing.assert_array_equal(resumed.outlier_probability, straight.outlier_probability)

    # restart=True: a fresh run on the other data, whose fingerprint now guards the file
    other = _fit_dynesty(sel[:120], ck, restart=True)
    assert not other.info["resumed"]
    assert sidecar.read_text() != before[1]
    again = _fit_dynesty(sel[:120], ck)  # the finished run comes back as it was made
    assert again.info["resumed"]
    np.testing.assert_array_equal(again.samples, other.samples)
    assert again.info["niter"] == other.info["niter"]
    with pytest.raises(FingerprintMismatch):
        _fit_dynesty(sel, ck)


if __name__ == "__main__":  # the child process of the tests above
    _child_main(*sys.argv[1:3])
