"""The mock H3-like survey: its true stars observed through the selection and error model.

`generate_survey(seed, config)` returns three tables:

* ``tiles``: one row per 1-deg tile (centre, radius, solid angle, limiting magnitude,
  rank windows, candidate counts and fibre sampling fractions);
* ``catalog``: every star that received a fibre, in the catalogue schema of conventions §2
  (bad fits and low-S/N spectra included, as in a real rcat file);
* ``truth``: the true component, origin, 6D phase space, absolute magnitude and chemistry
  of each catalogue star, keyed by ``star_id``.

The true stars come from the components (`survey_components`: smooth components sampled
along the tiles' lines of sight, satellites as Plummer spheres). Every star then goes
through the survey (conventions §3): observed parallax and the parallax cut, the rank
windows, the fibre sampling (fraction = fibres / candidates per tile and rank), the S/N
and fit-flag outcome, and the error model. The selection probabilities are those of
`halo_utils.survey`, which the density forward model integrates, so mock and likelihood
share one definition of the selection.
"""

from __future__ import annotations

import numpy as np
import astropy.units as u
from astropy.table import Table

from ..frames import galactocentric_to_icrs
from ..survey import (abundance_errors, astrometric_error, distance_modulus, median_rv_error, rank_windows,
                      snr_model)
from .components import survey_components
from .config import MockConfig
from .populations import dwarf_logg, giant_logg
from .tiles import LinesOfSight, make_tiles

__all__ = ["generate_survey"]


def _true_stars(tiles, config, rng) -> dict:
    """Every star of every component that could be targeted: a dict of arrays (component,
    satellite, origin, dwarf flag, tile row, RA/Dec, distance, M_r, 6D, chemistry)."""
    d_lo, d_hi, n_d = config.distance_grid
    los = LinesOfSight.through(tiles, np.geomspace(d_lo, d_hi, int(n_d)))
    sel = config.selection
    window = (min(sel.rank1_bright, sel.rank2_bright), config.r_lim_range[1])
    parts = [component.sample(los, window, rng) for component in survey_components(config)]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _true_logg(dwarf, abs_mag, rng):
    """True log g (dex): `giant_logg` for giants, `dwarf_logg` for dwarfs (one deviate per
    star, drawn for all)."""
    return np.where(dwarf, dwarf_logg(abs_mag, rng.standard_normal(abs_mag.size)), giant_logg(abs_mag))


def generate_survey(seed: int, config: MockConfig = MockConfig()):
    """Generate the mock survey.

    Parameters
    ----------
    seed : int
        Seed of the single `numpy.random.Generator` that makes every draw.
    config : MockConfig
        All the numbers of the mock.

    Returns
    -------
    tiles : astropy.table.Table
        `make_tiles` columns plus candidate counts ``n_cand_rank1``, ``n_cand_rank2`` and
        fibre sampling fractions ``f_rank1``, ``f_rank2``; the seed and GSE truth in
        ``meta``.
    catalog : astropy.table.Table
        Every star that received a fibre, in the catalogue schema (conventions §2), with
        ``survey = "H3"``.
    truth : astropy.table.Table
        Per ``star_id`` (same row order): ``component``, ``origin``, ``satellite``, true
        ``abs_mag`` (mag), ``distance`` (kpc), Galactocentric ``x y z`` (kpc) and
        ``vx vy vz`` (km/s), ``FeH``, ``aFe``, ``logg`` (dex).
    """
    rng = np.random.default_rng(seed)
    sel = config.selection
    tiles = make_tiles(config, rng)
    stars = _true_stars(tiles, config, rng)
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
    """Measured catalogue and truth table for the stars ``idx`` that got a fibre (the error
    model of conventions §3)."""
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
    dwarf = stars["dwarf"][idx]
    logg_true = _true_logg(dwarf, stars["abs_mag"][idx], rng)
    logg_err = np.where(dwarf, 0.08, 0.05)
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
    truth["origin"] = stars["origin"][idx]
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


