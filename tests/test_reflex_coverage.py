"""The many-mock coverage study of the reflex fit."""

import numpy as np
import pytest

from halo_utils.reflex_coverage import coverage_mocks, coverage_summary


@pytest.mark.slow
def test_coverage_study_is_independent_of_the_number_of_processes():
    one = coverage_mocks(2, seed=3, n_starts=1, n_procs=1, progress=None)
    two = coverage_mocks(2, seed=3, n_starts=1, n_procs=2, progress=None)
    for name in one.colnames:
        assert np.array_equal(one[name], two[name]), name
    summary = coverage_summary(one)
    assert set(summary["likelihood"]) == {"mixture", "gaussian"} and np.all(summary["n_mocks"] == 2)
