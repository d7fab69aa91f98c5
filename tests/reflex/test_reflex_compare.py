"""compare_outlier_treatments: one treatment without a clean maximum is a result (a row of
NaN), not the end of the comparison."""

import numpy as np
import pytest

from halo_utils.reflex import compare
from halo_utils.reflex.fit import NoCleanMaximum


def test_a_treatment_without_a_clean_maximum_gives_a_nan_row(messy, monkeypatch):
    catalog, _ = messy
    catalog = catalog[:300]
    real_fit = compare.fit_reflex

    def plain_gaussian_fails(table, model, sampler, rng, outliers=None, **kwargs):
        if outliers is None and len(table) == len(catalog):
            raise NoCleanMaximum("minus the Hessian is not positive definite")
        return real_fit(table, model, sampler, rng, outliers=outliers, **kwargs)

    monkeypatch.setattr(compare, "fit_reflex", plain_gaussian_fails)
    preclip = np.arange(len(catalog)) % 10 > 0  # the pre-clipped sample is smaller, and fits
    rows, fits = compare.compare_outlier_treatments(catalog, preclip, "constant", np.random.default_rng(1),
                                                    n_starts=1)
    assert list(rows["fit"]) == list(fits)
    failed = rows["fit"] == "Gaussian, no cleaning"
    assert fits["Gaussian, no cleaning"] is None and rows["n_stars"][failed][0] == len(catalog)
    assert np.isnan(rows["v_travel"][failed][0]) and np.isfinite(rows["v_travel"][~failed]).all()
    assert fits["outlier mixture"] is not None


def test_no_treatment_with_a_clean_maximum_raises(messy, monkeypatch):
    catalog, _ = messy

    def always_fails(*args, **kwargs):
        raise NoCleanMaximum("no clean maximum")

    monkeypatch.setattr(compare, "fit_reflex", always_fails)
    monkeypatch.setattr(compare, "fit_reflex_clipped", always_fails)
    with pytest.raises(NoCleanMaximum, match="no outlier treatment"):
        compare.compare_outlier_treatments(catalog[:200], np.ones(200, bool), "constant", np.random.default_rng(1))


def test_a_start_where_the_apex_is_undefined_falls_back_to_random_starts(messy):
    """A start at v_travel ~ 0 (the apex direction undefined), as a short nested-sampling run
    can hand over, must not end the fit on a saddle: random starts are added."""
    from halo_utils.reflex import fit_reflex

    catalog, _ = messy
    # the two nodes (40, 120 kpc) of the ci-profile main fit that ended chapter 5 on a CSV
    # catalogue: v_travel, L_MS, B_MS, the three means and three ln sigmas per node
    start = np.array([0.04, 77.8, 11.8, -2.5, 12.5, -12.5, 4.49, 4.29, 3.82,
                      61.1, -43.2, 22.3, -44.3, -6.8, -12.1, 4.52, 3.39, 3.28])
    fit = fit_reflex(catalog, "linear", "mle", np.random.default_rng(3), start=start, n_starts=0)
    assert fit.info["fallback_starts"] == 4  # without them this start ends on a saddle (checked)
    assert np.isfinite(fit.samples).all()
