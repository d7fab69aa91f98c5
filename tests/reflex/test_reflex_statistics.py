"""Binned kinematic statistics (halo_utils.reflex.statistics): every star counted once, means
and dispersions recovered within their sampling errors, the same numbers for any row order."""

import numpy as np
import pytest
from astropy.table import Table

from halo_utils import reflex as rf

EDGES = (40.0, 60.0, 100.0, 160.0)
#: Per quadrant: the true (mean, std) of v_gsr, v_l, v_b, km/s.
TRUE = {"LMC": ((-30.0, 90.0), (5.0, 60.0), (20.0, 50.0)),
        "LMC-north": ((10.0, 100.0), (0.0, 70.0), (15.0, 55.0)),
        "opposite": ((25.0, 110.0), (-5.0, 65.0), (10.0, 60.0)),
        "opposite-south": ((-5.0, 95.0), (2.0, 75.0), (18.0, 45.0))}


def catalogue(n=40_000, seed=1):
    """Stars isotropic on the sky, r uniform in 30-170 kpc (some outside the edges), each
    velocity Gaussian with its quadrant's mean and dispersion."""
    rng = np.random.default_rng(seed)
    l = rng.uniform(0, 360, n)
    b = np.rad2deg(np.arcsin(rng.uniform(-1, 1, n)))
    r = rng.uniform(30, 170, n)
    q = rf.sky_quadrant(l, b)
    table = Table({"l": l, "b": b, "r": r})
    for k, v in enumerate(rf.VELOCITY_NAMES):
        mu = np.array([TRUE[name][k][0] for name in rf.SKY_QUADRANTS])[q]
        sd = np.array([TRUE[name][k][1] for name in rf.SKY_QUADRANTS])[q]
        table[v] = mu + sd * rng.standard_normal(n)
    return table


def test_quadrants_follow_their_definition_at_the_edges():
    l = [280.0, 280.0, 90.0, 90.0, 0.0, 180.0, 359.9, -80.0, 100.0, 100.0]
    b = [-33.0, 10.0, 10.0, -10.0, 90.0, -90.0, 0.0, -30.0, 0.0, -90.0]
    names = [list(rf.SKY_QUADRANTS)[i] for i in rf.sky_quadrant(l, b)]
    # the LMC (l, b) = (280.5, -32.9) is in "LMC"; b = 0 and the north pole belong to the north,
    # l = 180 to the LMC's half, l = -80 is l = 280
    assert names == ["LMC", "LMC-north", "opposite", "opposite-south", "opposite", "LMC", "LMC-north", "LMC",
                     "opposite", "opposite-south"]
    with pytest.raises(ValueError, match="b"):
        rf.sky_quadrant([10.0], [91.0])


def test_every_star_is_counted_once_and_the_moments_are_recovered():
    table = catalogue()
    stats = rf.kinematic_statistics(table, EDGES)
    r = np.asarray(table["r"])
    outside = (r < EDGES[0]) | (r >= EDGES[-1])
    assert stats.outside == outside.sum() and stats.count.sum() + stats.outside == len(table)
    assert stats.count.shape == (4, 3)
    for i, name in enumerate(stats.quadrants):
        for k, v in enumerate(rf.VELOCITY_NAMES):
            mu, sd = TRUE[name][k]
            n = stats.count[i]
            # sampling errors of a mean (sd / sqrt n) and of a standard deviation (sd / sqrt(2 (n - 1)))
            assert np.all(np.abs(stats.mean[v][i] - mu) < 4 * sd / np.sqrt(n)), (name, v)
            assert np.all(np.abs(stats.std[v][i] - sd) < 4 * sd / np.sqrt(2 * (n - 1))), (name, v)


def test_a_cell_with_too_few_stars_is_nan_and_the_vector_is_named():
    table = catalogue(n=2_000)
    keep = ~((rf.sky_quadrant(table["l"], table["b"]) == 0) & (np.asarray(table["r"]) >= 100))
    stats = rf.kinematic_statistics(table[keep][:], EDGES, min_count=5)
    assert stats.count[0, 2] == 0 and np.isnan(stats.mean["v_b"][0, 2]) and np.isnan(stats.std["v_gsr"][0, 2])
    names, vector = stats.names(), stats.vector()
    assert len(names) == len(vector) == 2 * 3 * 4 * 3 and len(set(names)) == len(names)
    assert names[0] == "v_gsr_mean[LMC, 40-60]" and names[-1] == "v_b_std[opposite-south, 100-160]"
    assert vector[names.index("v_l_std[opposite, 60-100]")] == stats.std["v_l"][2, 1]
    rows = stats.table()
    assert len(rows) == 12 and list(rows["n"]) == stats.count.ravel().tolist()
    assert rows["v_b_mean"][names.index("v_b_mean[LMC-north, 60-100]") - 2 * 12] == stats.mean["v_b"][1, 1]


def test_the_statistics_do_not_depend_on_the_row_order():
    table = catalogue(n=5_000, seed=3)
    shuffled = table[np.random.default_rng(0).permutation(len(table))]
    a, b = rf.kinematic_statistics(table, EDGES), rf.kinematic_statistics(shuffled, EDGES)
    assert np.array_equal(a.count, b.count)
    np.testing.assert_allclose(a.vector(), b.vector(), rtol=1e-12, atol=1e-12)


def test_bad_input_names_what_is_wrong():
    table = catalogue(n=100)
    with pytest.raises(ValueError, match="lacks column 'v_b'"):
        rf.kinematic_statistics(table[["l", "b", "r", "v_gsr", "v_l"]])
    with pytest.raises(ValueError, match="edges must be strictly increasing"):
        rf.kinematic_statistics(table, (40.0, 40.0, 80.0))
    with pytest.raises(ValueError, match="min_count"):
        rf.kinematic_statistics(table, min_count=1)
    bad = table.copy()
    bad["v_l"][3] = np.nan
    with pytest.raises(ValueError, match="v_l"):
        rf.kinematic_statistics(bad)
