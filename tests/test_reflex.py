"""The reflex model of chapter 5: observables against astropy, likelihood, priors, selection,
fitting (MLE and dynesty with checkpoints), maps, and the outer-halo mock."""

import numpy as np
import pytest
import astropy.coordinates as coord
import astropy.units as u
from astropy.table import Table
from scipy import stats

from halo_utils import cuts, mock, reflex as rf
from halo_utils.catalog import CatalogError
from halo_utils.frames import GALCEN_FRAME, galactocentric_to_icrs, wrap_longitude
from halo_utils.reflex.fit import _cartesian_from_natural
from halo_utils.reflex.sky import unit_vector

TRUTH = mock.reflex_truth_vector()
LINEAR = rf.ReflexModel("linear", outliers=None)
CONSTANT = rf.ReflexModel("constant", outliers=None)


@pytest.fixture(scope="module")
def outer():
    return mock.generate_outer_halo(mock.DEFAULT_SEED)


def _catalogue(pos, vel, *, frac_dist=0.1, vrad_err=1.0, pm_err=0.1, corr=0.0):
    """A SPEC-2 catalogue of stars at Galactocentric ``pos``/``vel`` (3, N), observed exactly."""
    obs = galactocentric_to_icrs(pos, vel)
    n = pos.shape[1]
    full = lambda v: np.broadcast_to(np.asarray(v, float), (n,)).copy()  # noqa: E731
    return Table({
        "star_id": np.arange(n), "RA": obs["ra"], "DEC": obs["dec"], "dist_adpt": obs["distance"],
        "dist_adpt_err": full(frac_dist) * obs["distance"], "Vrad": obs["rv"], "Vrad_err": full(vrad_err),
        "GAIAEDR3_PMRA": obs["pmra"], "GAIAEDR3_PMDEC": obs["pmdec"], "GAIAEDR3_PMRA_ERROR": full(pm_err),
        "GAIAEDR3_PMDEC_ERROR": full(pm_err), "GAIAEDR3_PMRA_PMDEC_CORR": full(corr)})


# ------------------------------------------------------------------ frames, apex

def test_apex_conversion_round_trips_and_matches_gala():
    from gala.coordinates import MagellanicStreamNidever08

    rng = np.random.default_rng(0)
    L = rng.uniform(-180, 180, 200)
    B = np.rad2deg(np.arcsin(rng.uniform(-1, 1, 200)))
    l, b = rf.ms_to_galactic(L, B)
    L2, B2 = rf.galactic_to_ms(l, b)
    assert np.allclose(wrap_longitude(L2 - L), 0, atol=1e-9) and np.allclose(B2, B, atol=1e-9)
    gal = coord.SkyCoord(L * u.deg, B * u.deg, frame=MagellanicStreamNidever08()).galactic
    sep = gal.separation(coord.SkyCoord(l * u.deg, b * u.deg, frame="galactic")).to_value(u.arcsec)
    assert sep.max() < 1e-6
    # the LMC sits near the MS origin; the S004 apex (l, b) = (-80, -59) is (L, B) ~ (-26, 6)
    L_apex, B_apex = rf.galactic_to_ms(-80.0, -59.0)
    assert abs(L_apex + 26.1) < 0.5 and abs(B_apex - 5.7) < 0.5


