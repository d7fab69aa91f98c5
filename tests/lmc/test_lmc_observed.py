"""Particles seen from the Sun (halo_utils.lmc.observed) equal the stars' own velocities from
halo_utils.reflex.galactic_velocities: the same particles, observed without errors."""

import numpy as np
import pytest
from astropy.table import Table

from halo_utils.frames import galactocentric_to_icrs
from halo_utils.lmc import observed_particles
from halo_utils.reflex import galactic_velocities
from halo_utils.reflex.sky import galactic_to_ms


def test_particles_match_the_stars_reduction():
    rng = np.random.default_rng(3)
    pos = rng.normal(0, 60, (3, 200))
    vel = rng.normal(0, 120, (3, 200))
    obs = galactocentric_to_icrs(pos, vel)
    n = pos.shape[1]
    table = Table({"star_id": np.arange(n), "RA": obs["ra"], "DEC": obs["dec"], "dist_adpt": obs["distance"],
                   "dist_adpt_err": 0.1 * obs["distance"], "Vrad": obs["rv"], "Vrad_err": np.ones(n),
                   "GAIAEDR3_PMRA": obs["pmra"], "GAIAEDR3_PMDEC": obs["pmdec"],
                   "GAIAEDR3_PMRA_ERROR": np.full(n, 0.1), "GAIAEDR3_PMDEC_ERROR": np.full(n, 0.1),
                   "GAIAEDR3_PMRA_PMDEC_CORR": np.zeros(n)})
    stars = galactic_velocities(table)
    parts = observed_particles(pos, vel)
    for name in ("l", "b", "d", "r", "v_gsr", "v_l", "v_b"):
        np.testing.assert_allclose(parts[name], stars[name], rtol=1e-9, atol=1e-8, err_msg=name)
    L_ms, B_ms = galactic_to_ms(stars["l"], stars["b"])
    np.testing.assert_allclose(parts["L_MS"], L_ms, atol=1e-9)
    with pytest.raises(ValueError, match=r"shape \(3, n\)"):
        observed_particles(pos[:2], vel[:2])
