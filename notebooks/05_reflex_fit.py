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
# # 5. The reflex response of the outer halo to the LMC
#
# The Large Magellanic Cloud is massive enough (~10-20 % of the Milky Way) that the inner
# Galaxy is pulled towards it. Stars in the outer halo, with orbital times of gigayears,
# cannot follow in time, so *relative to the outer halo* the inner Galaxy - and the Sun with it -
# has a **travel velocity** $\mathbf v_{\rm travel}$. Seen from the Sun, distant halo stars
# show the opposite, *reflex* motion: a dipole in their radial velocities and a coherent
# drift in their proper motions, growing with distance (Petersen & Penarrubia 2021, PP21;
# Chandra et al. 2024, S004).
#
# This chapter reproduces S004 on an all-sky mock of H3-, SEGUE- and MagE-like giants at
# 40-160 kpc whose halo velocities are drawn from the S004 model with the values of S004
# tables 1-2 (`halo_utils.mock.REFLEX_TRUTH`), and which is as messy as a real catalogue:
# Sagittarius debris, hot outliers, stars with bad errors, **1.5 % of stars whose catalogue
# distance is 2-10 times too large** (misclassified dwarfs, wrong-branch giants), the
# survey zero points S004 section 2 reports (MagE distances 5 % long, MagE RVs 3 km/s off)
# and Gaia-like proper-motion errors. The model (`halo_utils.reflex`): at a star's
# Galactocentric position the mean velocity is
#
# $$\langle\mathbf v\rangle = -v_{\rm travel}\,\hat{\mathbf n}_{\rm apex}
#   + \langle v_r\rangle\hat{\mathbf e}_r + \langle v_\theta\rangle\hat{\mathbf e}_\theta
#   + \langle v_\phi\rangle\hat{\mathbf e}_\phi ,$$
#
# projected (minus the solar motion) on the star's line of sight and Galactic $(\ell, b)$ axes
# to predict $v_{\rm los}$ and $(\mu_{\ell*}, \mu_b)$, with intrinsic dispersions
# $\sigma_{\rm los}, \sigma_\ell, \sigma_b$ added to the measurement covariance. In the
# *continuity model* every parameter is linear in $r_{\rm gal}$ between its values at 40
# and 120 kpc (18 parameters); the *constant model* has 9.
#
# Three things go beyond S004, because real catalogues need them:
#
# * **An outlier mixture** (on by default): each star is a halo star with probability
#   $1 - f_{\rm out}$ or belongs to a broad outlier component (an isotropic Gaussian of
#   500 km/s in Galactocentric velocity, evaluated at the star's possible distances), with
#   $f_{\rm out} \sim U(0, 0.2)$ fitted. Every star gets a probability of being an outlier.
# * **A distance prior** inside each star's distance marginalisation: the true distance is
#   weighted by the volume and a power-law tracer density, $d^2 \nu(r) \propto d^2 r^{-3.5}$,
#   and the catalogue distance is taken as mean-unbiased (log-normal).
# * **The solar frame as a parameter** (default astropy v4.0).
#
# A second mock sits beside it in `data/` (`make data`): `simulated_outer_halo_catalog.fits`
# and its truth, the same surveys, errors and imperfections with every halo star a particle of
# the Milky Way + LMC simulation of chapter 6 (LMC of $1.8\times10^{11}\,M_\odot$), a reflex
# the fitted model did not draw. Set `catalog_path` and `truth_path` to it to run this chapter
# on it: the per-star checks (which stars are outliers) stay, the comparisons with a true
# parameter vector are skipped, since its truth is the simulation (chapter 6 compares the
# fit with it).
#
# The catalogue needs only twelve columns: `star_id`, `RA`, `DEC`, `dist_adpt`,
# `dist_adpt_err`, `Vrad`, `Vrad_err`, the two proper motions, their errors and their
# correlation (`halo_utils.reflex.REFLEX_COLUMNS`); a `survey` column is optional. FITS, ECSV
# and CSV files all load.

# %% tags=["parameters", "hide-input"]
catalog_path = "data/outer_halo_catalog.fits"  # outer-halo catalogue (FITS, ECSV or CSV; the 12 reflex columns)
truth_path = "data/outer_halo_truth.fits"  # mock truth keyed by star_id; "" for real data
generate_if_missing = True  # write the default outer-halo mock if the files are absent
mock_seed = 20240521  # seed of the default mock (used only when generating)
output_dir = "_build/outputs/05_reflex_fit"
seed = 5  # seed of the samplers, bootstraps and coverage mocks
r_min = 40.0  # fitted range of Galactocentric radius (kpc, S004: 40-120)
r_max = 120.0
r_max_maps = 160.0  # outer radius of the sample shown in the data maps (kpc)
sgr_cut = "angular_momentum"  # Sagittarius removal: "angular_momentum" (S004), "sky" (|B_Sgr| < 12 deg) or "none"
sigma_clip = False  # S004's binned 3.5-sigma pre-fit clipping (off: the outlier mixture handles outliers)
model = "linear"  # main fit: "linear" (continuity, 18 parameters) or "constant" (9)
outlier_mixture = True  # fit the outlier fraction f_out with a broad outlier component
outlier_sigma = 500.0  # dispersion of the outlier component (km/s)
f_out_max = 0.2  # upper edge of the uniform prior of f_out
distance_term = "marginal"  # distance errors: "marginal", "model", "observed" or "none"
n_distance_nodes = 5  # Gauss-Hermite nodes of the distance marginalisation
distance_prior_slope = 3.5  # tracer density nu ∝ r^-slope in the distance prior
distance_prior_volume = True  # include the volume element d^2 in the distance prior
distances_mean_unbiased = True  # catalogue distances are mean-unbiased (log-normal errors)
solar_frame = "v4.0"  # solar frame: a name ("v4.0", "pp21") or a dict of galcen_distance, z_sun, galcen_v_sun
compare_frame = "pp21"  # the frame of the frame comparison (section 13)
clip_n_sigma = 3.0  # threshold of the iterative model-based clipping (S004 5.1)
n_prior_mocks = 10  # steep-halo mocks of the distance-prior comparison (section 14)
n_coverage_mocks = 30  # messy mocks of the coverage study (section 15)
coverage_sgr_cut = "sky"  # Sagittarius removal in the coverage study (see section 15)
nlive = 500  # dynesty live points of the main fit
nlive_constant = 300  # dynesty live points of the 9-parameter fit
dlogz = 0.5  # dynesty stopping criterion
bound = "multi"  # dynesty bounding distribution
sample = "rwalk"  # dynesty sampling method
maxiter = 0  # cap on dynesty iterations (0: none; smoke runs only)
n_procs = 2  # processes of the dynesty pool and the coverage study
resume = False  # continue an interrupted main fit from its checkpoint in output_dir
n_boot = 1000  # bootstrap resamples of the binned means
map_nside = 16  # HEALPix resolution of the smoothed v_GSR map
map_kernel_deg = 45.0  # Gaussian smoothing kernel (standard deviation, deg)
report_radii = [40.0, 100.0, 120.0]  # radii of the parameter tables (kpc)

# %% tags=["hide-input"]
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np
import healpy as hp
from astropy.table import Table

from halo_utils import reflex as rf, plotting
from halo_utils.catalog import match_truth, read_catalog, read_table
from halo_utils.frames import solar_frame as make_solar_frame
from halo_utils.lmc import LMC_MASSES, integrate_two_body
from halo_utils.fitting import MIN_STARS_PER_PARAMETER
from halo_utils.mock import REFLEX_TRUTH, OuterHaloConfig, ensure_default_data, reflex_truth_vector
from halo_utils.chapter import ChapterRun, run_from_repository_root
from halo_utils.outputs import table_rows
from halo_utils.reference import LMC_LB
from halo_utils.reflex.compare import compare_outlier_treatments, summary_row
from halo_utils.reflex_coverage import coverage_mocks, coverage_summary

