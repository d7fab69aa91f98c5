"""Shared fixtures: a small mock survey (a few hundred tiles) generated once per session."""

import os
from pathlib import Path

# One BLAS thread per test process (set before numpy loads OpenBLAS): the likelihoods work on
# vectors of ~1e4 elements, where threads only fight the other pytest-xdist worker for the
# cores (an emcee run measured 18 s with default threads, 2 s with one, same numbers).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from halo_utils.mock import DEFAULT_SEED, MockConfig, ensure_survey, generate_outer_halo, generate_survey  # noqa: E402

SMALL_SEED = 11
DATA = Path(__file__).resolve().parent.parent / "data"


def pytest_configure(config):
    """Make the default mock in data/ current once, before any test (and any pytest-xdist
    worker) starts: the chapter tests read it, and generating it from several workers at
    once would race. A no-op (a hash check) when it is already current."""
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        ensure_survey(DATA)


def pytest_collection_modifyitems(config, items):
    """Slow tests (the chapter reruns, minutes each) first: pytest-xdist hands tests out in
    collection order, so long tests started last would leave one worker finishing them alone
    while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def small_config():
    return MockConfig(n_tiles=250)


@pytest.fixture(scope="session")
def small_survey(small_config):
    """(tiles, catalog, truth) of a 250-tile mock: ~50k stars, ~2k giants."""
    return generate_survey(SMALL_SEED, small_config)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def outer():
    """(catalogue, truth) of the default outer-halo mock (the mock and the reflex tests share it)."""
    return generate_outer_halo(DEFAULT_SEED)
