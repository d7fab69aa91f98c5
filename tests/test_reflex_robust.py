"""Chapter 5 on real catalogues: the outlier mixture, the distance prior, the solar frame,
the twelve columns the fit needs, the messy mock, clipping, subsamples and coverage."""

import numpy as np
import pytest
import astropy.coordinates as coord
import astropy.units as u
from astropy.table import Table
from scipy import integrate
from scipy.stats import multivariate_normal

from halo_utils import mock, reflex as rf
from halo_utils.catalog import CatalogError, read_catalog
from halo_utils.frames import galactocentric_to_icrs, icrs_to_galactocentric, solar_frame
from halo_utils.reference import sgr_latitude
from halo_utils.reflex_coverage import coverage_mocks, coverage_summary
from halo_utils.reflex.likelihood import halo_log_likelihoods

THETA18 = np.array([10.0, -26.0, 6.0, -8.0, 14.0, -1.0, np.log(106), np.log(78), np.log(56),
                    47.0, -20.0, 2.0, -25.0, -14.0, -3.0, np.log(69), np.log(20), np.log(33)])
LINEAR = rf.ReflexModel("linear", outliers=None)
CONSTANT = rf.ReflexModel("constant", outliers=None)


def _reference_catalogue():
    """60 stars drawn from a fixed seed (the catalogue behind the stored reference values)."""
    rng = np.random.default_rng(2026)
    n = 60
    r = rng.uniform(45, 115, n)
    vec = rng.standard_normal((3, n))
    pos = r * vec / np.linalg.norm(vec, axis=0)
    vel = rng.normal(0, 100, (3, n))
    obs = galactocentric_to_icrs(pos, vel)
    frac = rng.uniform(0.08, 0.2, n)
    return Table({
        "star_id": np.arange(n), "RA": obs["ra"], "DEC": obs["dec"],
        "dist_adpt": obs["distance"] * np.exp(frac * rng.standard_normal(n)), "dist_adpt_err": frac * obs["distance"],
        "Vrad": obs["rv"] + rng.normal(0, 2, n), "Vrad_err": rng.uniform(1, 5, n),
        "GAIAEDR3_PMRA": obs["pmra"] + rng.normal(0, 0.1, n), "GAIAEDR3_PMDEC": obs["pmdec"] + rng.normal(0, 0.1, n),
        "GAIAEDR3_PMRA_ERROR": rng.uniform(0.05, 0.3, n), "GAIAEDR3_PMDEC_ERROR": rng.uniform(0.05, 0.3, n),
        "GAIAEDR3_PMRA_PMDEC_CORR": rng.uniform(-0.3, 0.3, n)})


#: log-likelihoods of THETA18 (linear) and its first node (constant) on `_reference_catalogue`,
#: computed by the package before the mixture and the distance prior existed (commit 45a7875).
REFERENCE = {"marginal": (-450.6569529830323, -414.964226055782),
             "model": (-483.95398566360814, -419.86468483745443),
             "observed": (-445.359202524283, -406.81761219827047),
             "none": (-494.8383061549795, -423.4924796257891)}


@pytest.fixture(scope="module")
def messy():
    """The default mock with 10 % wrong distances and no pre-fit clipping, 40-120 kpc."""
    cat, truth = mock.generate_outer_halo(21, mock.OuterHaloConfig(f_wrong_distance=0.1, f_outlier=0.0))
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120), clip=False))
    return cat[mask], truth[mask]


# ------------------------------------------------------------------ the mixture

@pytest.mark.parametrize("term", list(REFERENCE))
def test_mixture_off_and_flat_prior_equal_the_previous_likelihood(term):
    stars = rf.ReflexStars.from_table(_reference_catalogue(), distance_term=term,
                                      distance_prior=rf.DistancePrior.flat())
    lin, const = REFERENCE[term]
    assert rf.log_likelihood(THETA18, stars, LINEAR) == pytest.approx(lin, rel=1e-12)
    assert rf.log_likelihood(THETA18[:9], stars, CONSTANT) == pytest.approx(const, rel=1e-12)
    # the mixture with f_out = 0 is the same likelihood
    mix = rf.ReflexModel("linear")
    assert rf.log_likelihood(np.append(THETA18, 0.0), stars, mix) == pytest.approx(lin, rel=1e-12)