# opened in Jupyter (or Binder) from notebooks/, the kernel starts there; the paths above are
# relative to the repository root
run_from_repository_root()
make_solar_frame(solar_frame), make_solar_frame(compare_frame)  # a bad frame fails here, before any work
inputs = {"catalog_path": catalog_path, "truth_path": truth_path}
# the default mock is generated only for the default paths in data/: a mistyped path is an error
ensure_default_data(inputs, generate=generate_if_missing, seed=mock_seed, outer_halo=True)
# every file of this run goes to output_dir, atomically; summary.json, written last, marks it complete
run = ChapterRun("05_reflex_fit", globals(), inputs=inputs)
out, rng = run.out, run.rng

# %% [markdown]
# The catalogue, checked for the twelve columns; on a mock, its truth (each star's component
# and true distance), and the settings every fit of the chapter shares: the outlier mixture,
# the distance prior and the solar frame.

# %%
catalog = read_catalog(catalog_path, required=rf.REFLEX_COLUMNS)
truth = read_table(truth_path, what="truth_path") if truth_path else None
has_truth = truth is not None
# a mock's truth holds every star's component and true distance; the model-drawn mock's reflex
# is a vector of the fitted model (REFLEX_TRUTH), the simulation-drawn mock's is the
# simulation's (its truth file says so; chapter 6 compares the fit with it)
has_reflex_truth = has_truth and truth.meta.get("REFLEX", "model") == "model"
has_survey = "survey" in catalog.colnames
if has_truth:
    truth.convert_bytestring_to_unicode()
    truth = match_truth(catalog, truth)
if has_reflex_truth:
    TRUTH_FIT = rf.ReflexFit.point(rf.ReflexModel("linear", tuple(REFLEX_TRUTH["r_nodes"]), None),
                                   reflex_truth_vector())
outliers = rf.OutlierMixture(sigma=outlier_sigma, f_max=f_out_max) if outlier_mixture else None
distance_prior = rf.DistancePrior(slope=distance_prior_slope, volume=distance_prior_volume,
                                  mean_unbiased=distances_mean_unbiased)
star_kwargs = {"distance_term": distance_term, "n_distance_nodes": n_distance_nodes,
               "distance_prior": distance_prior, "frame": solar_frame}
print(f"{len(catalog)} stars from {catalog_path}")
dynesty_kwargs = {"bound": bound, "sample": sample, "dlogz": dlogz, "n_procs": n_procs,
                  "maxiter": maxiter or None}

# %% [markdown]
# ## 1. The sample
#
# The selection (S004 section 2.3, `reflex.select_outer_halo`) is an explicit step with a count
# at every cut: the radial range, RV errors below 15 km/s, fractional distance errors below
# 25 %, Sagittarius members out (within 25 deg of the Sgr plane with $L_y < -0.3 L_z - 2.5$,
# $10^3$ kpc km/s) and unphysical speeds out. S004 then clips stars beyond 3.5 sigma of the
# mean $v_{\rm GSR}$, $v_\ell$ or $v_b$ in the distance bins [40, 60, 90, 120] kpc; here that
# clipping is off by default (`sigma_clip`), because the outlier mixture of the fit does the
# same job star by star, with each star's own errors, and section 10 compares the two. The
# maps use 40-160 kpc, the fits 40-120 kpc (beyond 120 kpc almost every star is from the
# southern MagE-like survey).

# %%
cuts_maps = rf.OuterHaloCuts(r_range=(r_min, r_max_maps), sgr_cut=sgr_cut, clip=sigma_clip)
cuts_fit = rf.OuterHaloCuts(r_range=(r_min, r_max), sgr_cut=sgr_cut, clip=sigma_clip)
in_maps, flow_maps = rf.select_outer_halo(catalog, cuts_maps, frame=solar_frame)
in_fit, flow_fit = rf.select_outer_halo(catalog, cuts_fit, frame=solar_frame)
# the S004 recipe (binned pre-fit clipping) for the comparison of section 10
in_fit_preclip, _ = rf.select_outer_halo(catalog, rf.OuterHaloCuts(r_range=(r_min, r_max), sgr_cut=sgr_cut,
                                                                   clip=True), frame=solar_frame)
out.write_table(flow_fit, "cut_flow_fit.ecsv")
out.write_table(flow_maps, "cut_flow_maps.ecsv")
print(f"fit sample ({r_min:g}-{r_max:g} kpc):")
flow_fit.pprint()
gv = rf.galactic_velocities(catalog, frame=solar_frame)
fit_sample = catalog[in_fit]
main_model = rf.ReflexModel(model, rf.R_NODES, outliers)
rf.check_sample_size(len(fit_sample), main_model)  # refuse a too-small sample now, not after an hour
composition = {}
if has_truth:
    for name in np.unique(truth["component"]):
        composition[str(name)] = {"catalogue": int(np.sum(truth["component"] == name)),
                                  "fit_sample": int(np.sum(truth["component"][in_fit] == name))}
    print("truth composition:", composition)
surveys = [str(s) for s in np.unique(catalog["survey"])] if has_survey else []
by_survey = {s: int(np.sum(fit_sample["survey"] == s)) for s in surveys}
print("fit sample by survey:", by_survey or "(no survey column)")

# %%
surveys_r = ({s: gv["r"][in_maps & np.asarray(catalog["survey"] == s)] for s in surveys}
             or {"all": gv["r"][in_maps]})
fig = plotting.plot_outer_halo_sample(gv["l"][in_maps], gv["b"][in_maps], gv["r"][in_maps], surveys_r,
                                      r_range=(r_min, r_max_maps))
out.savefig("sample.png", fig, dpi=110, bbox_inches="tight")

# %% [markdown]
# The surveys cover different parts of the sky (the northern ones above $\delta \approx -20^\circ$)
# and reach different depths: the number of stars beyond a radius falls steeply outwards, and the
# outermost stars come mostly from one survey.

# %% [markdown]
# ## 2. What the data show before any model (S004 figs 3-5)
#
# The all-sky mean Galactocentric radial velocity, smoothed with a 45 deg Gaussian kernel on a
# HEALPix grid (sky mean removed), for the 50-100 kpc stars where the surveys' depths are most
# alike. A reflex motion towards the south (the LMC) shows as a dipole: the southern halo
# approaches, the northern recedes. The truth panel is the same map of the *model mean*
# velocities of the same stars, i.e. what infinitely many stars at these positions would show.

# %%
sky = in_maps & (gv["r"] > 50) & (gv["r"] < 100)
vmap = rf.smoothed_sky_mean(gv["l"][sky], gv["b"][sky], gv["v_gsr"][sky], nside=map_nside, kernel_deg=map_kernel_deg)
panels = {"data": vmap}
if has_reflex_truth:
    v_gsr_model = rf.model_galactic_velocities(reflex_truth_vector(), catalog[sky], TRUTH_FIT.model,
                                           frame=solar_frame)["v_gsr"]
    panels["truth model"] = rf.smoothed_sky_mean(gv["l"][sky], gv["b"][sky], v_gsr_model, nside=map_nside,
                                                 kernel_deg=map_kernel_deg)
fig = plotting.plot_vgsr_sky(panels, gv["l"][sky], gv["b"][sky])
out.savefig("vgsr_sky.png", fig, dpi=110, bbox_inches="tight")
with out.atomic("vgsr_sky.fits") as tmp:
    hp.write_map(str(tmp), vmap, overwrite=True, dtype=np.float64)
print(f"smoothed v_GSR map: min {vmap.min():.1f}, max {vmap.max():.1f} km/s")

