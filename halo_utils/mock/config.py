"""Configuration of the mock H3-like survey: `MockConfig`, the GSE truth and the default seed.

`MockConfig` holds every number of the survey as plain fields and dicts, so that it
round-trips through JSON (`config_to_dict`, `config_from_dict`) into the files' manifest;
the components (`halo_utils.mock.components`) read their numbers from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..survey import GIANTS_PER_MSUN, SelectionConfig

__all__ = ["GSE_TRUTH", "DEFAULT_SEED", "MockConfig", "config_to_dict", "config_from_dict"]

#: Seed of the embedded default mocks.
DEFAULT_SEED = 20240521

#: True GSE density parameters of the default mock (conventions §4 and §7): slopes
#: ``alpha1-3``, break radii ``r1``, ``r2`` (kpc), axis ratios ``p``, ``q`` and the
#: ellipsoid's orientation ``pitch``, ``yaw`` (deg; the major axis's Sun-side end 25 deg above
#: the plane, as S001 finds).
GSE_TRUTH = {
    "alpha1": 1.7, "alpha2": 3.1, "alpha3": 4.6, "r1": 12.0, "r2": 28.0,
    "p": 0.8, "q": 0.7, "pitch": 25.0, "yaw": 25.0,
}


@dataclass(frozen=True)
class MockConfig:
    """Every number of the mock survey; the defaults reproduce the embedded data.

    Masses are total stellar masses (``log10_mass``, log10 Msun), converted to giants
    (-3 <= M_r <= 2.5) with ``giants_per_msun`` (approximate; conventions §4).

    Attributes
    ----------
    n_tiles : int
        Number of tiles, the four satellite fields included.
    tile_radius_deg : float
        Tile radius, deg.
    b_min_deg, dec_min_deg : float
        Footprint: |b| > ``b_min_deg`` and dec > ``dec_min_deg``, deg.
    r_lim_mean, r_lim_sd : float
        Mean and dispersion of the tiles' limiting r magnitude (S/N = 3), mag.
    r_lim_range : tuple of float
        Clipping range of r_lim, mag.
    rank1_tile_fraction : float
        Fraction of tiles with rank-1 targeting.
    selection : SelectionConfig
        Target windows, parallax cut, fibres, S/N model (conventions §3).
    giants_per_msun : float
        Giants per Msun of stellar mass.
    gse : dict
        GSE: `GSE_TRUTH` density parameters, ``log10_mass`` within 1 < r_q < 100 kpc, and
        kinematics: ``mean_vphi`` (km/s), ``sigma_r15`` (km/s at 15 kpc), ``sigma_r_slope``,
        ``sigma_r_psi_amp``, anisotropy ``beta``.
    insitu_halo : dict
        In-situ halo: oblate (``q``) power law ``alpha`` within r_q < ``r_max`` (kpc; mass
        in 1 < r_q < ``r_max``); isotropic ``sigma_below`` / ``sigma_above`` the plane and
        ``mean_vphi`` (km/s).
    thick_disk : dict
        Flared thick disk: scale length ``h_R`` and height ``h_z`` (kpc), the height
        growing as exp((R - ``R_flare``) / ``flare_scale``) beyond ``R_flare`` (kpc);
        ``mean_vphi`` and ``sigma`` (km/s).
    aleph : dict
        Aleph: uniform in ``R_range`` x |z| in ``z_range`` (kpc); ``mean_vphi``, ``sigma``
        (km/s).
    sgr : dict
        Sagittarius: Gaussian width ``sigma_B`` and cut ``B_max`` in stream latitude (deg),
        heliocentric ``d_range`` (kpc), angular momentum ``L`` (kpc km/s) with fractional
        scatter ``L_scatter``, radial dispersion ``sigma_vr`` (km/s).
    dwarfs : dict
        Foreground dwarfs (3.5 <= M_r <= 7.5): disk ``n_local_disk`` per kpc^3 at the Sun
        with ``h_R``, ``h_z`` (kpc), halo ``n_local_halo`` per kpc^3 at R0 with flattening
        ``halo_q`` and slope ``halo_alpha``.
    distance_grid : tuple
        (min kpc, max kpc, number of nodes) of the log-spaced line-of-sight grid.
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
    # GSE: the density model's parameters (conventions §7), mass within 1 < r_q < 100 kpc, chosen so
    # that the chapter-1 GSE sample holds about as many stars as S001's (5,559).
    gse: dict = field(default_factory=lambda: dict(GSE_TRUTH, log10_mass=9.22, mean_vphi=30.0,
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
        """A copy with some fields replaced; a component dict given here is merged into the
        existing one (``replace(gse={"log10_mass": 9.0})`` changes only the mass)."""
        merged = {}
        for key, value in changes.items():
            old = getattr(self, key)
            merged[key] = {**old, **value} if isinstance(old, dict) else value
        return dataclasses.replace(self, **merged)


def config_to_dict(config: MockConfig) -> dict:
    """JSON-serialisable form of a `MockConfig` (nested dicts; the files' manifest holds it)."""
    return dataclasses.asdict(config)


def config_from_dict(values: dict) -> MockConfig:
    """Inverse of `config_to_dict`.

    Raises
    ------
    ValueError
        For keys that are not `MockConfig` fields.
    """
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

