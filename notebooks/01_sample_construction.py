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
from halo_utils.chapter import ChapterRun, run_from_repository_root
from halo_utils.samples import build_samples
from halo_utils.survey import read_tiles

# opened in Jupyter (or Binder) from notebooks/, the kernel starts there; the paths above are
# relative to the repository root
run_from_repository_root()
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
# is nearly radial far from the Sun. The tangential errors have two parts: a fixed proper-motion
# error times the distance, which grows linearly with distance (the dashed line of S000 fig 3),
# and the distance error times the star's tangential speed, some 20-30 km/s at every distance for
# 8-20 % distance errors. In this mock the second part dominates inside ~50 kpc, so the
# tangential errors are large already near the Sun, change little inside ~30 kpc and rise only
# beyond (exercise {ref}`ch1-ex-error-budget` takes them apart).

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

# %% [markdown]
# ## Exercises
#
# Exercises that change a parameter rerun this chapter with papermill, into an output directory of
# their own (`-p output_dir _build/exercises/...`; see [Rerunning a
# chapter](../intro.md#rerunning-a-chapter) and the README's "Rerun one chapter"); the others add a
# cell at the end of this notebook after it has run, using its variables.

# %% [markdown]
# ````{exercise} Where the tangential-velocity errors come from
# :label: ch1-ex-error-budget
#
# A star at heliocentric distance $d$ (kpc) with proper motion $\mu$ (mas/yr) has a tangential
# velocity $v_t = 4.74\, d\, \mu$ km/s, so to first order its error has two independent parts:
# $4.74\, d\, \sigma_\mu$ from the proper motion and $4.74\, \mu\, \sigma_d = v_t\, \sigma_d / d$
# from the distance. For the halo sample, which of the two dominates, and how does each scale with
# distance? Does their sum in quadrature agree with the Monte Carlo errors of the chapter?
#
# *Hint:* the catalogue's proper motions are heliocentric, so they carry the reflex of the Sun's
# own ~250 km/s orbit. The sum of the three velocity variances does not depend on the axes, so
# compare the first-order total with `vx_err`, `vy_err`, `vz_err`.
# ````
#
# ````{solution} ch1-ex-error-budget
# :class: dropdown
#
# Add a cell at the end of the chapter:
#
# ```python
# k = 4.74047  # km/s per kpc mas/yr
# d, sd = np.asarray(halo["dist_adpt"]), np.asarray(halo["dist_adpt_err"])
# mu = np.hypot(halo["GAIAEDR3_PMRA"], halo["GAIAEDR3_PMDEC"])
# sigma_mu = np.hypot(halo["GAIAEDR3_PMRA_ERROR"], halo["GAIAEDR3_PMDEC_ERROR"])
# pm_term, dist_term = k * d * sigma_mu, k * mu * sd
# mc_tangential = np.hypot(halo["V_theta_err"], halo["V_phi_err"])
# for lo, hi in ((10, 20), (20, 30), (30, 50), (50, 100)):
#     sel = (d > lo) & (d < hi)
#     print(f"{lo}-{hi} kpc: {sel.sum():5d} stars, proper-motion term {np.median(pm_term[sel]):5.1f}, "
#           f"distance term {np.median(dist_term[sel]):5.1f}, Monte Carlo {np.median(mc_tangential[sel]):5.1f} km/s")
# first_order = np.sqrt(halo["Vrad_err"] ** 2 + pm_term ** 2 + dist_term ** 2)
# monte_carlo = np.sqrt(halo["vx_err"] ** 2 + halo["vy_err"] ** 2 + halo["vz_err"] ** 2)
# print("Monte Carlo / first order, 16/50/84 %:", np.percentile(monte_carlo / first_order, [16, 50, 84]).round(3))
# ```
#
# The distance term is the larger one inside a few tens of kpc, and it hardly changes with
# distance: $\mu \propto v_t / d$, so $4.74\,\mu\,\sigma_d = v_t\,(\sigma_d/d)$, a heliocentric
# tangential speed of a couple of hundred km/s (mostly the Sun's reflex) times the 8-20 %
# fractional distance error, i.e. some 20-30 km/s at every distance. The proper-motion term grows
# linearly with $d$ (a few km/s at 15 kpc) and catches up only beyond ~50 kpc. So in this mock the
# tangential errors, and with them the error of $\beta$ in chapter 2, are set by the distances more
# than by Gaia; the linear growth of S000 fig 3 is the proper-motion part alone. The median ratio
# of the Monte Carlo total to the first-order total is close to 1: the propagation is nearly
# linear, and the spread around 1 is mostly the Monte Carlo noise of each star's error
# ({ref}`ch1-ex-mc-noise`).
# ````

