"""The chapter-1 sample construction: catalogue -> halo sample and GSE sample (conventions §5).

`build_samples` strings together the cuts of `halo_utils.cuts`, the frame transforms of
`halo_utils.frames` and the orbits of `halo_utils.dynamics`, and returns every
intermediate quantity so that chapters and tests can inspect each step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table, hstack

from . import cuts
from .catalog import CatalogError, match_truth, validate_catalog
from .validation import check_choice, check_generator, check_integer, check_interval, check_real, check_table
from .dynamics import INTEGRATORS, energy, orbit_extent
from .frames import GALCEN_COLUMNS, galactocentric, galactic_lb
from .cuts import GSE_RADIAL_RANGE_KPC, SATELLITE_RADIUS_DEG
from .survey import SNR_LIMIT

__all__ = ["SampleResult", "build_samples", "S001_VARIANT_SAMPLES", "s001_variant_samples", "selectable_component_mask",
           "true_component_positions"]


@dataclass
class SampleResult:
    """Output of `build_samples`.

    Attributes
    ----------
    stars : Table
        Every catalogue star with its Galactocentric quantities, energy ``E``
        ((km/s)^2), ``ecc``/``r_peri``/``r_apo`` (NaN where not integrated), chemistry
        ``chem_class`` and one boolean column per cut (``is_*``).
    halo_cut_flow, gse_cut_flow : Table
        Counts at every step of the two selections.
    halo, gse : Table
        The final samples, with Monte Carlo errors on positions and velocities.
    gse_parent : Table
        The GSE sample before its eccentricity cut (accreted chemistry, bound, in the
        radial range); its pass/fail flag ``is_gse`` measures the kinematic completeness
        that the density model of chapter 3 needs.
    parent : Table
        S001's parent sample: every clean, bound giant in the GSE radial range, whatever its
        chemistry or orbit (the other rows of S001 table 1 and its |Z|-selected sample are cut
        from it).
    """

    stars: Table
    halo_cut_flow: Table
    gse_cut_flow: Table
    halo: Table
    gse: Table
    gse_parent: Table
    parent: Table


def build_samples(catalog: Table, *, n_mc: int = 200, rng=None,
                  orbit_dt_myr: float = 1.0, orbit_duration_myr: float = 3000.0,
                  orbit_integrator: str = "dopri853", config: cuts.CutConfig = cuts.CutConfig()) -> SampleResult:
    """Apply the S000 halo cut flow and the S001 GSE selection to a catalogue.

    Halo sample (S000): good fits -> giants -> Sgr out -> satellites out -> Aleph out ->
    unbound out -> |Z| > 5 kpc and r > 10 kpc. GSE sample (S001): good fits -> giants ->
    Sgr out -> satellites out -> accreted chemistry, e > 0.7, 6 < r < 60 kpc (no |Z| cut).
    Orbits are integrated for the bound giants that survive the Sgr and satellite cuts
    (the only stars whose eccentricity any cut uses).

    Parameters
    ----------
    catalog : Table
        Catalogue in the schema of conventions §2 (checked with
        `~halo_utils.catalog.validate_catalog`, which converts columns with units to the
        schema units).
    n_mc : int
        Monte Carlo draws per star for the velocity errors of the final samples (>= 0;
        0: no errors).
    rng : numpy.random.Generator
        Source of the Monte Carlo draws.
    orbit_dt_myr, orbit_duration_myr : float
        Output step (> 0) and length (>= 3000) of the orbit integrations (Myr).
    orbit_integrator : {"dopri853", "leapfrog"}
        Integrator of `halo_utils.dynamics.orbit_extent`.
    config : CutConfig
        Cut thresholds.

    Raises
    ------
    CatalogError
        The catalogue breaks the schema, or has no stars.
    ValueError
        The halo or the GSE sample is empty: the message names the cut that removed the
        last stars and lists the cut flow. Also for a bad setting (named).
    TypeError
        A setting of the wrong type (named).
    """
    check_generator("rng", rng)
    n_mc = check_integer("n_mc", n_mc, low=0)
    check_real("orbit_dt_myr", orbit_dt_myr, low=0, low_open=True, unit="Myr")
    check_real("orbit_duration_myr", orbit_duration_myr, low=3000.0, unit="Myr", why="at least 3 Gyr, conventions §5")
    check_choice("orbit_integrator", orbit_integrator, INTEGRATORS)
    if not isinstance(config, cuts.CutConfig):
        raise TypeError(f"config must be a halo_utils.cuts.CutConfig, got {type(config).__name__}")
    catalog = validate_catalog(catalog)
    if len(catalog) == 0:
        raise CatalogError("catalog has no stars")
    gc = galactocentric(catalog, n_mc=0)
    pos = np.stack([gc["x"], gc["y"], gc["z"]])
    vel = np.stack([gc["vx"], gc["vy"], gc["vz"]])
    stars = hstack([catalog, gc[[c for c in gc.colnames if c != "star_id"]]], join_type="exact")
    stars["l"], stars["b"] = galactic_lb(catalog["RA"], catalog["DEC"])
    stars["E"] = energy(pos, vel)
    stars["chem_class"] = cuts.chemistry_class(catalog["FeH"], catalog["aFe"], config.alpha_slope,
                                               config.alpha_intercept, config.feh_split)

    stars["is_good"] = cuts.quality_mask(catalog["FLAG"], catalog["SNR"], config.snr_min)
    stars["is_giant"] = cuts.giant_mask(catalog["logg"], config.logg_max)
    stars["is_sgr"] = cuts.sgr_member_mask(catalog["RA"], catalog["DEC"], gc["L_y"], gc["L_z"],
                                           config.sgr_b_max, config.sgr_ly_slope, config.sgr_ly_offset)
    stars["is_satellite"] = cuts.satellite_mask(catalog["RA"], catalog["DEC"], config.satellite_radius_deg)
    stars["is_unbound"] = cuts.unbound_mask(stars["E"])

    clean_giants = (stars["is_good"] & stars["is_giant"] & ~stars["is_sgr"] & ~stars["is_satellite"])
    need_orbit = np.flatnonzero(clean_giants & ~stars["is_unbound"])
    for name in ("r_peri", "r_apo", "ecc"):
        stars[name] = np.full(len(stars), np.nan)
    peri, apo, ecc = orbit_extent(pos[:, need_orbit], vel[:, need_orbit], dt_myr=orbit_dt_myr,
                                  duration_myr=orbit_duration_myr, integrator=orbit_integrator)
    stars["r_peri"][need_orbit], stars["r_apo"][need_orbit], stars["ecc"][need_orbit] = peri, apo, ecc

    stars["is_aleph"] = cuts.aleph_mask(stars["chem_class"], gc["L_z"], stars["ecc"], config.aleph_ecc_max)
    stars["is_geometric_halo"] = cuts.geometric_halo_mask(gc["z"], gc["r"], config.halo_z_min, config.halo_r_min)
    stars["is_gse"] = cuts.gse_mask(stars["chem_class"], stars["ecc"], gc["r"], config.gse_ecc_min,
                                    config.gse_r_range)

    halo_flow = _common_flow(stars, config)
    halo_flow.remove("Aleph out (low-alpha, prograde, e < 0.3)", stars["is_aleph"])
    halo_flow.remove("unbound out (E >= 0)", stars["is_unbound"])
    halo_mask = halo_flow.keep(f"|Z| > {config.halo_z_min:g} kpc and r > {config.halo_r_min:g} kpc",
                               stars["is_geometric_halo"])
    gse_flow = _common_flow(stars, config)
    gse_flow.remove("unbound out (E >= 0)", stars["is_unbound"])
    gse_flow.keep("accreted chemistry", stars["chem_class"] == "accreted")
    gse_mask = gse_flow.keep(
        f"e > {config.gse_ecc_min:g} and {config.gse_r_range[0]:g} < r < {config.gse_r_range[1]:g} kpc",
        stars["is_gse"])
    halo_flow.require_stars("the halo sample")
    gse_flow.require_stars("the GSE sample")
    stars["in_halo_sample"], stars["in_gse_sample"] = halo_mask, gse_mask
    r_lo, r_hi = config.gse_r_range
    parent = _common_flow(stars, config).mask & ~stars["is_unbound"] & (stars["r"] > r_lo) & (stars["r"] < r_hi)
    before_ecc_cut = parent & (stars["chem_class"] == "accreted")

    return SampleResult(stars=stars, halo_cut_flow=halo_flow.table(), gse_cut_flow=gse_flow.table(),
                        halo=_with_errors(stars[halo_mask], catalog[halo_mask], n_mc, rng),
                        gse=_with_errors(stars[gse_mask], catalog[gse_mask], n_mc, rng),
                        gse_parent=stars[before_ecc_cut], parent=stars[parent])


def _common_flow(stars, config):
    flow = cuts.CutFlow(len(stars))
    flow.keep(f"good fits (FLAG == 0, SNR > {config.snr_min:g})", stars["is_good"])
    flow.keep(f"giants (logg < {config.logg_max:g})", stars["is_giant"])
    flow.remove("Sagittarius members out", stars["is_sgr"])
    flow.remove("cold satellites out", stars["is_satellite"])
    return flow


def _with_errors(sample, catalog_rows, n_mc, rng):
    """Attach Monte Carlo errors of the Galactocentric quantities to a sample."""
    if n_mc == 0:
        return sample
    gc = galactocentric(catalog_rows, n_mc=n_mc, rng=rng)
    for name in GALCEN_COLUMNS:
        sample[f"{name}_err"] = gc[f"{name}_err"]
    return sample


#: The samples of S001 table 1 and figure 10 besides the fiducial GSE sample, as
#: ``{name: description}`` (`s001_variant_samples` cuts them from the parent sample).
S001_VARIANT_SAMPLES = {
    "gse_relaxed_ecc": "GSE with the relaxed eccentricity cut (accreted chemistry, e > ecc_min)",
    "parent": "the whole parent sample (every clean, bound giant; no chemistry or orbit cut)",
    "height": "the parent sample above the plane only (|Z| > z_min), S001 figure 10's geometric halo",
}


def s001_variant_samples(parent: Table, *, ecc_min: float = 0.5, z_min: float = 5.0) -> dict:
    """The samples of S001 table 1 (relaxed eccentricity, parent) and figure 10 (|Z|-selected).

    Parameters
    ----------
    parent : Table
        S001's parent sample (`SampleResult.parent`: ``chem_class``, ``ecc``, ``z`` in kpc).
    ecc_min : float
        Eccentricity cut of the relaxed GSE sample (S001 relaxes e > 0.7 to e > 0.5).
    z_min : float
        Smallest |Z| of the height-selected sample, kpc.

    Returns
    -------
    dict
        ``{name: boolean mask over parent}`` for the names of `S001_VARIANT_SAMPLES`.
    """
    ecc_min = check_real("ecc_min", ecc_min, low=0, high=1)
    z_min = check_real("z_min", z_min, low=0)
    missing = [c for c in ("chem_class", "ecc", "z") if c not in parent.colnames]
    if missing:
        raise ValueError(f"parent sample lacks column(s) {missing}: pass SampleResult.parent (parent_sample.fits)")
    accreted = np.asarray(parent["chem_class"]).astype(str) == "accreted"
    ecc = np.nan_to_num(np.asarray(parent["ecc"], float), nan=-1.0)
    return {"gse_relaxed_ecc": accreted & (ecc > ecc_min), "parent": np.ones(len(parent), bool),
            "height": np.abs(np.asarray(parent["z"], float)) > z_min}


def selectable_component_mask(catalog: Table, truth: Table, component: str = "gse", *,
                              satellite_radius_deg: float = SATELLITE_RADIUS_DEG) -> np.ndarray:
    """Catalogue rows of one mock component that the survey selection function describes.

    True for stars of ``component`` (truth column ``component``, matched by ``star_id``)
    that pass the catalogue-level selection of `halo_utils.survey` (``FLAG == 0``,
    ``SNR > 3``) and lie outside the satellite fields (radius as in `SelectionGrid.from_tiles`,
    deg, in [0, 180]). ``component`` must be one of the truth table's components.
    """
    check_table("catalog", catalog, ("star_id", "FLAG", "SNR", "RA", "DEC"))
    satellite_radius_deg = check_real("satellite_radius_deg", satellite_radius_deg, low=0, high=180, unit="deg")
    comp = np.char.strip(np.asarray(_truth_rows(catalog, truth)["component"]).astype(str))
    known = np.unique(np.char.strip(np.asarray(truth["component"]).astype(str)))
    if not isinstance(component, str) or component not in known:
        raise ValueError(f"component must be one of the truth components {list(known)}, got {component!r}")
    return ((comp == component) & (np.asarray(catalog["FLAG"]) == 0) & (np.asarray(catalog["SNR"]) > SNR_LIMIT)
            & ~cuts.satellite_mask(catalog["RA"], catalog["DEC"], satellite_radius_deg))


def true_component_positions(catalog: Table, truth: Table, component: str = "gse", *,
                             r_range=GSE_RADIAL_RANGE_KPC,
                             satellite_radius_deg: float = SATELLITE_RADIUS_DEG, exclude=None) -> np.ndarray:
    """True Galactocentric positions (kpc, shape (3, N)) of one mock component's giants
    as the survey selection function sees them.

    The stars of `selectable_component_mask` with a *true* Galactocentric radius in
    ``r_range``. These are the stars the density forward model describes exactly (no
    distance errors, no chemistry or kinematic selection): fitting them separates what one
    random draw of the mock does from what the analysis does.

    Parameters
    ----------
    catalog, truth : Table
        The mock's catalogue and truth tables (matched by ``star_id``).
    component : str
        Truth component name, e.g. ``"gse"``.
    r_range : (float, float)
        Galactocentric radius range (kpc; two increasing radii >= 0).
    satellite_radius_deg : float
        Radius of the excluded satellite fields (deg).
    exclude : array_like of bool, optional
        Catalogue rows to leave out besides, one flag per row (e.g. ``stars["is_sgr"]`` of
        `build_samples`: what one cut of the analysis alone does to the fit).
    """
    r_lo, r_hi = check_interval("r_range", r_range, low=0, unit="kpc")
    keep = selectable_component_mask(catalog, truth, component, satellite_radius_deg=satellite_radius_deg)
    if exclude is not None:
        exclude = np.asarray(exclude)
        if exclude.dtype != bool or exclude.shape != (len(catalog),):
            raise ValueError(f"exclude must hold one boolean per catalogue row ({len(catalog)}), got dtype "
                             f"{exclude.dtype} and shape {exclude.shape}")
        keep &= ~exclude
    rows = _truth_rows(catalog, truth)
    pos = np.stack([np.asarray(rows[c], float) for c in "xyz"])
    r = np.linalg.norm(pos, axis=0)
    return pos[:, keep & (r > r_lo) & (r < r_hi)]


def _truth_rows(catalog: Table, truth: Table) -> Table:
    """The truth rows of the catalogue's stars, in catalogue order."""
    check_table("truth table", truth, ("star_id", "component", "x", "y", "z"), min_rows=1)
    return match_truth(catalog, truth)
