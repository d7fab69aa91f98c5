"""The published measurements the figures show (data/published_measurements.ecsv, read by
halo_utils.reference.published_measurements): complete, cited, and consistent with the
papers' own arithmetic, which also checks the package's Magellanic Stream frame against S004."""

import re
from pathlib import Path

import numpy as np
import pytest

from halo_utils.reference import MEASUREMENT_KINDS, published_measurements
from halo_utils.reflex import apex_vector, ms_to_galactic

ROOT = Path(__file__).resolve().parent.parent
UNITS = {"v_travel": "km/s", "v_travel_x": "km/s", "v_travel_y": "km/s", "v_travel_z": "km/s", "vr_mean": "km/s",
         "vphi_mean": "km/s", "vtheta_mean": "km/s", "sigma_los": "km/s", "sigma_l": "km/s", "sigma_b": "km/s",
         "L_MS": "deg", "B_MS": "deg", "l_apex": "deg", "b_apex": "deg", "pitch": "deg", "r1": "kpc", "r2": "kpc",
         "r_break": "kpc", "p": "", "q": "", "beta": "", "alpha_inner": "", "alpha_outer": "", "alpha": "", "sigma_r": "km/s",
         "lmc_mass_50": "Msun", "mw_mass_50": "Msun", "beta_0": ""}


def row(key, where):
    table = published_measurements(key)
    (match,) = [r for r in table if r["where"] == where]
    return match


def test_every_row_is_cited_has_its_unit_and_a_kind():
    table = published_measurements()
    bib = set(re.findall(r"^@\w+\{(\w+),", (ROOT / "book" / "references.bib").read_text(), re.M))
    assert set(table["bibkey"]) <= bib, set(table["bibkey"]) - bib
    for r in table:
        assert r["unit"] == UNITS[r["key"]], (r["key"], r["unit"])
        assert r["kind"] in MEASUREMENT_KINDS
    # S004 tables 1-4 (tables 1 and 3 at both nodes), PP21, Cunningham, Deason+11, S001, N21;
    # the density profiles of S001 figs 11-13 (Sesar+11, Xue+15, Kafle+14, Deason+14, Slater+16)
    # and the kinematics of S000 figs 9-10 (Bird+19's and Kafle+12's beta, Sirko+04's sigma_r)
    assert len(table) == 18 + 14 + 9 + 18 + 3 + 1 + 3 + 5 + 2 + (3 + 3 + 1 + 1 + 1) + 3 + (4 + 3)


def test_s004_table_2s_cartesian_travel_velocity_gives_its_amplitude_and_apex():
    """S004 prints the travel velocity at 100 kpc three ways; they agree within the printed
    errors, and the package's MS frame turns the printed (L_MS, B_MS) into the printed (l, b)."""
    v = np.array([row(f"v_travel_{c}", "S004 table 2")["value"] for c in "xyz"])
    amplitude = row("v_travel", "S004 table 2")
    assert abs(np.linalg.norm(v) - amplitude["value"]) < amplitude["err_minus"]
    l_apex, b_apex = np.rad2deg(np.arctan2(v[1], v[0])), np.rad2deg(np.arcsin(v[2] / np.linalg.norm(v)))
    for printed, derived in ((row("l_apex", "S004 table 2"), l_apex), (row("b_apex", "S004 table 2"), b_apex)):
        assert abs(derived - printed["value"]) < printed["err_minus"] + printed["err_plus"]
    L_ms, B_ms = row("L_MS", "S004 table 2")["value"], row("B_MS", "S004 table 2")["value"]
    l, b = ms_to_galactic(L_ms, B_ms)
    assert abs(l - row("l_apex", "S004 table 2")["value"]) < 2 and abs(b - row("b_apex", "S004 table 2")["value"]) < 2
    np.testing.assert_allclose(apex_vector(amplitude["value"], L_ms, B_ms), v, atol=2)


def test_filters_and_bad_requests():
    assert set(published_measurements(bibkey="Petersen2021")["key"]) == {"v_travel", "l_apex", "b_apex"}
    assert set(published_measurements(kind="simulation")["bibkey"]) == {"Chandra2024", "Naidu2021"}
    with pytest.raises(ValueError, match="no published measurement has key = 'nothing'"):
        published_measurements("nothing")
    with pytest.raises(ValueError, match="kind must be one of"):
        published_measurements(kind="mock")


def test_a_damaged_table_is_refused(tmp_path):
    text = (ROOT / "data" / "published_measurements.ecsv").read_text()
    bad = tmp_path / "t.ecsv"
    bad.write_text(text.replace(" measurement Petersen2021", " rumour Petersen2021"))
    with pytest.raises(ValueError, match="kind other than"):
        published_measurements(path=bad)
