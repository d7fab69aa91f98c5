"""The components of the mock survey: density, kinematics and chemistry of each."""

from __future__ import annotations

import numpy as np
import astropy.units as u
import astropy.coordinates as coord

from .. import density as dens
from ..frames import R0_KPC, icrs_to_galactocentric, spherical_to_cartesian_velocity
from ..reference import SATELLITES, sgr_latitude
from ..survey import distance_modulus, dwarf_luminosity_function, giant_luminosity_function
from .tiles import _los_positions, _sample_los, _unit_vectors, positions_in_tiles

__all__ = ["gse_sigma_r", "gse_velocities"]


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


