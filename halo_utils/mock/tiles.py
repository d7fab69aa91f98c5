"""Tiles of the mock survey and the sampling of stars along their lines of sight."""

from __future__ import annotations

import numpy as np
import astropy.units as u
from astropy.table import Table

from ..frames import galactic_lb, icrs_to_galactocentric
from ..reference import SATELLITES
from ..survey import distance_modulus
from .config import MockConfig

__all__ = ["make_tiles", "positions_in_tiles"]


def _unit_vectors(ra_deg, dec_deg):
    ra, dec = np.deg2rad(ra_deg), np.deg2rad(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])


def make_tiles(config: MockConfig, rng: np.random.Generator) -> Table:
    """Random non-overlapping tiles at |b| > b_min and dec > dec_min, plus satellite tiles.

    The satellite fields (H3 targeted them) come first; then candidate centres are drawn
    uniformly on the sphere and accepted greedily when they do not overlap an accepted
    tile. Per-tile limiting magnitude r_lim ~ N(mean, sd) clipped; a fraction of tiles
    has rank-1 targeting.
    """
    min_sep = np.deg2rad(2.0 * config.tile_radius_deg)
    sat = np.array([[s["ra"], s["dec"]] for s in SATELLITES.values()])
    centres = list(_unit_vectors(sat[:, 0], sat[:, 1]).T)
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


def _los_positions(tiles, dist):
    """Galactocentric positions along each tile's central line of sight, (3, nT, nD)."""
    ra = np.broadcast_to(np.asarray(tiles["RA"], float)[:, None], (len(tiles), dist.size))
    dec = np.broadcast_to(np.asarray(tiles["DEC"], float)[:, None], ra.shape)
    zeros = np.zeros(ra.shape)
    pos, _ = icrs_to_galactocentric(ra, dec, np.broadcast_to(dist, ra.shape), zeros, zeros, zeros)
    return pos


def _sample_los(rho, dist, tiles, lf, m_lo, m_hi, rng):
    """Poisson-sample (tile, D, M) for a component with density ``rho`` (nT, nD).

    Only stars with apparent magnitude in [m_lo, m_hi] (the widest target window) are
    made; the others could never be selected.
    """
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
        return tile_idx, np.empty(0), np.empty(0), expected
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
    return tile_idx, d_star, abs_mag, expected


def positions_in_tiles(tiles, tile_idx, rng):
    """Uniform random sky positions (RA, Dec in deg) inside the circular tiles."""
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

