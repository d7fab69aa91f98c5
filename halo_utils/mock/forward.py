"""The forward-model mock: stars drawn from the density model through the selection grid.

Unlike the survey (`halo_utils.mock.h3`), which simulates each step of the targeting,
`forward_mock` draws a catalogue from exactly the distribution the density likelihood
assumes (conventions §8), for the mock-recovery and coverage tests of chapter 4
(conventions §10). It shares the survey's error model (`halo_utils.survey`), GSE
kinematics and chemistry.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table
from scipy.special import ndtr, ndtri

from .. import density as dens
from ..frames import galactocentric_to_icrs, icrs_to_galactocentric
from ..survey import (SelectionConfig, abundance_errors, astrometric_error, distance_modulus,
                      giant_luminosity_function, median_rv_error, rank_windows, selection_probability, snr_model)
from .components import GSE
from .config import MockConfig
from .kinematics import gse_velocities
from .populations import giant_logg
from .tiles import positions_in_tiles

__all__ = ["forward_mock"]


def forward_mock(params: dict, grid: dens.SelectionGrid, rng, model="triaxial_double_break", *,
                lf=None, config=None, distance_error: float = 0.0, kinematics=None):
    """Draw a mock catalogue from the density forward model (conventions §10).

    The number of stars is Poisson(Lambda); each star picks a (tile, distance) node with
    probability proportional to its expected count, a distance uniform in ln D within the
    node's cell and a position uniform inside the tile; its absolute magnitude is drawn
    on a 0.02-mag grid with probability Phi(M) P(select | M, D, tile). Everything else
    follows the mock survey's error model, conditioned on passing the parallax and S/N
    cuts; velocities follow the GSE kinematics, [Fe/H], [a/Fe] the GSE chemistry and
    log g the giant relation.

    Parameters
    ----------
    params : dict
        Density parameters (free parameters of ``model``).
    grid : SelectionGrid
        Tiles and selection (the same object the likelihood uses).
    rng : numpy.random.Generator
        Source of every draw.
    model : str or DensityModel
        The density model (conventions §7).
    lf : LuminosityFunction, optional
        Luminosity function in M_r (default: the giants').
    config : SelectionConfig, optional
        Selection (default: `SelectionConfig()`, as `SelectionGrid.from_tiles`).
    distance_error : float
        Fractional distance error; 0 places stars at their true distances (as the
        likelihood assumes). Positions ``x``, ``y``, ``z`` use the observed distance.
    kinematics : dict, optional
        GSE kinematic parameters of `gse_velocities` (default: `MockConfig().gse`).

    Returns
    -------
    astropy.table.Table
        Catalogue in the schema of conventions §2 (plain columns, no units) plus
        Galactocentric ``x``, ``y``, ``z`` (kpc), ``true_distance`` (kpc) and ``abs_mag``
        (M_r, mag).

    Raises
    ------
    TypeError
        When ``rng`` is not a `numpy.random.Generator`.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    m = dens.get_model(model)
    dens.check_params(params, m)
    lf = lf or giant_luminosity_function()
    config = config or SelectionConfig()
    rates = grid.node_rates(params, m).ravel()
    total = rates.sum()
    n = rng.poisson(total)
    node = rng.choice(rates.size, size=n, p=rates / total)
    tile_idx, d_idx = np.unravel_index(node, grid.weight.shape)
    ln_d = np.log(grid.distance)
    step = np.gradient(ln_d)[d_idx]
    dist = np.exp(ln_d[d_idx] + step * (rng.uniform(size=n) - 0.5))
    ra, dec = positions_in_tiles(grid.tiles, tile_idx, rng)

    tiles = grid.tiles
    col = {k: np.asarray(tiles[k])[tile_idx] for k in ("r_lim", "has_rank1", "f_rank1", "f_rank2")}
    mags = np.arange(lf.bright, lf.faint + 1e-9, 0.02)

    def mag_cdf(d, rows=slice(None), grid_mags=mags):
        prob = lf.pdf(grid_mags)[None, :] * selection_probability(
            grid_mags[None, :], d[rows, None], col["r_lim"][rows, None], col["has_rank1"][rows, None],
            col["f_rank1"][rows, None], col["f_rank2"][rows, None], config)
        return np.cumsum(prob, axis=1)

    cdf = mag_cdf(dist)
    # at the very edge of the selected volume (the parallax cut near 1-2 kpc) the selection
    # underflows to zero inside a cell whose node still carries weight: keep those stars at
    # the node distance, where it is positive
    edge = cdf[:, -1] <= 0
    if edge.any():
        dist[edge] = grid.distance[d_idx[edge]]
        cdf[edge] = mag_cdf(dist, edge)
    u_mag = rng.uniform(size=n)
    pick = np.sum(cdf < (u_mag * cdf[:, -1])[:, None], axis=1)
    on_grid = mags[np.minimum(pick, mags.size - 1)]
    abs_mag = on_grid + 0.02 * (rng.uniform(size=n) - 0.5)
    # where the node's selection is positive only between points of the 0.02-mag grid (a sliver
    # at an edge of the luminosity function), draw on the luminosity function's own finer nodes
    sliver = np.flatnonzero(cdf[:, -1] <= 0)
    if sliver.size:
        fine = mag_cdf(dist, sliver, lf.abs_mag)
        if np.any(fine[:, -1] <= 0):
            raise RuntimeError("forward_mock: a node with weight has no selectable magnitude; the grid's "
                               "selection and this mock's disagree")
        fine_pick = np.sum(fine < (u_mag[sliver] * fine[:, -1])[:, None], axis=1)
        on_grid[sliver] = abs_mag[sliver] = lf.abs_mag[np.minimum(fine_pick, lf.abs_mag.size - 1)]
    # the jitter inside the 0.02-mag bin must not carry a star across a window edge (e.g. r_lim),
    # where the survey could not have selected it, or out of the luminosity function: there it
    # keeps the bin's magnitude
    outside = (selection_probability(abs_mag, dist, col["r_lim"], col["has_rank1"], col["f_rank1"], col["f_rank2"],
                                     config) <= 0) | (lf.pdf(abs_mag) <= 0)
    abs_mag[outside] = on_grid[outside]
    r_mag = abs_mag + distance_modulus(dist)
    in1, _ = rank_windows(abs_mag, r_mag, col["r_lim"], col["has_rank1"], config)

    zero = np.zeros(n)
    pos, _ = icrs_to_galactocentric(ra, dec, dist, zero, zero, zero)
    kin = kinematics or MockConfig().gse
    vel = gse_velocities(pos, kin, rng)
    obs = galactocentric_to_icrs(pos, vel)
    sig = astrometric_error(r_mag)
    plx = _truncated_normal_below(1.0 / dist, sig, config.plx_limit + config.plx_nsigma * sig, rng)
    snr = snr_model(r_mag, col["r_lim"], config) * np.exp(
        _truncated_normal_above(np.zeros(n), np.full(n, config.snr_log_scatter),
                                np.log(config.snr_limit / snr_model(r_mag, col["r_lim"], config)), rng))
    frac = distance_error
    d_obs = dist * np.exp(frac * rng.standard_normal(n)) if frac > 0 else dist.copy()
    pos_obs, _ = icrs_to_galactocentric(ra, dec, d_obs, zero, zero, zero)
    feh_err, afe_err = abundance_errors(r_mag)
    feh = GSE.chemistry.feh(rng.standard_normal(n))
    cat = Table()
    cat["star_id"] = np.arange(1, n + 1, dtype=np.int64)
    cat["RA"], cat["DEC"] = ra, dec
    cat["dist_adpt"], cat["dist_adpt_err"] = d_obs, np.maximum(frac, 1e-3) * d_obs
    vrad_err = median_rv_error(r_mag)
    cat["Vrad"], cat["Vrad_err"] = obs["rv"] + vrad_err * rng.standard_normal(n), vrad_err
    cat["GAIAEDR3_PMRA"] = obs["pmra"] + sig * rng.standard_normal(n)
    cat["GAIAEDR3_PMDEC"] = obs["pmdec"] + sig * rng.standard_normal(n)
    cat["GAIAEDR3_PMRA_ERROR"], cat["GAIAEDR3_PMDEC_ERROR"] = sig, sig
    cat["GAIAEDR3_PMRA_PMDEC_CORR"] = zero
    cat["GAIAEDR3_PARALLAX"], cat["GAIAEDR3_PARALLAX_ERROR"] = plx, sig
    cat["FeH"], cat["FeH_err"] = feh, feh_err
    cat["aFe"], cat["aFe_err"] = GSE.chemistry.afe(feh, rng.standard_normal(n)), afe_err
    cat["logg"] = giant_logg(abs_mag)
    cat["SNR"] = snr
    cat["PS_R"] = r_mag
    cat["FLAG"] = np.zeros(n, dtype=np.int64)
    cat["tileID"] = np.asarray(tiles["tileID"])[tile_idx]
    cat["XFIT_RANK"] = np.where(in1, 1, 2).astype(np.int64)
    cat["survey"] = np.full(n, "mock")
    cat["x"], cat["y"], cat["z"] = pos_obs
    cat["true_distance"] = dist
    cat["abs_mag"] = abs_mag
    return cat


def _truncated_normal_below(mean, sigma, upper, rng):
    """Gaussian draws N(mean, sigma) conditioned on being < ``upper`` (inverse CDF; one
    uniform deviate per element)."""
    c = ndtr((upper - mean) / sigma)
    u = rng.uniform(size=np.shape(mean)) * c
    return mean + sigma * ndtri(np.clip(u, 1e-300, 1 - 1e-16))


def _truncated_normal_above(mean, sigma, lower, rng):
    """Gaussian draws N(mean, sigma) conditioned on being > ``lower`` (inverse CDF)."""
    return -_truncated_normal_below(-mean, sigma, -lower, rng)

