"""The mock survey: reproducibility, footprint, windows, fibres, error model and components."""

import numpy as np
import pytest

from halo_utils.catalog import validate_catalog
from halo_utils.frames import galactocentric_to_icrs, spherical_components
from halo_utils.mock import MockConfig, config_from_dict, config_to_dict, generate_survey, gse_sigma_r
from halo_utils.reference import SATELLITES, sgr_latitude
from halo_utils.survey import astrometric_error, distance_modulus


def test_same_seed_same_survey():
    cfg = MockConfig(n_tiles=40)
    a, b = generate_survey(5, cfg), generate_survey(5, cfg)
    c = generate_survey(6, cfg)
    for ta, tb in zip(a, b):
        assert ta.colnames == tb.colnames and len(ta) == len(tb)
        for name in ta.colnames:
            np.testing.assert_array_equal(np.asarray(ta[name]), np.asarray(tb[name]))
    assert len(c[1]) != len(a[1]) or not np.array_equal(c[1]["RA"], a[1]["RA"])


def test_config_roundtrip():
    cfg = MockConfig().replace(gse={"log10_mass": 9.0}, n_tiles=10)
    back = config_from_dict(config_to_dict(cfg))
    assert back == cfg and back.gse["alpha1"] == 1.7 and back.gse["log10_mass"] == 9.0
    with pytest.raises(ValueError, match="unknown MockConfig field"):
        config_from_dict({"n_tile": 3})


def test_catalogue_follows_schema(small_survey):
    tiles, cat, truth = small_survey
    validate_catalog(cat)
    np.testing.assert_array_equal(cat["star_id"], truth["star_id"])
    assert set(np.unique(cat["survey"])) == {"H3"}


def test_footprint(small_survey, small_config):
    tiles, cat, _ = small_survey
    assert len(tiles) == small_config.n_tiles
    assert np.all(np.abs(tiles["b"]) > 20) and np.all(tiles["DEC"] > -20)
    ra, dec = np.deg2rad(tiles["RA"]), np.deg2rad(tiles["DEC"])
    vec = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    cos_sep = vec.T @ vec
    np.fill_diagonal(cos_sep, -1)
    assert np.rad2deg(np.arccos(cos_sep.max())) >= 1.0 - 1e-9  # non-overlapping 1-deg tiles
    # every star lies inside its tile
    row = np.searchsorted(tiles["tileID"], cat["tileID"])
    ra0, dec0 = np.deg2rad(tiles["RA"][row]), np.deg2rad(tiles["DEC"][row])
    r1, d1 = np.deg2rad(cat["RA"]), np.deg2rad(cat["DEC"])
    cs = np.sin(d1) * np.sin(dec0) + np.cos(d1) * np.cos(dec0) * np.cos(r1 - ra0)
    assert np.rad2deg(np.arccos(np.clip(cs, -1, 1))).max() <= 0.5 + 1e-9
    # the satellite fields are observed
    sat_vec = np.array([[np.cos(np.deg2rad(s["dec"])) * np.cos(np.deg2rad(s["ra"])),
                         np.cos(np.deg2rad(s["dec"])) * np.sin(np.deg2rad(s["ra"])),
                         np.sin(np.deg2rad(s["dec"]))] for s in SATELLITES.values()])
    assert np.all((sat_vec @ vec).max(axis=1) > np.cos(np.deg2rad(0.01)))


def test_limiting_magnitudes(small_survey, small_config):
    tiles = small_survey[0]
    lo, hi = small_config.r_lim_range
    assert tiles["r_lim"].min() >= lo and tiles["r_lim"].max() <= hi
    # N(18.2, 0.35): the mean is known to sd/sqrt(n)
    assert abs(np.mean(tiles["r_lim"]) - 18.2) < 4 * 0.35 / np.sqrt(len(tiles))


