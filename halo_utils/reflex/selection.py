"""The outer-halo sample of the reflex fit (S004 section 2.3), with a count at every cut,
and the sky subsamples of S004 appendix B."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.stats import sigma_clipped_stats
from astropy.table import Table

from .. import cuts
from ..catalog import CatalogError, validate_catalog
from ..validation import check_array, check_bool, check_interval, check_real
from ..frames import icrs_to_galactocentric, spherical_components
from ..reference import sgr_latitude
from .sky import galactic_to_galactocentric_axes
from .stars import REFLEX_COLUMNS, observed_galactic

__all__ = ["SGR_CUTS", "galactic_velocities", "OuterHaloCuts", "select_outer_halo", "sky_subsamples"]


def galactic_velocities(table: Table, frame=None) -> Table:
    """Galactocentric and solar-reflex-corrected velocities of each star (observed distance).

    Columns: ``l``, ``b`` (deg), ``d``, ``x``, ``y``, ``z``, ``r`` (kpc), ``v_gsr``,
    ``v_l``, ``v_b`` (km/s: the Galactocentric velocity projected on the heliocentric
    n, e_l, e_b, i.e. the solar motion removed), ``V_r``, ``V_theta``, ``V_phi``
    (km/s) and ``L_x``, ``L_y``, ``L_z`` (kpc km/s), in the solar ``frame`` (any
    `~halo_utils.frames.solar_frame` spec; default astropy v4.0). ``table`` needs the
    `~halo_utils.reflex.REFLEX_COLUMNS` (checked, see `~halo_utils.catalog.validate_catalog`).
    """
    col, l, b, _, _, (n_gal, el_gal, eb_gal) = observed_galactic(table)
    d = col["dist_adpt"]
    pos, vel = icrs_to_galactocentric(col["RA"], col["DEC"], d, col["GAIAEDR3_PMRA"],
                                      col["GAIAEDR3_PMDEC"], col["Vrad"], frame)
    sph = spherical_components(pos, vel)
    basis = np.stack([n_gal, el_gal, eb_gal], axis=1) @ galactic_to_galactocentric_axes(frame).T
    uvec = np.einsum("nij,jn->ni", basis, vel)
    return Table({"star_id": np.asarray(table["star_id"]), "l": l, "b": b, "d": d,
                  "x": pos[0], "y": pos[1], "z": pos[2], "r": sph["r"],
                  "v_gsr": uvec[:, 0], "v_l": uvec[:, 1], "v_b": uvec[:, 2],
                  "V_r": sph["V_r"], "V_theta": sph["V_theta"], "V_phi": sph["V_phi"],
                  "L_x": sph["L_x"], "L_y": sph["L_y"], "L_z": sph["L_z"]})


#: How Sagittarius is removed (`OuterHaloCuts.sgr_cut`).
SGR_CUTS = ("angular_momentum", "sky", "none")


@dataclass(frozen=True)
class OuterHaloCuts:
    """The outer-halo selection of S004 section 2.3; every step can be switched off.

    ``clip_bins`` are the distance-bin edges (kpc) of the sigma clipping; stars outside
    them are not clipped. ``sgr_cut``:

    * ``"angular_momentum"`` (or True; S004's): stars within 25 deg of the Sgr plane with
      Sgr-like angular momentum (the cut of chapter 1). It selects on velocity, so it also
      removes halo stars whose velocities happen to be Sgr-like, and that kinematic
      selection biases the fitted apex (chapter 5 measures it over many mocks);
    * ``"sky"``: every star within ``sgr_sky_half_width`` deg of the Sgr plane, whatever its
      velocity: more stars lost, but no kinematic selection;
    * ``"none"`` (or False).

    Every field is checked on construction: ``r_range`` two increasing radii > 0 kpc,
    positive thresholds (``vrad_err_max`` km/s, ``frac_dist_err_max``, ``v_max`` km/s,
    ``clip_sigma``), ``sgr_sky_half_width`` in (0, 90] deg, ``clip_bins`` strictly
    increasing (>= 2 edges, kpc) and ``clip`` a bool; a misspelt field is refused by the
    constructor.
    """

    r_range: tuple = (40.0, 160.0)
    vrad_err_max: float = 15.0
    frac_dist_err_max: float = 0.25
    sgr_cut: str | bool = "angular_momentum"
    sgr_sky_half_width: float = 12.0
    v_max: float = 1000.0
    clip_sigma: float = 3.5
    clip_bins: tuple = (40.0, 60.0, 90.0, 120.0)
    clip: bool = True

    def __post_init__(self):
        if self.sgr_mode not in SGR_CUTS:
            raise ValueError(f"OuterHaloCuts.sgr_cut must be one of {SGR_CUTS} (or True/False), got {self.sgr_cut!r}")
        check_interval("OuterHaloCuts.r_range", self.r_range, low=0, unit="kpc")
        for name, unit in (("vrad_err_max", "km/s"), ("frac_dist_err_max", None), ("v_max", "km/s"),
                           ("clip_sigma", None)):
            check_real(f"OuterHaloCuts.{name}", getattr(self, name), low=0, low_open=True, unit=unit)
        check_real("OuterHaloCuts.sgr_sky_half_width", self.sgr_sky_half_width, low=0, high=90, low_open=True,
                   unit="deg")
        bins = check_array("OuterHaloCuts.clip_bins", self.clip_bins, ndim=1, min_size=2, low=0, unit="kpc")
        if np.any(np.diff(bins) <= 0):
            raise ValueError(f"OuterHaloCuts.clip_bins must be strictly increasing distance-bin edges (kpc), "
                             f"got {self.clip_bins}")
        check_bool("OuterHaloCuts.clip", self.clip)

    @property
    def sgr_mode(self) -> str:
        """``sgr_cut`` as one of `SGR_CUTS`."""
        if self.sgr_cut is True:
            return "angular_momentum"
        if self.sgr_cut is False or self.sgr_cut is None:
            return "none"
        return self.sgr_cut


def _clip_outliers(v, r, bins, n_sigma):
    """True for stars >= n_sigma from the sigma-clipped mean of any column of ``v`` in their bin."""
    out = np.zeros(len(r), bool)
    for lo, hi in zip(bins[:-1], bins[1:]):
        inb = (r >= lo) & (r < hi)
        if inb.sum() < 3:
            continue
        for comp in v:
            mean, _, std = sigma_clipped_stats(comp[inb], sigma=n_sigma)
            out[inb] |= np.abs(comp[inb] - mean) >= n_sigma * std
    return out


def select_outer_halo(table: Table, cuts_config: OuterHaloCuts = OuterHaloCuts(), frame=None):
    """Apply the outer-halo cuts in order; returns ``(mask, cut_flow_table)``.

    Steps: r_gal range; ``Vrad_err`` < 15 km/s; ``dist_adpt_err / dist_adpt`` < 0.25;
    Sgr members out (|B_Sgr| < 25 deg and L_y < -0.3 L_z - 2.5, 10^3 kpc km/s; or the
    band |B_Sgr| < 12 deg with ``sgr_cut="sky"``); radial or
    tangential Galactocentric speed > 1000 km/s out; 3.5 sigma clipping of v_gsr, v_l and
    v_b (solar motion removed) in distance bins. Counts of every step are in the table.
    Needs only the `~halo_utils.reflex.REFLEX_COLUMNS`; ``frame`` is the solar frame.

    Raises
    ------
    CatalogError
        The table breaks the schema (see `~halo_utils.catalog.validate_catalog`).
    ValueError
        No star survives: the message names the cut that removed the last stars and lists
        the cut flow.
    TypeError
        ``cuts_config`` is not an `OuterHaloCuts`.
    """
    if not isinstance(cuts_config, OuterHaloCuts):
        raise TypeError(f"cuts_config must be an OuterHaloCuts, got {type(cuts_config).__name__}")
    cfg = cuts_config
    table = validate_catalog(table, required=REFLEX_COLUMNS)
    gv = galactic_velocities(table, frame)
    flow = cuts.CutFlow(len(table))
    r = np.asarray(gv["r"])
    flow.keep(f"{cfg.r_range[0]:g} < r_gal < {cfg.r_range[1]:g} kpc", (r > cfg.r_range[0]) & (r < cfg.r_range[1]))
    flow.keep(f"Vrad_err < {cfg.vrad_err_max:g} km/s", np.asarray(table["Vrad_err"]) < cfg.vrad_err_max)
    frac = np.asarray(table["dist_adpt_err"]) / np.asarray(table["dist_adpt"])
    flow.keep(f"dist_err/dist < {cfg.frac_dist_err_max:g}", frac < cfg.frac_dist_err_max)
    if cfg.sgr_mode == "angular_momentum":
        flow.remove("Sgr members", cuts.sgr_member_mask(table["RA"], table["DEC"], gv["L_y"], gv["L_z"]))
    elif cfg.sgr_mode == "sky":
        _, beta = sgr_latitude(table["RA"], table["DEC"])
        flow.remove(f"|B_Sgr| < {cfg.sgr_sky_half_width:g} deg", np.abs(beta) < cfg.sgr_sky_half_width)
    v_tan = np.hypot(gv["V_theta"], gv["V_phi"])
    flow.remove(f"|v_r| or v_tan > {cfg.v_max:g} km/s",
                (np.abs(gv["V_r"]) > cfg.v_max) | (v_tan > cfg.v_max))
    if cfg.clip:
        m = flow.mask
        bad = np.zeros(len(table), bool)
        v = [np.asarray(gv[c])[m] for c in ("v_gsr", "v_l", "v_b")]
        bad[m] = _clip_outliers(v, r[m], np.asarray(cfg.clip_bins, float), cfg.clip_sigma)
        flow.remove(f"{cfg.clip_sigma:g} sigma velocity outliers", bad)
    flow.require_stars("the outer-halo sample")
    return flow.mask, flow.table()


def sky_subsamples(table: Table, survey_column: str = "survey") -> dict:
    """The subsamples of S004 appendix B as boolean masks: ``"all"``, ``"north"`` (dec > -20
    deg, what a northern telescope observes) and, when ``table`` has a ``survey`` column,
    ``"SEGUE"`` (the SEGUE-only sample of PP21; ``survey_column`` must then hold strings)."""
    if not isinstance(table, Table):
        raise CatalogError(f"expected an astropy Table, got {type(table).__name__}")
    if not isinstance(survey_column, str):
        raise TypeError(f"survey_column must be a column name, got {survey_column!r}")
    if "DEC" not in table.colnames:
        raise CatalogError("column 'DEC' is required for the sky subsamples")
    dec = np.asarray(validate_catalog(table, required=("DEC",))["DEC"], float)
    out = {"all": np.ones(len(table), bool), "north": dec > -20.0}
    if survey_column in table.colnames:
        survey = np.asarray(table[survey_column])
        if survey.dtype.kind not in "US":
            raise CatalogError(f"column {survey_column!r} has dtype {survey.dtype}, expected survey names (str)")
        out["SEGUE"] = survey.astype(str) == "SEGUE"
    return out
