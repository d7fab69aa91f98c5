"""Per-star precomputation: proper motions in Galactic axes, bad catalogues, the distance prior."""

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
import pytest
from scipy import integrate

from halo_utils import reflex as rf
from halo_utils.catalog import CatalogError
from halo_utils.reflex.likelihood import halo_log_likelihoods

LINEAR = rf.ReflexModel("linear", outliers=None)
THETA18 = np.array([10.0, -26.0, 6.0, -8.0, 14.0, -1.0, np.log(106), np.log(78), np.log(56),
                    47.0, -20.0, 2.0, -25.0, -14.0, -3.0, np.log(69), np.log(20), np.log(33)])


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


def test_distance_prior_quadrature_matches_direct_integration(reference_catalogue):
    """Each star's marginal likelihood under the volume x power-law prior and the
    mean-unbiased log-normal error model, against scipy.integrate.quad over ln d."""
    table = reference_catalogue[:6]
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


def test_flat_prior_is_the_documented_limit(reference_catalogue):
    table = reference_catalogue
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
