"""halo_utils.mock.h3: the mock survey's reproducibility, schema, windows, fibres and
error model."""

import numpy as np

from halo_utils.catalog import validate_catalog
from halo_utils.frames import galactocentric_to_icrs
from halo_utils.mock import MockConfig, generate_survey
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


def test_catalogue_follows_schema(small_survey):
    tiles, cat, truth = small_survey
    validate_catalog(cat)
    np.testing.assert_array_equal(cat["star_id"], truth["star_id"])
    assert set(np.unique(cat["survey"])) == {"H3"}


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