def test_mixture_is_the_weighted_sum_of_its_components():
    """ln L = sum ln[(1 - f) L_halo + f L_out] with L_out the density of a star at rest in the
    Galactocentric frame (observed with astropy) broadened by sigma_out along every axis."""
    table = _reference_catalogue()
    stars = rf.ReflexStars.from_table(table, distance_term="none")
    sigma, f = 400.0, 0.07
    model = rf.ReflexModel("linear", outliers=rf.OutlierMixture(sigma=sigma))
    lh = halo_log_likelihoods(THETA18, stars, LINEAR)
    d = np.asarray(table["dist_adpt"])
    at_rest = coord.SkyCoord(ra=table["RA"] * u.deg, dec=table["DEC"] * u.deg, distance=d * u.kpc).transform_to(
        coord.Galactocentric(galcen_distance=8.122 * u.kpc, z_sun=20.8 * u.pc, roll=0 * u.deg,
                             galcen_v_sun=coord.CartesianDifferential([12.9, 245.6, 7.78] * u.km / u.s)))
    rest = coord.SkyCoord(x=at_rest.x, y=at_rest.y, z=at_rest.z, v_x=0 * at_rest.x.value * u.km / u.s,
                          v_y=0 * at_rest.x.value * u.km / u.s, v_z=0 * at_rest.x.value * u.km / u.s,
                          frame=at_rest.frame).galactic
    mean = np.stack([rest.radial_velocity.to_value(u.km / u.s), rest.pm_l_cosb.to_value(u.mas / u.yr),
                     rest.pm_b.to_value(u.mas / u.yr)], -1)
    obs = np.column_stack([stars.v_los, stars.mu])
    lo = []
    for i in range(len(table)):
        kd2 = (4.740470463 * d[i]) ** 2
        cov = np.zeros((3, 3))
        cov[0, 0] = stars.v_los_var[i] + sigma**2
        cov[1:, 1:] = [[stars.cov_ll[i] + sigma**2 / kd2, stars.cov_lb[i]],
                       [stars.cov_lb[i], stars.cov_bb[i] + sigma**2 / kd2]]
        lo.append(multivariate_normal(mean[i], cov).logpdf(obs[i]))
    expected = np.sum(np.logaddexp(np.log1p(-f) + lh, np.log(f) + np.asarray(lo)))
    assert rf.log_likelihood(np.append(THETA18, f), stars, model) == pytest.approx(expected, rel=1e-9)


def test_mixture_flags_the_wrong_distances_and_recovers_their_fraction(messy):
    sample, truth = messy
    wrong = np.asarray(truth["component"] == "wrong_distance")
    fit = rf.fit_reflex(sample, "constant", "mle", rng=1, n_starts=2)
    p = fit.outlier_probability
    far = wrong & (np.asarray(truth["dist_factor"]) > 4)  # factors near 2 can pass for halo stars
    assert p[far].mean() > 0.9 and p[wrong].mean() > 0.6 and p[~wrong].mean() < 0.02, (p[far].mean(), p[wrong].mean())
    f50, f16, f84 = fit.at(100.0)["f_out"]
    injected = wrong.mean()
    # f_out within 3 sigma (its Laplace band plus the binomial scatter of the draw is in the band)
    assert abs(f50 - injected) < 3 * 0.5 * (f84 - f16), (f50, injected)


def test_the_mixture_removes_the_bias_of_wrong_distances(messy):
    """The plain Gaussian fit is dragged by 10 % wrong distances (sigma_l at 100 kpc inflates by
    several sigma); the mixture fit agrees with the fit of the clean stars alone to a fraction
    of a sigma in every quantity."""
    sample, truth = messy
    t100 = rf.ReflexFit.point(LINEAR, mock.reflex_truth_vector()).at(100.0)
    clean = np.asarray(truth["component"] != "wrong_distance")
    ref = rf.fit_reflex(sample[clean], "linear", "mle", rng=2, outliers=None, start=mock.reflex_truth_vector(),
                        n_starts=0).at(100.0)
    gauss = rf.fit_reflex(sample, "linear", "mle", rng=2, outliers=None, start=mock.reflex_truth_vector(),
                          n_starts=0).at(100.0)
    mix = rf.fit_reflex(sample, "linear", "mle", rng=2, start=mock.reflex_truth_vector(), n_starts=0).at(100.0)
    assert (gauss["sigma_l"][0] - ref["sigma_l"][0]) / (0.5 * (ref["sigma_l"][2] - ref["sigma_l"][1])) > 3
    for q in ("v_travel", "l_apex", "b_apex", "vr_mean", "vphi_mean", "vtheta_mean", "sigma_los", "sigma_l",
              "sigma_b"):
        half = 0.5 * (ref[q][2] - ref[q][1])
        assert abs(mix[q][0] - ref[q][0]) < 0.5 * half, (q, mix[q], ref[q])
        assert abs(ref[q][0] - t100[q][0]) < 4 * half, (q, ref[q], t100[q])  # and the clean fit is right


