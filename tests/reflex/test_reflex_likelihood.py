"""The reflex likelihood: predicted observables against astropy, stored reference values, the
outlier mixture, residuals."""

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
import pytest
from astropy.table import Table
from gala.coordinates import MagellanicStreamNidever08
from scipy.stats import multivariate_normal

from halo_utils import mock, reflex as rf
from halo_utils.mock.outer_halo import reflex_velocities
from halo_utils.frames import GALCEN_FRAME, icrs_to_galactocentric, solar_frame
from halo_utils.reflex.likelihood import halo_log_likelihoods

TRUTH = mock.reflex_truth_vector()
LINEAR = rf.ReflexModel("linear", outliers=None)
CONSTANT = rf.ReflexModel("constant", outliers=None)
THETA18 = np.array([10.0, -26.0, 6.0, -8.0, 14.0, -1.0, np.log(106), np.log(78), np.log(56),
                    47.0, -20.0, 2.0, -25.0, -14.0, -3.0, np.log(69), np.log(20), np.log(33)])


#: log-likelihoods of THETA18 (linear) and its first node (constant) on the `reference_catalogue` fixture,
#: computed by the package before the mixture and the distance prior existed (commit 45a7875).
REFERENCE = {"marginal": (-450.6569529830323, -414.964226055782),
             "model": (-483.95398566360814, -419.86468483745443),
             "observed": (-445.359202524283, -406.81761219827047),
             "none": (-494.8383061549795, -423.4924796257891)}


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


def test_constant_model_equals_linear_with_equal_nodes(outer):
    cat, _ = outer
    for term in ("marginal", "model", "observed", "none"):
        stars = rf.ReflexStars.from_table(cat[:300], distance_term=term)
        for theta9 in (TRUTH[:9], np.array([20.0, 179.0, -40.0, 5, -5, 3, 4.5, 4.0, 3.8])):
            a = rf.log_likelihood(theta9, stars, CONSTANT)
            b = rf.log_likelihood(np.concatenate([theta9, theta9]), stars, LINEAR)
            assert np.isfinite(a) and a == pytest.approx(b, rel=1e-12)


def test_model_mean_velocities_of_stars_moving_with_the_mean(shell_positions, exact_catalogue):
    """Stars moving exactly with the truth's mean field: data and model velocities agree."""
    rng = np.random.default_rng(9)
    pos = shell_positions(rng, 50)
    vel = reflex_velocities(pos, mock.REFLEX_TRUTH, rng, scale=0.0)
    table = exact_catalogue(pos, vel)
    data = rf.galactic_velocities(table)
    model = rf.model_galactic_velocities(TRUTH, table, LINEAR)
    for key in ("v_gsr", "v_l", "v_b"):
        assert np.allclose(data[key], model[key], atol=1e-6), key


@pytest.mark.parametrize("term", list(REFERENCE))
def test_mixture_off_and_flat_prior_equal_the_previous_likelihood(term, reference_catalogue):
    stars = rf.ReflexStars.from_table(reference_catalogue, distance_term=term,
                                      distance_prior=rf.DistancePrior.flat())
    lin, const = REFERENCE[term]
    assert rf.log_likelihood(THETA18, stars, LINEAR) == pytest.approx(lin, rel=1e-12)
    assert rf.log_likelihood(THETA18[:9], stars, CONSTANT) == pytest.approx(const, rel=1e-12)
    # the mixture with f_out = 0 is the same likelihood
    mix = rf.ReflexModel("linear")
    assert rf.log_likelihood(np.append(THETA18, 0.0), stars, mix) == pytest.approx(lin, rel=1e-12)


def test_mixture_is_the_weighted_sum_of_its_components(reference_catalogue):
    """ln L = sum ln[(1 - f) L_halo + f L_out] with L_out the density of a star at rest in the
    Galactocentric frame (observed with astropy) broadened by sigma_out along every axis."""
    table = reference_catalogue
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