def test_predicted_observables_match_astropy():
    """v_los and (mu_l*, mu_b) of stars moving with the model mean velocity, to 1e-6 relative."""
    rng = np.random.default_rng(1)
    n = 20
    ra, dec = rng.uniform(0, 360, n), np.rad2deg(np.arcsin(rng.uniform(-1, 1, n)))
    d = rng.uniform(30, 150, n)
    theta = np.array([40.0, -30.0, 10.0, -20.0, 15.0, -5.0, np.log(100), np.log(50), np.log(40)])
    icrs = coord.SkyCoord(ra=ra * u.deg, dec=dec * u.deg, distance=d * u.kpc)
    gc = icrs.transform_to(GALCEN_FRAME)
    x = gc.cartesian.xyz.to_value(u.kpc)
    # the model mean velocity built independently from astropy/gala pieces
    r = np.linalg.norm(x, axis=0)
    th, ph = np.arccos(x[2] / r), np.arctan2(x[1], x[0])
    e_r = x / r
    e_th = np.stack([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)])
    e_ph = np.stack([-np.sin(ph), np.cos(ph), np.zeros(n)])
    from gala.coordinates import MagellanicStreamNidever08

    apex = coord.SkyCoord(theta[1] * u.deg, theta[2] * u.deg, frame=MagellanicStreamNidever08()).galactic
    n_apex = np.array([np.cos(apex.b.rad) * np.cos(apex.l.rad), np.cos(apex.b.rad) * np.sin(apex.l.rad),
                       np.sin(apex.b.rad)])
    v = -theta[0] * n_apex[:, None] + theta[3] * e_r + theta[5] * e_th + theta[4] * e_ph
    moving = coord.SkyCoord(x=x[0] * u.kpc, y=x[1] * u.kpc, z=x[2] * u.kpc, v_x=v[0] * u.km / u.s,
                            v_y=v[1] * u.km / u.s, v_z=v[2] * u.km / u.s, frame=GALCEN_FRAME).galactic
    table = Table({"star_id": np.arange(n), "RA": ra, "DEC": dec, "dist_adpt": d, "dist_adpt_err": 0.1 * d,
                   "Vrad": np.zeros(n), "Vrad_err": np.ones(n), "GAIAEDR3_PMRA": np.zeros(n),
                   "GAIAEDR3_PMDEC": np.zeros(n), "GAIAEDR3_PMRA_ERROR": np.full(n, 0.1),
                   "GAIAEDR3_PMDEC_ERROR": np.full(n, 0.1), "GAIAEDR3_PMRA_PMDEC_CORR": np.zeros(n)})
    stars = rf.ReflexStars.from_table(table, distance_term="none")
    vlos, mu = rf.predict_observables(theta, stars, CONSTANT)
    rv = moving.radial_velocity.to_value(u.km / u.s)
    pml, pmb = moving.pm_l_cosb.to_value(u.mas / u.yr), moving.pm_b.to_value(u.mas / u.yr)
    scale_v, scale_mu = np.abs(rv).max(), np.abs(np.concatenate([pml, pmb])).max()
    assert np.allclose(vlos, rv, rtol=1e-6, atol=1e-6 * scale_v)
    assert np.allclose(mu[:, 0], pml, rtol=1e-6, atol=1e-6 * scale_mu)
    assert np.allclose(mu[:, 1], pmb, rtol=1e-6, atol=1e-6 * scale_mu)


def test_observed_pm_rotation_to_galactic_matches_astropy(outer):
    cat, _ = outer
    sub = cat[:50]
    stars = rf.ReflexStars.from_table(sub, distance_term="none")
    sc = coord.SkyCoord(ra=sub["RA"], dec=sub["DEC"], pm_ra_cosdec=sub["GAIAEDR3_PMRA"],
                        pm_dec=sub["GAIAEDR3_PMDEC"]).galactic
    assert np.allclose(stars.mu[:, 0], sc.pm_l_cosb.to_value(u.mas / u.yr), atol=1e-9)
    assert np.allclose(stars.mu[:, 1], sc.pm_b.to_value(u.mas / u.yr), atol=1e-9)
    # the rotated covariance keeps its invariants (trace, determinant)
    sra, sdec = np.asarray(sub["GAIAEDR3_PMRA_ERROR"]), np.asarray(sub["GAIAEDR3_PMDEC_ERROR"])
    rho = np.asarray(sub["GAIAEDR3_PMRA_PMDEC_CORR"])
    assert np.allclose(stars.cov_ll + stars.cov_bb, sra**2 + sdec**2)
    assert np.allclose(stars.cov_ll * stars.cov_bb - stars.cov_lb**2, sra**2 * sdec**2 * (1 - rho**2))


# ------------------------------------------------------------------ model, priors

def test_constant_model_equals_linear_with_equal_nodes(outer):
    cat, _ = outer
    for term in ("marginal", "model", "observed", "none"):
        stars = rf.ReflexStars.from_table(cat[:300], distance_term=term)
        for theta9 in (TRUTH[:9], np.array([20.0, 179.0, -40.0, 5, -5, 3, 4.5, 4.0, 3.8])):
            a = rf.log_likelihood(theta9, stars, CONSTANT)
            b = rf.log_likelihood(np.concatenate([theta9, theta9]), stars, LINEAR)
            assert np.isfinite(a) and a == pytest.approx(b, rel=1e-12)