def test_magnitude_windows_and_parallax_cut(small_survey):
    tiles, cat, truth = small_survey
    row = np.searchsorted(tiles["tileID"], cat["tileID"])
    r, r_lim = np.asarray(cat["PS_R"]), np.asarray(tiles["r_lim"])[row]
    np.testing.assert_allclose(r, truth["abs_mag"] + distance_modulus(truth["distance"]), atol=1e-9)
    rank1 = cat["XFIT_RANK"] == 1
    assert rank1.sum() > 0
    assert np.all(truth["abs_mag"][rank1] < -1.5)
    assert np.all(np.asarray(tiles["has_rank1"])[row][rank1])
    assert np.all((r[rank1] > 13.5) & (r[rank1] < np.minimum(17.5, r_lim[rank1])))
    r2 = ~rank1
    assert np.all((r[r2] > 15.0) & (r[r2] < np.minimum(18.0, r_lim[r2])))
    sig = astrometric_error(r)
    assert np.all(cat["GAIAEDR3_PARALLAX"] < 0.5 + 2 * sig)


def test_fibre_sampling(small_survey):
    tiles, cat, _ = small_survey
    n_obs = np.bincount(np.searchsorted(tiles["tileID"], cat["tileID"]), minlength=len(tiles))
    assert np.all(n_obs <= tiles["n_fibres"] + 4 * np.sqrt(tiles["n_fibres"]))
    for rank, key in ((1, "f_rank1"), (2, "f_rank2")):
        n_cand = np.asarray(tiles[f"n_cand_rank{rank}"])
        f = np.asarray(tiles[key])
        assert np.all((f > 0) & (f <= 1))
        np.testing.assert_allclose(f[n_cand > 0], np.minimum(1.0, np.maximum(
            tiles["n_fibres"] - (tiles["n_cand_rank1"] if rank == 2 else 0), 0) / np.maximum(n_cand, 1))[n_cand > 0])
        got = np.bincount(np.searchsorted(tiles["tileID"], cat["tileID"][cat["XFIT_RANK"] == rank]),
                          minlength=len(tiles))
        expected = f * n_cand
        # binomial: total over tiles within 4 sigma
        var = np.sum(n_cand * f * (1 - f))
        assert abs(got.sum() - expected.sum()) <= 4 * np.sqrt(var) + 1
    assert np.median(tiles["f_rank2"]) < 0.95  # the survey is fibre-limited


def test_error_model(small_survey):
    tiles, cat, truth = small_survey
    r = np.asarray(cat["PS_R"])
    np.testing.assert_allclose(cat["GAIAEDR3_PMRA_ERROR"], astrometric_error(r))
    frac = cat["dist_adpt_err"] / cat["dist_adpt"]
    assert frac.min() >= 0.08 - 1e-12 and frac.max() <= 0.20 + 1e-12
    assert cat["Vrad_err"].min() >= 0.5 and cat["Vrad_err"].max() <= 2.5
    assert np.all(np.abs(cat["GAIAEDR3_PMRA_PMDEC_CORR"]) <= 0.3)
    assert 0.05 <= cat["FeH_err"].min() and cat["FeH_err"].max() <= 0.12
    assert 0.03 <= cat["aFe_err"].min() and cat["aFe_err"].max() <= 0.06
    # normalised residuals are standard normal
    pos = np.stack([truth[k] for k in "xyz"])
    vel = np.stack([truth[f"v{k}"] for k in "xyz"])
    true = galactocentric_to_icrs(pos, vel)
    n = len(cat)
    pulls = {
        "rv": (cat["Vrad"] - true["rv"]) / cat["Vrad_err"],
        "pmra": (cat["GAIAEDR3_PMRA"] - true["pmra"]) / cat["GAIAEDR3_PMRA_ERROR"],
        "pmdec": (cat["GAIAEDR3_PMDEC"] - true["pmdec"]) / cat["GAIAEDR3_PMDEC_ERROR"],
        "ln_d": np.log(cat["dist_adpt"] / truth["distance"]) / frac,
    }
    for name, z in pulls.items():
        z = np.asarray(z)
        assert abs(z.mean()) < 5 / np.sqrt(n), name
        assert abs(z.std() - 1) < 5 / np.sqrt(2 * n), name
    # the PM correlation is realised: corr(pull_ra, pull_dec) / rho ~ 1 on average
    rho = np.asarray(cat["GAIAEDR3_PMRA_PMDEC_CORR"])
    slope = np.sum(pulls["pmra"] * pulls["pmdec"] * rho) / np.sum(rho**2)
    assert abs(slope - 1) < 5 / np.sqrt(np.sum(rho**2))
    # SNR ~ 3 at the tile limit
    row = np.searchsorted(tiles["tileID"], cat["tileID"])
    med = np.median(np.log(cat["SNR"] / (3 * 10 ** (-0.4 * (r - np.asarray(tiles["r_lim"])[row])))))
    assert abs(med) < 0.01


