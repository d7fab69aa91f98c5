"""The embedded mock H3-like survey (SPEC section 3).

`generate_survey(seed, config)` returns three tables:

* ``tiles``: one row per 1-deg tile (centre, radius, solid angle, limiting magnitude,
  rank windows, candidate counts and fibre sampling fractions);
* ``catalog``: every star that received a fibre, in the SPEC section 2 schema (bad fits
  and low-S/N spectra included, as in a real rcat file);
* ``truth``: the true component, 6D phase space, absolute magnitude and chemistry of
  each catalogue star, keyed by ``star_id``.

How the stars are made. Smooth components (GSE, in-situ halo, flared thick disk, Aleph,
Sagittarius, foreground dwarfs) are sampled tile by tile along the tile's central line
of sight: the expected number of stars with r in the widest target window is
Omega_t * int dD D^2 rho(D) [LF-CDF between the window's absolute-magnitude limits],
the realised number is Poisson, distances come from the inverse CDF on a fine log-D grid
and absolute magnitudes from the truncated luminosity function. Each star is then put at
a uniform random position inside the tile (the density is evaluated on the central line
of sight; it varies negligibly across 1 deg). Cold satellites are sampled directly as
Plummer spheres on the sky. Every star then goes through the survey: observed parallax
and the parallax cut, the rank windows, the fibre sampling (fraction = fibres /
candidates per tile and rank), the S/N and fit-flag outcome, and the error model. The
selection probabilities are those of `halo_utils.survey`, which the density forward
model integrates, so mock and likelihood share one definition of the selection.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import astropy.units as u
import astropy.coordinates as coord
from astropy.table import Table
from scipy.special import ndtr, ndtri

from . import density as dens
from .catalog import validate_catalog
from .fingerprint import file_sha256
from .frames import (R0_KPC, frame_vectors, galactic_lb, galactocentric_to_icrs, icrs_to_galactocentric,
                     spherical_to_cartesian_velocity)
from .outputs import atomic_path, write_text_atomic
from .reference import MAGELLANIC_CLOUDS_LB, SATELLITES, sgr_latitude
from .reflex import ReflexModel, galactic_to_ms
from .reflex.sky import MS_TO_GAL, galactic_basis, galactic_to_galactocentric_axes, unit_vector
from .survey import (
    GIANTS_PER_MSUN,
    SelectionConfig,
    abundance_errors,
    astrometric_error,
    distance_modulus,
    dwarf_luminosity_function,
    giant_luminosity_function,
    median_rv_error,
    rank_windows,
    selection_probability,
    snr_model,
)

__all__ = [
    "GSE_TRUTH",
    "MockConfig",
    "make_tiles",
    "generate_survey",
    "gse_velocities",
    "positions_in_tiles",
    "forward_mock",
    "REFLEX_TRUTH",
    "OuterHaloConfig",
    "generate_outer_halo",
    "ensure_outer_halo",
    "ensure_default_data",
    "DEFAULT_DATA_DIR",
    "reflex_truth_vector",
]

#: True GSE density parameters of the default mock (SPEC sections 3 and 6.1).
GSE_TRUTH = {
    "alpha1": 1.7, "alpha2": 3.1, "alpha3": 4.6, "r1": 12.0, "r2": 28.0,
    "p": 0.8, "q": 0.7, "pitch": 25.0, "yaw": 25.0,
}

#: Origin of each mock component ("accreted", "insitu" or "foreground").
ORIGIN = {
    "gse": "accreted", "sgr": "accreted", "satellite": "accreted",
    "insitu_halo": "insitu", "thick_disk": "insitu", "aleph": "insitu",
    "dwarf": "foreground",
}


@dataclass(frozen=True)
class MockConfig:
    """Every number of the mock survey; defaults reproduce the embedded data.

    Masses are total stellar masses (Msun), converted to giants (-3 <= M_r <= 2.5) with
    ``giants_per_msun`` (approximate, SPEC section 3).
    """

    n_tiles: int = 1300
    tile_radius_deg: float = 0.5
    b_min_deg: float = 20.0
    dec_min_deg: float = -20.0
    r_lim_mean: float = 18.2
    r_lim_sd: float = 0.35
    r_lim_range: tuple = (17.2, 18.8)
    rank1_tile_fraction: float = 0.9
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    giants_per_msun: float = GIANTS_PER_MSUN
    # GSE: SPEC 6.1 parameters, mass within 1 < r_q < 100 kpc.
    gse: dict = field(default_factory=lambda: dict(GSE_TRUTH, log10_mass=9.29, mean_vphi=30.0,
                                                   sigma_r15=155.0, sigma_r_slope=-0.12,
                                                   sigma_r_psi_amp=0.12, beta=0.85))
    # In-situ halo: oblate single power law within r_q < 40 kpc (mass in 1 < r_q < 40).
    insitu_halo: dict = field(default_factory=lambda: dict(
        log10_mass=8.6, q=0.6, alpha=3.5, r_max=40.0, sigma_below=80.0, sigma_above=92.0,
        mean_vphi=-60.0))
    # Flared thick disk: exponential in R and |z|; h_z grows exponentially beyond R_flare.
    thick_disk: dict = field(default_factory=lambda: dict(
        log10_mass=9.6, h_R=2.5, h_z=0.9, R_flare=10.0, flare_scale=6.0,
        mean_vphi=-180.0, sigma=45.0))
    aleph: dict = field(default_factory=lambda: dict(
        log10_mass=7.5, R_range=(13.0, 20.0), z_range=(3.0, 8.0), mean_vphi=-220.0, sigma=25.0))
    # Sagittarius: |B| < 10 deg (Gaussian width sigma_B), heliocentric 20-60 kpc.
    sgr: dict = field(default_factory=lambda: dict(
        log10_mass=8.5, sigma_B=4.0, B_max=10.0, d_range=(20.0, 60.0),
        L=(0.6e3, -4.5e3, -1.3e3), L_scatter=0.1, sigma_vr=80.0))
    # Foreground main-sequence dwarfs (3.5 <= M_r <= 7.5): number per kpc^3 at the Sun.
    dwarfs: dict = field(default_factory=lambda: dict(
        n_local_disk=1.0e6, h_R=2.5, h_z=0.9, n_local_halo=1.5e4, halo_q=0.6, halo_alpha=3.0))
    distance_grid: tuple = (0.1, 250.0, 1200)

    def replace(self, **changes) -> "MockConfig":
        """A copy with some fields replaced (component dicts are merged)."""
        merged = {}
        for key, value in changes.items():
            old = getattr(self, key)
            merged[key] = {**old, **value} if isinstance(old, dict) else value
        return dataclasses.replace(self, **merged)


# --------------------------------------------------------------------------- tiles

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


# ---------------------------------------------------------------- smooth components

def _gse_density(pos, cfg, n_giants):
    return dens.density(pos, total=n_giants, alphas=(cfg["alpha1"], cfg["alpha2"], cfg["alpha3"]),
                        breaks=(cfg["r1"], cfg["r2"]), p=cfg["p"], q=cfg["q"],
                        pitch=cfg["pitch"], yaw=cfg["yaw"])


def _insitu_density(pos, cfg, n_giants):
    rho = dens.density(pos, total=n_giants, alphas=(cfg["alpha"],), breaks=(), q=cfg["q"],
                       r_min=1.0, r_max=cfg["r_max"])
    r_q = dens.ellipsoidal_radius(pos, 1.0, cfg["q"])
    return np.where(r_q < cfg["r_max"], rho, 0.0)


def _scale_height(R, cfg):
    return cfg["h_z"] * np.exp(np.maximum(R - cfg["R_flare"], 0.0) / cfg["flare_scale"])


def _thick_disk_density(pos, cfg, n_giants):
    R = np.hypot(pos[0], pos[1])
    h_z = _scale_height(R, cfg)
    sigma = n_giants / (2 * np.pi * cfg["h_R"] ** 2) * np.exp(-R / cfg["h_R"])
    return sigma * np.exp(-np.abs(pos[2]) / h_z) / (2 * h_z)


def _aleph_density(pos, cfg, n_giants):
    R, az = np.hypot(pos[0], pos[1]), np.abs(pos[2])
    (r_lo, r_hi), (z_lo, z_hi) = cfg["R_range"], cfg["z_range"]
    volume = np.pi * (r_hi**2 - r_lo**2) * 2 * (z_hi - z_lo)
    inside = (R > r_lo) & (R < r_hi) & (az > z_lo) & (az < z_hi)
    return np.where(inside, n_giants / volume, 0.0)


def _dwarf_density(pos, cfg):
    R, z = np.hypot(pos[0], pos[1]), pos[2]
    disk = cfg["n_local_disk"] * np.exp(-(R - R0_KPC) / cfg["h_R"] - np.abs(z) / cfg["h_z"])
    r_q = np.sqrt(R**2 + (z / cfg["halo_q"]) ** 2)
    halo = cfg["n_local_halo"] * (np.maximum(r_q, 1.0) / R0_KPC) ** -cfg["halo_alpha"]
    return disk + halo


def _sgr_los_density(B_tile, dist, cfg, n_giants):
    """Number per kpc^3 along tile lines of sight: dN/dOmega dD / D^2."""
    s, b_max = cfg["sigma_B"], cfg["B_max"]
    d_lo, d_hi = cfg["d_range"]
    b_grid = np.linspace(-b_max, b_max, 401)
    ang = np.trapezoid(np.exp(-0.5 * (b_grid / s) ** 2) * np.cos(np.deg2rad(b_grid)),
                       np.deg2rad(b_grid)) * 2 * np.pi
    per_sr_kpc = n_giants / (ang * (d_hi - d_lo))
    on_sky = np.where(np.abs(B_tile) < b_max, np.exp(-0.5 * (B_tile / s) ** 2), 0.0)
    in_d = (dist > d_lo) & (dist < d_hi)
    return per_sr_kpc * on_sky[:, None] * in_d[None, :] / dist[None, :] ** 2


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


# ----------------------------------------------------------------------- kinematics

def _cylindrical_to_cartesian(pos, v_R, v_phi, v_z):
    R = np.hypot(pos[0], pos[1])
    cph, sph = pos[0] / R, pos[1] / R
    return np.stack([v_R * cph - v_phi * sph, v_R * sph + v_phi * cph, v_z])


def gse_sigma_r(pos, cfg):
    """GSE radial dispersion (km/s): sigma_r15 (r/15)^slope (1 + amp cos 2 psi).

    psi is the azimuth from the major axis in the ellipsoid's x'-y' plane.
    """
    xp = np.einsum("ij,j...->i...", dens.rotation_matrix(cfg["pitch"], cfg["yaw"]), pos)
    r = np.sqrt(np.sum(pos**2, axis=0))
    psi = np.arctan2(xp[1], xp[0])
    return cfg["sigma_r15"] * (r / 15.0) ** cfg["sigma_r_slope"] * (1 + cfg["sigma_r_psi_amp"] * np.cos(2 * psi))


def gse_velocities(pos, cfg, rng):
    sig_r = gse_sigma_r(pos, cfg)
    sig_t = sig_r * np.sqrt(1 - cfg["beta"])
    n = pos.shape[1]
    return spherical_to_cartesian_velocity(pos, sig_r * rng.standard_normal(n), sig_t * rng.standard_normal(n),
                                   cfg["mean_vphi"] + sig_t * rng.standard_normal(n))


def _insitu_velocities(pos, cfg, rng):
    sig = np.where(pos[2] > 0, cfg["sigma_above"], cfg["sigma_below"])
    n = pos.shape[1]
    return spherical_to_cartesian_velocity(pos, sig * rng.standard_normal(n), sig * rng.standard_normal(n),
                                   cfg["mean_vphi"] + sig * rng.standard_normal(n))


def _disk_velocities(pos, cfg, rng):
    n = pos.shape[1]
    s = cfg["sigma"]
    return _cylindrical_to_cartesian(pos, s * rng.standard_normal(n), cfg["mean_vphi"] + s * rng.standard_normal(n),
                                     s * rng.standard_normal(n))


def _sgr_velocities(pos, cfg, rng):
    n = pos.shape[1]
    L0 = np.asarray(cfg["L"], float)[:, None]
    L = L0 + cfg["L_scatter"] * np.linalg.norm(L0) * rng.standard_normal((3, n))
    r2 = np.sum(pos**2, axis=0)
    v_perp = np.cross(L.T, pos.T).T / r2
    return v_perp + cfg["sigma_vr"] * rng.standard_normal(n) * pos / np.sqrt(r2)


# ------------------------------------------------------------------------ chemistry

def _chemistry(component, n, rng):
    """True [Fe/H] and [a/Fe] (dex) of a component (SPEC section 3)."""
    g = rng.standard_normal
    if component == "gse":
        feh = -1.25 + 0.3 * g(n)
        return feh, 0.12 - 0.2 * (feh + 1.3) + 0.04 * g(n)
    if component in ("insitu_halo", "thick_disk"):
        feh = (-0.6 + 0.25 * g(n)) if component == "insitu_halo" else (-0.5 + 0.2 * g(n))
        return feh, 0.30 - 0.1 * (feh + 0.6) + 0.03 * g(n)
    if component == "aleph":
        return -0.4 + 0.15 * g(n), 0.05 + 0.03 * g(n)
    if component == "sgr":
        feh = -0.9 + 0.35 * g(n)
        return feh, 0.05 - 0.1 * (feh + 0.9) + 0.04 * g(n)
    if component == "dwarf":
        feh = -0.4 + 0.3 * g(n)
        return feh, 0.15 - 0.1 * (feh + 0.4) + 0.05 * g(n)
    raise ValueError(f"unknown component {component!r}")


# ------------------------------------------------------------------------- survey

def _make_true_stars(tiles, config, rng):
    """All stars that could be targeted: dict of arrays (component, tile, D, M, 6D, chem)."""
    giant_lf = giant_luminosity_function()
    dwarf_lf = dwarf_luminosity_function()
    d_lo, d_hi, n_d = config.distance_grid
    dist = np.geomspace(d_lo, d_hi, int(n_d))
    pos_los = _los_positions(tiles, dist)
    _, b_sgr = sgr_latitude(tiles["RA"], tiles["DEC"])
    sel = config.selection
    m_lo = min(sel.rank1_bright, sel.rank2_bright)
    m_hi = config.r_lim_range[1]
    n_giants = lambda cfg: 10 ** cfg["log10_mass"] * config.giants_per_msun  # noqa: E731
    components = {
        "gse": (_gse_density(pos_los, config.gse, n_giants(config.gse)), giant_lf),
        "insitu_halo": (_insitu_density(pos_los, config.insitu_halo, n_giants(config.insitu_halo)), giant_lf),
        "thick_disk": (_thick_disk_density(pos_los, config.thick_disk, n_giants(config.thick_disk)), giant_lf),
        "aleph": (_aleph_density(pos_los, config.aleph, n_giants(config.aleph)), giant_lf),
        "sgr": (_sgr_los_density(b_sgr, dist, config.sgr, n_giants(config.sgr)), giant_lf),
        "dwarf": (_dwarf_density(pos_los, config.dwarfs), dwarf_lf),
    }
    parts = []
    for name, (rho, lf) in components.items():
        tile_idx, d_star, abs_mag, _ = _sample_los(rho, dist, tiles, lf, m_lo, m_hi, rng)
        ra, dec = positions_in_tiles(tiles, tile_idx, rng)
        zeros = np.zeros(ra.size)
        pos, _ = icrs_to_galactocentric(ra, dec, d_star, zeros, zeros, zeros)
        parts.append(_finish_component(name, tile_idx, ra, dec, d_star, abs_mag, pos, config, rng))
    parts.append(_satellite_stars(tiles, config, giant_lf, m_lo, m_hi, rng))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _finish_component(name, tile_idx, ra, dec, d_star, abs_mag, pos, config, rng):
    n = ra.size
    if name == "gse":
        vel = gse_velocities(pos, config.gse, rng)
    elif name == "insitu_halo":
        vel = _insitu_velocities(pos, config.insitu_halo, rng)
    elif name in ("thick_disk", "aleph"):
        vel = _disk_velocities(pos, getattr(config, name), rng)
    elif name == "sgr":
        vel = _sgr_velocities(pos, config.sgr, rng)
    else:  # dwarfs: thick-disk-like kinematics (they only need to be plausible)
        vel = _disk_velocities(pos, config.thick_disk, rng)
    feh, afe = _chemistry(name, n, rng)
    return dict(component=np.full(n, name, dtype="U11"), satellite=np.full(n, "", dtype="U10"),
                tile_idx=tile_idx, ra=ra, dec=dec, distance=d_star, abs_mag=abs_mag,
                pos=pos.T, vel=vel.T, feh=feh, afe=afe)


def _satellite_stars(tiles, config, lf, m_lo, m_hi, rng):
    """Plummer spheres of giants around each satellite, kept where they fall in a tile."""
    parts = []
    tile_vec = _unit_vectors(np.asarray(tiles["RA"], float), np.asarray(tiles["DEC"], float))
    cos_rad = np.cos(np.deg2rad(np.asarray(tiles["radius"], float)))
    for name, s in SATELLITES.items():
        n = rng.poisson(s["mass"] * config.giants_per_msun)
        # Plummer projected radius: R = a / sqrt(u^(-1) - 1), a = half-light radius
        uu = rng.uniform(size=n)
        sep = np.deg2rad(s["r_half"]) / np.sqrt(1.0 / uu - 1.0)
        pa = rng.uniform(0, 2 * np.pi, n)
        centre = coord.SkyCoord(ra=s["ra"] * u.deg, dec=s["dec"] * u.deg)
        pts = centre.directional_offset_by(pa * u.rad, sep * u.rad)
        ra, dec = pts.ra.to_value(u.deg), pts.dec.to_value(u.deg)
        dist = s["distance"] * (1 + 0.01 * rng.standard_normal(n))
        abs_mag = lf.ppf(rng.uniform(size=n))
        r_mag = abs_mag + distance_modulus(dist)
        cosang = _unit_vectors(ra, dec).T @ tile_vec
        inside = cosang > cos_rad[None, :]
        keep = inside.any(axis=1) & (r_mag > m_lo) & (r_mag < m_hi)
        tile_idx = np.argmax(inside, axis=1)[keep]
        ra, dec, dist, abs_mag = ra[keep], dec[keep], dist[keep], abs_mag[keep]
        k = keep.sum()
        # systemic motion at the satellite centre plus a 10 km/s isotropic dispersion
        _, v_sys = icrs_to_galactocentric(s["ra"], s["dec"], s["distance"], s["pmra"], s["pmdec"], s["rv"])
        pos, _ = icrs_to_galactocentric(ra, dec, dist, np.zeros(k), np.zeros(k), np.zeros(k))
        vel = v_sys[:, None] + 10.0 * rng.standard_normal((3, k))
        feh = s["feh"] + 0.3 * rng.standard_normal(k)
        afe = 0.15 + 0.05 * rng.standard_normal(k)
        parts.append(dict(component=np.full(k, "satellite", dtype="U11"),
                          satellite=np.full(k, name, dtype="U10"), tile_idx=tile_idx, ra=ra,
                          dec=dec, distance=dist, abs_mag=abs_mag, pos=pos.T, vel=vel.T,
                          feh=feh, afe=afe))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _true_logg(component, abs_mag, rng):
    """Giants: logg 0.55-3.3 along the RGB (a gap below the 3.5 cut); dwarfs 4.1-4.5."""
    giant = 3.3 + 0.5 * (abs_mag - 2.5)
    dwarf = 4.1 + 0.1 * (abs_mag - 3.5) + 0.05 * rng.standard_normal(abs_mag.size)
    return np.where(component == "dwarf", dwarf, giant)


def generate_survey(seed: int, config: MockConfig = MockConfig()):
    """Generate the mock survey: ``(tiles, catalog, truth)`` astropy Tables.

    Parameters
    ----------
    seed : int
        Seed of the single `numpy.random.Generator` that makes every draw.
    config : MockConfig
        All the numbers of the mock.
    """
    rng = np.random.default_rng(seed)
    sel = config.selection
    tiles = make_tiles(config, rng)
    stars = _make_true_stars(tiles, config, rng)
    n = stars["ra"].size
    r_lim = np.asarray(tiles["r_lim"], float)[stars["tile_idx"]]
    has_rank1 = np.asarray(tiles["has_rank1"])[stars["tile_idx"]]
    r_mag = stars["abs_mag"] + distance_modulus(stars["distance"])

    # Parallax measurement and the target windows.
    sig_plx = astrometric_error(r_mag)
    plx_obs = 1.0 / stars["distance"] + sig_plx * rng.standard_normal(n)
    plx_ok = plx_obs < sel.plx_limit + sel.plx_nsigma * sig_plx
    in1, in2 = rank_windows(stars["abs_mag"], r_mag, r_lim, has_rank1, sel)
    cand1, cand2 = plx_ok & in1, plx_ok & in2

    # Fibre sampling: rank 1 first, remaining fibres spread over rank-2 candidates.
    n_t = len(tiles)
    n1 = np.bincount(stars["tile_idx"][cand1], minlength=n_t)
    n2 = np.bincount(stars["tile_idx"][cand2], minlength=n_t)
    fibres = np.asarray(tiles["n_fibres"], float)
    f1 = np.where(n1 > 0, np.minimum(1.0, fibres / np.maximum(n1, 1)), 1.0)
    f2 = np.where(n2 > 0, np.minimum(1.0, np.maximum(fibres - n1, 0) / np.maximum(n2, 1)), 1.0)
    tiles["n_cand_rank1"], tiles["n_cand_rank2"] = n1, n2
    tiles["f_rank1"], tiles["f_rank2"] = f1, f2
    frac = np.where(cand1, f1[stars["tile_idx"]], np.where(cand2, f2[stars["tile_idx"]], 0.0))
    observed = rng.uniform(size=n) < frac
    rank = np.where(cand1, 1, 2)

    idx = np.flatnonzero(observed)
    catalog, truth = _observe(stars, idx, r_mag, plx_obs, rank, r_lim, tiles, config, rng)
    tiles.meta.update(_provenance(seed, config))
    truth.meta.update(_provenance(seed, config))
    catalog.meta["MOCKSEED"] = seed
    return tiles, catalog, truth


def _observe(stars, idx, r_mag, plx_obs, rank, r_lim, tiles, config, rng):
    """Measured catalogue and truth table for the stars that got a fibre."""
    n = idx.size
    g = rng.standard_normal
    comp = stars["component"][idx]
    r = r_mag[idx]
    d_true = stars["distance"][idx]
    pos, vel = stars["pos"][idx].T, stars["vel"][idx].T
    obs = galactocentric_to_icrs(pos, vel)

    frac_d = np.clip(0.11 * 10 ** (0.1 * (r - 17.0)) * np.exp(0.25 * g(n)), 0.08, 0.20)
    d_obs = d_true * np.exp(frac_d * g(n))
    vrad_err = np.clip(median_rv_error(r) * np.exp(0.2 * g(n)), 0.5, 2.5)
    sig_pm = astrometric_error(r)
    corr = rng.uniform(-0.3, 0.3, n)
    z1, z2 = g(n), g(n)
    feh_err, afe_err = abundance_errors(r)
    logg_true = _true_logg(comp, stars["abs_mag"][idx], rng)
    logg_err = np.where(comp == "dwarf", 0.08, 0.05)
    snr = snr_model(r, r_lim[idx], config.selection) * np.exp(config.selection.snr_log_scatter * g(n))
    flag = (rng.uniform(size=n) > config.selection.p_good_fit).astype(np.int64)

    cat = Table()
    cat["star_id"] = np.arange(1, n + 1, dtype=np.int64)
    cat["RA"], cat["DEC"] = stars["ra"][idx] * u.deg, stars["dec"][idx] * u.deg
    cat["dist_adpt"], cat["dist_adpt_err"] = d_obs * u.kpc, frac_d * d_obs * u.kpc
    cat["Vrad"] = (obs["rv"] + vrad_err * g(n)) * u.km / u.s
    cat["Vrad_err"] = vrad_err * u.km / u.s
    cat["GAIAEDR3_PMRA"] = (obs["pmra"] + sig_pm * z1) * u.mas / u.yr
    cat["GAIAEDR3_PMDEC"] = (obs["pmdec"] + sig_pm * (corr * z1 + np.sqrt(1 - corr**2) * z2)) * u.mas / u.yr
    cat["GAIAEDR3_PMRA_ERROR"] = sig_pm * u.mas / u.yr
    cat["GAIAEDR3_PMDEC_ERROR"] = sig_pm * u.mas / u.yr
    cat["GAIAEDR3_PMRA_PMDEC_CORR"] = corr
    cat["GAIAEDR3_PARALLAX"] = plx_obs[idx] * u.mas
    cat["GAIAEDR3_PARALLAX_ERROR"] = sig_pm * u.mas
    cat["FeH"] = stars["feh"][idx] + feh_err * g(n)
    cat["FeH_err"] = feh_err
    cat["aFe"] = stars["afe"][idx] + afe_err * g(n)
    cat["aFe_err"] = afe_err
    cat["logg"] = logg_true + logg_err * g(n)
    cat["SNR"] = snr
    cat["PS_R"] = r * u.mag
    cat["FLAG"] = flag
    cat["tileID"] = np.asarray(tiles["tileID"])[stars["tile_idx"][idx]]
    cat["XFIT_RANK"] = rank[idx].astype(np.int64)
    cat["survey"] = np.full(n, "H3")
    # [Fe/H], [a/Fe], logg are in dex: FITS has no dex unit, so they stay unitless.

    truth = Table()
    truth["star_id"] = cat["star_id"]
    truth["component"] = comp
    truth["origin"] = np.array([ORIGIN[c] for c in comp], dtype="U10")
    truth["satellite"] = stars["satellite"][idx]
    truth["abs_mag"] = stars["abs_mag"][idx] * u.mag
    truth["distance"] = d_true * u.kpc
    for i, ax in enumerate("xyz"):
        truth[ax] = pos[i] * u.kpc
    for i, ax in enumerate("xyz"):
        truth[f"v{ax}"] = vel[i] * u.km / u.s
    truth["FeH"], truth["aFe"], truth["logg"] = stars["feh"][idx], stars["afe"][idx], logg_true
    return cat, truth


def _provenance(seed, config):
    """FITS-header-friendly description of the mock's seed and GSE truth."""
    keys = {"alpha1": "GSE_A1", "alpha2": "GSE_A2", "alpha3": "GSE_A3", "r1": "GSE_R1",
            "r2": "GSE_R2", "p": "GSE_P", "q": "GSE_Q", "pitch": "GSE_PTCH", "yaw": "GSE_YAW",
            "log10_mass": "GSE_LGM"}
    meta = {"MOCKSEED": seed, "GIANTPMS": config.giants_per_msun}
    meta.update({fits_key: config.gse[key] for key, fits_key in keys.items()})
    return meta