def test_linear_interpolation_and_periodic_longitude():
    theta = TRUTH.copy()
    theta[1], theta[10] = 170.0, -170.0  # L_MS crosses +-180: the short way is 20 deg
    v = LINEAR.values_at(theta, np.array([40.0, 80.0, 120.0]))
    assert np.allclose(v[1], [170.0, -180.0, -170.0])
    assert np.allclose(v[0], [6.0, 26.5, 47.0])
    assert np.allclose(np.exp(v[6]), [106.0, np.sqrt(106.0 * 69.0), 69.0])  # log-linear dispersions


@pytest.mark.parametrize("index,value", [(0, -1.0), (0, 151.0), (1, 181.0), (2, 91.0), (3, -251.0),
                                         (4, 251.0), (6, -0.1), (8, np.log(301.0)), (9, np.nan)])
def test_priors_reject_out_of_range(index, value):
    theta = TRUTH.copy()
    assert np.isfinite(LINEAR.log_prior(theta))
    theta[index] = value
    assert LINEAR.log_prior(theta) == -np.inf


def test_prior_transform_is_the_stated_prior():
    rng = np.random.default_rng(2)
    draws = np.array([CONSTANT.prior_transform(c) for c in rng.uniform(size=(4000, 9))])
    for i, name in enumerate(rf.BASE_NAMES):
        lo, hi = rf.PRIOR_BOUNDS[name]
        assert draws[:, i].min() >= lo and draws[:, i].max() <= hi
    assert np.all(np.isfinite([CONSTANT.log_prior(t) for t in draws[:50]]))
    # isotropic apex: sin B_MS uniform on [-1, 1]; v_travel uniform on [0, 150]
    assert stats.kstest(np.sin(np.deg2rad(draws[:, 2])), "uniform", args=(-1, 2)).pvalue > 1e-3
    assert stats.kstest(draws[:, 0], "uniform", args=(0, 150)).pvalue > 1e-3


def test_bad_model_and_parameters_raise():
    with pytest.raises(ValueError, match="constant' or 'linear"):
        rf.ReflexModel("quadratic")
    with pytest.raises(ValueError, match="r_nodes"):
        rf.ReflexModel("linear", (120.0, 40.0))
    with pytest.raises(ValueError, match="18 parameters"):
        LINEAR.check(np.zeros(9))
    with pytest.raises(ValueError, match="sampler"):
        rf.fit_reflex(mock.generate_outer_halo(1)[0][:20], "constant", "emcee")


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("column,value,message", [
    ("dist_adpt_err", 0.0, "dist_adpt_err"),
    ("GAIAEDR3_PMRA", np.nan, "GAIAEDR3_PMRA"),
    ("GAIAEDR3_PMRA_PMDEC_CORR", 1.5, "GAIAEDR3_PMRA_PMDEC_CORR"),
    ("Vrad_err", -1.0, "Vrad_err"),
])
def test_bad_input_gives_clear_errors(outer, column, value, message):
    cat = outer[0][:30].copy()
    cat[column][3] = value
    with pytest.raises(CatalogError, match=message):
        rf.ReflexStars.from_table(cat)
    with pytest.raises(CatalogError, match=message):
        rf.select_outer_halo(cat)


def test_missing_column_is_named(outer):
    cat = outer[0][:10].copy()
    cat.remove_column("GAIAEDR3_PMDEC_ERROR")
    with pytest.raises(CatalogError, match="GAIAEDR3_PMDEC_ERROR"):
        rf.fit_reflex(cat, "constant")
    with pytest.raises(CatalogError, match="empty"):
        rf.ReflexStars.from_table(outer[0][:0])


# ------------------------------------------------------------------ selection

