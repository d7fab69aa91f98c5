"""The LMC-mass estimate (halo_utils.lmc_mass) on a suite whose reflex is injected by hand: an
equilibrium halo given a bulk velocity -V(M) n for three 'masses', so that the travel vector
each mock should return is known without any simulation."""

import numpy as np
import pytest
from astropy.table import Table, vstack

from halo_utils import lmc
from halo_utils.lmc_mass import SUMMARY_NAMES, estimate_lmc_mass, simulation_summaries, travel_summary
from halo_utils.mock import OuterHaloConfig, generate_simulated_outer_halo
from halo_utils.mock.outer_halo import default_outer_surveys
from halo_utils.reflex import OuterHaloCuts

APEX = np.array([0.1, -0.3, -0.95]) / np.linalg.norm([0.1, -0.3, -0.95])  # roughly S004's apex
KMS_PER_MSUN = 30.0 / 1e11
MASSES = (0.0, 1.0e11, 2.0e11)
CUTS = OuterHaloCuts(r_range=(40.0, 120.0), clip=False)


def _config():
    surveys = default_outer_surveys()
    for sv in surveys.values():
        sv["n"] = sv["n"] // 2
    return OuterHaloConfig(surveys=surveys)


@pytest.fixture(scope="module")
def suite():
    pos, vel = lmc.draw_halo(60_000, 5, r_range=(30.0, 300.0))
    parts = []
    for mass in MASSES:
        v = vel - KMS_PER_MSUN * mass * APEX[:, None]  # the halo moves at -v_travel n_apex
        parts.append(Table({"lmc_mass": np.full(pos.shape[1], mass), "x": pos[0], "y": pos[1], "z": pos[2],
                            "vx": v[0], "vy": v[1], "vz": v[2]}))
    return vstack(parts)


@pytest.mark.slow
def test_summaries_follow_the_injected_travel_vector_and_the_mass_is_recovered(suite):
    table = simulation_summaries(suite, 6, seed=3, config=_config(), cuts=CUTS, n_workers=2, report_progress=False,
                                 n_starts=2)
    assert len(table) == 18 and set(table["lmc_mass"]) == set(MASSES)
    summaries = np.column_stack([table[n] for n in SUMMARY_NAMES])
    mean, err = {}, {}
    for mass in MASSES:
        rows = summaries[table["lmc_mass"] == mass]
        mean[mass], err[mass] = rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(len(rows))
    # the injected reflex is linear in the mass, and so is what the fit returns: the middle
    # mass's mean summary is the average of the outer two's. The errors are estimated from 6
    # mocks each, so the bound is Student's t with 5 degrees of freedom at 99.8 % (5.9)
    mid = 0.5 * (mean[MASSES[0]] + mean[MASSES[2]])
    mid_err = np.sqrt(err[MASSES[1]]**2 + 0.25 * (err[MASSES[0]]**2 + err[MASSES[2]]**2))
    assert np.all(np.abs(mean[MASSES[1]] - mid) < 5.9 * mid_err), (mean, mid)
    # the fitted vector points along the injected one and holds most of it: on this footprint
    # the constant model gives part of a pure bulk motion to its mean v_r and v_theta (the
    # z component comes back ~20 % short), which is why the mass is calibrated on mocks
    # rather than read off against the simulations' true shells
    signal = mean[MASSES[2]] - mean[MASSES[0]]
    injected = KMS_PER_MSUN * (MASSES[2] - MASSES[0]) * APEX
    assert signal @ injected / (np.linalg.norm(signal) * np.linalg.norm(injected)) > 0.95
    assert 0.6 < np.linalg.norm(signal) / np.linalg.norm(injected) < 1.1
    # a mock the calibration never saw, from the middle mass
    pos = np.array([suite[c][suite["lmc_mass"] == 1e11] for c in "xyz"])
    vel = np.array([suite[f"v{c}"][suite["lmc_mass"] == 1e11] for c in "xyz"])
    catalog, _ = generate_simulated_outer_halo(999, pos, vel, _config())
    observed = travel_summary(catalog, CUTS, np.random.default_rng(999), n_starts=2)
    post = estimate_lmc_mass(table, observed)
    assert post.contains(1e11, 95), (post.median, post.interval(95))
    assert post.grid[0] == 0.0 and post.grid[-1] == 2e11


def test_kinematic_summary_sees_an_injected_bulk_motion_in_each_quadrant(suite):
    """The binned statistics of a mock whose halo moves as a whole at -V n (no LMC simulated):
    in every sky quadrant the mean v_GSR moves by -V <n . l_hat> over the quadrant's stars,
    l_hat each star's line of sight (the data's errors and selection are the same draws in
    both mocks: one seed), and the mean v_b rises (the halo moves 'up' relative to the inner
    Galaxy). The bound is the sampling error of two independent means, which is generous for
    mocks that share their draws."""
    from halo_utils.lmc_mass import kinematic_summary
    from halo_utils.mock import particles_of_mass
    from halo_utils.reflex import galactic_velocities, select_outer_halo, sky_quadrant

    stats, gv = {}, {}
    for mass in (MASSES[0], MASSES[2]):
        catalog, _ = generate_simulated_outer_halo(11, *particles_of_mass(suite, mass), _config())
        stats[mass] = kinematic_summary(catalog, CUTS, edges=(40.0, 80.0, 120.0))
        mask, _ = select_outer_halo(catalog, CUTS)
        gv[mass] = galactic_velocities(catalog[mask])
    still, moving = stats[MASSES[0]], stats[MASSES[2]]
    assert np.abs(moving.count - still.count).max() <= 0.05 * still.count.max()  # the same stars, nearly
    speed = KMS_PER_MSUN * (MASSES[2] - MASSES[0])  # 60 km/s
    l, b = np.deg2rad(gv[MASSES[2]]["l"]), np.deg2rad(gv[MASSES[2]]["b"])
    n_dot_los = APEX @ np.array([np.cos(b) * np.cos(l), np.cos(b) * np.sin(l), np.sin(b)])
    quadrant = sky_quadrant(gv[MASSES[2]]["l"], gv[MASSES[2]]["b"])
    measured, errors = [], []
    for i, name in enumerate(moving.quadrants):
        n_a, n_b = still.count[i].sum(), moving.count[i].sum()
        shift = {v: (np.nansum(moving.mean[v][i] * moving.count[i]) / n_b
                     - np.nansum(still.mean[v][i] * still.count[i]) / n_a) for v in ("v_gsr", "v_b")}
        spread = np.nanmax(np.r_[still.std["v_gsr"][i], moving.std["v_gsr"][i]])
        error = spread * np.sqrt(1.0 / n_a + 1.0 / n_b)
        expected = -speed * n_dot_los[quadrant == i].mean()
        assert abs(shift["v_gsr"] - expected) < 4 * error, (name, shift["v_gsr"], expected, error)
        assert shift["v_b"] > 0, name
        measured.append(shift["v_gsr"])
        errors.append(error)
    # the LMC's quadrant is blueshifted against the opposite one: by ~90 km/s for 60 km/s of bulk
    # motion, and the measurement agrees (the per-quadrant bounds above, combined)
    lmc, opposite = moving.quadrants.index("LMC"), moving.quadrants.index("opposite")
    expected = -speed * (n_dot_los[quadrant == lmc].mean() - n_dot_los[quadrant == opposite].mean())
    assert expected < -60.0
    assert abs(measured[lmc] - measured[opposite] - expected) < 4 * np.hypot(errors[lmc], errors[opposite])
