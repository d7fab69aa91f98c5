"""The all-sky outer-halo mock of the reflex chapter (H3-, SEGUE- and MagE-like giants).

Giants at 40-160 kpc whose velocities follow the reflex model of conventions §11 with the
S004 values (`REFLEX_TRUTH`), observed with each survey's errors and zero points, and as
messy as a real catalogue (`OuterHaloConfig`): hot outliers, wrong distances, bad errors
and Sagittarius debris. Positions avoid the Magellanic Clouds
(`halo_utils.reference.MAGELLANIC_CLOUDS_LB`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import astropy.units as u
import astropy.coordinates as coord
from astropy.table import Table
from gala.coordinates import SagittariusLaw10

from ..frames import (frame_vectors, galactic_lb, galactocentric_to_icrs, icrs_to_galactocentric,
                      spherical_to_cartesian_velocity)
from ..reference import MAGELLANIC_CLOUDS_LB
from ..reflex import ReflexModel, galactic_to_ms
from ..reflex.sky import MS_TO_GAL, galactic_basis, galactic_to_galactocentric_axes, unit_vector
from ..survey import distance_modulus
from .config import DEFAULT_SEED
from .kinematics import angular_momentum_velocities, scattered_angular_momenta

__all__ = ["REFLEX_TRUTH", "PM_ERROR_RANGES", "OuterHaloConfig", "default_outer_surveys", "reflex_velocities",
           "generate_outer_halo", "outer_footprint",
           "reflex_truth_vector", "constant_reflex_truth"]


#: Truth of the outer-halo mock (S004 tables 1-2): values at 40 and 120 kpc, linear in r
#: (dispersions linear in ln sigma); the apex is fixed in Galactic (l, b), deg.
REFLEX_TRUTH = {
    "r_nodes": (40.0, 120.0),
    "v_travel": (6.0, 47.0), "l_apex": -80.0, "b_apex": -59.0,
    "vr_mean": (-8.0, -25.0), "vphi_mean": (14.0, -14.0), "vtheta_mean": (-1.0, -3.0),
    "sigma_los": (106.0, 69.0), "sigma_l": (78.0, 20.0), "sigma_b": (56.0, 33.0),
}


def default_outer_surveys():
    """Per-survey numbers of the outer-halo mock (`OuterHaloConfig.surveys`).

    ``n``: halo stars generated; ``r_range`` (kpc) and ``r_slope``: dN/dr ~ r^slope;
    ``vrad_err`` (km/s) and ``frac_dist_err``: uniform ranges of the errors;
    ``dist_scale``, ``rv_offset`` (km/s): the survey's zero points relative to H3 (S004
    section 2: MagE distances ~5 % long, MagE RVs ~3 km/s off).
    """
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
    """Configuration of the all-sky outer-halo mock (the defaults make the default mock).

    ``surveys`` holds the per-survey numbers (`default_outer_surveys`), ``truth`` the
    reflex truth (`REFLEX_TRUTH`). The mock is as messy as real data:

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
    * ``n_sgr``: Sagittarius debris within 10 deg of the Sgr plane at ``sgr_d_range``
      (heliocentric, kpc) with angular momentum ``sgr_L`` (kpc km/s) and fractional
      scatter ``sgr_L_scatter``;
    * ``lmc_avoid_deg``: no halo star within this angle (deg) of the LMC and SMC.

    Raises
    ------
    ValueError
        For fractions outside [0, 1), a ``wrong_distance_factor`` not (lo, hi) with
        1 <= lo <= hi, or an unknown ``pm_errors``.
    """

    surveys: dict = field(default_factory=default_outer_surveys)
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
    SDSS-like: b > 30, dec > -5), MagE (dec < -20, |b| > 20); all angles in deg.

    Raises
    ------
    ValueError
        For a survey other than ``"H3"``, ``"SEGUE"``, ``"MagE"``.
    """
    ra, dec, l, b = (np.asarray(a, float) for a in (ra, dec, l, b))
    if survey == "H3":
        return (dec > -20) & (np.abs(b) > 20)
    if survey == "SEGUE":
        return (b > 30) & (dec > -5)
    if survey == "MagE":
        return (dec < -20) & (np.abs(b) > 20)
    raise ValueError(f"unknown outer-halo survey {survey!r} (expected H3, SEGUE or MagE)")