def test_each_selection_cut_on_a_hand_built_table():
    rng = np.random.default_rng(3)
    n = 300
    r = rng.uniform(45, 115, n)
    vec = rng.standard_normal((3, n))
    pos = r * vec / np.linalg.norm(vec, axis=0)
    vel = rng.normal(0, 80, (3, n))
    # star 0: too close; 1: bad RV error; 2: bad distance error; 3: 1500 km/s; 4: 12-sigma outlier
    pos[:, 0] *= 30.0 / np.linalg.norm(pos[:, 0])
    vel[:, 3] = 1500.0 * pos[:, 3] / np.linalg.norm(pos[:, 3])  # radial: no angular momentum
    vel[:, 4] = 12 * 80 * pos[:, 4] / np.linalg.norm(pos[:, 4])
    table = _catalogue(pos, vel)
    table["Vrad_err"][1] = 20.0
    table["dist_adpt_err"][2] = 0.3 * table["dist_adpt"][2]
    mask, flow = rf.select_outer_halo(table, rf.OuterHaloCuts(r_range=(40, 120), clip_bins=(40, 120)))
    removed = dict(zip(flow["step"], flow["removed"]))
    assert removed["40 < r_gal < 120 kpc"] == 1 and not mask[0]
    assert removed["Vrad_err < 15 km/s"] == 1 and not mask[1]
    assert removed["dist_err/dist < 0.25"] == 1 and not mask[2]
    assert removed["|v_r| or v_tan > 1000 km/s"] == 1 and not mask[3]
    assert removed["3.5 sigma velocity outliers"] >= 1 and not mask[4]
    # 3.5 sigma of a Gaussian: ~0.05 % of 295 well-behaved stars, so at most a couple more
    assert removed["3.5 sigma velocity outliers"] <= 3
    assert flow["remaining"][-1] == mask.sum()


def test_sgr_cut_removes_sgr_like_angular_momentum_in_the_plane(outer):
    cat, truth = outer
    mask, flow = rf.select_outer_halo(cat, rf.OuterHaloCuts(clip=False))
    is_sgr = truth["component"] == "sgr"
    removed = dict(zip(flow["step"], flow["removed"]))["Sgr members"]
    assert removed > 0
    # most Sgr debris is caught; distance errors scatter some out of the L cut (S004 fig 14)
    assert np.mean(~mask[is_sgr]) > 0.75
    no_cut, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(clip=False, sgr_cut=False))
    # mask = Q & ~S & ~V and no_cut = Q & ~V (Q the quality cuts, S the Sgr members, V the
    # speed cut), so the difference is the Sgr step's removals less those V removes anyway
    gv = rf.galactic_velocities(cat)
    fast = (np.abs(gv["V_r"]) > 1000) | (np.hypot(gv["V_theta"], gv["V_phi"]) > 1000)
    sgr = cuts.sgr_member_mask(cat["RA"], cat["DEC"], gv["L_y"], gv["L_z"])
    assert no_cut.sum() - mask.sum() == removed - np.sum(_passes_quality(cat, gv) & sgr & fast)


def _passes_quality(cat, gv):
    cfg = rf.OuterHaloCuts()
    return ((gv["r"] > cfg.r_range[0]) & (gv["r"] < cfg.r_range[1]) & (cat["Vrad_err"] < cfg.vrad_err_max)
            & (cat["dist_adpt_err"] / cat["dist_adpt"] < cfg.frac_dist_err_max))


# ------------------------------------------------------------------ likelihood and fits

def _big_mock(factor, exact_distances=False, seed=11):
    sv = mock._default_outer_surveys()
    for k in sv:
        sv[k]["n"] *= factor
        if exact_distances:
            sv[k]["frac_dist_err"] = (1e-6, 1e-6)
        sv[k].update(dist_scale=1.0, rv_offset=0.0)  # no zero points: the model is exactly right
    cfg = mock.OuterHaloConfig(surveys=sv, f_bad_errors=0.0, f_outlier=0.0, f_wrong_distance=0.0, n_sgr=0)
    cat, truth = mock.generate_outer_halo(seed, cfg)
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120), sgr_cut=False, clip=False))
    return cat[mask]


