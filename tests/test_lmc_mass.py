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