def _outer_positions(n, r_range, slope, survey, cfg, rng):
    """Galactocentric positions (3, n), kpc, with dN/dr ~ r^slope in ``r_range`` (kpc),
    isotropic, inside the survey's footprint and away from the Magellanic Clouds."""
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


def reflex_velocities(pos, truth, rng, scale=1.0):
    """Velocities (3, n), km/s, drawn from the reflex model of ``truth`` at ``pos`` (3, n), kpc:
    the mean field plus Gaussian dispersions (times ``scale``) along the line of sight and
    the Galactic unit vectors e_l, e_b (conventions §11)."""
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
    """Sagittarius debris in the outer-halo footprints: Galactocentric positions (3, n),
    kpc, and velocities (3, n), km/s."""
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
    L = scattered_angular_momenta(cfg.sgr_L, cfg.sgr_L_scatter, idx.size, rng)
    # coherent tangential motion from L plus a radial velocity that changes sign along the
    # stream (infalling leading arm, receding trailing arm): a dipole-like v_GSR pattern
    v_r = 80.0 * np.sin(np.deg2rad(lam[idx])) + 20.0 * rng.standard_normal(idx.size)
    return pos, angular_momentum_velocities(L, pos, v_r)


def _wrong_distances(pos, cfg, rng):
    """Make stars nearer than their catalogue position: returns (true pos (3, n) kpc,
    velocity (3, n) km/s, factor).

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
        vel = reflex_velocities(pos, cfg.truth, rng)
        parts.append(_imperfect_part(name, pos, vel, outlier, cfg, rng))
    return _observe_outer(parts + _sgr_parts(cfg, rng), cfg, rng)


def _imperfect_part(name, pos, vel, outlier, cfg, rng):
    """One survey's halo stars with what real catalogues add: the ``outlier`` stars get 4x the
    dispersions of the reflex model of ``cfg.truth``, a fraction ``cfg.f_wrong_distance`` of the
    others a catalogue distance several times too large (`_wrong_distances`). Returns the part
    (survey, pos, vel, component, distance factor) for `_observe_outer`; ``pos`` and ``vel`` are
    changed in place."""
    n = pos.shape[1]
    vel[:, outlier] = reflex_velocities(pos[:, outlier], cfg.truth, rng, scale=4.0)
    comp = np.where(outlier, "outlier", "halo").astype("U14")
    factor = np.ones(n)
    wrong = (rng.uniform(size=n) < cfg.f_wrong_distance) & ~outlier
    pos[:, wrong], vel[:, wrong], factor[wrong] = _wrong_distances(pos[:, wrong], cfg, rng)
    comp[wrong] = "wrong_distance"
    return name, pos, vel, comp, factor


def _sgr_parts(cfg, rng):
    """The Sagittarius debris as (survey, pos, vel, component, distance factor) parts, one per
    survey: MagE in the south, 40 % of the northern SDSS-like footprint to SEGUE, the rest H3."""
    spos, svel = _sgr_debris(cfg, rng)
    obs = galactocentric_to_icrs(spos, svel)
    l, b = galactic_lb(obs["ra"], obs["dec"])
    sgr_survey = np.where(obs["dec"] < -20, "MagE", np.where((b > 30) & (obs["dec"] > -5)
                                                                 & (rng.uniform(size=l.size) < 0.4), "SEGUE", "H3"))
    parts = []
    for name in ("H3", "SEGUE", "MagE"):
        sel = sgr_survey == name
        parts.append((name, spos[:, sel], svel[:, sel], np.full(sel.sum(), "sgr"), np.ones(sel.sum())))
    return parts


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


