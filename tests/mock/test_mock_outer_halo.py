"""The outer-halo mock as the reflex fit sees it: footprints, distance errors, zero points, PM errors."""

import numpy as np
import pytest

from halo_utils import mock, reflex as rf


def test_outer_halo_mock_matches_its_spec(outer):
    cat, truth = outer
    again, _ = mock.generate_outer_halo(mock.DEFAULT_SEED)
    assert np.array_equal(cat["Vrad"], again["Vrad"])
    assert set(np.unique(cat["survey"])) == {"H3", "SEGUE", "MagE"}
    gv = rf.galactic_velocities(cat)
    for name in ("H3", "SEGUE", "MagE"):
        s = np.asarray(cat["survey"] == name)
        assert np.all(mock.outer_footprint(name, cat["RA"][s], cat["DEC"][s], gv["l"][s], gv["b"][s]))
    mask, _ = rf.select_outer_halo(cat)
    assert 750 < mask.sum() < 1000  # ~850 selected stars at 40-160 kpc (conventions §11)
    frac = np.asarray(cat["dist_adpt_err"] / cat["dist_adpt"])
    assert np.mean(frac >= 0.1) > 0.97  # the 10 % floor
    # observed distances scatter about factor x truth by the stated errors, mean-unbiased
    # (log-normal with ln-mean -f^2/2): factor 1 for halo stars of H3 and SEGUE, 1.05 for MagE
    z = (np.log(np.asarray(cat["dist_adpt"]) / (truth["dist_factor"] * truth["dist_true"])) + 0.5 * frac**2) / frac
    good = frac < 0.25
    assert abs(np.std(z[good]) - 1) < 0.1 and abs(np.mean(z[good])) < 4 / np.sqrt(good.sum())
    halo = np.asarray(truth["component"] == "halo")
    assert np.allclose(truth["dist_factor"][halo], np.where(cat["survey"][halo] == "MagE", 1.05, 1.0))
    wrong = np.asarray(truth["component"] == "wrong_distance")
    assert wrong.sum() > 0 and np.all((truth["dist_factor"][wrong] >= 2) & (truth["dist_factor"][wrong] <= 10.5))


def test_messy_mock_zero_points_and_pm_errors():
    cat, truth = mock.generate_outer_halo(3)
    mage = np.asarray(cat["survey"] == "MagE") & np.asarray(truth["component"] == "halo")
    assert np.allclose(truth["dist_factor"][mage], 1.05)
    dr2, _ = mock.generate_outer_halo(3, mock.OuterHaloConfig(pm_errors="dr2"))
    assert np.median(cat["GAIAEDR3_PMRA_ERROR"]) == pytest.approx(0.11, abs=0.02)
    assert np.median(dr2["GAIAEDR3_PMRA_ERROR"]) == pytest.approx(0.25, abs=0.03)
