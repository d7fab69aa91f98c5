"""Tiles of the mock survey and the sampling of stars along their lines of sight.

The survey's footprint is a set of circular 1-deg tiles (`make_tiles`, the tile schema of
conventions §2). A smooth component is sampled tile by tile along the tile's central line
of sight (`LinesOfSight`): the expected number of stars in tile t whose apparent magnitude
falls in the widest target window [m_lo, m_hi] is

    N_t = Omega_t int dD D^2 rho(x_t(D)) [Phi(m_hi - mu(D)) - Phi(m_lo - mu(D))],

with Phi the cumulative luminosity function and mu the distance modulus; the realised
number is Poisson, distances come from the inverse CDF on the log-D grid and absolute
magnitudes from the luminosity function truncated to the window (conventions §4). Each
star is then put at a uniform random position inside its tile (`positions_in_tiles`):
the density is evaluated on the central line of sight and varies negligibly across 1 deg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import astropy.units as u
from astropy.table import Table

from ..frames import galactic_lb, icrs_to_galactocentric
from ..reference import SATELLITES
from ..survey import LuminosityFunction, distance_modulus
from .config import MockConfig

__all__ = ["make_tiles", "positions_in_tiles", "unit_vectors", "LinesOfSight"]


def unit_vectors(ra_deg, dec_deg):
    """ICRS unit vectors, shape (3, ...), of sky positions ``ra_deg``, ``dec_deg`` (deg)."""
    ra, dec = np.deg2rad(ra_deg), np.deg2rad(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def make_tiles(config: MockConfig, rng: np.random.Generator) -> Table:
    """Random non-overlapping tiles at |b| > b_min and dec > dec_min, plus satellite tiles.

    The satellite fields (H3 targeted them; `halo_utils.reference.SATELLITES`) come first;
    then candidate centres are drawn uniformly on the sphere and accepted greedily when
    they do not overlap an accepted tile. Each tile's limiting magnitude is
    r_lim ~ N(``r_lim_mean``, ``r_lim_sd``) clipped to ``r_lim_range``; a fraction
    ``rank1_tile_fraction`` of the tiles has rank-1 targeting.

    Parameters
    ----------
    config : MockConfig
        Number and radius of the tiles (deg), footprint limits (deg), r_lim distribution
        (mag) and the selection (target windows, fibres per tile).
    rng : numpy.random.Generator
        Source of every draw.

    Returns
    -------
    astropy.table.Table
        One row per tile: ``tileID``, centre ``RA``, ``DEC``, ``l``, ``b`` (deg),
        ``radius`` (deg), ``solid_angle`` (sr), ``r_lim`` (mag), ``has_rank1``, the rank-1
        and rank-2 windows (mag) and ``n_fibres`` (conventions §2).
    """
    min_sep = np.deg2rad(2.0 * config.tile_radius_deg)
    sat = np.array([[s["ra"], s["dec"]] for s in SATELLITES.values()])
    centres = list(unit_vectors(sat[:, 0], sat[:, 1]).T)
    while len(centres) < config.n_tiles:
        batch = rng.normal(size=(3, 4 * config.n_tiles))
        batch /= np.linalg.norm(batch, axis=0)
        ra = np.rad2deg(np.arctan2(batch[1], batch[0])) % 360
        dec = np.rad2deg(np.arcsin(batch[2]))
        _, b = galactic_lb(ra, dec)
        ok = (np.abs(b) > config.b_min_deg) & (dec > config.dec_min_deg)
        for vec in batch[:, ok].T:
            if len(centres) >= config.n_tiles:
                break
            if np.max(np.asarray(centres) @ vec) < np.cos(min_sep):
                centres.append(vec)
    vec = np.asarray(centres).T
    ra = np.rad2deg(np.arctan2(vec[1], vec[0])) % 360
    dec = np.rad2deg(np.arcsin(np.clip(vec[2], -1, 1)))
    gl, gb = galactic_lb(ra, dec)
    n = len(ra)
    lo, hi = config.r_lim_range
    r_lim = np.clip(rng.normal(config.r_lim_mean, config.r_lim_sd, n), lo, hi)
    sel = config.selection
    radius = config.tile_radius_deg
    tiles = Table()
    tiles["tileID"] = np.arange(1, n + 1, dtype=np.int64)
    tiles["RA"], tiles["DEC"], tiles["l"], tiles["b"] = ra, dec, gl, gb
    for name, unit in (("RA", u.deg), ("DEC", u.deg), ("l", u.deg), ("b", u.deg)):
        tiles[name].unit = unit
    tiles["radius"] = np.full(n, radius) * u.deg
    tiles["solid_angle"] = np.full(n, 2 * np.pi * (1 - np.cos(np.deg2rad(radius)))) * u.sr
    tiles["r_lim"] = r_lim * u.mag
    tiles["has_rank1"] = rng.uniform(size=n) < config.rank1_tile_fraction
    tiles["rank1_bright"] = np.full(n, sel.rank1_bright) * u.mag
    tiles["rank1_faint"] = np.minimum(sel.rank1_faint, r_lim) * u.mag
    tiles["rank2_bright"] = np.full(n, sel.rank2_bright) * u.mag
    tiles["rank2_faint"] = np.minimum(sel.rank2_faint, r_lim) * u.mag
    tiles["n_fibres"] = np.full(n, sel.n_fibres, dtype=np.int64)
    return tiles


@dataclass(frozen=True)
class LinesOfSight:
    """The central lines of sight of the tiles on a grid of heliocentric distances.

    Attributes
    ----------
    tiles : astropy.table.Table
        The tiles (`make_tiles` columns).
    distance : numpy.ndarray
        Increasing heliocentric distance grid, shape (nD,), kpc.
    pos : numpy.ndarray
        Galactocentric positions of the grid along each tile's central line of sight,
        shape (3, nT, nD), kpc.
    """

    tiles: Table
    distance: np.ndarray
    pos: np.ndarray

    @classmethod
    def through(cls, tiles: Table, distance) -> "LinesOfSight":
        """The lines of sight of ``tiles`` on the distance grid ``distance`` (kpc)."""
        ra = np.broadcast_to(np.asarray(tiles["RA"], float)[:, None], (len(tiles), distance.size))
        dec = np.broadcast_to(np.asarray(tiles["DEC"], float)[:, None], ra.shape)
        zeros = np.zeros(ra.shape)
        pos, _ = icrs_to_galactocentric(ra, dec, np.broadcast_to(distance, ra.shape), zeros, zeros, zeros)
        return cls(tiles, distance, pos)

    def sample(self, rho, lf: LuminosityFunction, window, rng):
        """Poisson-sample stars (tile, distance, absolute magnitude) of a density.

        Only stars with apparent magnitude inside ``window`` (the widest target window)
        are made; the others could never be selected.

        Parameters
        ----------
        rho : numpy.ndarray
            Number density of stars of ``lf`` along the lines of sight, shape (nT, nD),
            per kpc^3.
        lf : LuminosityFunction
            The stars' luminosity function (absolute magnitudes, mag).
        window : tuple of float
            (m_lo, m_hi): apparent-magnitude limits, mag.
        rng : numpy.random.Generator

        Returns
        -------
        tile_idx : numpy.ndarray of int
            Row of each star's tile.
        distance : numpy.ndarray
            Heliocentric distance, kpc.
        abs_mag : numpy.ndarray
            Absolute magnitude, mag.
        """
        tiles, dist = self.tiles, self.distance
        m_lo, m_hi = window
        mu = distance_modulus(dist)
        omega = np.asarray(tiles["solid_angle"], float)
        lf_frac = lf.cdf(m_hi - mu) - lf.cdf(m_lo - mu)
        # integrand per d(ln D): Omega D^2 rho * D * LF fraction
        integrand = omega[:, None] * rho * dist**3 * lf_frac[None, :]
        ln_d = np.log(dist)
        steps = 0.5 * (integrand[:, 1:] + integrand[:, :-1]) * np.diff(ln_d)
        cum = np.concatenate([np.zeros((len(tiles), 1)), np.cumsum(steps, axis=1)], axis=1)
        expected = cum[:, -1]
        counts = rng.poisson(expected)
        tile_idx = np.repeat(np.arange(len(tiles)), counts)
        if tile_idx.size == 0:
            return tile_idx, np.empty(0), np.empty(0)
        # Inverse CDF per star on its tile's piecewise-linear CDF: tile rows are stacked into
        # one increasing array (row t normalised to [t, t + 1]) and searched at once.
        norm_cum = cum / np.where(expected > 0, expected, 1.0)[:, None] + np.arange(len(tiles))[:, None]
        flat = norm_cum.ravel()
        target = tile_idx + rng.uniform(size=tile_idx.size)
        k = np.clip(np.searchsorted(flat, target, side="right") - 1, 0, flat.size - 2)
        j = np.minimum(k - tile_idx * dist.size, dist.size - 2)
        lo_c, hi_c = flat[tile_idx * dist.size + j], flat[tile_idx * dist.size + j + 1]
        width = hi_c - lo_c
        t = np.where(width > 0, (target - lo_c) / np.where(width > 0, width, 1.0), 0.5)
        d_star = np.exp(ln_d[j] + t * (ln_d[j + 1] - ln_d[j]))
        mu_star = distance_modulus(d_star)
        abs_mag = lf.sample_between(m_lo - mu_star, m_hi - mu_star, rng)
        return tile_idx, d_star, abs_mag


def positions_in_tiles(tiles, tile_idx, rng):
    """Uniform random sky positions inside the circular tiles.

    Parameters
    ----------
    tiles : astropy.table.Table
        Tiles with centre ``RA``, ``DEC`` and ``radius`` (deg).
    tile_idx : numpy.ndarray of int
        Row of each star's tile.
    rng : numpy.random.Generator

    Returns
    -------
    ra, dec : numpy.ndarray
        ICRS right ascension in [0, 360) and declination, deg.
    """
    ra0 = np.deg2rad(np.asarray(tiles["RA"], float)[tile_idx])
    dec0 = np.deg2rad(np.asarray(tiles["DEC"], float)[tile_idx])
    radius = np.deg2rad(np.asarray(tiles["radius"], float)[tile_idx])
    sep = radius * np.sqrt(rng.uniform(size=tile_idx.size))
    pa = rng.uniform(0, 2 * np.pi, tile_idx.size)
    n0 = np.stack([np.cos(dec0) * np.cos(ra0), np.cos(dec0) * np.sin(ra0), np.sin(dec0)])
    e_e = np.stack([-np.sin(ra0), np.cos(ra0), np.zeros_like(ra0)])
    e_n = np.stack([-np.sin(dec0) * np.cos(ra0), -np.sin(dec0) * np.sin(ra0), np.cos(dec0)])
    vec = np.cos(sep) * n0 + np.sin(sep) * (np.cos(pa) * e_n + np.sin(pa) * e_e)
    return np.rad2deg(np.arctan2(vec[1], vec[0])) % 360, np.rad2deg(np.arcsin(vec[2]))