def _component(truth, name):
    return np.asarray(truth["component"]).astype(str) == name


def test_component_chemistry(small_survey):
    _, _, truth = small_survey
    gse = _component(truth, "gse")
    n = gse.sum()
    feh = np.asarray(truth["FeH"])[gse]
    assert abs(feh.mean() + 1.25) < 4 * 0.3 / np.sqrt(n)
    assert abs(feh.std() - 0.3) < 4 * 0.3 / np.sqrt(2 * n)
    resid = np.asarray(truth["aFe"])[gse] - (0.12 - 0.2 * (feh + 1.3))
    assert abs(resid.std() - 0.04) < 4 * 0.04 / np.sqrt(2 * n)


def _spherical(truth, mask):
    pos = np.stack([np.asarray(truth[k])[mask] for k in "xyz"])
    vel = np.stack([np.asarray(truth[f"v{k}"])[mask] for k in "xyz"])
    return pos, spherical_components(pos, vel)


def test_gse_kinematics(small_survey, small_config):
    _, _, truth = small_survey
    pos, sph = _spherical(truth, _component(truth, "gse"))
    # V_r / sigma_r(x) is standard normal; the tangential components carry sqrt(1 - beta)
    z = sph["V_r"] / gse_sigma_r(pos, small_config.gse)
    n = z.size
    assert abs(z.std() - 1) < 4 / np.sqrt(2 * n)
    s_t = np.sqrt(1 - small_config.gse["beta"])
    zt = sph["V_theta"] / (gse_sigma_r(pos, small_config.gse) * s_t)
    assert abs(zt.std() - 1) < 4 / np.sqrt(2 * n)
    beta = 1 - (np.var(sph["V_theta"]) + np.var(sph["V_phi"])) / (2 * np.var(sph["V_r"]))
    assert beta == pytest.approx(0.85, abs=0.03)


def test_insitu_hotter_above_plane(small_survey):
    _, _, truth = small_survey
    pos, sph = _spherical(truth, _component(truth, "insitu_halo"))
    above, below = pos[2] > 0, pos[2] < 0
    ratio = np.std(sph["V_r"][above]) / np.std(sph["V_r"][below])
    err = ratio * np.sqrt(1 / (2 * above.sum()) + 1 / (2 * below.sum()))
    assert abs(ratio - 92 / 80) < 4 * err
    assert np.mean(sph["V_phi"]) < -30  # prograde


def test_sgr_and_satellites(small_survey):
    _, cat, truth = small_survey
    sgr = _component(truth, "sgr")
    _, beta = sgr_latitude(cat["RA"][sgr], cat["DEC"][sgr])
    assert sgr.sum() > 20 and np.all(np.abs(beta) < 10.5)
    pos, sph = _spherical(truth, sgr)
    L = np.stack([sph["L_x"], sph["L_y"], sph["L_z"]]) / 1e3
    np.testing.assert_allclose(np.median(L, axis=1), [0.6, -4.5, -1.3], atol=0.5)
    sat = _component(truth, "satellite")
    assert set(np.unique(np.asarray(truth["satellite"])[sat]).astype(str)) <= set(SATELLITES)


def test_dwarfs_dominate_targets_but_fail_giant_cut(small_survey):
    _, cat, truth = small_survey
    dwarf = _component(truth, "dwarf")
    assert dwarf.mean() > 0.8
    assert np.mean(cat["logg"][dwarf] < 3.5) < 1e-3
    assert np.mean(cat["logg"][~dwarf] < 3.5) > 0.999
