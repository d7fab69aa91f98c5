# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Sample construction
#
# Every result in this book rests on two samples of distant giants: the **halo sample** of
# Han et al. (2024, "Our Halo of Ice and Fire", S000), selected purely geometrically after
# removing cold substructures, and the **GSE sample** of Han et al. (2022, "Tilted and doubly
# broken", S001), selected by chemistry and orbital eccentricity. This chapter builds both from
# a survey catalogue, counting the stars removed at every step, and propagates the observational
# errors to Galactocentric velocities.
#
# By default the catalogue is the embedded **mock H3 survey** (see the introduction and
# `data/README.md`): every star carries its true origin, so we can measure how pure and complete
# each selection is, which we could never do on the real survey. Point `catalog_path` at a real
# H3 `rcat` file (and `truth_path = ""`) to run the same chapter on real data.

# %% tags=["parameters", "hide-input"]
catalog_path = "data/h3_mock_catalog.fits"  # survey catalogue (the schema of conventions §2)
tiles_path = "data/h3_mock_tiles.fits"  # tile table of the survey
truth_path = "data/h3_mock_truth.fits"  # mock truth keyed by star_id; "" for real data
generate_if_missing = True  # generate the default mock in data/ if absent (never for other paths)
mock_seed = 20240521  # seed of the default mock (used only when generating)
output_dir = "_build/outputs/01_sample_construction"
seed = 1  # seed of this chapter's Monte Carlo draws
n_mc = 200  # Monte Carlo draws per star for the velocity errors, at least 200
orbit_dt_myr = 1.0  # output step of the orbit integrations in Myr
orbit_integrator = "dopri853"  # "dopri853" (adaptive, accurate) or "leapfrog" (fast smoke runs)
orbit_duration_myr = 3000.0  # orbit integration length in Myr, at least 3000

# %% tags=["hide-input"]
import json

import numpy as np
import matplotlib.pyplot as plt

from halo_utils import cuts, mock, plotting
from halo_utils.catalog import match_truth, read_catalog, read_table
from halo_utils.cuts import GSE_RADIAL_RANGE_KPC
from halo_utils.dynamics import POTENTIAL_NAME
from halo_utils.frames import GALCEN_FRAME
from halo_utils.chapter import ChapterRun
from halo_utils.samples import build_samples
from halo_utils.survey import read_tiles

inputs = {"catalog_path": catalog_path, "tiles_path": tiles_path, "truth_path": truth_path}
# the default mock is generated only for the default paths in data/: a mistyped path is an error
mock.ensure_default_data(inputs, generate=generate_if_missing, seed=mock_seed)
# every file of this run goes to output_dir, atomically; summary.json, written last, marks it complete
run = ChapterRun("01_sample_construction", globals(), inputs=inputs)
out, rng = run.out, run.rng

# %% [markdown]
# ## The survey
#
# Reading the catalogue validates it against the schema (conventions §2): a missing column,
# a NaN, a non-positive distance error or an impossible declination stops the chapter here with
# a message naming the column. The tile table describes the selection: each 1-degree tile has a
# limiting magnitude, magnitude windows for its two target ranks, and the fraction of its
# candidates that received one of its 200 fibres.

# %%
catalog = read_catalog(catalog_path)
tiles = read_tiles(tiles_path)
truth = match_truth(catalog, read_table(truth_path, what="truth_path")) if truth_path else None
print(f"{len(catalog):,} stars in {len(tiles):,} tiles")
print(f"median rank-2 sampling fraction: {np.median(tiles['f_rank2']):.2f}")
plotting.plot_footprint(tiles, colour_by="f_rank2", label="rank-2 fibre sampling fraction", title="survey tiles")
out.savefig("footprint.png", dpi=120, bbox_inches="tight")
plt.show()

# %% [markdown]
# The tiles avoid the disc ($|b| < 20^\circ$) and the southern sky ($\delta < -20^\circ$). Towards
# the inner Galaxy, where candidates are dense, a tile's fibres reach only a small fraction of its
# rank-2 candidates (dark tiles); at high latitude nearly all of them are observed (yellow).