# %% [markdown]
# The southern MagE-like survey reaches further out than the northern ones, so a map of all
# distances could owe its pattern to where each survey looks deep. S004 fig 19 checks this
# with the same map in four disjoint distance bins; each bin is noisier, but the north-south
# pattern should be there in every bin where both hemispheres have stars (the circles).

# %%
map_bin_edges = (r_min, 60.0, 80.0, 100.0, r_max_maps)  # kpc, S004 fig 19's four bins
bins_sky = {}
for lo, hi in zip(map_bin_edges[:-1], map_bin_edges[1:]):
    in_bin = in_maps & (gv["r"] >= lo) & (gv["r"] < hi)
    bins_sky[f"{lo:g}-{hi:g} kpc"] = (rf.smoothed_sky_mean(gv["l"][in_bin], gv["b"][in_bin], gv["v_gsr"][in_bin],
                                                           nside=map_nside, kernel_deg=map_kernel_deg),
                                      gv["l"][in_bin], gv["b"][in_bin])
fig = plotting.plot_vgsr_sky_bins(bins_sky)
out.savefig("vgsr_sky_distance_bins.png", fig, dpi=90, bbox_inches="tight")

# %% [markdown]
# Split the sky into the quadrant holding the LMC ($180 \le \ell < 360$, $b < 0$) and the one
# opposite it ($\ell < 180$, $b > 0$): the mean radial velocities drift apart with distance
# (S004 fig 4). The mean tangential velocity along $b$, solar motion removed, grows with
# distance as the inner Galaxy falls "down" towards the LMC (S004 fig 5). Error bars are
# bootstrap standard errors; dashed lines are the truth model at the same stars. (S004 fig 5
# also shows Sheng et al. 2024's RR Lyrae measurement, whose values are printed only in
# figures, so it is not drawn here; conventions §15.)

# %%
bins = np.array([40, 50, 60, 70, 80, 90, 100, 120, 140, 160], float)
quad = rf.lmc_quadrant_masks(gv["l"], gv["b"])
model_u = (rf.model_galactic_velocities(reflex_truth_vector(), catalog, TRUTH_FIT.model, frame=solar_frame)
           if has_reflex_truth else None)
profiles, truth_profiles = {}, {}  # binned means of the data, and of the truth model at the same stars
for name, m in quad.items():
    sel = in_maps & m
    profiles[f"v_gsr_{name}"] = rf.binned_mean(gv["r"][sel], gv["v_gsr"][sel], bins, n_boot=n_boot, rng=rng)
    if model_u is not None:
        truth_profiles[f"v_gsr_{name}"] = rf.binned_mean(gv["r"][sel], model_u["v_gsr"][sel], bins, n_boot=2, rng=rng)
profiles["v_b_all_sky"] = rf.binned_mean(gv["r"][in_maps], gv["v_b"][in_maps], bins, n_boot=n_boot, rng=rng)
if model_u is not None:
    truth_profiles["v_b_all_sky"] = rf.binned_mean(gv["r"][in_maps], model_u["v_b"][in_maps], bins, n_boot=2, rng=rng)
fig = plotting.plot_quadrant_profiles({name: profiles[f"v_gsr_{name}"] for name in quad}, profiles["v_b_all_sky"],
                                      v_gsr_truth={name: truth_profiles.get(f"v_gsr_{name}") for name in quad},
                                      v_b_truth=truth_profiles.get("v_b_all_sky"))
out.savefig("quadrants_and_vb.png", fig, dpi=110, bbox_inches="tight")
for name, p in profiles.items():
    out.write_table(p, f"profile_{name}.ecsv")

# %% [markdown]
# ## 3. The continuity model (S004 section 4, tables 1-2)
#
# Nested sampling with dynesty (Speagle 2020) under the S004 priors: $v_{\rm travel}$
# uniform on 0-150 km/s, the apex isotropic in Magellanic Stream coordinates (uniform
# $L_{\rm MS}$ and $\sin B_{\rm MS}$; S004 works in these coordinates so that the apex,
# near the south Galactic pole, is far from the coordinate poles), means uniform on
# $\pm 250$ km/s, dispersions log-uniform on 1-300 km/s, and the outlier fraction uniform
# on $[0, 0.2]$. Each star's likelihood is integrated over its true distance (Gauss-Hermite
# quadrature, `distance_term`), weighted by the distance prior: a distance error moves the
# star both in proper motion and in $r_{\rm gal}$, where the continuity model's parameters
# change. The run checkpoints to `output_dir`; an interrupted run resumes from there.

# %%
checkpoint = out.file(f"dynesty_{model}.save")
t0 = time.perf_counter()
stars_fit = rf.ReflexStars.from_table(fit_sample, **star_kwargs)
# restart unless asked to resume: a checkpoint of other data or settings is refused, never reused
fit_main = rf.fit_reflex(stars_fit, main_model, "dynesty", rng=np.random.default_rng(seed), nlive=nlive,
                         checkpoint_file=checkpoint, restart=not resume, **dynesty_kwargs)
runtime_main = time.perf_counter() - t0
print(f"{model} model, {fit_main.n_stars} stars: {runtime_main:.0f} s, {fit_main.info}")
with out.atomic(f"posterior_{model}.npy") as tmp:
    np.save(tmp, fit_main.samples)
# the checkpoint only guards against an interruption: the finished posterior is saved above
for leftover in (checkpoint, checkpoint.with_name(checkpoint.name + ".fingerprint")):
    leftover.unlink(missing_ok=True)

# %% [markdown]
# The posterior of the continuity model's parameters (each quantity at the 40 and 120 kpc
# nodes, and $f_{\rm out}$), with the 16, 50 and 84 % quantiles of each; on the mock, red lines
# mark the input. The values at 120 kpc, where stars are few, are the least constrained.

# %%
names = fit_main.model.names
injected_f_out = (float(np.mean(np.isin(truth["component"][in_fit], ("outlier", "wrong_distance"))))
                  if has_truth else None)
truth_vec = None
if has_reflex_truth and model == "linear":
    truth_vec = dict(zip(names, fit_main.model.with_f_out(reflex_truth_vector(), injected_f_out)))
fig = plotting.plot_corner(fit_main.samples, names, truths=truth_vec)
out.savefig(f"corner_{model}.png", fig, dpi=80, bbox_inches="tight")

# %% [markdown]
# The parameter tables: medians and 16/84 percentiles at 40 and 120 kpc (S004 table 1) and at
# 100 kpc with the apex in Galactic coordinates and the Cartesian travel velocity (table 2). The
# truth column is the mock's input; `in 95%` says whether the truth lies inside the central 95 %
# credible interval.

# %%
table_main = fit_main.table(report_radii, truth=TRUTH_FIT if has_reflex_truth else None)
out.write_table(table_main, f"table_{model}.ecsv")
for col in ("p50", "p16", "p84") + (("truth",) if has_reflex_truth else ()):
    table_main[col].format = ".3g"
table_main.pprint(max_lines=-1, max_width=120)
MAIN_QUANTITIES = ("v_travel", "l_apex", "b_apex", "vr_mean", "vphi_mean", "vtheta_mean", "sigma_los",
                   "sigma_l", "sigma_b")
if has_reflex_truth:
    at100 = table_main[(table_main["r_kpc"] == 100.0) & np.isin(table_main["quantity"], MAIN_QUANTITIES)]
    truths_in_95_at_100 = {str(r["quantity"]): bool(r["in_95"]) for r in at100}
    print("truth inside 95 % at 100 kpc:", truths_in_95_at_100)