def test_iterative_clipping_removes_the_wrong_distances(messy):
    sample, truth = messy
    wrong = np.asarray(truth["component"] == "wrong_distance")
    fit, keep, n_iter = rf.fit_reflex_clipped(sample, "constant", rng=3, n_starts=1)
    assert fit.model.outliers is None and 1 < n_iter <= 10
    assert np.mean(~keep[wrong]) > 0.8 and np.mean(~keep[~wrong]) < 0.02
    assert fit.n_stars == keep.sum()


def test_standardized_residuals_are_unit_normal_for_a_clean_mock():
    cat, _ = mock.generate_outer_halo(5, mock.OuterHaloConfig(f_wrong_distance=0.0, f_outlier=0.0, n_sgr=0))
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120), clip=False))
    res = rf.standardized_residuals(mock.reflex_truth_vector(), cat[mask], LINEAR)
    n = mask.sum()
    for col in ("z_vlos", "z_mu_l", "z_mu_b"):
        z = np.asarray(res[col])
        assert abs(np.mean(z)) < 4 / np.sqrt(n) + 0.05 and abs(np.std(z) - 1) < 0.1, col
    frac = rf.residual_fractions(res)
    assert frac["gaussian"]["3"] == pytest.approx(0.0027, abs=1e-4)
    assert all(frac[c]["5"] == 0 for c in ("z_vlos", "z_mu_l", "z_mu_b"))


# ------------------------------------------------------------------ the distance prior

def test_distance_prior_quadrature_matches_direct_integration():
    """Each star's marginal likelihood under the volume x power-law prior and the
    mean-unbiased log-normal error model, against scipy.integrate.quad over ln d."""
    table = _reference_catalogue()[:6]
    prior = rf.DistancePrior(slope=4.5)
    gh = halo_log_likelihoods(THETA18, rf.ReflexStars.from_table(table, n_distance_nodes=20, distance_prior=prior),
                              LINEAR)
    for i in range(len(table)):
        row = table[i:i + 1]
        d_obs, f = float(row["dist_adpt"][0]), float(row["dist_adpt_err"][0] / row["dist_adpt"][0])

        def at(ln_d, which):
            t = row.copy()
            t["dist_adpt"] = [np.exp(ln_d)]
            t["dist_adpt_err"] = [f * np.exp(ln_d)]
            st = rf.ReflexStars.from_table(t, distance_term="none")
            like = np.exp(halo_log_likelihoods(THETA18, st, LINEAR)[0]) if which else 1.0
            # p(d_obs | d) (log-normal, mean-unbiased) x d^3 r^-4.5 per unit ln d
            ln_dobs_mean = ln_d - 0.5 * f**2
            err = np.exp(-0.5 * ((np.log(d_obs) - ln_dobs_mean) / f) ** 2)
            return like * err * np.exp(3 * ln_d) * st.r[0] ** -4.5

        lo, hi = np.log(d_obs) - 8 * f, np.log(d_obs) + 8 * f
        num = integrate.quad(at, lo, hi, args=(True,), epsrel=1e-10)[0]
        den = integrate.quad(at, lo, hi, args=(False,), epsrel=1e-10)[0]
        assert gh[i] == pytest.approx(np.log(num / den), abs=1e-6)