@pytest.mark.slow
def test_likelihood_maximised_at_truth_on_a_large_mock():
    """Exact distances, so the model is exactly right: every MLE within 4 Laplace sigma of the
    truth (18 parameters: chance of a > 4 sigma excursion ~1e-3)."""
    sel = _big_mock(4, exact_distances=True)
    fit = rf.fit_reflex(sel, LINEAR, "mle", rng=1, distance_term="none", start=TRUTH, n_starts=0)
    cart = _cartesian_from_natural(TRUTH, LINEAR)
    pulls = (_cartesian_from_natural(fit.best, LINEAR) - cart) / _cartesian_from_natural(
        fit.samples, LINEAR).std(axis=0)
    assert np.all(np.abs(pulls) < 4), pulls
    stars = rf.ReflexStars.from_table(sel, distance_term="none")
    assert fit.max_log_likelihood >= rf.log_likelihood(TRUTH, stars, LINEAR)
    # and the truth is a good fit: 2 (lnL_max - lnL_truth) ~ chi2(18), 99.9 % point 42
    assert 2 * (fit.max_log_likelihood - rf.log_likelihood(TRUTH, stars, LINEAR)) < 42.3


@pytest.mark.slow
def test_distance_marginalisation_recovers_the_truth_at_100_kpc():
    """10-18 % distance errors, 4x the default sample: the 100-kpc quantities within 4 sigma."""
    sel = _big_mock(4, seed=12)
    fit = rf.fit_reflex(sel, LINEAR, "mle", rng=2, start=TRUTH, n_starts=0)
    truth = rf.ReflexFit(LINEAR, TRUTH[None], TRUTH, 0.0, "truth", 0, {}).at(100.0)
    at = fit.at(100.0)
    for q in ("v_travel", "b_apex", "vr_mean", "vphi_mean", "vtheta_mean", "sigma_los", "sigma_l", "sigma_b"):
        pull = (at[q][0] - truth[q][0]) / (0.5 * (at[q][2] - at[q][1]))
        assert abs(pull) < 4, (q, at[q], truth[q][0])


def test_mle_result_api(outer):
    cat, _ = outer
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120)))
    fit = rf.fit_reflex(cat[mask], "constant", "mle", rng=3, n_starts=2)
    assert fit.samples.shape == (4000, 10) and fit.n_stars == mask.sum()  # 9 + f_out (mixture by default)
    assert fit.outlier_probability.shape == (mask.sum(),) and np.all((fit.outlier_probability >= 0)
                                                                     & (fit.outlier_probability <= 1))
    at = fit.at(80.0)
    assert set(at) == set(rf.AT_NAMES) | {"f_out"}
    for name, (p50, p16, p84) in at.items():
        assert p16 <= p50 <= p84, name
    # the Cartesian components are the amplitude along the apex
    vec = np.array([at[f"v_travel_{a}"][0] for a in "xyz"])
    assert np.linalg.norm(vec) == pytest.approx(at["v_travel"][0], rel=0.1)
    assert 0 < at["v_travel"][0] < 60


def test_circular_percentiles_wrap_longitude():
    samples = np.tile(TRUTH[:9], (1000, 1))
    samples[:, 1] = wrap_longitude(180.0 + np.random.default_rng(4).normal(0, 5, 1000))
    fit = rf.ReflexFit(CONSTANT, samples, samples[0], 0.0, "test", 0, {})
    p50, p16, p84 = fit.at(100.0)["L_MS"]
    assert abs(abs(p50) - 180) < 1 and 8 < (p84 - p16) < 12


def test_dynesty_checkpoint_resumes_an_interrupted_run(outer, tmp_path, monkeypatch):
    cat, _ = outer
    sel = cat[:150]
    ck = tmp_path / "run.save"
    calls = {"n": 0}
    real = rf.likelihood.log_likelihood

    def flaky(theta, stars, model):
        calls["n"] += 1
        if calls["n"] == 3000:
            raise KeyboardInterrupt("simulated interruption")
        return real(theta, stars, model)

    monkeypatch.setattr(rf.likelihood, "log_likelihood", flaky)
    with pytest.raises(KeyboardInterrupt):
        rf.fit_reflex(sel, "constant", "dynesty", rng=5, nlive=30, dlogz=1.0, checkpoint_file=ck,
                      checkpoint_every=0.0)
    assert ck.exists()
    monkeypatch.setattr(rf.likelihood, "log_likelihood", real)
    fit = rf.fit_reflex(sel, "constant", "dynesty", rng=5, nlive=30, dlogz=1.0, checkpoint_file=ck)
    assert fit.info["resumed"] and fit.info["niter"] > 0
    assert np.all(np.isfinite(fit.samples)) and fit.samples.shape[1] == fit.model.ndim == 10
    assert fit.samples[:, 0].std() > 0


