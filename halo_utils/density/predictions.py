"""What a fitted density model predicts for the survey: counts by radius and on the sky.

Each (tile, distance) node of a `~halo_utils.density.selection.SelectionGrid` expects
weight x density selected stars; binning the nodes gives the model's radial and sky counts
to compare with the data (conventions §8).
"""

from __future__ import annotations

import healpy as hp
import numpy as np

from ..frames import galactic_lb
from .selection import SelectionGrid

__all__ = ["node_radius", "radial_counts", "effective_volume", "sky_counts"]


def node_radius(grid: SelectionGrid) -> np.ndarray:
    """Galactocentric radius (kpc) of every (tile, distance) node."""
    return np.sqrt(np.sum(grid.pos**2, axis=0))


def radial_counts(grid: SelectionGrid, params: dict, model, edges) -> np.ndarray:
    """Expected number of selected stars in Galactocentric radius bins.

    Parameters
    ----------
    grid : SelectionGrid
    params : dict
        Free parameters of ``model``.
    model : str or DensityModel
    edges : array_like
        Bin edges in Galactocentric radius, kpc.
    """
    rates = grid.node_rates(params, model)
    return np.histogram(node_radius(grid).ravel(), edges, weights=rates.ravel())[0]


def effective_volume(grid: SelectionGrid, edges) -> np.ndarray:
    """Selection-weighted volume (kpc^3) per radius bin (edges in kpc): counts / V_eff estimate n(r)."""
    return np.histogram(node_radius(grid).ravel(), edges, weights=grid.weight.ravel())[0]


def sky_counts(grid: SelectionGrid, params: dict, model, nside: int = 8) -> np.ndarray:
    """Expected selected stars per HEALPix pixel (Galactic, RING), tiles at their centres
    (Galactic ``l``, ``b`` from the tile table's ``RA``, ``DEC``).

    Parameters
    ----------
    grid : SelectionGrid
        A tile-based grid (`SelectionGrid.from_tiles`).
    params : dict
        Free parameters of ``model``.
    model : str or DensityModel
    nside : int
        HEALPix resolution.
    """
    per_tile = grid.node_rates(params, model).sum(axis=1)
    l, b = galactic_lb(np.asarray(grid.tiles["RA"], float), np.asarray(grid.tiles["DEC"], float))
    pix = hp.ang2pix(nside, l, b, lonlat=True)
    return np.bincount(pix, weights=per_tile, minlength=hp.nside2npix(nside))
