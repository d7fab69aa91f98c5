"""Shared fixtures of the density tests: the true GSE shape, full-sky node grids, a small survey grid."""

import healpy as hp
import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.cuts import satellite_mask
from halo_utils.mock import GSE_TRUTH


def _full_sky_nodes(r_lo, r_hi, n_r=600, nside=16):
    """Nodes on spheres around the Galactic centre with trapezoid weights in ln r.

    Returns positions (3, n_pix, n_r), kpc, and weights (n_pix, n_r), kpc^3: the selection
    is 1 everywhere in r_lo < r < r_hi.
    """
    vec = np.array(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))))
    r = np.geomspace(r_lo, r_hi, n_r)
    dln = np.gradient(np.log(r))
    dln[[0, -1]] *= 0.5
    omega = 4 * np.pi / vec.shape[1]
    pos = vec[:, :, None] * r[None, None, :]
    weight = np.broadcast_to(omega * r**3 * dln, (vec.shape[1], r.size))
    return pos, weight


@pytest.fixture(scope="session")
def full_sky_nodes():
    """The function ``(r_lo, r_hi, n_r=600, nside=16) -> (pos, weight)`` of a uniform selection."""
    return _full_sky_nodes


@pytest.fixture(scope="session")
def gse_truth():
    """The mock's GSE shape with log10_mass = 9 (all ten parameters of the fiducial model)."""
    return {**GSE_TRUTH, "log10_mass": 9.0}


@pytest.fixture(scope="module")
def survey_small(small_survey):
    """A `SelectionGrid` of the 250-tile mock survey (satellite fields excluded, 200 distances)."""
    tiles = small_survey[0]
    return dens.SelectionGrid.from_tiles(tiles, exclude=satellite_mask(tiles["RA"], tiles["DEC"], 1.0),
                                         distance=np.geomspace(1, 150, 200))