def test_flat_prior_is_the_documented_limit():
    table = _reference_catalogue()
    flat = rf.ReflexStars.from_table(table, distance_prior=rf.DistancePrior.flat())
    by_hand = rf.ReflexStars.from_table(table, distance_prior=rf.DistancePrior(slope=0.0, volume=False,
                                                                               mean_unbiased=False))
    assert rf.log_likelihood(THETA18, flat, LINEAR) == rf.log_likelihood(THETA18, by_hand, LINEAR)
    steep = rf.ReflexStars.from_table(table, distance_prior=rf.DistancePrior(slope=5.0))
    # a steep profile pulls every star's distance weight inwards
    d_flat = np.sum(np.exp(flat.log_w) * flat.kd.reshape(flat.n_nodes, -1), axis=0)
    d_steep = np.sum(np.exp(steep.log_w) * steep.kd.reshape(steep.n_nodes, -1), axis=0)
    assert np.all(d_steep < d_flat)


def test_distance_prior_slope_from_radii():
    rng = np.random.default_rng(4)
    u_ = rng.uniform(size=20000)
    lo, hi, a = 40.0, 160.0, -1.6  # dN/dr ∝ r^-1.6, i.e. nu ∝ r^-3.6
    r = (lo ** (a + 1) + u_ * (hi ** (a + 1) - lo ** (a + 1))) ** (1 / (a + 1))
    assert rf.DistancePrior.from_radii(r, (lo, hi)).slope == pytest.approx(3.6, abs=0.05)


# ------------------------------------------------------------------ the solar frame

PP21 = {"galcen_distance": 8.3, "galcen_v_sun": (11.1, 244.24, 7.25)}


def test_solar_frame_matches_astropy():
    frame = solar_frame("pp21")
    ref = coord.Galactocentric(galcen_distance=8.3 * u.kpc, z_sun=20.8 * u.pc,
                               galcen_v_sun=coord.CartesianDifferential([11.1, 244.24, 7.25] * u.km / u.s),
                               roll=0 * u.deg, galcen_coord=coord.ICRS(ra=266.4051 * u.deg, dec=-28.936175 * u.deg))
    rng = np.random.default_rng(5)
    n = 30
    ra, dec, d = rng.uniform(0, 360, n), rng.uniform(-80, 80, n), rng.uniform(30, 150, n)
    pmra, pmdec, rv = rng.normal(0, 1, n), rng.normal(0, 1, n), rng.normal(0, 100, n)
    sc = coord.SkyCoord(ra=ra * u.deg, dec=dec * u.deg, distance=d * u.kpc, pm_ra_cosdec=pmra * u.mas / u.yr,
                        pm_dec=pmdec * u.mas / u.yr, radial_velocity=rv * u.km / u.s).transform_to(ref)
    pos, vel = icrs_to_galactocentric(ra, dec, d, pmra, pmdec, rv, frame)
    assert np.allclose(pos, sc.cartesian.xyz.to_value(u.kpc), atol=1e-9)
    assert np.allclose(vel, sc.velocity.d_xyz.to_value(u.km / u.s), atol=1e-7)
    same = icrs_to_galactocentric(ra, dec, d, pmra, pmdec, rv, PP21)
    assert np.allclose(same[1], vel, atol=1e-12)
    # and the reflex selection and fit see it: v_gsr in that frame
    table = Table({"star_id": np.arange(n), "RA": ra, "DEC": dec, "dist_adpt": d, "dist_adpt_err": 0.1 * d,
                   "Vrad": rv, "Vrad_err": np.ones(n), "GAIAEDR3_PMRA": pmra, "GAIAEDR3_PMDEC": pmdec,
                   "GAIAEDR3_PMRA_ERROR": np.full(n, 0.1), "GAIAEDR3_PMDEC_ERROR": np.full(n, 0.1),
                   "GAIAEDR3_PMRA_PMDEC_CORR": np.zeros(n)})
    gv = rf.galactic_velocities(table, frame="pp21")
    # v_gsr: astropy's Galactocentric velocity along the line of sight from astropy's Sun
    sun = coord.ICRS(coord.CartesianRepresentation([0.0, 0.0, 0.0] * u.kpc)).transform_to(ref)
    los = sc.cartesian.xyz.to_value(u.kpc) - sun.cartesian.xyz.to_value(u.kpc)[:, None]
    los /= np.linalg.norm(los, axis=0)
    v_gsr = np.sum(sc.velocity.d_xyz.to_value(u.km / u.s) * los, axis=0)
    assert np.allclose(np.asarray(gv["v_gsr"]), v_gsr, atol=1e-7)
    assert np.allclose(np.asarray(gv["V_r"]), np.sum(vel * pos, axis=0) / np.linalg.norm(pos, axis=0), atol=1e-8)
    v4 = rf.galactic_velocities(table)
    assert not np.allclose(np.asarray(v4["v_gsr"]), np.asarray(gv["v_gsr"]))


