"""Shared fixtures: a small mock survey (a few hundred tiles) generated once per session."""

import numpy as np
import pytest

from halo_utils.mock import MockConfig, generate_survey

SMALL_SEED = 11


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
