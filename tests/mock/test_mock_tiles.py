"""halo_utils.mock.tiles: the footprint, the tiles' limiting magnitudes and the
line-of-sight sampler."""

import numpy as np

from halo_utils.mock.tiles import LinesOfSight, positions_in_tiles
from halo_utils.reference import SATELLITES
from halo_utils.survey import giant_luminosity_function


def test_footprint(small_survey, small_config):
    tiles, cat, _ = small_survey
    assert len(tiles) == small_config.n_tiles
    assert np.all(np.abs(tiles["b"]) > 20) and np.all(tiles["DEC"] > -20)
    ra, dec = np.deg2rad(tiles["RA"]), np.deg2rad(tiles["DEC"])
    vec = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    cos_sep = vec.T @ vec
    np.fill_diagonal(cos_sep, -1)
    assert np.rad2deg(np.arccos(cos_sep.max())) >= 1.0 - 1e-9  # non-overlapping 1-deg tiles
    # every star lies inside its tile
    row = np.searchsorted(tiles["tileID"], cat["tileID"])
    ra0, dec0 = np.deg2rad(tiles["RA"][row]), np.deg2rad(tiles["DEC"][row])
    r1, d1 = np.deg2rad(cat["RA"]), np.deg2rad(cat["DEC"])
    cs = np.sin(d1) * np.sin(dec0) + np.cos(d1) * np.cos(dec0) * np.cos(r1 - ra0)
    assert np.rad2deg(np.arccos(np.clip(cs, -1, 1))).max() <= 0.5 + 1e-9
    # the satellite fields are observed
    sat_vec = np.array([[np.cos(np.deg2rad(s["dec"])) * np.cos(np.deg2rad(s["ra"])),
                         np.cos(np.deg2rad(s["dec"])) * np.sin(np.deg2rad(s["ra"])),
                         np.sin(np.deg2rad(s["dec"]))] for s in SATELLITES.values()])
    assert np.all((sat_vec @ vec).max(axis=1) > np.cos(np.deg2rad(0.01)))


def test_limiting_magnitudes(small_survey, small_config):
    tiles = small_survey[0]
    lo, hi = small_config.r_lim_range
    assert tiles["r_lim"].min() >= lo and tiles["r_lim"].max() <= hi
    # N(18.2, 0.35): the mean is known to sd/sqrt(n)
    assert abs(np.mean(tiles["r_lim"]) - 18.2) < 4 * 0.35 / np.sqrt(len(tiles))


def test_line_of_sight_sampling_counts_and_window(small_survey):
    """Stars drawn along the lines of sight: Poisson counts about the integral of the
    density, magnitudes inside the window, positions inside their tiles."""
    tiles = small_survey[0][:20]
    dist = np.geomspace(0.1, 250.0, 600)
    los = LinesOfSight.through(tiles, dist)
    assert los.pos.shape == (3, len(tiles), dist.size)
    rho = np.where((dist > 5) & (dist < 50), 2e3 / dist**2, 0.0)[None, :] * np.ones((len(tiles), 1))
    lf = giant_luminosity_function()
    window = (13.5, 18.8)
    rng = np.random.default_rng(1)
    tile_idx, d, m = los.sample(rho, lf, window, rng)
    r = m + 5 * np.log10(d * 100)
    assert np.all((r >= window[0] - 1e-9) & (r <= window[1] + 1e-9))
    assert np.all((d > 5 * 0.99) & (d < 50 * 1.01))
    mu = 5 * np.log10(dist * 100)
    frac = lf.cdf(window[1] - mu) - lf.cdf(window[0] - mu)
    omega = np.asarray(tiles["solid_angle"], float)
    expected = np.sum(omega[:, None] * np.trapezoid(rho * dist**2 * frac, dist, axis=1)[:, None])
    assert abs(tile_idx.size - expected) < 5 * np.sqrt(expected)
    ra, dec = positions_in_tiles(tiles, tile_idx, rng)
    ra0, dec0 = np.deg2rad(tiles["RA"][tile_idx]), np.deg2rad(tiles["DEC"][tile_idx])
    cs = (np.sin(np.deg2rad(dec)) * np.sin(dec0)
          + np.cos(np.deg2rad(dec)) * np.cos(dec0) * np.cos(np.deg2rad(ra) - ra0))
    assert np.rad2deg(np.arccos(np.clip(cs, -1, 1))).max() <= 0.5 + 1e-9