def test_predicted_observables_in_another_frame_match_astropy():
    """A star moving with the model mean in the PP21 frame has the predicted v_los and PMs."""
    rng = np.random.default_rng(6)
    n = 15
    ra, dec, d = rng.uniform(0, 360, n), rng.uniform(-80, 80, n), rng.uniform(40, 120, n)
    theta = np.array([40.0, -30.0, 10.0, -20.0, 15.0, -5.0, np.log(100), np.log(50), np.log(40)])
    table = Table({"star_id": np.arange(n), "RA": ra, "DEC": dec, "dist_adpt": d, "dist_adpt_err": 0.1 * d,
                   "Vrad": np.zeros(n), "Vrad_err": np.ones(n), "GAIAEDR3_PMRA": np.zeros(n),
                   "GAIAEDR3_PMDEC": np.zeros(n), "GAIAEDR3_PMRA_ERROR": np.full(n, 0.1),
                   "GAIAEDR3_PMDEC_ERROR": np.full(n, 0.1), "GAIAEDR3_PMRA_PMDEC_CORR": np.zeros(n)})
    stars = rf.ReflexStars.from_table(table, distance_term="none", frame="pp21")
    vlos, mu = rf.predict_observables(theta, stars, CONSTANT)
    mean = rf.model_galactic_velocities(theta, table, CONSTANT, frame="pp21")
    # rebuild the Galactocentric velocity from (v_gsr, v_l, v_b) and observe it with astropy
    frame = solar_frame("pp21")
    pos, _ = icrs_to_galactocentric(ra, dec, d, 0, 0, 0, frame)
    v_gc = np.einsum("nij,ni->jn", stars.basis, np.stack([mean["v_gsr"], mean["v_l"], mean["v_b"]], -1))
    sc = coord.SkyCoord(x=pos[0] * u.kpc, y=pos[1] * u.kpc, z=pos[2] * u.kpc, v_x=v_gc[0] * u.km / u.s,
                        v_y=v_gc[1] * u.km / u.s, v_z=v_gc[2] * u.km / u.s, frame=frame).galactic
    assert np.allclose(vlos, sc.radial_velocity.to_value(u.km / u.s), atol=1e-6)
    assert np.allclose(mu[:, 0], sc.pm_l_cosb.to_value(u.mas / u.yr), atol=1e-8)
    assert np.allclose(mu[:, 1], sc.pm_b.to_value(u.mas / u.yr), atol=1e-8)


# ------------------------------------------------------------------ columns and formats

@pytest.mark.parametrize("suffix", ["csv", "ecsv", "fits"])
def test_a_twelve_column_catalogue_fits(tmp_path, suffix):
    cat, _ = mock.generate_outer_halo(9)
    slim = cat[list(rf.REFLEX_COLUMNS)]
    for name in slim.colnames:
        slim[name].unit = None
    path = tmp_path / f"slim.{suffix}"
    slim.write(path)
    table = read_catalog(path, required=rf.REFLEX_COLUMNS)
    assert table.colnames == list(rf.REFLEX_COLUMNS)
    mask, flow = rf.select_outer_halo(table, rf.OuterHaloCuts(r_range=(40, 120)))
    assert flow["remaining"][-1] == mask.sum() > 500
    assert rf.sky_subsamples(table).keys() == {"all", "north"}
    fit = rf.fit_reflex(table[mask], "constant", "mle", rng=1, n_starts=1)
    assert 0 < fit.at(100.0)["v_travel"][0] < 80
    with pytest.raises(CatalogError, match="FeH"):
        read_catalog(path)  # the full schema is still what chapter 1 asks for


def test_sky_subsamples():
    cat, _ = mock.generate_outer_halo(9)
    sub = rf.sky_subsamples(cat)
    assert np.array_equal(sub["north"], np.asarray(cat["DEC"]) > -20)
    assert np.array_equal(sub["SEGUE"], np.asarray(cat["survey"]) == "SEGUE") and sub["all"].all()