# %% [markdown]
# ## 4. Which stars are outliers?
#
# The mixture gives every star the posterior probability that it belongs to the outlier
# component (averaged over posterior draws). On the mock we know which stars were injected as
# outliers: stars with distances 2-10 times too large and stars drawn with four times the halo
# dispersions. The fitted $f_{\rm out}$ should match the fraction injected into the fit sample
# (its binomial scatter is part of the posterior width).

# %%
f_out_main = fit_main.at(100.0).get("f_out")
p_out = fit_main.outlier_probability if fit_main.outlier_probability is not None else np.zeros(fit_main.n_stars)
outlier_summary = {"n_expected_outliers": float(p_out.sum()), "n_p_above_0.5": int(np.sum(p_out > 0.5))}
if f_out_main is not None:
    outlier_summary["f_out"] = f_out_main
    print(f"f_out = {f_out_main[0]:.4f} (+{f_out_main[2] - f_out_main[0]:.4f} -{f_out_main[0] - f_out_main[1]:.4f})")
comp_fit = np.asarray(truth["component"][in_fit]) if has_truth else None
if has_truth:
    by_component = {}
    for name in np.unique(comp_fit):
        sel = comp_fit == name
        by_component[str(name)] = {"n": int(sel.sum()), "sum_p_out": float(p_out[sel].sum()),
                                   "n_p_above_0.5": int(np.sum(p_out[sel] > 0.5))}
    outlier_summary.update(injected_fraction=injected_f_out, by_component=by_component)
    if f_out_main is not None:
        sigma_f = 0.5 * (f_out_main[2] - f_out_main[1])  # zero only for a degenerate (smoke-run) posterior
        outlier_summary["f_out_pull"] = (f_out_main[0] - injected_f_out) / sigma_f if sigma_f > 0 else float("nan")
        print(f"injected fraction {injected_f_out:.4f}: f_out is {outlier_summary['f_out_pull']:+.2f} sigma away")
    Table(rows=[{"component": k, **v} for k, v in by_component.items()]).pprint()
ax = plotting.plot_outlier_probabilities(p_out, comp_fit)
out.savefig("outlier_probabilities.png", ax.figure, dpi=110, bbox_inches="tight")
out.write_table(Table({"star_id": fit_main.star_id, "p_outlier": p_out}), "outlier_probabilities.ecsv")

# %% [markdown]
# Halo stars pile up at an outlier probability near zero, and most injected outliers and
# wrong-distance stars near one. Sagittarius stars stay at zero: a cold stream is not made of
# outliers one by one, which is why it needs a cut of its own (section 11).

# %% [markdown]
# ## 5. Is the catalogue messier than the model allows?
#
# The standardised residuals of every star from the halo model at the best fit, at its
# catalogue distance with the distance error propagated to first order: for stars the model
# describes they are unit normal, so about 0.27 % lie beyond 3 sigma and practically none
# beyond 5. A catalogue with a percent of stars beyond 5 sigma in proper motion carries stars
# the halo model cannot explain (wrong distances, spurious velocities, streams): without the
# mixture they inflate the dispersions and drag the apex (section 10).

# %%
residuals = rf.standardized_residuals(fit_main.best, fit_sample, fit_main.model, frame=solar_frame)
residual_fractions = rf.residual_fractions(residuals)
Table(rows=[{"observable": k, "beyond_3_sigma": v["3"], "beyond_5_sigma": v["5"]}
            for k, v in residual_fractions.items()]).pprint()
fig = plotting.plot_standardized_residuals(residuals, outliers=p_out > 0.5 if f_out_main is not None else None)
out.savefig("residuals.png", fig, dpi=110, bbox_inches="tight")

# %% [markdown]
# The core of each histogram follows the unit normal; the stars far out in the tails, most of
# them in the proper motions, are the ones the mixture gives a high outlier probability (red).

# %% [markdown]
# ## 6. Amplitude and apex against distance (S004 figs 6-7)
#
# The travel velocity and the direction of its apex against Galactocentric radius: the fit's
# median and 16-84 % band, and on the mock the truth dashed. The travel velocity grows
# outwards, where the halo's orbits are slowest to follow the inner Galaxy; the apex stays in
# the southern Galactic sky at every radius.

# %%
r_plot = np.linspace(r_min, r_max, 41)
truth_or_none = TRUTH_FIT if has_reflex_truth else None
fig = plotting.plot_travel_profiles(fit_main, r_plot, truth=truth_or_none, published=True)
out.savefig("travel_vs_r.png", fig, dpi=110, bbox_inches="tight")

# %%
draws100 = fit_main.draws_at(100.0)
apex_marks = [(LMC_LB[0], LMC_LB[1], dict(marker="*", s=150, color="k", label="LMC"))]
if has_reflex_truth:
    apex_marks.append((REFLEX_TRUTH["l_apex"], REFLEX_TRUTH["b_apex"],
                       dict(marker="x", s=100, color="tab:blue", label="truth")))
ax = plotting.plot_apex_sky(draws100["l_apex"], draws100["b_apex"],
                            markers=apex_marks + plotting.published_apex_markers())
out.savefig("apex_sky_100kpc.png", ax.figure, dpi=110, bbox_inches="tight")

# %% [markdown]
# On the sky the posterior apexes at 100 kpc form one cloud in the southern Galactic
# hemisphere, in the LMC's part of the sky (black star) rather than on the LMC itself.
#
# **Published values** (black, `data/published_measurements.ecsv`): on both figures, S004's own
# measurements on the real H3 + SEGUE + MagE stars (squares: its tables 1 and 2; dash-dotted
# line: its distance-independent model), PP21's {cite}`Petersen2021` travel velocity and apex
# (solid line, diamond), and S004's fit to the GC19 LMC3 simulation (open squares). They are
# real measurements, not this mock's truth; the mock's reflex was drawn from S004's fit, so
# the fit to the mock should land near S004's squares, while PP21's apex, at positive
# longitude, shows what their sample (which kept Sagittarius stars, S004 appendix A) found.

# %% [markdown]
# ### The fit in three dimensions (S004 figure 10)
#
# The same best fit in Galactocentric space: every star of the fit at its position, coloured by
# the $v_{\rm GSR}$ the best-fit model predicts there (not its measured velocity), the disc
# (15 kpc in radius, grey), the travel vector at 100 kpc as the way the inner Galaxy moves
# relative to the outer halo in 500 Myr (red arrow), and the LMC's past Gyr relative to the Milky
# Way's centre (blue; the two-body orbit of conventions §14 for GC19's $1.8 \times 10^{11}\,M_\odot$
# LMC, where S004 shows GC19's own). Stars on the side the arrow points to come towards us in
# the model (blue) and those behind it recede (red): the dipole of the sky maps, now in depth.

# %%
velocities_best = rf.model_galactic_velocities(fit_main.best, fit_sample, fit_main.model, frame=solar_frame)
travel_100 = [fit_main.at(100.0)[f"v_travel_{c}"][0] for c in "xyz"]
lmc_orbit = integrate_two_body(LMC_MASSES[2], 1000.0)
x_mw, _, x_lmc, _ = lmc_orbit.at(np.linspace(-1000.0, 0.0, 400))
fig = plotting.plot_reflex_3d([gv[c][in_fit] for c in "xyz"], velocities_best["v_gsr"], travel_100,
                              lmc_track=x_lmc - x_mw)
out.savefig("reflex_3d.png", fig, dpi=110, bbox_inches="tight")

# %% [markdown]
# ## 7. The travel velocity in Galactocentric Cartesian components (S004 fig 9)
#
# The same posterior as three Cartesian components at 100 kpc (red lines: the truth). The
# travel vector points mostly along $-z$, towards the south Galactic pole.

