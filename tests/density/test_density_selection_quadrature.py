"""The quadrature of the selection integral: the default distance grid against a fine one.

Lambda(theta) is a trapezoid sum in ln D over `N_DISTANCE_NODES` nodes per tile
(conventions §8). A quadrature error that were the same at every theta would only rescale
the amplitude; what could move the posterior is the part that varies with the shape. The
test measures both at a posterior-like cloud of parameter vectors (the Laplace
approximation of a fit to an H3-sized mock) against a grid with 8x the nodes.
"""

import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.cuts import satellite_mask
from halo_utils.mock import forward_mock

MODEL = "triaxial_double_break"
FINE = 8  # the reference grid has FINE x N_DISTANCE_NODES nodes


@pytest.fixture(scope="module")
def grids(small_survey):
    tiles = small_survey[0]
    exclude = satellite_mask(tiles["RA"], tiles["DEC"], 1.0)
    default = dens.SelectionGrid.from_tiles(tiles, exclude=exclude)
    fine = dens.SelectionGrid.from_tiles(
        tiles, exclude=exclude, distance=np.geomspace(*dens.DISTANCE_RANGE_KPC, FINE * dens.N_DISTANCE_NODES))
    return default, fine


def test_default_distance_grid_moves_no_posterior(grids, gse_truth):
    default, fine = grids
    assert default.distance.size == dens.N_DISTANCE_NODES
    m = dens.get_model(MODEL)
    # an H3-sized sample (~6,000 stars) on the 250-tile survey, drawn through the fine grid
    stars = dens.Stars.from_table(forward_mock({**gse_truth, "log10_mass": 9.75}, fine, np.random.default_rng(5)))
    assert 4000 < len(stars) < 9000
    fit = dens.fit_mle(stars, default, MODEL, n_starts=1, rng=np.random.default_rng(6))
    cov = dens.laplace_errors(fit, stars, default)["cov"]
    rng = np.random.default_rng(7)
    cloud = [x for x in rng.multivariate_normal(m.vector(fit["params"]), cov, 200)
             if not m.problems(m.params(x))][:60]
    assert len(cloud) == 60
    delta = np.array([default.expected_number(m.params(x), m) - fine.expected_number(m.params(x), m)
                      for x in cloud])
    lam = len(stars)
    # a constant offset rescales the amplitude: 1e-3 of Lambda would be 4e-4 dex in mass,
    # far inside its statistical error (0.5 / sqrt(N) ln units ~ 3e-3 dex at this N)
    assert abs(np.mean(delta)) < 1e-3 * lam, np.mean(delta)
    # the shape-dependent part enters ln L directly: a tenth of a unit of ln L is ~5 % of
    # the posterior's own spread in ln L (sqrt(ndim / 2) = 2.2) and moves no interval visibly
    assert np.std(delta) < 0.1, np.std(delta)
    print(f"Lambda {lam}: mean delta {np.mean(delta):.3f}, std {np.std(delta):.4f}")