# %% [markdown]
# ## The cut flow
#
# We follow S000 section 2: good spectral fits (`FLAG == 0`, S/N > 3), giants (log g < 3.5),
# then remove Sagittarius members (within 25 deg of the Sgr plane *and* with Sgr-like angular
# momentum, L_y < -0.3 L_z - 2.5 in 10^3 kpc km/s), stars within 1 deg of the cold satellites,
# Aleph (low-alpha, metal-rich chemistry on prograde orbits with e < 0.3), and unbound stars
# (E >= 0 in gala's `MilkyWayPotential`). The halo is then defined *geometrically*, |Z| > 5 kpc
# and r > 10 kpc, so that no kinematic cut biases the velocity dispersions of chapter 2.
#
# The GSE sample of S001 shares the first four steps, then keeps accreted chemistry on
# eccentric orbits (e > 0.7) between 6 and 60 kpc, with no |Z| cut. Eccentricities come from
# 3 Gyr orbit integrations in gala's `MilkyWayPotential` with the adaptive DOPRI853 integrator:
# a fixed-step leapfrog loses energy on the most radial GSE orbits, which plunge through the
# nucleus (see `halo_utils.dynamics`).

# %%
result = build_samples(catalog, n_mc=n_mc, rng=rng, orbit_dt_myr=orbit_dt_myr,
                       orbit_duration_myr=orbit_duration_myr, orbit_integrator=orbit_integrator)
stars, halo, gse = result.stars, result.halo, result.gse
print("Halo sample (S000):")
result.halo_cut_flow.pprint(max_width=120)
print("\nGSE sample (S001):")
result.gse_cut_flow.pprint(max_width=120)

# %% [markdown]
# ## Chemistry
#
# In the [Fe/H]-[alpha/Fe] plane the giants fall into three clumps: metal-poor, low-alpha
# accreted stars (mostly GSE), the high-alpha in-situ sequence (thick disk and the in-situ halo
# it was heated into) and metal-rich low-alpha stars. Two lines separate them (conventions §5).

# %%
clean_giants = stars["is_good"] & stars["is_giant"] & ~stars["is_sgr"] & ~stars["is_satellite"]
plotting.plot_chemistry_plane(stars["FeH"][clean_giants], stars["aFe"][clean_giants], halo["FeH"], halo["aFe"],
                              halo["chem_class"])
out.savefig("chemistry_plane.png", dpi=120, bbox_inches="tight")
plt.show()
class_counts = {c: int(np.sum(halo["chem_class"] == c)) for c in cuts.CHEMISTRY_CLASSES}
accreted_fraction = class_counts["accreted"] / len(halo)
print(f"final halo sample: {len(halo):,} stars; by chemistry {class_counts}; "
      f"accreted fraction {accreted_fraction:.3f}")

# %% [markdown]
# ### How clean are the classes? (mock only)
#
# The mock knows where each star came from, so we can score the chemical classification.
# *Purity* is the fraction of stars given a label whose true origin matches it; *completeness*
# is the fraction of stars of that origin that received the label. The accreted class is
# scored against accreted truth (GSE, Sagittarius, satellites), both in-situ classes against
# in-situ truth (in-situ halo, thick disk, Aleph).

# %%
truth_scores = {}
if truth is not None:
    classes = {"accreted": {"accreted"}, "insitu_high_alpha": {"insitu"}, "insitu_low_alpha": {"insitu"}}
    halo_truth = truth[stars["in_halo_sample"]]
    truth_scores["halo_classes"] = cuts.class_purity_completeness(halo["chem_class"], halo_truth["origin"], classes)
    comp, n_comp = np.unique(np.asarray(halo_truth["component"]).astype(str), return_counts=True)
    truth_scores["halo_truth_components"] = dict(zip(comp.tolist(), n_comp.tolist()))
    truth_scores["halo_truth_accreted_fraction"] = float(np.mean(np.asarray(halo_truth["origin"]).astype(str) == "accreted"))
    gse_truth = np.asarray(truth["component"]).astype(str) == "gse"
    r_lo, r_hi = GSE_RADIAL_RANGE_KPC
    reachable = clean_giants & ~stars["is_unbound"] & (stars["r"] > r_lo) & (stars["r"] < r_hi) & gse_truth
    truth_scores["gse_sample_purity"] = float(np.mean(gse_truth[stars["in_gse_sample"]]))
    truth_scores["gse_sample_completeness"] = float(np.sum(stars["in_gse_sample"] & gse_truth) / np.sum(reachable))
    for label, s in truth_scores["halo_classes"].items():
        print(f"{label:18s} n = {s['n']:5d}  purity = {s['purity']:.3f}  completeness = {s['completeness']:.3f}")
    print("true components of the halo sample:", truth_scores["halo_truth_components"])
    print(f"GSE sample: purity {truth_scores['gse_sample_purity']:.3f}, completeness "
          f"{truth_scores['gse_sample_completeness']:.3f} (of true GSE giants at {r_lo:g} < r < {r_hi:g} kpc)")

