"""The benchmark pairs: each fast path agrees with its plain reference implementation.

Timings are not asserted (speed is measured by ``make bench``, not by tests); what the
tests hold is that every pair does the same work both ways.
"""

import numpy as np
import pytest

from halo_utils.bench import format_pairs, pair, run_pairs


def test_pair_reports_both_medians_their_ratio_and_the_difference():
    result = pair(lambda: 1.0, lambda: sum([0.5] * 2000) / 1000.0, 3, lambda a, b: abs(a - b), n=7)
    assert result["ratio"] == pytest.approx(result["reference_median_s"] / result["fast_median_s"])
    assert result["difference"] == 0.0 and result["n"] == 7
    table = format_pairs({"toy": result})
    assert table.splitlines()[0].split()[:4] == ["hot", "path", "fast", "reference"]
    assert "toy" in table.splitlines()[1]


@pytest.mark.slow
def test_every_pair_agrees_with_its_reference():
    results = run_pairs(repeat=1, fits=True, study_mocks=2, suite_duration_myr=300.0)
    assert set(results) == {"density_log_posterior", "density_gradient", "density_mle_fit", "density_laplace",
                            "reflex_log_likelihood_800_stars", "reflex_gradient_800_stars", "reflex_mle_fit_800_stars",
                            "reflex_dynesty_queue_62_walks", "density_coverage_study", "lmc_test_particles",
                            "lmc_suite_simulation"}
    assert results["density_log_posterior"]["difference"] < 1e-8  # ln L ~ 1e4: rounding
    assert results["density_gradient"]["difference"] < 0.05  # finite differences vs exact, the break radii left out
    # both searches end on one of the shallow local maxima that stars crossing the breaks leave near the
    # peak (differences of a few 0.01 either way); the gradient fit must not end a statistically
    # meaningful step lower (2 Delta ln L = 0.5)
    assert results["density_mle_fit"]["difference"] > -0.25
    assert results["density_mle_fit"]["calls_ratio"] >= 10
    assert results["density_laplace"]["difference"] < 0.25  # sigmas within 25 % (off-diagonals differ)
    assert results["reflex_log_likelihood_800_stars"]["difference"] < 1e-6
    assert results["reflex_gradient_800_stars"]["difference"] < 1e-3  # central differences vs exact, smooth
    assert results["reflex_mle_fit_800_stars"]["difference"] > -1e-6  # a smooth likelihood: the same maximum
    assert results["reflex_mle_fit_800_stars"]["calls_ratio"] >= 10
    # dask or a loop: the same fits (to rounding: 7e-9 was seen once over four mocks between the
    # workers and the calling process; the dask results themselves do not depend on the workers)
    assert results["density_coverage_study"]["difference"] < 1e-6
    # in lockstep or one by one, every walk ends at the same point (the same draws and decisions)
    assert results["reflex_dynesty_queue_62_walks"]["difference"] == 0.0
    assert results["reflex_dynesty_queue_62_walks"]["n_walks"] == 62
    # the same steps in another order of calls: rounding (gala's NFW pairs points), over 100 Myr
    assert results["lmc_test_particles"]["difference"] < 1e-9
    # a suite simulation either way: over 300 Myr the same particles to rounding, so the same
    # travel velocity at 100 kpc to far below its shot noise
    assert results["lmc_suite_simulation"]["difference"] < 1e-6
    assert results["lmc_suite_simulation"]["simulations_per_core_hour"] > 0
    assert all(np.isfinite(r["ratio"]) and r["ratio"] > 0 for r in results.values())
