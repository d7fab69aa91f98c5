"""Monte Carlo errors of the catalogue-level Galactocentric quantities."""

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
import pytest
from astropy.table import Table

from halo_utils.frames import K_KMS, frame_vectors, galactocentric


def _table(n, **cols):
    base = dict(star_id=np.arange(n), RA=np.full(n, 120.0), DEC=np.full(n, 40.0),
                dist_adpt=np.full(n, 30.0), dist_adpt_err=np.full(n, 1e-6), Vrad=np.full(n, 50.0),
                Vrad_err=np.full(n, 1e-6), GAIAEDR3_PMRA=np.full(n, 0.3), GAIAEDR3_PMDEC=np.full(n, -0.2),
                GAIAEDR3_PMRA_ERROR=np.full(n, 1e-9), GAIAEDR3_PMDEC_ERROR=np.full(n, 1e-9),
                GAIAEDR3_PMRA_PMDEC_CORR=np.zeros(n))
    base.update({k: np.full(n, v) for k, v in cols.items()})
    return Table(base)


def test_mc_errors_follow_each_source(rng):
    n_mc = 4000  # relative precision of a std from n draws: 1/sqrt(2 n) = 1.1 %
    # RV error only, toward the anticentre (l = 180, b = 0): V_r = -v_los exactly there
    ac = coord.SkyCoord(l=180 * u.deg, b=0 * u.deg, frame="galactic").icrs
    t = _table(1, RA=ac.ra.deg, DEC=ac.dec.deg, Vrad_err=5.0)
    out = galactocentric(t, n_mc=n_mc, rng=rng)
    assert out["V_r_err"][0] == pytest.approx(5.0, rel=0.05)
    # distance error only, same direction: r = R0 + d
    t = _table(1, RA=ac.ra.deg, DEC=ac.dec.deg, dist_adpt_err=2.0)
    out = galactocentric(t, n_mc=n_mc, rng=rng)
    assert out["r_err"][0] == pytest.approx(2.0, rel=0.05)
    # proper-motion error only: tangential velocity error k d sigma_pm per component
    t = _table(1, GAIAEDR3_PMRA_ERROR=0.1, GAIAEDR3_PMDEC_ERROR=0.1)
    out = galactocentric(t, n_mc=n_mc, rng=rng)
    expected = K_KMS * 30.0 * 0.1
    v_tan_err = np.hypot(out["V_theta_err"][0], out["V_phi_err"][0])
    total = np.sqrt(out["V_r_err"][0] ** 2 + v_tan_err**2)
    assert total == pytest.approx(np.sqrt(2) * expected, rel=0.05)


@pytest.mark.parametrize("rho", [-0.8, 0.0, 0.8])
def test_mc_correlation_matches_linear_propagation(rng, rho):
    """PM-only errors are linear: Cov(v_gc) = A Cov(v_icrs) A^T with the catalogue correlation."""
    rot = frame_vectors()[0]
    sig, d, ra, dec = 0.2, 30.0, 120.0, 40.0
    t = _table(1, GAIAEDR3_PMRA_ERROR=sig, GAIAEDR3_PMDEC_ERROR=sig, GAIAEDR3_PMRA_PMDEC_CORR=rho)
    out = galactocentric(t, n_mc=20000, rng=rng)  # std precision 0.5 %
    a, b = np.deg2rad(ra), np.deg2rad(dec)
    e_ra = np.array([-np.sin(a), np.cos(a), 0.0])
    e_dec = np.array([-np.sin(b) * np.cos(a), -np.sin(b) * np.sin(a), np.cos(b)])
    basis = np.stack([e_ra, e_dec], axis=1) * K_KMS * d
    cov_pm = sig**2 * np.array([[1.0, rho], [rho, 1.0]])
    cov = rot @ basis @ cov_pm @ basis.T @ rot.T
    expected = np.sqrt(np.diag(cov))
    got = np.array([out[k + "_err"][0] for k in ("vx", "vy", "vz")])
    np.testing.assert_allclose(got, expected, rtol=0.03)


def test_mc_requires_generator():
    t = _table(2)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        galactocentric(t, n_mc=10, rng=None)
    with pytest.raises(ValueError, match="n_mc must be >= 0"):
        galactocentric(t, n_mc=-1, rng=np.random.default_rng(0))
    out = galactocentric(t, n_mc=0)
    assert "V_r_err" not in out.colnames