# %% [markdown]
# ````{exercise} The Monte Carlo noise of an error bar
# :label: ch1-ex-mc-noise
#
# Each star's velocity errors are standard deviations of `n_mc` Monte Carlo draws, so they are
# themselves uncertain. How uncertain is one star's `V_theta_err` at `n_mc = 50` and at the default
# 200? Does that noise matter for the sample-wide error percentiles the chapter prints, and where
# would it matter?
#
# *Hint:* the relative standard error of a standard deviation estimated from $n$ Gaussian draws is
# about $1/\sqrt{2(n-1)}$. Two runs that differ only in `seed` hold the same stars in the same
# order.
# ````
#
# ````{solution} ch1-ex-mc-noise
# :class: dropdown
#
# Run the chapter twice with different seeds at the same `n_mc` (the fast orbit settings of the ci
# profile keep each run short, and the two runs use the same ones, so they select the same stars):
#
# ```bash
# for s in 1 2; do
#   .venv/bin/papermill notebooks/01_sample_construction.ipynb /tmp/ch1_seed$s.ipynb \
#       -p n_mc 50 -p seed $s -p orbit_integrator leapfrog -p orbit_dt_myr 2.0 \
#       -p output_dir _build/exercises/ch1_nmc50_seed$s
# done
# ```
#
# then compare the two samples:
#
# ```python
# from astropy.table import Table
# a = Table.read("_build/exercises/ch1_nmc50_seed1/halo_sample.fits")
# b = Table.read("_build/exercises/ch1_nmc50_seed2/halo_sample.fits")
# ratio = np.asarray(a["V_theta_err"] / b["V_theta_err"])
# print("relative noise of one star's error:", np.std(np.log(ratio)) / np.sqrt(2))
# ```
#
# The difference of two independent runs has $\sqrt2$ times the noise of one, hence the division.
# Expect about $1/\sqrt{2 \times 49} \approx 0.10$ at `n_mc = 50`, and half that at 200 (rerun both
# with `-p n_mc 200`). The percentiles of `velocity_error_percentiles_16_50_84` in the two
# `summary.json` agree far better, because they pool thousands of stars. The noise matters where a
# single star's error is used alone: a star's weight or its outlier probability in a likelihood, or
# a dispersion map cell of ten stars whose error variance is subtracted (chapter 2's
# `deconvolve_errors`).
# ````

# %% [markdown]
# ````{exercise} What the eccentricity cut buys
# :label: ch1-ex-ecc-cut
#
# S001 keeps accreted-chemistry stars on orbits with $e > 0.7$, "favouring purity over
# completeness". With the mock's truth, measure the purity and completeness of the GSE sample for
# cuts from $e > 0.3$ to $e > 0.9$. What does the cut buy in this mock, what does it cost, and why
# does that cost matter for the density fit of chapter 3?
#
# *Hint:* `cuts.gse_mask` takes `ecc_min`; the masks `gse_truth` and `reachable` of the truth cell
# above (defined when `truth_path` is set) are the truth labels and the completeness denominator.
# ````
#
# ````{solution} ch1-ex-ecc-cut
# :class: dropdown
#
# ```python
# base = clean_giants & ~stars["is_unbound"]
# for e_min in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9):
#     sel = base & cuts.gse_mask(stars["chem_class"], stars["ecc"], stars["r"], ecc_min=e_min)
#     print(f"e > {e_min}: {sel.sum():5d} stars, purity {gse_truth[sel].mean():.3f}, "
#           f"completeness {np.sum(sel & gse_truth) / reachable.sum():.3f}")
# ```
#
# The purity hardly moves (above 99 % at every cut), while the completeness falls steeply: about
# 0.9 at $e > 0.3$, about 0.6 at the fiducial 0.7 and about 0.2 at 0.9. Once Sagittarius and the
# satellites are removed, the accreted chemistry at 6-60 kpc in this mock is almost all GSE, so the
# eccentricity cut buys no purity here; in the real halo it removes other accreted debris on less
# radial orbits (Sequoia, the Helmi streams), which the mock does not contain. Its cost is not only
# fewer stars: the fraction of GSE stars that pass depends on where they are, higher near the plane
# than far above it, which biases any density fit that ignores it. That is why chapter 3 models the
# cut's kinematic completeness (see {ref}`ch3-ex-completeness`).
# ````