# %%
comp = np.column_stack([draws100["v_travel_x"], draws100["v_travel_y"], draws100["v_travel_z"]])
xyz_names = [f"v_travel_{a}" for a in "xyz"]
truth_xyz = {n: TRUTH_FIT.at(100.0)[n][0] for n in xyz_names} if has_reflex_truth else None
fig = plotting.plot_corner(comp, xyz_names, truths=truth_xyz)
out.savefig("travel_xyz_100kpc.png", fig, dpi=100, bbox_inches="tight")

# %% [markdown]
# ## 8. The bulk motion, dispersions and anisotropy of the outer halo (S004 figs 11-12)
#
# The fitted mean velocities and intrinsic dispersions against distance. The dispersions are
# along the observed axes (los, $\ell$, $b$); for $\beta$ we follow S004 and identify them with
# $(r, \phi, \theta)$, good for distant stars, and use second moments including the means,
# $\langle v^2\rangle = \langle v\rangle^2 + \sigma^2$ (S004 eq. 3). In purple (the fit's $\beta$
# is black here) are published measurements closer in, as in S004 fig 12: HALO7D's
# $\beta = 0.68^{+0.04}_{-0.05}$ at 23 kpc {cite}`Cunningham2019` (triangle), $\beta \approx 0.5$ of
# SDSS BHB stars at 9-12 kpc {cite}`Kafle2012` and $\beta \approx 0.8$ of LAMOST K giants at 5-25 kpc
# {cite}`Bird2019` (lines).

# %%
fig = plotting.plot_kinematic_profiles(fit_main, r_plot, truth=truth_or_none, published=True)
out.savefig("means_dispersions_beta.png", fig, dpi=110, bbox_inches="tight")

# %% [markdown]
# The mean velocities (left) are small next to the line-of-sight dispersion (middle), the best
# measured of the three dispersions, which falls outwards. $\beta$ (right) stays well above zero
# at every radius: the outer halo, like the inner one, is radially biased.

# %% [markdown]
# ## 9. The distance-independent model (S004 appendix E)
#
# One set of nine parameters for all stars (PP21's model). It averages the growing travel
# velocity over the sample's radii, so its $v_{\rm travel}$ should fall between the truth at 40
# and at 120 kpc.

# %%
t0 = time.perf_counter()
fit_const = rf.fit_reflex(stars_fit, rf.ReflexModel("constant", rf.R_NODES, outliers), "dynesty",
                          rng=np.random.default_rng(seed + 1), nlive=nlive_constant, checkpoint_file=None,
                          **dynesty_kwargs)
runtime_const = time.perf_counter() - t0
table_const = fit_const.table([100.0])
table_const.remove_column("r_kpc")
out.write_table(table_const, "table_constant.ecsv")
for col in ("p50", "p16", "p84"):
    table_const[col].format = ".3g"
table_const.pprint(max_lines=-1)
vt_const = fit_const.at(100.0)["v_travel"][0]
if has_reflex_truth:
    between = REFLEX_TRUTH["v_travel"][0] <= vt_const <= REFLEX_TRUTH["v_travel"][1]
    print(f"constant-model v_travel = {vt_const:.1f} km/s; truth {REFLEX_TRUTH['v_travel']} at 40/120 kpc: "
          f"between = {between}")
print(f"{runtime_const:.0f} s, {fit_const.info}")

# %% [markdown]
# ## 10. Outliers: a mixture, or clipping?
#
# Four ways to treat the stars the halo model cannot explain, each a maximum-likelihood fit of
# the continuity model with Laplace bands, started from the main fit: the plain Gaussian
# likelihood on every selected star; S004's recipe (clip 3.5-sigma velocity outliers in
# distance bins before the fit, section 2.3); S004's iterative model-based clipping (refit
# and drop stars beyond 3 sigma of the model until nothing changes, section 5.1); and the
# outlier mixture. With the truth known, each quantity at 100 kpc is also given as a pull,
# (fit - truth) / its 1-sigma error: a bias shows as pulls of several sigma.

# %%
start_halo = fit_main.best[:fit_main.model.n_base] if model == "linear" else None
treatments, treatment_fits = compare_outlier_treatments(
    catalog[in_fit], in_fit_preclip[in_fit], "linear", np.random.default_rng(seed + 4), r_kpc=100.0,
    truth=TRUTH_FIT if has_reflex_truth else None, n_sigma=clip_n_sigma, outliers=outliers or rf.OutlierMixture(),
    start=start_halo, n_starts=0 if start_halo is not None else 2, **star_kwargs)
out.write_table(treatments, "outlier_treatments.ecsv")
pulls = [c for c in treatments.colnames if c.endswith("_pull")]
show = ["fit", "n_stars"] + pulls if has_reflex_truth else treatments.colnames
for c in treatments.colnames[2:]:
    treatments[c].format = ".2f"
treatments[show].pprint(max_width=200)
if has_reflex_truth:
    treatments[["fit", "v_travel", "l_apex", "b_apex", "sigma_l", "sigma_b"]].pprint(max_width=200)

# %% [markdown]
# ## 11. Why Sagittarius contamination biases the apex (S004 appendix A)
#
# Sagittarius debris is a coherent stream, not a hot halo: near its orbital plane its stars
# share an angular momentum, so their mean velocity varies smoothly across the sky. A
# reflex-motion model, whose only large-scale velocity pattern is a dipole, absorbs that pattern
# into $v_{\rm travel}$ and its apex (and the outlier mixture cannot help: these stars are not
# outliers one by one). Fit the constant model (maximum likelihood; bands from the inverse
# Hessian) with and without the Sgr cut and compare the travel vectors.

# %%
no_sgr_cut = rf.OuterHaloCuts(r_range=(r_min, r_max), sgr_cut="none", clip=sigma_clip)
in_nosgr, flow_nosgr = rf.select_outer_halo(catalog, no_sgr_cut, frame=solar_frame)
sgr_fits = {}
for label, mask in (("with Sgr cut", in_fit), ("without Sgr cut", in_nosgr)):
    f = rf.fit_reflex(catalog[mask], "constant", "mle", rng=np.random.default_rng(seed + 2), outliers=outliers,
                      n_starts=3, **star_kwargs)
    sgr_fits[label] = {"n_stars": f.n_stars, **{k: f.at(100.0)[k] for k in (
        "v_travel", "l_apex", "b_apex", "v_travel_x", "v_travel_y", "v_travel_z")}}
    if has_truth:
        sgr_fits[label]["n_true_sgr"] = int(np.sum(truth["component"][mask] == "sgr"))
for label, row in sgr_fits.items():
    print(label, {k: (np.round(v, 1) if isinstance(v, tuple) else v) for k, v in row.items()})

fig = plotting.plot_sgr_contamination(gv["l"], gv["v_gsr"], in_fit, in_nosgr & ~in_fit, sgr_fits)
out.savefig("sgr_contamination.png", fig, dpi=110, bbox_inches="tight")

# %% [markdown]
# The stars the Sagittarius cut removes (red, left) are not outliers in $v_{\rm GSR}$: they sit
# inside the halo's velocity spread, and only their angular momentum gives them away. Kept in
# the fit, they move the travel vector (right, the two colours).

# %% [markdown]
# ## 12. The importance of all-sky coverage (S004 appendix B)
#
# Fit subsets of the sample as S004 does: the stars a northern telescope can observe
# (dec > -20 deg), and, where the catalogue names its surveys, the SEGUE stars alone (the
# survey behind PP21). Maximum likelihood, continuity model, outlier mixture; the travel
# velocity at 100 kpc in Galactocentric Cartesian components (S004 fig 17).

