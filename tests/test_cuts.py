"""Each cut on hand-built inputs with known answers, and the cut-flow bookkeeping."""

import numpy as np
import pytest
import astropy.coordinates as coord
import astropy.units as u
from gala.coordinates import SagittariusLaw10

from halo_utils import cuts
from halo_utils.reference import SATELLITES


def test_quality_and_giants():
    flag = np.array([0, 0, 1, 0])
    snr = np.array([3.5, 3.0, 10.0, 2.0])
    np.testing.assert_array_equal(cuts.quality_mask(flag, snr), [True, False, False, False])
    np.testing.assert_array_equal(cuts.giant_mask([3.49, 3.5, 4.2, 1.0]), [True, False, False, True])


def _sgr_point(lam, beta):
    c = coord.SkyCoord(Lambda=lam * u.deg, Beta=beta * u.deg, frame=SagittariusLaw10()).icrs
    return c.ra.deg, c.dec.deg


def test_sgr_cut_needs_both_position_and_angular_momentum():
    ra_on, dec_on = _sgr_point(60.0, 5.0)
    ra_off, dec_off = _sgr_point(60.0, 40.0)
    ra = np.array([ra_on, ra_on, ra_off, ra_on])
    dec = np.array([dec_on, dec_on, dec_off, dec_on])
    # L in kpc km/s: Sgr-like, not Sgr-like, Sgr-like but far from the plane, on the line
    L_z = np.array([-1.3e3, -1.3e3, -1.3e3, -1.0e3])
    L_y = np.array([-4.5e3, 0.0, -4.5e3, (0.3 - 2.5) * 1e3 + 1.0])
    np.testing.assert_array_equal(cuts.sgr_member_mask(ra, dec, L_y, L_z), [True, False, False, False])


def test_satellite_cut_radius():
    s = SATELLITES["Draco"]
    centre = coord.SkyCoord(ra=s["ra"] * u.deg, dec=s["dec"] * u.deg)
    pts = centre.directional_offset_by([0, 90, 180] * u.deg, [0.5, 0.99, 1.01] * u.deg)
    np.testing.assert_array_equal(cuts.satellite_mask(pts.ra.deg, pts.dec.deg), [True, True, False])
    np.testing.assert_array_equal(cuts.satellite_mask(pts.ra.deg, pts.dec.deg, radius_deg=0.6),
                                  [True, False, False])


def test_chemistry_classes_against_lines():
    feh = np.array([-1.5, -1.5, -0.5, -0.5, -0.8])
    # line at feh=-1.5: 0.38; at -0.5: 0.18; at -0.8: 0.24
    afe = np.array([0.2, 0.45, 0.1, 0.3, 0.1])
    np.testing.assert_array_equal(cuts.chemistry_class(feh, afe),
                                  ["accreted", "insitu_high_alpha", "insitu_low_alpha",
                                   "insitu_high_alpha", "insitu_low_alpha"])
    # configurable lines
    assert cuts.chemistry_class([-1.0], [0.1], feh_split=-1.2)[0] == "insitu_low_alpha"


def test_aleph_unbound_geometric_gse():
    cls = np.array(["insitu_low_alpha"] * 4 + ["accreted"])
    L_z = np.array([-2000.0, 2000.0, -2000.0, -2000.0, -2000.0])
    ecc = np.array([0.1, 0.1, 0.5, np.nan, 0.1])
    np.testing.assert_array_equal(cuts.aleph_mask(cls, L_z, ecc), [True, False, False, False, False])
    np.testing.assert_array_equal(cuts.unbound_mask([-1.0, 0.0, 5.0]), [False, True, True])
    np.testing.assert_array_equal(cuts.geometric_halo_mask([6, -6, 4, 6], [11, 11, 20, 9]),
                                  [True, True, False, False])
    cls = np.array(["accreted", "accreted", "accreted", "accreted", "insitu_high_alpha", "accreted"])
    ecc = np.array([0.8, 0.6, 0.8, np.nan, 0.9, 0.8])
    r = np.array([20.0, 20.0, 70.0, 20.0, 20.0, 5.0])
    np.testing.assert_array_equal(cuts.gse_mask(cls, ecc, r), [True, False, False, False, False, False])


def test_purity_completeness():
    pred = np.array(["a", "a", "a", "b", "b"])
    true = np.array(["x", "x", "y", "y", "x"])
    out = cuts.class_purity_completeness(pred, true, {"a": {"x"}, "b": {"y"}})
    assert out["a"] == {"n": 3, "purity": pytest.approx(2 / 3), "completeness": pytest.approx(2 / 3)}
    assert out["b"]["purity"] == pytest.approx(0.5) and out["b"]["completeness"] == pytest.approx(0.5)


def test_cut_flow_counts():
    flow = cuts.CutFlow(10)
    flow.keep("first", np.arange(10) < 8)
    flow.remove("second", np.arange(10) % 2 == 0)
    mask = flow.keep("third", np.arange(10) > 2)
    t = flow.table()
    assert list(t["removed"]) == [0, 2, 4, 1]
    assert list(t["remaining"]) == [10, 8, 4, 3]
    np.testing.assert_array_equal(np.flatnonzero(mask), [3, 5, 7])
    with pytest.raises(ValueError, match="cut 'bad': mask has shape"):
        flow.keep("bad", np.ones(3, bool))
