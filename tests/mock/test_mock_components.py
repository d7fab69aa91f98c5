"""halo_utils.mock.components, kinematics and populations: the components' chemistry,
kinematics and mixture, and composing a survey from component objects."""

import numpy as np
import pytest

from halo_utils.frames import spherical_components
from halo_utils.mock import MockConfig, gse_sigma_r
from halo_utils.mock.components import (GSE, Aleph, Component, Dwarfs, InSituHalo, Sagittarius, Satellites,
                                        SmoothComponent, ThickDisk, survey_components)
from halo_utils.mock.populations import Chemistry, dwarf_logg, giant_logg
from halo_utils.mock.tiles import LinesOfSight
from halo_utils.reference import SATELLITES, sgr_latitude


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


def test_survey_components_in_draw_order():
    cfg = MockConfig()
    comps = survey_components(cfg)
    assert [type(c) for c in comps] == [GSE, InSituHalo, ThickDisk, Aleph, Sagittarius, Dwarfs, Satellites]
    assert [c.name for c in comps] == ["gse", "insitu_halo", "thick_disk", "aleph", "sgr", "dwarf", "satellite"]
    assert {c.name: c.origin for c in comps} == {
        "gse": "accreted", "sgr": "accreted", "satellite": "accreted", "insitu_halo": "insitu",
        "thick_disk": "insitu", "aleph": "insitu", "dwarf": "foreground"}
    assert all(isinstance(c, Component) for c in comps)
    assert comps[0].n_giants == pytest.approx(10 ** cfg.gse["log10_mass"] * cfg.giants_per_msun)
    assert comps[5].kinematics is cfg.thick_disk  # dwarfs move like the thick disk
    assert comps[5].luminosity_function().bright == 3.5 and comps[0].luminosity_function().faint == 2.5


def test_chemistry_and_logg_relations():
    gse = GSE.chemistry
    z1, z2 = np.array([-1.0, 0.0, 2.0]), np.array([0.5, -0.5, 0.0])
    feh = gse.feh(z1)
    np.testing.assert_array_equal(feh, -1.25 + 0.3 * z1)
    np.testing.assert_array_equal(gse.afe(feh, z2), 0.12 - 0.2 * (feh + 1.3) + 0.04 * z2)
    a, b = Chemistry(-0.4, 0.15, 0.05, 0.0, 0.0, 0.03).draw(4, np.random.default_rng(2))
    rng = np.random.default_rng(2)
    np.testing.assert_array_equal(a, -0.4 + 0.15 * rng.standard_normal(4))
    np.testing.assert_array_equal(b, 0.05 + 0.03 * rng.standard_normal(4))
    m = np.array([-3.0, 2.5])
    np.testing.assert_allclose(giant_logg(m), [0.55, 3.3])
    assert dwarf_logg(3.5, 0.0) == pytest.approx(4.1) and dwarf_logg(7.5, 0.0) == pytest.approx(4.5)


class _Shell(SmoothComponent):
    """A test component: a thin uniform shell at 20-30 kpc, cold, solar chemistry."""

    name, origin = "shell", "accreted"
    chemistry = Chemistry(0.0, 0.1, 0.0, 0.0, 0.0, 0.02)

    def density(self, los):
        r = np.sqrt(np.sum(los.pos**2, axis=0))
        inside = (r > 20) & (r < 30)
        return np.where(inside, self.n_giants / (4 / 3 * np.pi * (30**3 - 20**3)), 0.0)

    def velocities(self, pos, rng):
        return np.zeros_like(pos) + rng.standard_normal(pos.shape)


def test_a_new_component_is_a_small_class(small_survey):
    tiles = small_survey[0]
    los = LinesOfSight.through(tiles, np.geomspace(1.0, 100.0, 400))
    stars = _Shell({"log10_mass": 8.0}, 1.5e-3).sample(los, (13.5, 18.8), np.random.default_rng(3))
    assert stars["ra"].size > 50
    assert set(stars["component"]) == {"shell"} and set(stars["origin"]) == {"accreted"}
    assert not stars["dwarf"].any()
    r = np.sqrt(np.sum(stars["pos"] ** 2, axis=1))
    assert r.min() > 19.0 and r.max() < 31.0  # positions off the central line of sight
    assert abs(np.mean(stars["feh"])) < 5 * 0.1 / np.sqrt(stars["ra"].size)