# %% [markdown]
# The accreted class is very pure. The metal-rich low-alpha box is a different story in this
# mock: the halo has almost no thin-disk-like in-situ stars at |Z| > 5 kpc once Aleph is removed,
# so what lands there is mostly the metal-rich tail of GSE ([Fe/H] > -0.8). S000 merges the two
# in-situ boxes into one "in-situ" sample, and chapter 2 does the same; the numbers above say how
# much accreted light that sample carries.

# %% [markdown]
# ## Eccentricity and the GSE sample
#
# GSE stars were put on very radial orbits by the merger, so at fixed chemistry they pile up at
# high eccentricity (S001 fig 3). The e > 0.7 cut favours purity over completeness.

# %%
plotting.plot_eccentricity_feh(stars["FeH"][clean_giants], stars["ecc"][clean_giants],
                               stars["in_gse_sample"][clean_giants])
out.savefig("eccentricity_feh.png", dpi=120, bbox_inches="tight")
plt.show()
print(f"GSE sample: {len(gse):,} stars, median r = {np.median(gse['r']):.1f} kpc")

# %% [markdown]
# ## Galactocentric velocities and their errors
#
# Each star's distance, radial velocity and (correlated) proper motions are redrawn `n_mc`
# times from their errors and pushed through the Galactocentric transform (astropy's "v4.0"
# frame). Radial-velocity errors stay at a few km/s at all radii because the line of sight
# is nearly radial far from the Sun, while tangential errors grow linearly with distance, as
# a fixed proper-motion error times the distance (S000 fig 3, dashed line).

# %%
plotting.plot_velocity_errors(halo["r"], {k: halo[f"{k}_err"] for k in ("V_r", "V_theta", "V_phi")}, title="halo sample")
out.savefig("velocity_errors.png", dpi=120, bbox_inches="tight")
plt.show()
err_percentiles = {k: np.percentile(halo[f"{k}_err"], [16, 50, 84]).round(2).tolist()
                   for k in ("V_r", "V_theta", "V_phi")}
print("16/50/84 % velocity errors (km/s):", err_percentiles)

# %% [markdown]
# ## Outputs
#
# The two samples are written as FITS tables (catalogue columns plus Galactocentric quantities,
# errors, energy, eccentricity and chemistry class), together with the GSE sample before its
# eccentricity cut (chapter 3 measures the cut's completeness on it) and S001's parent sample
# (every clean, bound giant at 6 < r < 60 kpc, whatever its chemistry: chapter 3 fits the other
# rows of S001 table 1 to it); the cut flows as ECSV; the headline numbers,
# parameters, package versions and git revision to `summary.json`.

# %%
out.write_table(halo, "halo_sample.fits")
out.write_table(gse, "gse_sample.fits")
out.write_table(result.gse_parent, "gse_parent_sample.fits")
out.write_table(result.parent, "parent_sample.fits")
out.write_table(result.halo_cut_flow, "halo_cut_flow.ecsv")
out.write_table(result.gse_cut_flow, "gse_cut_flow.ecsv")
summary = {
    "chapter": "01_sample_construction",
    "n_catalogue": len(catalog),
    "n_halo": len(halo),
    "n_gse": len(gse),
    "n_parent": len(result.parent),
    "halo_cut_flow": [dict(zip(r.colnames, r.as_void().tolist())) for r in result.halo_cut_flow],
    "gse_cut_flow": [dict(zip(r.colnames, r.as_void().tolist())) for r in result.gse_cut_flow],
    "halo_chemistry_counts": class_counts,
    "halo_accreted_fraction": accreted_fraction,
    "velocity_error_percentiles_16_50_84": err_percentiles,
    "truth": truth_scores,
    "frame": str(GALCEN_FRAME),
    "potential": POTENTIAL_NAME,
}
run.finish(summary)
print(json.dumps({k: summary[k] for k in ("n_catalogue", "n_halo", "n_gse", "halo_accreted_fraction")}, indent=1))