# ------------------------------------------------------------------ maps

def test_smoothed_sky_mean_of_constant_and_dipole_fields():
    import healpy as hp

    rng = np.random.default_rng(6)
    l = rng.uniform(0, 360, 3000)
    b = np.rad2deg(np.arcsin(rng.uniform(-1, 1, 3000)))
    flat = rf.smoothed_sky_mean(l, b, np.full(3000, 7.0), nside=8, subtract_mean=False)
    assert np.allclose(flat, 7.0)
    axis = unit_vector(-80.0, -59.0)
    dipole = -30.0 * unit_vector(l, b) @ axis
    m = rf.smoothed_sky_mean(l, b, dipole, nside=8)
    lon, lat = hp.pix2ang(8, np.argmin(m), lonlat=True)
    assert np.rad2deg(coord.angular_separation(*np.deg2rad([lon, lat, -80.0, -59.0]))) < 15


def test_binned_mean_bootstrap_error():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, 4000)
    v = rng.normal(5.0, 20.0, 4000)
    prof = rf.binned_mean(x, v, np.array([0, 5, 10.0]), n_boot=2000, rng=8)
    for row in prof:
        assert abs(row["mean"] - 5.0) < 4 * 20 / np.sqrt(row["n"])
        assert row["err"] == pytest.approx(20 / np.sqrt(row["n"]), rel=0.1)


def test_quadrants():
    q = rf.lmc_quadrant_masks([280.0, 90.0, 280.0, 90.0], [-30.0, 30.0, 30.0, -30.0])
    assert list(q["LMC"]) == [True, False, False, False]
    assert list(q["opposite"]) == [False, True, False, False]


# ------------------------------------------------------------------ the mock

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
    assert 750 < mask.sum() < 1000  # ~850 selected stars at 40-160 kpc (SPEC 8)
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


def test_truth_vector_reproduces_the_s004_numbers():
    truth = rf.ReflexFit(LINEAR, TRUTH[None], TRUTH, 0.0, "truth", 0, {})
    for r in (40.0, 100.0, 120.0):
        at = truth.at(r)
        assert at["l_apex"][0] == pytest.approx(-80.0, abs=1e-6)
        assert at["b_apex"][0] == pytest.approx(-59.0, abs=1e-6)
    at100 = truth.at(100.0)
    assert at100["v_travel"][0] == pytest.approx(6 + 41 * 60 / 80)
    assert at100["sigma_los"][0] == pytest.approx(106 * (69 / 106) ** 0.75)
    # S004 table 2: v_travel = (3, -17, -31) km/s for 37 km/s towards (-80, -59)
    l, b = np.deg2rad([-80.0, -59.0])
    expected = at100["v_travel"][0] * np.array([np.cos(b) * np.cos(l), np.cos(b) * np.sin(l), np.sin(b)])
    assert np.allclose([at100[f"v_travel_{a}"][0] for a in "xyz"], expected, atol=1e-9)
    assert np.allclose(expected, [3.3, -18.6, -31.5], atol=0.1)
    table = truth.table((40.0, 100.0), truth=truth)
    assert len(table) == 2 * len(rf.AT_NAMES) and np.all(table["in_95"])


def test_model_mean_velocities_of_stars_moving_with_the_mean():
    """Stars moving exactly with the truth's mean field: data and model velocities agree."""
    rng = np.random.default_rng(9)
    r = rng.uniform(45, 115, 50)
    vec = rng.standard_normal((3, 50))
    pos = r * vec / np.linalg.norm(vec, axis=0)
    vel = mock._reflex_velocities(pos, mock.REFLEX_TRUTH, rng, scale=0.0)
    table = _catalogue(pos, vel)
    data = rf.galactic_velocities(table)
    model = rf.model_galactic_velocities(TRUTH, table, LINEAR)
    for key in ("v_gsr", "v_l", "v_b"):
        assert np.allclose(data[key], model[key], atol=1e-6), key
