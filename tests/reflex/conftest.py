"""Fixtures shared by the reflex tests: the default and a messy outer-halo mock, and builders
of catalogues of stars at given Galactocentric phase-space points."""

import numpy as np
import pytest
from astropy.table import Table

from halo_utils import mock, reflex as rf
from halo_utils.frames import galactocentric_to_icrs


def _shell_positions(rng, n, r_range=(45.0, 115.0)):
    """Galactocentric positions (3, n), kpc: isotropic directions, radii uniform in ``r_range``."""
    r = rng.uniform(r_range[0], r_range[1], n)
    vec = rng.standard_normal((3, n))
    return r * vec / np.linalg.norm(vec, axis=0)


def _exact_catalogue(pos, vel, *, frac_dist=0.1, vrad_err=1.0, pm_err=0.1, corr=0.0):
    """A catalogue (conventions §2) of stars at Galactocentric ``pos``/``vel`` (3, N), observed exactly."""
    obs = galactocentric_to_icrs(pos, vel)
    n = pos.shape[1]
    full = lambda v: np.broadcast_to(np.asarray(v, float), (n,)).copy()  # noqa: E731
    return Table({
        "star_id": np.arange(n), "RA": obs["ra"], "DEC": obs["dec"], "dist_adpt": obs["distance"],
        "dist_adpt_err": full(frac_dist) * obs["distance"], "Vrad": obs["rv"], "Vrad_err": full(vrad_err),
        "GAIAEDR3_PMRA": obs["pmra"], "GAIAEDR3_PMDEC": obs["pmdec"], "GAIAEDR3_PMRA_ERROR": full(pm_err),
        "GAIAEDR3_PMDEC_ERROR": full(pm_err), "GAIAEDR3_PMRA_PMDEC_CORR": full(corr)})


@pytest.fixture(scope="session")
def shell_positions():
    """``shell_positions(rng, n, r_range=(45, 115))``: isotropic Galactocentric positions (3, n), kpc."""
    return _shell_positions


@pytest.fixture(scope="session")
def exact_catalogue():
    """``exact_catalogue(pos, vel, *, frac_dist, vrad_err, pm_err, corr)``: a catalogue of stars at
    Galactocentric ``pos``/``vel`` observed without error, with the given stated errors."""
    return _exact_catalogue


@pytest.fixture
def reference_catalogue():
    """60 stars drawn from a fixed seed (the catalogue behind the stored reference values of
    the likelihood), observed with scatter."""
    rng = np.random.default_rng(2026)
    n = 60
    pos = _shell_positions(rng, n)
    vel = rng.normal(0, 100, (3, n))
    obs = galactocentric_to_icrs(pos, vel)
    frac = rng.uniform(0.08, 0.2, n)
    return Table({
        "star_id": np.arange(n), "RA": obs["ra"], "DEC": obs["dec"],
        "dist_adpt": obs["distance"] * np.exp(frac * rng.standard_normal(n)), "dist_adpt_err": frac * obs["distance"],
        "Vrad": obs["rv"] + rng.normal(0, 2, n), "Vrad_err": rng.uniform(1, 5, n),
        "GAIAEDR3_PMRA": obs["pmra"] + rng.normal(0, 0.1, n), "GAIAEDR3_PMDEC": obs["pmdec"] + rng.normal(0, 0.1, n),
        "GAIAEDR3_PMRA_ERROR": rng.uniform(0.05, 0.3, n), "GAIAEDR3_PMDEC_ERROR": rng.uniform(0.05, 0.3, n),
        "GAIAEDR3_PMRA_PMDEC_CORR": rng.uniform(-0.3, 0.3, n)})


@pytest.fixture(scope="session")
def messy():
    """The default mock with 10 % wrong distances and no pre-fit clipping, 40-120 kpc."""
    cat, truth = mock.generate_outer_halo(21, mock.OuterHaloConfig(f_wrong_distance=0.1, f_outlier=0.0))
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120), clip=False))
    return cat[mask], truth[mask]
