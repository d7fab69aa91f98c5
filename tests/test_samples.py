"""build_samples end to end on the small mock: bookkeeping and the selections' definitions."""

import numpy as np
import pytest

from halo_utils.cuts import class_purity_completeness
from halo_utils.mock import DEFAULT_SEED, generate_survey
from halo_utils.samples import S001_VARIANT_SAMPLES, build_samples, s001_variant_samples


@pytest.fixture(scope="module")
def result(small_survey):
    _, cat, _ = small_survey
    return build_samples(cat, n_mc=50, rng=np.random.default_rng(3), orbit_dt_myr=2.0,
                         orbit_integrator="leapfrog")


def test_cut_flows_add_up(result):
    for flow in (result.halo_cut_flow, result.gse_cut_flow):
        remaining = np.asarray(flow["remaining"])
        removed = np.asarray(flow["removed"])
        np.testing.assert_array_equal(remaining[:-1] - removed[1:], remaining[1:])
    assert result.halo_cut_flow["remaining"][-1] == len(result.halo)
    assert result.gse_cut_flow["remaining"][-1] == len(result.gse)


def test_halo_sample_definition(result):
    h = result.halo
    assert len(h) > 100
    assert np.all((np.abs(h["z"]) > 5) & (h["r"] > 10))
    assert np.all((h["FLAG"] == 0) & (h["SNR"] > 3) & (h["logg"] < 3.5))
    assert not np.any(h["is_sgr"] | h["is_satellite"] | h["is_aleph"] | h["is_unbound"])
    assert np.all(h["E"] < 0)
    for k in ("V_r_err", "V_theta_err", "V_phi_err"):
        assert np.all(np.isfinite(h[k])) and np.all(h[k] > 0)


def test_gse_sample_definition(result):
    g = result.gse
    assert len(g) > 100
    assert np.all(g["chem_class"] == "accreted")
    assert np.all((g["ecc"] > 0.7) & (g["r"] > 6) & (g["r"] < 60))
    assert not np.any(g["is_sgr"] | g["is_satellite"])
    # the GSE sample has no |Z| cut: stars near the plane are kept
    assert np.any(np.abs(g["z"]) < 5)


def test_orbits_only_where_needed(result):
    s = result.stars
    parent = s["is_good"] & s["is_giant"] & ~s["is_sgr"] & ~s["is_satellite"] & ~s["is_unbound"]
    assert np.all(np.isfinite(s["ecc"][parent]))
    assert np.all(np.isnan(s["ecc"][~parent]))


def test_rng_required(small_survey):
    with pytest.raises(TypeError, match="Generator"):
        build_samples(small_survey[1], rng=1)


@pytest.mark.slow
def test_default_mock_headline_numbers():
    """The embedded survey meets the issue's targets (fast leapfrog orbits are enough here)."""
    _, cat, truth = generate_survey(DEFAULT_SEED)
    res = build_samples(cat, n_mc=0, rng=np.random.default_rng(0), orbit_dt_myr=1.0,
                        orbit_integrator="leapfrog")
    halo = res.stars["in_halo_sample"]
    assert 8000 <= halo.sum() <= 12000
    assert 4500 <= res.stars["in_gse_sample"].sum() <= 6500
    origin = np.asarray(truth["origin"]).astype(str)
    assert 0.85 <= np.mean(origin[halo] == "accreted") <= 0.95
    scores = class_purity_completeness(res.stars["chem_class"][halo], origin[halo],
                                       {"accreted": {"accreted"}})
    assert scores["accreted"]["purity"] >= 0.9
    assert np.mean(res.stars["chem_class"][halo] == "accreted") >= 0.8


def test_gse_parent_is_the_sample_before_the_eccentricity_cut(result):
    par = result.gse_parent
    assert np.all(par["chem_class"] == "accreted") and not np.any(par["is_unbound"])
    assert np.all((par["r"] > 6) & (par["r"] < 60))
    np.testing.assert_array_equal(np.sort(par["star_id"][par["is_gse"]]), np.sort(result.gse["star_id"]))


def test_parent_sample_and_s001_variants(result):
    """S001's parent sample: every clean, bound giant at 6 < r < 60 kpc, whatever its chemistry;
    the GSE parent is its accreted part; the variant samples are cut from it as stated."""
    par = result.parent
    assert np.all(par["is_good"] & par["is_giant"] & ~par["is_sgr"] & ~par["is_satellite"] & ~par["is_unbound"])
    assert np.all((par["r"] > 6) & (par["r"] < 60))
    assert len(set(np.asarray(par["chem_class"]).astype(str))) > 1
    np.testing.assert_array_equal(np.sort(par["star_id"][par["chem_class"] == "accreted"]),
                                  np.sort(result.gse_parent["star_id"]))
    masks = s001_variant_samples(par, ecc_min=0.5, z_min=5.0)
    assert set(masks) == set(S001_VARIANT_SAMPLES)
    relaxed = par[masks["gse_relaxed_ecc"]]
    assert np.all(relaxed["chem_class"] == "accreted") and np.all(relaxed["ecc"] > 0.5)
    assert len(relaxed) > np.sum(result.gse_parent["is_gse"])  # e > 0.5 keeps more than e > 0.7
    assert masks["parent"].all()
    np.testing.assert_array_equal(masks["height"], np.abs(par["z"]) > 5.0)
    with pytest.raises(ValueError, match="ecc_min"):
        s001_variant_samples(par, ecc_min=1.5)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['ecc'\]"):
        s001_variant_samples(par[["chem_class", "z"]])