# %%
subsamples = rf.sky_subsamples(fit_sample)
mle_all = treatment_fits["outlier mixture"]  # the whole sample, fitted in section 10
sky_rows, sky_fits = [], {}
for label, mask in subsamples.items():
    if mask.sum() < main_model.ndim * MIN_STARS_PER_PARAMETER:
        print(f"{label}: {mask.sum()} stars, too few for the {main_model.ndim}-parameter model; skipped")
        continue
    try:
        f = mle_all if mask.all() and outliers is not None else rf.fit_reflex(
            fit_sample[mask], main_model, "mle", rng=np.random.default_rng(seed + 5), start=start_halo,
            n_starts=0 if start_halo is not None else 2, **star_kwargs)
    except rf.NoCleanMaximum as err:  # a small hemisphere can leave the linear model without a clean peak
        print(f"{label}: {mask.sum()} stars; {err}: skipped")
        continue
    sky_fits[label] = f
    sky_rows.append(summary_row(f, label, 100.0, TRUTH_FIT if has_reflex_truth else None))
sky_table = Table(rows=sky_rows)
out.write_table(sky_table, "sky_subsamples.ecsv")
for c in sky_table.colnames[2:]:
    sky_table[c].format = ".1f"
sky_table[["fit", "n_stars", "v_travel", "v_travel_err", "v_travel_x", "v_travel_y", "v_travel_z", "l_apex",
           "b_apex"]].pprint(max_width=200)
ax = plotting.plot_travel_subsamples(sky_fits, r_kpc=100.0, truth=TRUTH_FIT if has_reflex_truth else None)
out.savefig("sky_subsamples.png", ax.figure, dpi=110, bbox_inches="tight")

# %% [markdown]
# Each subsample's posterior (faint dots) is wider and more elongated than the whole sample's,
# and its centre can sit far from it: a survey of one part of the sky sees the reflex dipole
# from one side only, and trades the travel vector's components against each other.

# %% [markdown]
# ## 13. The solar frame
#
# The travel velocity is a Galactocentric quantity, so it depends on the Sun's assumed
# position and velocity: the solar reflex dominates every distant star's proper motion, and
# a faster Sun leaves less motion for the reflex (PP21; S004 section 5.1). Fit the same stars
# in the chapter's frame (`solar_frame`) and in `compare_frame` (by default PP21's:
# $R_0 = 8.3$ kpc, $v_\odot = (11.1, 244.24, 7.25)$ km/s); the selection is kept fixed, so
# only the frame of the fit changes.

# %%
frame_rows = []
for label, frame in (("solar_frame", solar_frame), ("compare_frame", compare_frame)):
    f = mle_all if label == "solar_frame" and outliers is not None else rf.fit_reflex(
        fit_sample, main_model, "mle", rng=np.random.default_rng(seed + 6), start=start_halo,
        n_starts=0 if start_halo is not None else 2, **{**star_kwargs, "frame": frame})
    frame_rows.append({"frame": str(frame), **summary_row(f, label, 100.0)})
frames_table = Table(rows=frame_rows)
out.write_table(frames_table, "solar_frames.ecsv")
for c in frames_table.colnames[3:]:
    frames_table[c].format = ".1f"
frames_table[["frame", "v_travel", "v_travel_err", "l_apex", "b_apex", "v_travel_x", "v_travel_y",
              "v_travel_z"]].pprint(max_width=200)
frame_shift = {q: float(frame_rows[1][q] - frame_rows[0][q]) for q in ("v_travel", "l_apex", "b_apex")}
print("compare_frame - solar_frame at 100 kpc:", {k: round(v, 2) for k, v in frame_shift.items()})

# %% [markdown]
# ## 14. Beyond the paper: how distance errors enter
#
# S004/PP21 propagate the distance error into the proper-motion covariance to first order,
# $(\epsilon_d/d)^2 \mu\mu^T$, with the observed proper motions. On this mock that biases the
# apex; using the model proper motions instead biases the tangential dispersions, because a
# distance error also moves a star in $r_{\rm gal}$, where the continuity model's parameters
# change, and the two shifts are correlated. Marginalising each star over its true distance
# (the default here) handles both. Maximum-likelihood fits of the continuity model, each
# compared with the truth at 100 kpc in units of its Laplace error:

# %%
term_rows = []
for term in ("observed", "model", "marginal"):
    term_kwargs = {**star_kwargs, "distance_term": term}
    try:
        f = mle_all if term == distance_term and outliers is not None else rf.fit_reflex(
            fit_sample, main_model, "mle", rng=np.random.default_rng(seed + 3), **term_kwargs,
            start=start_halo, n_starts=0 if start_halo is not None else 1)
    except rf.NoCleanMaximum:  # started at the halo fit, a small sample's search can stop off the peak
        try:
            f = rf.fit_reflex(fit_sample, main_model, "mle", rng=np.random.default_rng(seed + 4), **term_kwargs,
                              start=start_halo, n_starts=4)
        except rf.NoCleanMaximum as err:
            print(f"{term}: {err}: no row")
            f = None
    row = {"distance_term": term, "max_lnL": f.max_log_likelihood if f is not None else np.nan}
    at = f.at(100.0) if f is not None else None
    for q in ("v_travel", "b_apex", "sigma_l", "sigma_b"):
        row[q] = at[q][0] if f is not None else np.nan
        if has_reflex_truth:
            row[f"{q}_pull"] = ((at[q][0] - TRUTH_FIT.at(100.0)[q][0]) / (0.5 * (at[q][2] - at[q][1]))
                                if f is not None else np.nan)
    term_rows.append(row)
distance_terms = Table(rows=term_rows)
for c in distance_terms.colnames[1:]:
    distance_terms[c].format = ".2f"
distance_terms.pprint(max_width=160)

# %% [markdown]
# Inside the marginalisation, each star's true distance is weighted by the volume and the
# tracer density, $d^2 r^{-\gamma}$ (`distance_prior_slope` $\gamma$), and the catalogue
# distance is taken as mean-unbiased. Where the halo is steep, a star's true distance is more
# likely *smaller* than its catalogue value than larger (there are more stars nearer in), so
# a flat weight in $\ln d$ places stars too far and misreads their tangential velocities.
# One mock is too noisy to show an effect of a fraction of a sigma, so draw `n_prior_mocks`
# mocks of a steep halo (all surveys $dN/dr \propto r^{-3}$, i.e. $\nu \propto r^{-5}$, from
# 20 kpc outwards so that the stars selected at 40 kpc have true neighbours inside it; no
# outliers or zero points; a truth constant in $r$) and fit each with the constant model,
# once with the flat weight of earlier versions and once with the matching prior. The table
# gives the 68 % coverage and the mean pull of each quantity at 100 kpc.

# %%
steep_surveys = OuterHaloConfig().surveys
for sv in steep_surveys.values():
    sv.update(r_slope=-3.0, r_range=(20.0, 165.0), dist_scale=1.0, rv_offset=0.0)
steep_config = OuterHaloConfig(surveys=steep_surveys, f_outlier=0.0, f_wrong_distance=0.0, n_sgr=0)
steep_cuts = rf.OuterHaloCuts(r_range=(r_min, r_max), clip=False, sgr_cut="none")
prior_tables = {}
for label, prior in (("flat", rf.DistancePrior.flat()), ("d^2 r^-5", rf.DistancePrior(slope=5.0))):
    runs = coverage_mocks(n_prior_mocks, seed=seed + 7, config=steep_config, cuts=steep_cuts, n_procs=n_procs,
                          progress=None, likelihoods=("mixture",), fit_kwargs={**star_kwargs, "distance_prior": prior})
    prior_tables[label] = coverage_summary(runs)
distance_priors = Table({"quantity": prior_tables["flat"]["quantity"]})
for label, t in prior_tables.items():
    distance_priors[f"coverage ({label})"] = t["coverage"]
    distance_priors[f"mean pull ({label})"] = t["mean_pull"]
