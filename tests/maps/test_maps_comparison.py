"""Comparisons between maps: hotter shell by shell, and across the Galactic plane."""

import numpy as np
import pytest

from halo_utils import maps


def _profile(median, half68, half95):
    median = np.asarray(median, float)
    return {"median": median, "p16": median - half68, "p84": median + half68,
            "p2_5": median - half95, "p97_5": median + half95}


def test_compare_profiles_counts_hotter_and_separated_shells():
    hot = _profile([150.0, 140.0, 120.0, np.nan], 5.0, 10.0)
    cold = _profile([100.0, 135.0, 125.0, 90.0], 5.0, 10.0)
    # shell 4 has no hot measurement; shell 1 separated (140 > 110), shell 2 hotter but overlapping,
    # shell 3 colder
    assert maps.compare_profiles(hot, cold) == {"n_compared": 3, "n_hotter": 2, "all_hotter": False,
                                                "n_separated_95": 1}


def test_compare_profiles_refuses_other_edges_or_missing_bands():
    with pytest.raises(ValueError, match="same edges"):
        maps.compare_profiles(_profile([1.0, 2.0], 1, 2), _profile([1.0], 1, 2))
    with pytest.raises(ValueError, match=r"cold lacks the band\(s\)"):
        maps.compare_profiles(_profile([1.0], 1, 2), {"median": np.array([1.0])})


def test_hemisphere_dispersion_recovers_two_gaussian_halves():
    rng = np.random.default_rng(4)
    n = 4000
    z = np.concatenate([-rng.uniform(1, 20, n), rng.uniform(1, 20, n)])
    v = np.concatenate([50.0 * rng.standard_normal(n), 100.0 * rng.standard_normal(n)])
    res = maps.hemisphere_dispersion(z, v, np.full(2 * n, 1e-3), n_mc=50, rng=np.random.default_rng(5))
    # the sample dispersion of N Gaussian draws scatters by sigma / sqrt(2 N): allow 4 of those
    assert res["below"]["median"] == pytest.approx(50.0, abs=4 * 50.0 / np.sqrt(2 * n))
    assert res["above"]["median"] == pytest.approx(100.0, abs=4 * 100.0 / np.sqrt(2 * n))
    assert res["below"]["count"] == res["above"]["count"] == n
    assert res["ratio"] == res["above"]["median"] / res["below"]["median"]