# ------------------------------------------------------ forward-model mock (SPEC 7)

def forward_mock(params: dict, grid: dens.SelectionGrid, rng, model="triaxial_double_break", *,
                lf=None, config=None, distance_error: float = 0.0, kinematics=None):
    """Draw a mock catalogue from the density forward model (SPEC 7).

    The number of stars is Poisson(Lambda); each star picks a (tile, distance) node with
    probability proportional to its expected count, a distance uniform in ln D within the
    node's cell and a position uniform inside the tile; its absolute magnitude is drawn
    from Phi(M) P(select | M, D, tile) on a 0.02-mag grid. Everything else follows the
    mock survey's error model, conditioned on passing the parallax and S/N cuts.

    Parameters
    ----------
    params : dict
        Density parameters (free parameters of ``model``).
    grid : SelectionGrid
        Tiles and selection (the same object the likelihood uses).
    rng : numpy.random.Generator
    model : str or DensityModel
    lf, config : optional
        Luminosity function and selection config (defaults as `SelectionGrid.from_tiles`).
    distance_error : float
        Fractional distance error; 0 places stars at their true distances (as the
        likelihood assumes). Positions ``x``, ``y``, ``z`` use the observed distance.
    kinematics : dict, optional
        GSE kinematic parameters of `gse_velocities` (default: the mock's).

    Returns
    -------
    Table
        Catalogue in the SPEC section 2 schema plus ``x``, ``y``, ``z`` (kpc) and
        ``true_distance``.
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

    def mag_cdf(d, rows=slice(None)):
        prob = lf.pdf(mags)[None, :] * selection_probability(
            mags[None, :], d[rows, None], col["r_lim"][rows, None], col["has_rank1"][rows, None],
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
    target = rng.uniform(size=n) * cdf[:, -1]
    pick = np.sum(cdf < target[:, None], axis=1)
    abs_mag = mags[np.minimum(pick, mags.size - 1)] + 0.02 * (rng.uniform(size=n) - 0.5)
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
    feh = -1.25 + 0.3 * rng.standard_normal(n)
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
    cat["aFe"], cat["aFe_err"] = 0.12 - 0.2 * (feh + 1.3) + 0.04 * rng.standard_normal(n), afe_err
    cat["logg"] = 3.3 + 0.5 * (abs_mag - 2.5)
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
    """Gaussian draws conditioned on being < upper (inverse CDF)."""
    c = ndtr((upper - mean) / sigma)
    u = rng.uniform(size=np.shape(mean)) * c
    return mean + sigma * ndtri(np.clip(u, 1e-300, 1 - 1e-16))


def _truncated_normal_above(mean, sigma, lower, rng):
    """Gaussian draws conditioned on being > lower (inverse CDF)."""
    return -_truncated_normal_below(-mean, sigma, -lower, rng)



# --------------------------------------------------------------------------- files

#: File names of the embedded default survey inside the data directory.
DEFAULT_SEED = 20240521
DEFAULT_FILES = {"tiles": "h3_mock_tiles.fits", "catalog": "h3_mock_catalog.fits",
                 "truth": "h3_mock_truth.fits"}


def config_to_dict(config: MockConfig) -> dict:
    """JSON-serialisable form of a `MockConfig`."""
    return dataclasses.asdict(config)


def config_from_dict(values: dict) -> MockConfig:
    """Inverse of `config_to_dict` (unknown keys raise a clear error)."""
    values = dict(values)
    known = {f.name for f in dataclasses.fields(MockConfig)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown MockConfig field(s): {sorted(unknown)}")
    if "selection" in values:
        values["selection"] = SelectionConfig(**values["selection"])
    for key in ("r_lim_range", "distance_grid"):
        if key in values:
            values[key] = tuple(values[key])
    return MockConfig(**values)


#: Default data directory of the embedded mocks, relative to the working directory (the
#: chapters run from the repository root).
DEFAULT_DATA_DIR = Path("data")


def _refuse_existing(outdir: Path, names, overwrite: bool) -> None:
    existing = [str(outdir / n) for n in names if (outdir / n).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"refusing to overwrite existing file(s) {existing}; pass overwrite=True "
                              "or choose another directory")


def _write_mock_files(outdir: Path, tables: dict, manifest_name: str, manifest: dict, overwrite: bool) -> dict:
    """Write ``{file name: table}`` atomically into ``outdir``, then the manifest, last.

    The manifest records the SHA-256 of every file, so a file changed or truncated after
    the manifest was written is detected (`_mock_files_current`). Existing files are
    refused unless ``overwrite``.
    """
    _refuse_existing(outdir, (*tables, manifest_name), overwrite)
    outdir.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, table in tables.items():
        with atomic_path(outdir / name) as tmp:
            if name == DEFAULT_FILES["catalog"] or name == OUTER_FILES["catalog"]:
                validate_catalog(table)
            table.write(tmp, overwrite=True)
        hashes[name] = file_sha256(outdir / name)
    write_text_atomic(outdir / manifest_name, json.dumps({**manifest, "sha256": hashes}, indent=1) + "\n")
    return {name: outdir / name for name in tables}


def _mock_files_current(outdir: Path, names, manifest_name: str, manifest: dict) -> bool:
    """True when the manifest matches ``manifest`` and every file its recorded hash.

    Raises FileExistsError when mock-named files exist without a manifest: they were not
    written by this module, and regenerating would overwrite someone's files.
    """
    mpath = outdir / manifest_name
    if not mpath.exists():
        present = [str(outdir / n) for n in names if (outdir / n).exists()]
        if present:
            raise FileExistsError(f"{present} exist without {mpath}: not written by halo_utils.mock; "
                                  "refusing to overwrite them (move them away or choose another directory)")
        return False
    try:
        recorded = json.loads(mpath.read_text())
    except ValueError:
        return False
    hashes = recorded.pop("sha256", {})
    if recorded != manifest or set(hashes) != set(names):
        return False
    return all((outdir / n).is_file() and file_sha256(outdir / n) == h for n, h in hashes.items())


def write_survey(outdir, seed: int = DEFAULT_SEED, config: MockConfig = MockConfig(),
                 overwrite: bool = False) -> dict:
    """Generate the survey and write tiles, catalogue and truth as FITS into ``outdir``.

    Each file is written atomically; ``h3_mock_manifest.json``, written last, records the
    seed, the full config and the SHA-256 of each file, so `ensure_survey` can tell
    whether the files on disk are the ones asked for and complete. Existing files are
    refused (FileExistsError) unless ``overwrite``. Returns the dict of written paths
    (keys ``tiles``, ``catalog``, ``truth``).
    """
    outdir = Path(outdir)
    _refuse_existing(outdir, (*DEFAULT_FILES.values(), MANIFEST), overwrite)  # before minutes of work
    tiles, catalog, truth = generate_survey(seed, config)
    tables = {DEFAULT_FILES["tiles"]: tiles, DEFAULT_FILES["catalog"]: catalog, DEFAULT_FILES["truth"]: truth}
    _write_mock_files(outdir, tables, MANIFEST, _manifest(seed, config), overwrite)
    return {key: outdir / name for key, name in DEFAULT_FILES.items()}


MANIFEST = "h3_mock_manifest.json"


def _manifest(seed, config):
    return json.loads(json.dumps({"seed": seed, "config": config_to_dict(config)}))


def ensure_survey(outdir, seed: int = DEFAULT_SEED, config: MockConfig = MockConfig()) -> dict:
    """Paths of the survey files in ``outdir``, (re)generating them unless they exist, are
    complete and their manifest matches ``seed`` and ``config``.

    Only files this module wrote (with a manifest) are ever replaced; mock-named files
    without a manifest raise FileExistsError.
    """
    outdir = Path(outdir)
    paths = {key: outdir / name for key, name in DEFAULT_FILES.items()}
    if _mock_files_current(outdir, DEFAULT_FILES.values(), MANIFEST, _manifest(seed, config)):
        return paths
    return write_survey(outdir, seed, config, overwrite=True)


def ensure_default_data(paths: dict, *, generate: bool, seed: int = DEFAULT_SEED,
                        data_dir: str | Path = DEFAULT_DATA_DIR, outer_halo: bool = False) -> None:
    """Make the embedded default mock for a chapter, or check a user's files exist.

    Parameters
    ----------
    paths : dict
        ``{parameter name: path}`` of the chapter's input files (empty strings skipped).
    generate : bool
        The chapter's ``generate_if_missing``. The mock is (re)generated only when it is
        true **and** every given path is the default file in ``data_dir``: a mistyped or
        user-given path is never filled with mock files.
    seed : int
        Seed of the default mock.
    outer_halo : bool
        The outer-halo mock of chapter 5 instead of the survey of chapter 1.

    Raises
    ------
    FileNotFoundError
        Naming the parameter and the path of the first missing file.
    """
    data_dir = Path(data_dir)
    files = OUTER_FILES if outer_halo else DEFAULT_FILES
    given = {k: Path(v) for k, v in paths.items() if v not in ("", None)}
    defaults = {(data_dir / name).resolve() for name in files.values()}
    if generate and given and all(p.resolve() in defaults for p in given.values()):
        if outer_halo:
            ensure_outer_halo(data_dir, seed)
        else:
            ensure_survey(data_dir, seed)
    for name, p in given.items():
        if not p.is_file():
            hint = "" if p.resolve() in defaults else " (only the default files in data/ are generated)"
            raise FileNotFoundError(f"{name} = {str(p)!r}: no such file{hint}")


# ------------------------------------------------------------ outer-halo mock (SPEC 8)

#: Truth of the outer-halo mock (S004 tables 1-2): values at 40 and 120 kpc, linear in r
#: (dispersions linear in ln sigma); the apex is fixed in Galactic (l, b), deg.
REFLEX_TRUTH = {
    "r_nodes": (40.0, 120.0),
    "v_travel": (6.0, 47.0), "l_apex": -80.0, "b_apex": -59.0,
    "vr_mean": (-8.0, -25.0), "vphi_mean": (14.0, -14.0), "vtheta_mean": (-1.0, -3.0),
    "sigma_los": (106.0, 69.0), "sigma_l": (78.0, 20.0), "sigma_b": (56.0, 33.0),
}

def _default_outer_surveys():
    # n: halo stars generated; r_range/r_slope: dN/dr ~ r^slope; errors per survey;
    # dist_scale, rv_offset: the survey's zero points relative to H3 (S004 section 2: MagE
    # distances ~5 % long, MagE RVs ~3 km/s off)
    return {
        "H3": {"n": 580, "r_range": (38.0, 165.0), "r_slope": -1.6, "vrad_err": (0.5, 1.5),
               "frac_dist_err": (0.10, 0.16), "dist_scale": 1.0, "rv_offset": 0.0},
        "SEGUE": {"n": 400, "r_range": (38.0, 165.0), "r_slope": -1.8, "vrad_err": (3.0, 8.0),
                  "frac_dist_err": (0.10, 0.18), "dist_scale": 1.0, "rv_offset": 0.0},
        "MagE": {"n": 305, "r_range": (45.0, 165.0), "r_slope": 0.0, "vrad_err": (0.7, 1.5),
                 "frac_dist_err": (0.10, 0.12), "dist_scale": 1.05, "rv_offset": 3.0},
    }


#: Gaia-like proper-motion error ranges (mas/yr) of the outer-halo mock: errors are drawn
#: as lo + (hi - lo) u^2, u uniform, so the medians are ~0.11 (EDR3-like, distant giants
#: at G ~ 17-19) and ~0.25 mas/yr (DR2-like, the catalogue PP21 used).
PM_ERROR_RANGES = {"edr3": (0.05, 0.3), "dr2": (0.11, 0.66)}


@dataclass(frozen=True)
class OuterHaloConfig:
    """Configuration of the all-sky outer-halo mock. Defaults give ~850 selected stars.

    The mock is as messy as real data:

    * ``f_bad_errors``: fraction of halo stars given Vrad_err > 15 km/s or fractional
      distance errors > 0.25 (removed by the quality cuts);
    * ``f_outlier``: fraction drawn with 4x the dispersions (what the 3.5 sigma clipping
      is for);
    * ``f_wrong_distance``: fraction of stars whose catalogue distance is
      ``wrong_distance_factor`` (log-uniform, default 2-10) times their true distance
      (misclassified dwarfs, wrong-branch giants): they truly sit nearer, on the same line
      of sight, moving like an inner-halo star (isotropic, ``wrong_distance_sigma`` km/s,
      no reflex), so at their catalogue distance their proper motions imply tangential
      speeds several times too large;
    * per-survey zero points (``dist_scale``, ``rv_offset`` in ``surveys``; MagE 5 % and
      3 km/s by default, S004 section 2) that no likelihood knows about;
    * ``pm_errors``: ``"edr3"`` or ``"dr2"``-like proper-motion errors (`PM_ERROR_RANGES`);
    * ``n_sgr``: Sagittarius debris within 10 deg of the Sgr plane at 40-100 kpc with
      Sgr-like angular momentum.
    """

    surveys: dict = field(default_factory=_default_outer_surveys)
    truth: dict = field(default_factory=lambda: dict(REFLEX_TRUTH))
    f_bad_errors: float = 0.06
    f_outlier: float = 0.02
    f_wrong_distance: float = 0.015
    wrong_distance_factor: tuple = (2.0, 10.0)
    wrong_distance_sigma: float = 120.0
    pm_errors: str = "edr3"
    n_sgr: int = 110
    sgr_L: tuple = (605.0, -4515.0, -1267.0)
    sgr_L_scatter: float = 0.10
    sgr_d_range: tuple = (40.0, 100.0)
    lmc_avoid_deg: float = 20.0

    def __post_init__(self):
        for name in ("f_bad_errors", "f_outlier", "f_wrong_distance"):
            if not (0.0 <= getattr(self, name) < 1.0):
                raise ValueError(f"OuterHaloConfig.{name} must be a fraction in [0, 1), got {getattr(self, name)!r}")
        lo, hi = self.wrong_distance_factor
        if not (1.0 <= lo <= hi):
            raise ValueError(f"OuterHaloConfig.wrong_distance_factor must be (lo, hi) with 1 <= lo <= hi, "
                             f"got {self.wrong_distance_factor!r}")
        if self.pm_errors not in PM_ERROR_RANGES:
            raise ValueError(f"OuterHaloConfig.pm_errors must be one of {sorted(PM_ERROR_RANGES)}, "
                             f"got {self.pm_errors!r}")


def outer_footprint(survey: str, ra, dec, l, b):
    """Boolean footprint of an outer-halo survey: H3 (dec > -20, |b| > 20), SEGUE (northern
    SDSS-like: b > 30, dec > -5), MagE (dec < -20, |b| > 20)."""
    ra, dec, l, b = (np.asarray(a, float) for a in (ra, dec, l, b))
    if survey == "H3":
        return (dec > -20) & (np.abs(b) > 20)
    if survey == "SEGUE":
        return (b > 30) & (dec > -5)
    if survey == "MagE":
        return (dec < -20) & (np.abs(b) > 20)
    raise ValueError(f"unknown outer-halo survey {survey!r} (expected H3, SEGUE or MagE)")


def _outer_positions(n, r_range, slope, survey, cfg, rng):
    """Galactocentric positions (3, n) with dN/dr ~ r^slope, isotropic, inside the footprint."""
    out = []
    while sum(p.shape[1] for p in out) < n:
        m = 4 * n
        u_ = rng.uniform(size=m)
        lo, hi = r_range
        if abs(slope + 1) < 1e-9:
            r = lo * (hi / lo) ** u_
        else:
            k = slope + 1
            r = (lo**k + u_ * (hi**k - lo**k)) ** (1 / k)
        vec = rng.standard_normal((3, m))
        pos = r * vec / np.linalg.norm(vec, axis=0)
        obs = galactocentric_to_icrs(pos, np.zeros_like(pos))
        l, b = galactic_lb(obs["ra"], obs["dec"])
        ok = outer_footprint(survey, obs["ra"], obs["dec"], l, b)
        for lc, bc in MAGELLANIC_CLOUDS_LB.values():
            sep = coord.angular_separation(*(np.deg2rad(a) for a in (l, b, lc, bc)))
            ok &= np.rad2deg(sep) > cfg.lmc_avoid_deg
        out.append(pos[:, ok])
    return np.concatenate(out, axis=1)[:, :n]


def _reflex_velocities(pos, truth, rng, scale=1.0):
    """Draw velocities from the reflex model: mean field + dispersions along (n, e_l, e_b)."""
    model = ReflexModel("linear", tuple(truth["r_nodes"]), outliers=None)
    theta = reflex_truth_vector(truth)
    r = np.sqrt(np.sum(pos**2, axis=0))
    v = model.values_at(theta, r)
    n_apex = unit_vector(v[1], v[2]) @ MS_TO_GAL.T
    sph = spherical_to_cartesian_velocity(pos, v[3], v[5], v[4]).T
    mean = -v[0][:, None] * n_apex + sph
    obs = galactocentric_to_icrs(pos, np.zeros_like(pos))
    l, b = galactic_lb(obs["ra"], obs["dec"])
    n, e_l, e_b = (x @ galactic_to_galactocentric_axes().T for x in galactic_basis(l, b))
    sig = scale * np.exp(v[6:9])
    z = rng.standard_normal((3, r.size))
    return (mean + (sig[0] * z[0])[:, None] * n + (sig[1] * z[1])[:, None] * e_l
            + (sig[2] * z[2])[:, None] * e_b).T


def reflex_truth_vector(truth: dict = REFLEX_TRUTH):
    """The truth as a parameter vector of the linear (continuity) reflex model, without
    an outlier fraction (18 values)."""
    L, B = galactic_to_ms(truth["l_apex"], truth["b_apex"])
    nodes = []
    for i in range(2):
        nodes += [truth["v_travel"][i], float(L), float(B), truth["vr_mean"][i], truth["vphi_mean"][i],
                  truth["vtheta_mean"][i], np.log(truth["sigma_los"][i]), np.log(truth["sigma_l"][i]),
                  np.log(truth["sigma_b"][i])]
    return np.asarray(nodes)


def constant_reflex_truth(at_r: float = 100.0, truth: dict = REFLEX_TRUTH) -> dict:
    """A truth dict whose parameters do not change with r: `truth`'s values at ``at_r``
    (kpc), for mocks that the constant (9-parameter) model describes exactly."""
    r0, r1 = truth["r_nodes"]
    t = (at_r - r0) / (r1 - r0)
    out = dict(truth)
    for key in ("v_travel", "vr_mean", "vphi_mean", "vtheta_mean"):
        lo, hi = truth[key]
        out[key] = (lo + t * (hi - lo),) * 2
    for key in ("sigma_los", "sigma_l", "sigma_b"):
        lo, hi = truth[key]
        out[key] = (float(np.exp(np.log(lo) + t * np.log(hi / lo))),) * 2
    return out


def _sgr_debris(cfg, rng):
    """Sagittarius debris in the outer-halo footprints: positions and velocities (3, n)."""
    from gala.coordinates import SagittariusLaw10

    m = 6 * cfg.n_sgr
    lam = rng.uniform(0, 360, m)
    beta = np.rad2deg(np.arcsin(rng.uniform(np.sin(np.deg2rad(-10)), np.sin(np.deg2rad(10)), m)))
    d = rng.uniform(*cfg.sgr_d_range, m)
    sky = coord.SkyCoord(Lambda=lam * u.deg, Beta=beta * u.deg, frame=SagittariusLaw10()).icrs
    ra, dec = sky.ra.deg, sky.dec.deg
    l, b = galactic_lb(ra, dec)
    in_any = np.zeros(m, bool)
    for name in ("H3", "SEGUE", "MagE"):
        in_any |= outer_footprint(name, ra, dec, l, b)
    idx = np.flatnonzero(in_any)[: cfg.n_sgr]
    pos, _ = icrs_to_galactocentric(ra[idx], dec[idx], d[idx], 0.0, 0.0, 0.0)
    L0 = np.asarray(cfg.sgr_L, float)[:, None]
    L = L0 + cfg.sgr_L_scatter * np.linalg.norm(L0) * rng.standard_normal((3, idx.size))
    r2 = np.sum(pos**2, axis=0)
    # coherent tangential motion from L plus a radial velocity that changes sign along the
    # stream (infalling leading arm, receding trailing arm): a dipole-like v_GSR pattern
    v_r = 80.0 * np.sin(np.deg2rad(lam[idx])) + 20.0 * rng.standard_normal(idx.size)
    vel = np.cross(L.T, pos.T).T / r2 + v_r * pos / np.sqrt(r2)
    return pos, vel


def _wrong_distances(pos, cfg, rng):
    """Make stars nearer than their catalogue position: returns (true pos, velocity, factor).

    The star keeps its line of sight; its true heliocentric distance is its (catalogue)
    distance divided by a log-uniform factor; it moves like an inner-halo star."""
    x_sun = frame_vectors()[1][:, None]
    lo, hi = cfg.wrong_distance_factor
    factor = np.exp(rng.uniform(np.log(lo), np.log(hi), pos.shape[1]))
    true_pos = x_sun + (pos - x_sun) / factor
    vel = cfg.wrong_distance_sigma * rng.standard_normal(pos.shape)
    return true_pos, vel, factor


def generate_outer_halo(seed: int = DEFAULT_SEED, config: OuterHaloConfig = OuterHaloConfig()):
    """The all-sky outer-halo mock: ``(catalog, truth)``.

    H3-, SEGUE- and MagE-like giants at 40-160 kpc whose velocities follow the reflex model
    with ``config.truth`` (linear in r), with what real catalogues contain (see
    `OuterHaloConfig`): bad errors, hot outliers, stars with distances several times too
    large, survey zero points and Sagittarius debris. The catalogue follows the catalogue
    schema with a ``survey`` column; ``truth`` holds each star's component (``halo``,
    ``outlier``, ``wrong_distance``, ``sgr``), survey, true heliocentric distance, the
    factor between catalogue and true distance before noise (``dist_factor``), and its
    Galactocentric 6D phase space.
    """
    rng = np.random.default_rng([seed, 8])
    cfg = config
    parts = []
    for name, sv in cfg.surveys.items():
        pos = _outer_positions(sv["n"], sv["r_range"], sv["r_slope"], name, cfg, rng)
        outlier = rng.uniform(size=sv["n"]) < cfg.f_outlier
        vel = _reflex_velocities(pos, cfg.truth, rng)
        vel[:, outlier] = _reflex_velocities(pos[:, outlier], cfg.truth, rng, scale=4.0)
        comp = np.where(outlier, "outlier", "halo").astype("U14")
        factor = np.ones(sv["n"])
        wrong = (rng.uniform(size=sv["n"]) < cfg.f_wrong_distance) & ~outlier
        pos[:, wrong], vel[:, wrong], factor[wrong] = _wrong_distances(pos[:, wrong], cfg, rng)
        comp[wrong] = "wrong_distance"
        parts.append((name, pos, vel, comp, factor))
    spos, svel = _sgr_debris(cfg, rng)
    obs = galactocentric_to_icrs(spos, svel)
    l, b = galactic_lb(obs["ra"], obs["dec"])
    sgr_survey = np.where(obs["dec"] < -20, "MagE", np.where((b > 30) & (obs["dec"] > -5)
                                                                 & (rng.uniform(size=l.size) < 0.4), "SEGUE", "H3"))
    for name in ("H3", "SEGUE", "MagE"):
        sel = sgr_survey == name
        parts.append((name, spos[:, sel], svel[:, sel], np.full(sel.sum(), "sgr"), np.ones(sel.sum())))
    return _observe_outer(parts, cfg, rng)


def _observe_outer(parts, cfg, rng):
    survey = np.concatenate([np.full(p[1].shape[1], p[0]) for p in parts])
    pos = np.concatenate([p[1] for p in parts], axis=1)
    vel = np.concatenate([p[2] for p in parts], axis=1)
    comp = np.concatenate([p[3] for p in parts])
    factor = np.concatenate([p[4] for p in parts])
    n = survey.size
    true = galactocentric_to_icrs(pos, vel)
    vrad_err, frac, rv_offset = np.empty(n), np.empty(n), np.zeros(n)
    for name, sv in cfg.surveys.items():
        s = survey == name
        vrad_err[s] = rng.uniform(*sv["vrad_err"], s.sum())
        frac[s] = rng.uniform(*sv["frac_dist_err"], s.sum())
        factor[s] *= sv.get("dist_scale", 1.0)
        rv_offset[s] = sv.get("rv_offset", 0.0)
    bad = rng.uniform(size=n) < cfg.f_bad_errors
    bad_rv = bad & (rng.uniform(size=n) < 0.5)
    vrad_err[bad_rv] = rng.uniform(16, 40, bad_rv.sum())
    frac[bad & ~bad_rv] = rng.uniform(0.26, 0.4, (bad & ~bad_rv).sum())
    # log-normal and mean-unbiased: E[d_obs] = factor x d_true (reflex.DistancePrior's model)
    d_obs = factor * true["distance"] * np.exp(frac * rng.standard_normal(n) - 0.5 * frac**2)
    lo, hi = PM_ERROR_RANGES[cfg.pm_errors]
    pm_err = lo + (hi - lo) * rng.uniform(size=n) ** 2
    pmdec_err = pm_err * rng.uniform(0.8, 1.2, n)
    corr = rng.uniform(-0.3, 0.3, n)
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    pmra = true["pmra"] + pm_err * z1
    pmdec = true["pmdec"] + pmdec_err * (corr * z1 + np.sqrt(1 - corr**2) * z2)
    abs_mag = rng.uniform(-2.5, -0.5, n)
    feh = rng.normal(-1.3, 0.4, n)
    star_id = 1_000_000 + np.arange(n)
    cat = Table({
        "star_id": star_id, "RA": true["ra"] * u.deg, "DEC": true["dec"] * u.deg,
        "dist_adpt": d_obs * u.kpc, "dist_adpt_err": frac * d_obs * u.kpc,
        "Vrad": (true["rv"] + rv_offset + vrad_err * rng.standard_normal(n)) * u.km / u.s,
        "Vrad_err": vrad_err * u.km / u.s,
        "GAIAEDR3_PMRA": pmra * u.mas / u.yr, "GAIAEDR3_PMDEC": pmdec * u.mas / u.yr,
        "GAIAEDR3_PMRA_ERROR": pm_err * u.mas / u.yr, "GAIAEDR3_PMDEC_ERROR": pmdec_err * u.mas / u.yr,
        "GAIAEDR3_PMRA_PMDEC_CORR": corr,
        "GAIAEDR3_PARALLAX": (1.0 / true["distance"] + pm_err * rng.standard_normal(n)) * u.mas,
        "GAIAEDR3_PARALLAX_ERROR": pm_err * u.mas,
        "FeH": feh * u.dex, "FeH_err": np.full(n, 0.1) * u.dex,
        "aFe": (0.2 + 0.1 * rng.standard_normal(n)) * u.dex, "aFe_err": np.full(n, 0.05) * u.dex,
        "logg": rng.uniform(0.8, 2.5, n) * u.dex, "SNR": rng.uniform(8, 30, n),
        "PS_R": (abs_mag + distance_modulus(true["distance"])) * u.mag,
        "FLAG": np.zeros(n, int), "tileID": np.full(n, -1), "XFIT_RANK": np.full(n, 2),
        "survey": survey,
    })
    truth = Table({"star_id": star_id, "component": comp, "survey": survey,
                   "dist_true": true["distance"] * u.kpc, "dist_factor": factor,
                   "r_true": np.sqrt(np.sum(pos**2, axis=0)) * u.kpc})
    for i, ax in enumerate("xyz"):
        truth[ax] = pos[i] * u.kpc
    for i, ax in enumerate("xyz"):
        truth[f"v{ax}"] = vel[i] * u.km / u.s
    return cat, truth


OUTER_FILES = {"catalog": "outer_halo_catalog.fits", "truth": "outer_halo_truth.fits"}
OUTER_MANIFEST = "outer_halo_manifest.json"


def ensure_outer_halo(outdir, seed: int = DEFAULT_SEED, config: OuterHaloConfig = OuterHaloConfig()) -> dict:
    """Paths of the outer-halo mock files in ``outdir``, (re)written unless they are complete
    and their manifest matches ``seed`` and ``config`` (files are written atomically, the
    manifest with their SHA-256 last; mock-named files without a manifest are refused)."""
    outdir = Path(outdir)
    paths = {key: outdir / name for key, name in OUTER_FILES.items()}
    manifest = json.loads(json.dumps({"seed": seed, "config": dataclasses.asdict(config)}))
    if not _mock_files_current(outdir, OUTER_FILES.values(), OUTER_MANIFEST, manifest):
        cat, truth = generate_outer_halo(seed, config)
        _write_mock_files(outdir, {OUTER_FILES["catalog"]: cat, OUTER_FILES["truth"]: truth}, OUTER_MANIFEST,
                          manifest, overwrite=True)
    return paths


def _main(argv=None):
    import argparse
    import json
    import time

    parser = argparse.ArgumentParser(description="Generate the mock H3-like survey (SPEC section 3).")
    parser.add_argument("--outdir", default="data", help="output directory (default: data)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--config", help="JSON file with MockConfig overrides")
    parser.add_argument("--overwrite", action="store_true", help="replace existing mock files in --outdir")
    args = parser.parse_args(argv)
    config = MockConfig()
    if args.config:
        with open(args.config) as fh:
            overrides = json.load(fh)
        base = config_to_dict(config)
        for key, value in overrides.items():
            base[key] = {**base[key], **value} if isinstance(base.get(key), dict) else value
        config = config_from_dict(base)
    start = time.perf_counter()
    paths = write_survey(args.outdir, args.seed, config, overwrite=args.overwrite)
    paths.update({f"outer_halo_{k}": v for k, v in ensure_outer_halo(args.outdir, args.seed).items()})
    print(f"mock survey (seed {args.seed}) written in {time.perf_counter() - start:.1f} s:")
    for key, path in paths.items():
        print(f"  {key}: {path}")


if __name__ == "__main__":
    _main()
