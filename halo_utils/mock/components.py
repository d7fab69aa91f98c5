"""The components of the mock survey, as small classes composed into a survey.

Each component knows its number density along the tiles' lines of sight, its luminosity
function, the velocities and the chemistry of its stars, and how it is sampled
(`Component.sample`). The smooth components (GSE, in-situ halo, flared thick disk, Aleph,
Sagittarius and the foreground dwarfs) share the line-of-sight sampling of
`SmoothComponent`; the cold satellites are Plummer spheres on the sky. `survey_components`
assembles the survey of a `MockConfig`; a new component is a new small class added to
that list (conventions §4). The order of the list is the order of the random draws.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import astropy.units as u
import astropy.coordinates as coord

from .. import density as dens
from ..frames import R0_KPC, icrs_to_galactocentric
from ..reference import SATELLITES, sgr_latitude
from ..survey import (GIANTS_PER_MSUN, LuminosityFunction, distance_modulus, dwarf_luminosity_function,
                      giant_luminosity_function)
from .config import MockConfig
from .kinematics import disk_velocities, gse_velocities, insitu_velocities, stream_velocities
from .populations import Chemistry
from .tiles import LinesOfSight, positions_in_tiles, unit_vectors

__all__ = ["Component", "SmoothComponent", "GSE", "InSituHalo", "ThickDisk", "Aleph", "Sagittarius", "Dwarfs",
           "Satellites", "survey_components"]


def _stars(component, satellite, tile_idx, ra, dec, distance, abs_mag, pos, vel, feh, afe) -> dict:
    """The true stars of a component as a dict of arrays (one row per star)."""
    n = ra.size
    return dict(component=np.full(n, component.name, dtype="U11"), satellite=np.full(n, satellite, dtype="U10"),
                origin=np.full(n, component.origin, dtype="U10"), dwarf=np.full(n, component.dwarf),
                tile_idx=tile_idx, ra=ra, dec=dec, distance=distance, abs_mag=abs_mag,
                pos=pos.T, vel=vel.T, feh=feh, afe=afe)


class Component:
    """A population of stars of the mock survey (base class).

    Attributes
    ----------
    name : str
        The truth table's ``component`` label.
    origin : str
        ``"accreted"``, ``"insitu"`` or ``"foreground"`` (the truth's ``origin``).
    dwarf : bool
        Main-sequence dwarfs (dwarf log g) rather than giants.
    """

    name: ClassVar[str] = ""
    origin: ClassVar[str] = ""
    dwarf: ClassVar[bool] = False

    @staticmethod
    def luminosity_function() -> LuminosityFunction:
        """The component's luminosity function in M_r (giants, -3 <= M_r <= 2.5)."""
        return giant_luminosity_function()

    def sample(self, los: LinesOfSight, window, rng: np.random.Generator) -> dict:
        """The component's stars with apparent magnitude inside ``window`` (m_lo, m_hi; mag)
        that fall in the tiles of ``los``: a dict of arrays, one row per star."""
        raise NotImplementedError


class SmoothComponent(Component):
    """A smooth component, sampled along the tiles' central lines of sight.

    Parameters
    ----------
    params : dict
        The component's numbers (a `MockConfig` field): ``log10_mass`` (stellar mass,
        log10 Msun), density and kinematic parameters.
    giants_per_msun : float
        Giants (-3 <= M_r <= 2.5) per Msun of stellar mass.

    Notes
    -----
    Subclasses define `density` (stars per kpc^3 along the lines of sight), `velocities`
    and the class attribute ``chemistry`` (a `Chemistry`).
    """

    chemistry: ClassVar[Chemistry]

    def __init__(self, params: dict, giants_per_msun: float = GIANTS_PER_MSUN):
        self.params = params
        self.giants_per_msun = giants_per_msun

    @property
    def n_giants(self) -> float:
        """Expected total number of the component's giants."""
        return 10 ** self.params["log10_mass"] * self.giants_per_msun

    def density(self, los: LinesOfSight):
        """Number density of the component's stars along ``los``, shape (nT, nD), per kpc^3."""
        raise NotImplementedError

    def velocities(self, pos, rng: np.random.Generator):
        """Velocities (3, n), km/s, of stars at Galactocentric ``pos`` (3, n), kpc."""
        raise NotImplementedError

    def sample(self, los, window, rng):
        tile_idx, dist, abs_mag = los.sample(self.density(los), self.luminosity_function(), window, rng)
        ra, dec = positions_in_tiles(los.tiles, tile_idx, rng)
        zeros = np.zeros(ra.size)
        pos, _ = icrs_to_galactocentric(ra, dec, dist, zeros, zeros, zeros)
        vel = self.velocities(pos, rng)
        feh, afe = self.chemistry.draw(ra.size, rng)
        return _stars(self, "", tile_idx, ra, dec, dist, abs_mag, pos, vel, feh, afe)


class GSE(SmoothComponent):
    """Gaia-Sausage/Enceladus: the tilted triaxial doubly broken power law of the density
    model (conventions §7; ``log10_mass`` within 1 < r_q < 100 kpc), radially anisotropic
    kinematics (`gse_velocities`), metal-poor and low-alpha."""

    name, origin = "gse", "accreted"
    chemistry = Chemistry(feh_mean=-1.25, feh_sd=0.3, afe_at_pivot=0.12, afe_slope=-0.2, feh_pivot=-1.3,
                          afe_sd=0.04)

    def density(self, los):
        c = self.params
        return dens.density(los.pos, total=self.n_giants, alphas=(c["alpha1"], c["alpha2"], c["alpha3"]),
                            breaks=(c["r1"], c["r2"]), p=c["p"], q=c["q"], pitch=c["pitch"], yaw=c["yaw"])

    def velocities(self, pos, rng):
        return gse_velocities(pos, self.params, rng)


class InSituHalo(SmoothComponent):
    """The in-situ halo: an oblate single power law (``alpha``, flattening ``q``) within
    r_q < ``r_max`` kpc, isotropic and hotter above the plane (`insitu_velocities`)."""

    name, origin = "insitu_halo", "insitu"
    chemistry = Chemistry(feh_mean=-0.6, feh_sd=0.25, afe_at_pivot=0.30, afe_slope=-0.1, feh_pivot=-0.6,
                          afe_sd=0.03)

    def density(self, los):
        c = self.params
        rho = dens.density(los.pos, total=self.n_giants, alphas=(c["alpha"],), breaks=(), q=c["q"],
                           r_min=1.0, r_max=c["r_max"])
        r_q = dens.ellipsoidal_radius(los.pos, 1.0, c["q"])
        return np.where(r_q < c["r_max"], rho, 0.0)

    def velocities(self, pos, rng):
        return insitu_velocities(pos, self.params, rng)


class ThickDisk(SmoothComponent):
    """The flared thick disk: exponential in R (``h_R``, kpc) and |z|, with a scale height
    ``h_z`` (kpc) growing as exp((R - ``R_flare``) / ``flare_scale``) beyond ``R_flare``;
    cylindrical Gaussian kinematics (`disk_velocities`); high-alpha."""

    name, origin = "thick_disk", "insitu"
    chemistry = Chemistry(feh_mean=-0.5, feh_sd=0.2, afe_at_pivot=0.30, afe_slope=-0.1, feh_pivot=-0.6,
                          afe_sd=0.03)

    def density(self, los):
        c, pos = self.params, los.pos
        R = np.hypot(pos[0], pos[1])
        h_z = c["h_z"] * np.exp(np.maximum(R - c["R_flare"], 0.0) / c["flare_scale"])
        sigma = self.n_giants / (2 * np.pi * c["h_R"] ** 2) * np.exp(-R / c["h_R"])
        return sigma * np.exp(-np.abs(pos[2]) / h_z) / (2 * h_z)

    def velocities(self, pos, rng):
        return disk_velocities(pos, self.params, rng)


class Aleph(SmoothComponent):
    """Aleph: a uniform ring ``R_range`` x |z| in ``z_range`` (kpc), cold and prograde
    (`disk_velocities`), metal-rich and low-alpha."""

    name, origin = "aleph", "insitu"
    chemistry = Chemistry(feh_mean=-0.4, feh_sd=0.15, afe_at_pivot=0.05, afe_slope=0.0, feh_pivot=0.0,
                          afe_sd=0.03)

    def density(self, los):
        pos = los.pos
        R, az = np.hypot(pos[0], pos[1]), np.abs(pos[2])
        (r_lo, r_hi), (z_lo, z_hi) = self.params["R_range"], self.params["z_range"]
        volume = np.pi * (r_hi**2 - r_lo**2) * 2 * (z_hi - z_lo)
        inside = (R > r_lo) & (R < r_hi) & (az > z_lo) & (az < z_hi)
        return np.where(inside, self.n_giants / volume, 0.0)

    def velocities(self, pos, rng):
        return disk_velocities(pos, self.params, rng)


class Sagittarius(SmoothComponent):
    """The Sagittarius stream: Gaussian in the stream latitude B (width ``sigma_B``, cut at
    |B| < ``B_max``, deg; gala's `SagittariusLaw10` frame), uniform in heliocentric
    distance within ``d_range`` (kpc), moving with Sgr's angular momentum
    (`stream_velocities`)."""

    name, origin = "sgr", "accreted"
    chemistry = Chemistry(feh_mean=-0.9, feh_sd=0.35, afe_at_pivot=0.05, afe_slope=-0.1, feh_pivot=-0.9,
                          afe_sd=0.04)

    def density(self, los):
        """dN / dOmega dD / D^2 along the lines of sight, per kpc^3."""
        _, b_tile = sgr_latitude(los.tiles["RA"], los.tiles["DEC"])
        c, dist = self.params, los.distance
        s, b_max = c["sigma_B"], c["B_max"]
        d_lo, d_hi = c["d_range"]
        b_grid = np.linspace(-b_max, b_max, 401)
        ang = np.trapezoid(np.exp(-0.5 * (b_grid / s) ** 2) * np.cos(np.deg2rad(b_grid)),
                           np.deg2rad(b_grid)) * 2 * np.pi
        per_sr_kpc = self.n_giants / (ang * (d_hi - d_lo))
        on_sky = np.where(np.abs(b_tile) < b_max, np.exp(-0.5 * (b_tile / s) ** 2), 0.0)
        in_d = (dist > d_lo) & (dist < d_hi)
        return per_sr_kpc * on_sky[:, None] * in_d[None, :] / dist[None, :] ** 2

    def velocities(self, pos, rng):
        return stream_velocities(pos, self.params, rng)


class Dwarfs(SmoothComponent):
    """Foreground main-sequence dwarfs (3.5 <= M_r <= 7.5): an exponential disk
    (``n_local_disk`` per kpc^3 at the Sun, ``h_R``, ``h_z`` in kpc) plus an oblate power-law
    halo (``n_local_halo`` per kpc^3 at R0, ``halo_q``, ``halo_alpha``).

    Parameters
    ----------
    params : dict
        `MockConfig.dwarfs` (number densities, not a mass).
    kinematics : dict
        Parameters of their velocities (`disk_velocities`): thick-disk-like, as they only
        need to be plausible.
    """

    name, origin, dwarf = "dwarf", "foreground", True
    chemistry = Chemistry(feh_mean=-0.4, feh_sd=0.3, afe_at_pivot=0.15, afe_slope=-0.1, feh_pivot=-0.4,
                          afe_sd=0.05)
    luminosity_function = staticmethod(dwarf_luminosity_function)

    def __init__(self, params: dict, kinematics: dict):
        self.params = params
        self.kinematics = kinematics

    def density(self, los):
        c, pos = self.params, los.pos
        R, z = np.hypot(pos[0], pos[1]), pos[2]
        disk = c["n_local_disk"] * np.exp(-(R - R0_KPC) / c["h_R"] - np.abs(z) / c["h_z"])
        r_q = np.sqrt(R**2 + (z / c["halo_q"]) ** 2)
        halo = c["n_local_halo"] * (np.maximum(r_q, 1.0) / R0_KPC) ** -c["halo_alpha"]
        return disk + halo

    def velocities(self, pos, rng):
        return disk_velocities(pos, self.kinematics, rng)


class Satellites(Component):
    """Cold satellites: a Plummer sphere of giants around each, kept where it falls in a tile.

    Parameters
    ----------
    satellites : dict
        ``{name: dict(ra, dec, distance, r_half, rv, pmra, pmdec, mass, feh)}`` (units of
        `halo_utils.reference.SATELLITES`).
    giants_per_msun : float
        Giants per Msun of stellar mass.

    Notes
    -----
    Each satellite has Poisson(mass x giants_per_msun) giants at 1 % distance scatter,
    moving with the satellite's systemic motion plus a 10 km/s isotropic dispersion;
    [Fe/H] ~ N(feh, 0.3), [a/Fe] ~ N(0.15, 0.05).
    """

    name, origin = "satellite", "accreted"

    def __init__(self, satellites: dict = SATELLITES, giants_per_msun: float = GIANTS_PER_MSUN):
        self.satellites = satellites
        self.giants_per_msun = giants_per_msun

    def sample(self, los, window, rng):
        m_lo, m_hi = window
        lf = self.luminosity_function()
        tiles = los.tiles
        parts = []
        tile_vec = unit_vectors(np.asarray(tiles["RA"], float), np.asarray(tiles["DEC"], float))
        cos_rad = np.cos(np.deg2rad(np.asarray(tiles["radius"], float)))
        for name, s in self.satellites.items():
            n = rng.poisson(s["mass"] * self.giants_per_msun)
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
            inside = unit_vectors(ra, dec).T @ tile_vec > cos_rad[None, :]
            keep = inside.any(axis=1) & (r_mag > m_lo) & (r_mag < m_hi)
            tile_idx = np.argmax(inside, axis=1)[keep]
            ra, dec, dist, abs_mag = ra[keep], dec[keep], dist[keep], abs_mag[keep]
            k = keep.sum()
            # systemic motion at the satellite centre plus a 10 km/s isotropic dispersion
            _, v_sys = icrs_to_galactocentric(s["ra"], s["dec"], s["distance"], s["pmra"], s["pmdec"], s["rv"])
            pos, _ = icrs_to_galactocentric(ra, dec, dist, np.zeros(k), np.zeros(k), np.zeros(k))
            vel = v_sys[:, None] + 10.0 * rng.standard_normal((3, k))
            chemistry = Chemistry(feh_mean=s["feh"], feh_sd=0.3, afe_at_pivot=0.15, afe_slope=0.0, feh_pivot=0.0,
                                  afe_sd=0.05)
            feh, afe = chemistry.draw(k, rng)
            parts.append(_stars(self, name, tile_idx, ra, dec, dist, abs_mag, pos, vel, feh, afe))
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def survey_components(config: MockConfig) -> tuple:
    """The components of the survey of ``config``, in the order they are drawn."""
    g = config.giants_per_msun
    return (GSE(config.gse, g), InSituHalo(config.insitu_halo, g), ThickDisk(config.thick_disk, g),
            Aleph(config.aleph, g), Sagittarius(config.sgr, g), Dwarfs(config.dwarfs, kinematics=config.thick_disk),
            Satellites(SATELLITES, g))
