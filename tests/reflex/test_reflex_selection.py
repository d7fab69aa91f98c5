"""The outer-halo selection: each cut, the Sgr cuts, sky subsamples, velocities in another solar frame."""

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
import pytest
from astropy.table import Table

from halo_utils import cuts, mock, reflex as rf
from halo_utils.frames import icrs_to_galactocentric, solar_frame
from halo_utils.reference import sgr_latitude


def test_each_selection_cut_on_a_hand_built_table(shell_positions, exact_catalogue):
    rng = np.random.default_rng(3)
    n = 300
    pos = shell_positions(rng, n)
    vel = rng.normal(0, 80, (3, n))
    # star 0: too close; 1: bad RV error; 2: bad distance error; 3: 1500 km/s; 4: 12-sigma outlier
    pos[:, 0] *= 30.0 / np.linalg.norm(pos[:, 0])
    vel[:, 3] = 1500.0 * pos[:, 3] / np.linalg.norm(pos[:, 3])  # radial: no angular momentum
    vel[:, 4] = 12 * 80 * pos[:, 4] / np.linalg.norm(pos[:, 4])
    table = exact_catalogue(pos, vel)
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


def test_sky_subsamples():
    cat, _ = mock.generate_outer_halo(9)
    sub = rf.sky_subsamples(cat)
    assert np.array_equal(sub["north"], np.asarray(cat["DEC"]) > -20)
    assert np.array_equal(sub["SEGUE"], np.asarray(cat["survey"]) == "SEGUE") and sub["all"].all()


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