# ------------------------------------------------------------------ bad input

def test_bad_reflex_settings_get_clear_errors():
    with pytest.raises(ValueError, match="f_max"):
        rf.OutlierMixture(f_max=0.7)
    with pytest.raises(ValueError, match="sigma"):
        rf.OutlierMixture(sigma=-1.0)
    with pytest.raises(ValueError, match="slope"):
        rf.DistancePrior(slope=-1.0)
    with pytest.raises(ValueError, match="unknown solar frame key.*galcen_vsun"):
        solar_frame({"galcen_vsun": (11.1, 244.24, 7.25)})
    with pytest.raises(ValueError, match="unknown solar frame 'pp22'"):
        solar_frame("pp22")
    with pytest.raises(ValueError, match="galcen_distance"):
        solar_frame({"galcen_distance": -8.0})
    table = _reference_catalogue()
    model = rf.ReflexModel("linear")
    stars = rf.ReflexStars.from_table(table)
    with pytest.raises(ValueError, match="f_out"):
        rf.log_likelihood(np.append(THETA18, 1.5), stars, model)
    with pytest.raises(ValueError, match="start lies outside the prior: f_out"):
        rf.fit_reflex(stars, model, "mle", start=np.append(THETA18, 0.5))
    with pytest.raises(ValueError, match="v_travel_40"):
        rf.fit_reflex(stars, model, "mle", start=np.append(np.r_[-5.0, THETA18[1:]], 0.01))
    with pytest.raises(ValueError, match="60 stars cannot constrain the 19 parameters of the linear reflex model.* at least 95"):
        rf.fit_reflex(table, "linear")
    with pytest.raises(ValueError, match="n_distance_nodes"):
        rf.ReflexStars.from_table(table, n_distance_nodes=0)
    with pytest.raises(KeyError, match="unknown parameter"):
        rf.ReflexModel("constant").from_dict({**dict(zip(rf.BASE_NAMES, THETA18[:9])), "f_out": 0.0, "vr_men": 1})
    with pytest.raises(ValueError, match="pm_errors"):
        mock.OuterHaloConfig(pm_errors="dr4")


# ------------------------------------------------------------------ the messy mock and coverage

def test_messy_mock_zero_points_and_pm_errors():
    cat, truth = mock.generate_outer_halo(3)
    mage = np.asarray(cat["survey"] == "MagE") & np.asarray(truth["component"] == "halo")
    assert np.allclose(truth["dist_factor"][mage], 1.05)
    dr2, _ = mock.generate_outer_halo(3, mock.OuterHaloConfig(pm_errors="dr2"))
    assert np.median(cat["GAIAEDR3_PMRA_ERROR"]) == pytest.approx(0.11, abs=0.02)
    assert np.median(dr2["GAIAEDR3_PMRA_ERROR"]) == pytest.approx(0.25, abs=0.03)


@pytest.mark.slow
def test_coverage_study_is_independent_of_the_number_of_processes():
    one = coverage_mocks(2, seed=3, n_starts=1, n_procs=1, progress=None)
    two = coverage_mocks(2, seed=3, n_starts=1, n_procs=2, progress=None)
    for name in one.colnames:
        assert np.array_equal(one[name], two[name]), name
    summary = coverage_summary(one)
    assert set(summary["likelihood"]) == {"mixture", "gaussian"} and np.all(summary["n_mocks"] == 2)


def test_sky_sgr_cut_removes_the_band_whatever_the_velocity():
    cat, truth = mock.generate_outer_halo(4)
    mask, flow = rf.select_outer_halo(cat, rf.OuterHaloCuts(clip=False, sgr_cut="sky"))
    _, beta = sgr_latitude(cat["RA"], cat["DEC"])
    assert not np.any(mask & (np.abs(beta) < 12.0))
    assert np.all(~mask[np.asarray(truth["component"] == "sgr")])  # the debris lies within 10 deg
    assert "|B_Sgr| < 12 deg" in list(flow["step"])
    same, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(clip=False, sgr_cut=True))
    am, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(clip=False, sgr_cut="angular_momentum"))
    assert np.array_equal(same, am)
    with pytest.raises(ValueError, match="sgr_cut"):
        rf.OuterHaloCuts(sgr_cut="stream_model")