out.write_table(distance_priors, "distance_prior_steep_mocks.ecsv")
for c in distance_priors.colnames[1:]:
    distance_priors[c].format = ".2f"
distance_priors.pprint(max_width=200)

# %% [markdown]
# ## 15. Coverage over many messy mocks
#
# One mock says little about the method's error bars. Draw `n_coverage_mocks` new mocks of the
# whole population (as messy as the default one, with a truth that does not change with
# radius, so that the constant model is right), select them without the pre-fit clipping, and
# fit each with the constant model by maximum likelihood, with and without the mixture. If the
# 68 % intervals are honest, they contain the truth in 68 % of the mocks, within the binomial
# scatter $\sqrt{0.68 \times 0.32 / N}$. The mean pull shows a bias directly.
#
# Sagittarius is removed here by position alone (`coverage_sgr_cut = "sky"`: the band within
# 12 deg of its orbital plane). S004's angular-momentum cut selects on *velocity*: it also
# removes the halo stars near the Sgr plane that happen to move like Sgr, a coherent pattern
# on the sky that the reflex model then misses. Rerun with
# `coverage_sgr_cut = "angular_momentum"` to see that selection bias the apex longitude and
# $\sigma_b$ in mock after mock.

# %%
t0 = time.perf_counter()
coverage_cuts = rf.OuterHaloCuts(r_range=(r_min, r_max), clip=False, sgr_cut=coverage_sgr_cut)
coverage = coverage_mocks(n_coverage_mocks, seed=seed, n_procs=n_procs, cuts=coverage_cuts,
                          progress=lambda line: print(line, flush=True),
                          fit_kwargs={"distance_prior": distance_prior, "frame": solar_frame,
                                      "distance_term": distance_term, "n_distance_nodes": n_distance_nodes})
runtime_coverage = time.perf_counter() - t0
out.write_table(coverage, "coverage_mocks.ecsv")
coverage_table = coverage_summary(coverage)
out.write_table(coverage_table, "coverage_summary.ecsv")
for c in ("coverage", "binomial_sigma", "p_value", "mean_pull", "std_pull"):
    coverage_table[c].format = ".3f"
coverage_table.pprint(max_width=200)
mix = coverage[coverage["likelihood"] == "mixture"]
f_out_pulls = (mix["f_out_p50"] - mix["injected_outlier_fraction"]) / (0.5 * (mix["f_out_p84"] - mix["f_out_p16"]))
print(f"coverage study: {runtime_coverage:.0f} s; mixture f_out - injected: mean pull {np.mean(f_out_pulls):+.2f}")

# %%
def as_dict(table):
    return {f"{r['quantity']}@{r['r_kpc']:g}" if "r_kpc" in table.colnames else str(r["quantity"]):
            {k: (float(r[k]) if k not in ("in_95",) else bool(r[k])) for k in table.colnames
             if k not in ("quantity", "r_kpc")} for r in table}


summary = {
    "chapter": "05_reflex_fit",
    "n_catalogue": len(catalog),
    "cut_flow_fit": {str(r["step"]): int(r["remaining"]) for r in flow_fit},
    "cut_flow_maps": {str(r["step"]): int(r["remaining"]) for r in flow_maps},
    "n_fit": int(in_fit.sum()),
    "fit_sample_by_survey": by_survey,
    "truth_composition": composition,
    "vgsr_map_range": [float(vmap.min()), float(vmap.max())],
    "main_fit": {"model": model, "sampler": "dynesty", "info": {k: v for k, v in fit_main.info.items()},
                 "runtime_s": runtime_main, "max_log_likelihood": fit_main.max_log_likelihood,
                 "table": as_dict(table_main)},
    "outliers": outlier_summary,
    "residual_fractions": residual_fractions,
    "constant_fit": {"info": fit_const.info, "runtime_s": runtime_const, "table_100": as_dict(table_const)},
    "outlier_treatments": table_rows(treatments),
    "sgr_test": sgr_fits,
    "sky_subsamples": table_rows(sky_table),
    "solar_frames": {"rows": table_rows(frames_table), "shift_at_100": frame_shift},
    "distance_terms": [dict(r) for r in term_rows],
    "distance_prior_steep_mocks": {"n_mocks": n_prior_mocks, "rows": table_rows(distance_priors)},
    "coverage": {"n_mocks": n_coverage_mocks, "runtime_s": runtime_coverage, "summary": table_rows(coverage_table),
                 "f_out_mean_pull": float(np.mean(f_out_pulls))},
}
if has_reflex_truth:
    summary["truth"] = REFLEX_TRUTH
    summary["truths_in_95_at_100"] = truths_in_95_at_100
    summary["constant_v_travel_between_truth_40_120"] = bool(between)
summary = run.finish(summary)
print(f"written {out.path / 'summary.json'} ({summary['runtime_s']:.0f} s)")

# %% [markdown]
# ## Exercises
#
# Exercises that change a parameter rerun this chapter with papermill, into an output directory of
# their own (`-p output_dir _build/exercises/...`; see [Rerunning a
# chapter](../intro.md#rerunning-a-chapter) and the README's "Rerun one chapter"); the others add a
# cell at the end of this notebook after it has run, using its variables.

# %% [markdown]
# ````{exercise} The dipole by hand
# :label: ch5-ex-dipole
#
# For a distant star the line of sight $\hat{\mathbf n}$ is nearly the radial direction, so the
# reflex model predicts a mean
# $v_{\rm GSR} \approx \langle v_r\rangle - v_{\rm travel}\, \hat{\mathbf n}_{\rm apex}\cdot\hat{\mathbf n}$:
# a monopole plus a dipole on the sky. Fit $v_{\rm GSR} = a + \mathbf d\cdot\hat{\mathbf n}$ by
# least squares to the fit sample (`gv`, `in_fit`) and read off the apex direction and an amplitude
# from $-\mathbf d$. Where does it point, how well is it determined, and what can the radial
# velocities alone not tell you?
# ````
#
# ````{solution} ch5-ex-dipole
# :class: dropdown
#
# ```python
# l_rad, b_rad = np.deg2rad(gv["l"][in_fit]), np.deg2rad(gv["b"][in_fit])
# n_hat = np.column_stack([np.cos(b_rad) * np.cos(l_rad), np.cos(b_rad) * np.sin(l_rad), np.sin(b_rad)])
# design = np.column_stack([np.ones(len(n_hat)), n_hat])
# coef, *_ = np.linalg.lstsq(design, np.asarray(gv["v_gsr"][in_fit]), rcond=None)
# resid = np.asarray(gv["v_gsr"][in_fit]) - design @ coef
# errors = np.sqrt(np.diag(np.linalg.inv(design.T @ design)) * np.var(resid))
# apex = -coef[1:]
# print("monopole and dipole (km/s):", coef.round(1), "+-", errors.round(1))
# print(f"|d| = {np.linalg.norm(apex):.1f} km/s towards l = {np.degrees(np.arctan2(apex[1], apex[0])):.0f}, "
#       f"b = {np.degrees(np.arcsin(apex[2] / np.linalg.norm(apex))):.0f} deg")
# ```
#
# The $z$ component of $\mathbf d$ is large and positive (southern stars approach, northern ones
# recede), several times its error, so the apex found from radial velocities alone points towards
# the south Galactic pole, with an amplitude of a few tens of km/s; compare it with the continuity
# fit's $v_{\rm travel}$ at the sample's median radius (about 70 kpc). The $x$ and $y$ components
# carry errors of several km/s (a dispersion of ~100 km/s over several hundred stars), so the apex
# longitude is barely constrained. The least squares also ignores what the model handles: the
# growth of the reflex with radius, the tangential means, the outliers and the Sagittarius cut
# (select the sample again with
# `rf.select_outer_halo(catalog, rf.OuterHaloCuts(r_range=(r_min, r_max), sgr_cut="sky"), frame=solar_frame)`
# and the $z$ component moves by one or two of its errors). The proper motions add the two
# tangential components of the same pattern on every star, which is why the full model pins the
# apex down.
# ````

# %% [markdown]
# ````{exercise} What a northern survey cannot see
# :label: ch5-ex-north
#
# Section 12 fits the stars a northern telescope can observe ($\delta > -20^\circ$). Fit the
# constant model by maximum likelihood to the whole fit sample and to that subsample, and compare
# the errors of the Cartesian travel velocity at 100 kpc and their correlations with the mean
# radial velocity `vr_mean`. Are the errors larger than the loss of stars alone explains? Why?
#
# *Hint:* on a cap of the sky, what does a dipole whose axis points to the cap's centre look like?
# ````
#
# ````{solution} ch5-ex-north
# :class: dropdown
#
# ```python
# north = rf.sky_subsamples(fit_sample)["north"]
# for label, mask in (("all", np.ones(len(fit_sample), bool)), ("north", north)):
#     f = rf.fit_reflex(fit_sample[mask], "constant", "mle", rng=np.random.default_rng(seed),
#                       outliers=outliers, n_starts=3, **star_kwargs)
#     d = f.draws_at(100.0)
#     print(f"{label}: {mask.sum()} stars")
#     for c in "xyz":
#         v = d[f"v_travel_{c}"]
#         print(f"  v_travel_{c} = {np.median(v):6.1f} +- {np.std(v):4.1f} km/s, "
#               f"correlation with vr_mean {np.corrcoef(v, d['vr_mean'])[0, 1]:+.2f}")
# print("sqrt(N_all / N_north) =", round(float(np.sqrt(len(fit_sample) / north.sum())), 2))
# ```
#
# Some errors (on this mock most clearly that of $v_{\rm travel,z}$) grow by more than
# $\sqrt{N_{\rm all}/N_{\rm north}}$, and the travel components become more strongly correlated
# with `vr_mean`. Seen from inside a cap, a dipole along the cap's axis changes little across it:
# it looks like a uniform shift of all radial velocities, which is exactly what a mean radial
# motion (infall or expansion of the halo) produces. Only stars on the far side of the sky break
# that degeneracy, and a northern survey lacks the far south, where the LMC and the apex lie. This
# is why S004 stresses all-sky coverage (its appendix B).
# ````

# %% [markdown]
# ````{exercise} A Sagittarius cut that selects on velocity
# :label: ch5-ex-sgr-selection
#
# Section 15 removes Sagittarius by position (`coverage_sgr_cut = "sky"`). Repeat the coverage
# study on 10 mocks with S004's angular-momentum cut and with the sky cut, with the same seed
# (hence the same mocks), fitting with the mixture only. Which quantities lose their coverage, and
# why does a cut that removes only a few per cent of the halo stars bias them in mock after mock?
# ````
#
# ````{solution} ch5-ex-sgr-selection
# :class: dropdown
#
# A minute or two per cut on two cores:
#
# ```python
# fit_kw = {"distance_prior": distance_prior, "frame": solar_frame, "distance_term": distance_term,
#           "n_distance_nodes": n_distance_nodes}
# for cut in ("sky", "angular_momentum"):
#     runs = coverage_mocks(10, seed=seed, n_procs=n_procs, progress=None, likelihoods=("mixture",),
#                           cuts=rf.OuterHaloCuts(r_range=(r_min, r_max), clip=False, sgr_cut=cut),
#                           fit_kwargs=fit_kw)
#     print(cut)
#     coverage_summary(runs)[["quantity", "coverage", "mean_pull", "std_pull"]].pprint()
# ```
#
# (or rerun the chapter with `-p coverage_sgr_cut angular_momentum`). With the sky cut the mean
# pulls scatter around zero, mostly within one or two times $1/\sqrt{10} \approx 0.3$, and the
# coverages lie near 0.68, mostly within one or two binomial errors (0.15 for 10 mocks). With the
# angular-momentum cut the apex longitude and $\sigma_b$ are pulled the same way in nearly every
# mock, by one to two sigma, and their coverage collapses; $v_{\rm travel}$ and the apex latitude
# move too. The cut removes the halo stars near the Sgr plane *whose velocities happen to look like
# Sgr's*: in that band of sky the remaining stars have a velocity distribution with a piece cut
# out, so their mean shifts (a coherent pattern on the sky that the dipole absorbs) and their
# spread shrinks. A cut on the measured quantity itself is a selection effect that no amount of
# data averages away.
# ````

# %% [markdown]
# ````{exercise} A prior on a direction
# :label: ch5-ex-apex-prior
#
# The apex prior is isotropic: uniform in $L_{\rm MS}$ and in $\sin B_{\rm MS}$ (S004's text says
# $\cos B_{\rm MS}$). What prior density on $B$ does each choice imply, and which fraction of the
# prior lies at $|B| > 60^\circ$ for a prior uniform in $\sin B$, uniform in $B$, and uniform in
# $\cos B$? The apex sits near $B_{\rm MS} \approx 0$: reweight the main fit's posterior draws to
# the two other priors and see how much the apex at 100 kpc moves.
#
# *Hint:* to change a prior $p_1$ into $p_2$ after sampling, weight each draw by $p_2/p_1$; the
# effective number of draws, $(\sum w)^2/\sum w^2$, says whether the reweighting can be trusted.
# ````
#
# ````{solution} ch5-ex-apex-prior
# :class: dropdown
#
# Uniform in $\sin B$ gives $p(B) \propto \cos B$ (equal area on the sphere); uniform in $B$ gives
# a constant, which piles up prior mass near the poles; uniform in $\cos B$ (with
# $B \in [-90^\circ, 90^\circ]$) gives $p(B) \propto |\sin B|$, which vanishes on the equator. The
# fractions at $|B| > 60^\circ$ are $1 - \sin 60^\circ \approx 0.13$, $1/3$ and
# $\cos 60^\circ = 0.5$.
#
# ```python
# B_nodes = [fit_main.samples[:, i] for i, n in enumerate(fit_main.model.names) if n.startswith("B_MS")]
# weights = {"isotropic (the chapter)": np.ones(len(fit_main.samples)),
#            "uniform in B": np.prod([1 / np.cos(np.deg2rad(B)) for B in B_nodes], axis=0),
#            "uniform in cos B": np.prod([np.abs(np.tan(np.deg2rad(B))) for B in B_nodes], axis=0)}
# B100 = fit_main.draws_at(100.0)["B_MS"]
# order = np.argsort(B100)
# for label, w in weights.items():
#     cdf = np.cumsum(w[order]) / w.sum()
#     print(f"{label:24s} B_MS(100 kpc) 16/50/84 %: {np.interp([0.16, 0.5, 0.84], cdf, B100[order]).round(1)}, "
#           f"effective draws {w.sum() ** 2 / (w ** 2).sum():.0f} of {len(w)}")
# ```
#
# Near the equator $\cos B \approx 1$, so the isotropic and the uniform-in-$B$ priors agree there
# and the apex hardly moves: this is why S004 works in Magellanic Stream coordinates, where the
# apex is far from the coordinate poles. (In Galactic coordinates the apex is at
# $b \approx -60^\circ$, where a prior uniform in $b$ would give it, relative to the equator, twice
# the isotropic prior's weight, and more still towards the pole.) The uniform-in-$\cos B$ prior has
# almost no mass where the posterior is: the reweighted $B_{\rm MS}$ is pushed off the equator, to
# both sides, its interval widens, and the effective number of draws drops several-fold, a sign
# that the data and that prior disagree. Read literally, the prior stated in S004's text would
# matter.
# ````
