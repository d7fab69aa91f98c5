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
# # 3. The tilted, doubly broken halo: a Poisson forward model of GSE
#
# Counting stars is easy; turning counts into a density is not, because a survey sees
# different volumes to different depths in different directions. Han et al. (2022, S001) fit
# the density of Gaia-Sausage-Enceladus *forward*: a model density, times the probability that
# the survey would have selected a star at each position, predicts the catalogue, and the
# Poisson likelihood compares the prediction with the stars actually seen,
#
# $$\ln L(\theta) = \sum_i \ln \rho(\mathbf{x}_i\,|\,\theta) - \Lambda(\theta), \qquad
# \Lambda(\theta) = \sum_t \Omega_t \int dD\, D^2 \rho(\mathbf{x}_t(D)\,|\,\theta)\, S_t(D),$$
#
# where $S_t(D)$ is the luminosity-function-averaged selection probability of tile $t$ at
# distance $D$ (magnitude windows, parallax cut with Gaia-like errors, fibre sampling, S/N and
# fit quality: `halo_utils.survey`, the same functions that made the mock). The density is a
# triaxial ellipsoid with axis ratios $1:p:q$, its major axis tilted by `pitch` out of the plane
# and rotated by `yaw` from the Sun-centre line, and a power law in the ellipsoidal radius
# $r_q$ with up to two breaks.
#
# Stars are placed at their observed distances (S001 ignores distance errors; so do we, and
# chapter 4 shows what that costs). One step goes beyond S001: the GSE sample keeps only stars
# on eccentric orbits (e > 0.7), and on this mock the fraction of accreted stars that pass that
# cut varies with position (more near the plane than far above it). We measure that fraction
# from the data (the GSE sample before its eccentricity cut, chapter 1) with a smooth logistic
# model in $\ln r$ and the quadrupole of the direction, and fold it into the selection
# (`kinematic_completeness`).

# %% tags=["parameters", "hide-input"]
gse_sample_path = "_build/outputs/01_sample_construction/gse_sample.fits"  # chapter 1 output
gse_parent_path = "_build/outputs/01_sample_construction/gse_parent_sample.fits"  # before e > 0.7
parent_path = "_build/outputs/01_sample_construction/parent_sample.fits"  # S001's parent sample; "" to skip its fits
tiles_path = "data/h3_mock_tiles.fits"  # tile table of the survey
catalog_path = "data/h3_mock_catalog.fits"  # survey catalogue, used only for the mock mass check
truth_path = "data/h3_mock_truth.fits"  # mock truth for comparisons; "" for real data
output_dir = "_build/outputs/03_density_model"
seed = 3  # seed of starts, walkers and mocks
models = ["triaxial_double_break", "triaxial_single_break", "triaxial_no_break",
          "triaxial_aligned_double_break", "oblate_double_break", "oblate_single_break"]
n_starts = 4  # optimiser starts per model (at most: they stop once two end at the best ln L)
n_walkers = 40  # emcee walkers for the fiducial model
n_steps_max = 20000  # emcee step cap
n_tau = 50  # stop when the chain is longer than n_tau autocorrelation times
n_processes = 1  # processes of the emcee chain (1: each move's walkers in one compiled call, fastest on 2 cores)
n_mocks = 100  # forward-model mocks for the Poisson bands of the radial profile
kinematic_completeness = True  # model the position dependence of the e > 0.7 cut
sky_nside = 8  # HEALPix resolution of the residual maps
fold_distance_errors = True  # fit the fiducial model again with each star's distance error folded in
relaxed_ecc_min = 0.5  # eccentricity cut of S001's relaxed GSE sample (table 1)
height_z_min = 5.0  # |Z| cut (kpc) of S001's height-selected sample (figure 10)

# %% tags=["hide-input"]
import os

# one BLAS thread per process: the emcee chain and the studies below share the cores among processes
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json  # noqa: E402
import time

import healpy as hp
import numpy as np
import matplotlib.pyplot as plt
from astropy.table import Table

from halo_utils import density as dens, plotting
from halo_utils.reference import published_measurements
from halo_utils.catalog import read_table
from halo_utils.cuts import GSE_RADIAL_RANGE_KPC, SATELLITE_RADIUS_DEG, satellite_mask
from halo_utils.fitting import summary_contains
from halo_utils.mock import MockConfig, forward_mock
from halo_utils.chapter import ChapterRun, run_from_repository_root
from halo_utils.outputs import read_upstream
from halo_utils.samples import (S001_VARIANT_SAMPLES, s001_variant_samples, selectable_component_mask,
                                true_component_positions)
from halo_utils.survey import read_tiles

# opened in Jupyter (or Binder) from notebooks/, the kernel starts there; the paths above are
# relative to the repository root
run_from_repository_root()
# the GSE samples must come from a finished chapter-1 run on this survey's tiles and catalogue
upstream_inputs = {"tiles_path": tiles_path, "catalog_path": catalog_path, "truth_path": truth_path}
read_upstream(gse_sample_path, chapter="01_sample_construction", same_inputs=upstream_inputs)
if kinematic_completeness:
    read_upstream(gse_parent_path, chapter="01_sample_construction", same_inputs=upstream_inputs)
if parent_path:
    read_upstream(parent_path, chapter="01_sample_construction", same_inputs=upstream_inputs)
run = ChapterRun("03_density_model", globals(), inputs={
    "gse_sample_path": gse_sample_path, "gse_parent_path": gse_parent_path if kinematic_completeness else "",
    "parent_path": parent_path, **upstream_inputs})
out, rng = run.out, run.rng

# %% [markdown]
# The GSE sample of chapter 1 and the survey's tiles; on the mock, the true GSE density
# parameters to compare every fit with.

# %%
FIDUCIAL = "triaxial_double_break"
gse = Table.read(gse_sample_path)
tiles = read_tiles(tiles_path)
stars = dens.Stars.from_table(gse)
truth = None
if truth_path:
    cfg = MockConfig()
    truth = {k: cfg.gse[k] for k in dens.PARAM_NAMES if k != "log10_mass"}

# %% [markdown]
# ## The selection, once
#
# $S_t(D)$ is computed once per survey on 120 log-spaced distances between 1 and 150 kpc, for
# every tile except the satellite fields (chapter 1 removes every star in them). Nodes outside
# the sample's radial range (6 < r < 60 kpc) get zero weight, so each likelihood call is a
# single weighted sum over the remaining nodes.

# %%
t0 = time.perf_counter()
survey = dens.SelectionGrid.from_tiles(tiles, exclude=satellite_mask(tiles["RA"], tiles["DEC"], SATELLITE_RADIUS_DEG))
bare_survey = survey  # the survey selection alone, before the kinematic completeness
completeness = None
if kinematic_completeness:
    parent = Table.read(gse_parent_path)
    ppos = np.stack([np.asarray(parent[c], float) for c in "xyz"])
    completeness = dens.KinematicCompleteness.fit(ppos, np.asarray(parent["is_gse"], bool))
    survey = dens.apply_completeness(survey, completeness)
    print("e > 0.7 completeness, logistic coefficients (1, ln r, uz^2, ux^2-uy^2, ux uy, ux uz, uy uz):",
          np.round(completeness.coef, 3))
    for rr, c2 in ((8, 0.1), (15, 0.5), (30, 0.9)):
        x = np.array([[rr * np.sqrt(1 - c2)], [0.0], [rr * np.sqrt(c2)]])
        print(f"  r = {rr} kpc, cos^2 theta = {c2}: {completeness(x)[0]:.3f}")
print(f"{len(survey.tiles)} tiles, {survey.n_nodes:,} weighted nodes, {len(stars):,} stars "
      f"({time.perf_counter() - t0:.1f} s)")

# %% [markdown]
# ## Maximum likelihood for every variant
#
# Each model is maximised from several starts with the amplitude profiled analytically (at
# fixed shape, $\Lambda = N$), by L-BFGS-B on the exact gradient of $\ln L$ (conventions §8-9:
# about a hundred likelihood calls per fit where a finite-difference search needs thousands;
# the starts stop once two agree on the best $\ln L$). The Akaike information criterion $\mathrm{AIC} = 2k - 2\ln L_{\max}$
# penalises the extra parameters; $\exp[(\mathrm{AIC}_{\min} - \mathrm{AIC}_i)/2]$ is the relative
# likelihood that model $i$ minimises the information loss.

# %%
fits = {}
for name in models:
    t0 = time.perf_counter()
    fits[name] = dens.fit_mle(stars, survey, name, n_starts=n_starts, rng=rng)
    print(f"{name:32s} ln L = {fits[name]['log_likelihood']:11.2f}  k = {fits[name]['n_params']:2d}  "
          f"{fits[name]['n_calls']:4d} likelihood calls, {fits[name]['n_starts_run']} starts run "
          f"({time.perf_counter() - t0:.0f} s)")
aics = {k: v["aic"] for k, v in fits.items()}
rel = dens.relative_likelihoods(aics)
aic_table = Table({"model": list(aics), "k": [fits[k]["n_params"] for k in aics],
                   "ln_L_max": [fits[k]["log_likelihood"] for k in aics], "AIC": list(aics.values()),
                   "delta_AIC": [v - min(aics.values()) for v in aics.values()],
                   "relative_likelihood": [rel[k] for k in aics]})
aic_table.sort("AIC")
out.write_table(aic_table, "aic_table.ecsv")
aic_table["ln_L_max"].format = aic_table["AIC"].format = aic_table["delta_AIC"].format = ".1f"
aic_table["relative_likelihood"].format = ".2e"
aic_table.pprint(max_width=120)

# %% [markdown]
# ## The posterior of the fiducial model
#
# emcee explores the tilted triaxial doubly broken model from a ball around the maximum, with
# uniform priors (`halo_utils.density.PRIOR_BOUNDS`, plus $p \ge q$ and $r_1 < r_2$), until the
# chain is longer than `n_tau` autocorrelation times. The chain is stored in HDF5, so an
# interrupted run resumes.

# %%
# restart: a fresh chain for the book (fit_emcee can resume one)
chain = dens.sample_posterior(stars, survey, FIDUCIAL, start=fits[FIDUCIAL]["params"], rng=rng, n_processes=n_processes,
                              n_walkers=n_walkers, n_steps_max=n_steps_max, backend_path=out.file("emcee_fiducial.h5"),
                              restart=True, n_tau=n_tau)
emcee_time = chain["runtime_s"]
tau = chain["tau"]
print(dens.chain_report(chain))
plotting.plot_corner(chain["samples"], chain["names"], truths=truth)
out.savefig("corner_fiducial.png", dpi=90, bbox_inches="tight")
plt.show()

# %% [markdown]
# ### Parameter table
#
# Medians with 16th and 84th percentiles (S001 Table 1). On the mock we also show the truth
# and whether it lies inside the 95 % interval. The amplitude is the stellar mass of the
# population the sample traces (accreted chemistry, before the eccentricity cut when the
# kinematic completeness is modelled), within $1 < r_q < 100$ kpc. The last column is S001's
# measurement on the real H3 giants where its text prints it (rounded: the break radii, the
# axis ratios and the tilt; `data/published_measurements.ecsv`), a published value beside the
# mock's truth, not the truth itself.

# %%
in95 = summary_contains(chain["summary"], truth or {})
s001_printed = {str(r["key"]): float(r["value"]) for r in published_measurements(bibkey="Han2022")}
summary_rows = []
for name in chain["names"]:
    s = chain["summary"][name]
    row = {"parameter": name, "median": s["p50"], "minus": s["p50"] - s["p16"], "plus": s["p84"] - s["p50"],
           "p2.5": s["p2.5"], "p97.5": s["p97.5"]}
    if name in in95:
        row["truth"] = truth[name]
        row["truth_in_95"] = in95[name]
    row["S001_published"] = s001_printed.get(name, np.nan)
    summary_rows.append(row)
param_table = Table(rows=summary_rows)
out.write_table(param_table, "parameters_fiducial.ecsv")
for col in ("median", "minus", "plus", "p2.5", "p97.5"):
    param_table[col].format = ".3f"
param_table.pprint(max_width=140)

# %% [markdown]
# How to read the truth column: a 95 % interval misses its truth 5 % of the time, so with nine
# shape parameters one or two truths near an interval's edge is what a calibrated fit
# produces on a single realisation (about a third of realisations have at least one;
# chapter 4 measures the calibration over many mocks). Stars are placed at their observed
# distances, which carry 8-20 % errors; chapter 4's mocks have none, so any difference
# between the two chapters' calibration is the price of ignoring them.
#
# ### The draw or the method?
#
# A truth outside its interval has two possible causes: the analysis (distance errors,
# chemistry and eccentricity selection, contamination) or the random draw of the mock itself.
# The mock separates them. Fit the *true* positions of every GSE giant the selection
# function describes (catalogue stars with a good fit and S/N > 3, outside the satellite
# fields, true r in 6-60 kpc; no distance errors, no chemistry or kinematic cut), through
# the bare survey selection: whatever offset remains there is in the draw, and no method
# working from this catalogue can remove it. `density.truth_consistency` reports each
# parameter's pull and profile-likelihood ratio at the truth, and the likelihood ratio of the
# whole true shape, chi-squared with 9 degrees of freedom for a correct model.

# %%
draw_check = None
if truth_path and catalog_path:
    true_pos = true_component_positions(read_table(catalog_path, what="catalog_path"), read_table(truth_path, what="truth_path"), "gse")
    draw_check = dens.truth_consistency(dens.Stars(true_pos), bare_survey, truth, FIDUCIAL,
                                       rng=np.random.default_rng(seed))
    rows = [{"parameter": k, **v, "chain_median": chain["summary"][k]["p50"]} for k, v in draw_check["params"].items()]
    draw_table = Table(rows=rows)
    for col in ("mle", "sigma", "pull", "profile_lr", "chain_median"):
        draw_table[col].format = ".3f"
    print(f"{true_pos.shape[1]:,} true GSE giants: 2 ln LR(truth) = {draw_check['full_lr']:.1f} for "
          f"{draw_check['dof']} dof, p = {draw_check['p_value']:.3f}")
    draw_table.pprint(max_width=140)

# %% [markdown]
# Compare the last two columns. A parameter whose pull is large here, with the chain of the
# analysed sample near this fit, carries an offset of the draw, which the chapter-1 sample
# inherits. A chain median far from this fit points at the analysis instead: on this mock the
# distance errors, which the section "Distance errors folded in" below puts into the likelihood.
#
# ## The shape in the Galaxy
#
# Iso-density contours of the fitted model in the XY (z = 0) and XZ (y = 0) planes, over the
# stars within 5 kpc of each plane; on the mock the truth is dashed red. The tilt out of the
# disk plane is what S001 discovered: an ellipsoid aligned with the disk cannot reproduce it.

# %%
best = {k: float(np.median(chain["samples"][:, i])) for i, k in enumerate(chain["names"])}
truth_model = None if truth is None else ({**truth, "log10_mass": best["log10_mass"]}, FIDUCIAL)
fig = plotting.plot_isodensity_planes(best, FIDUCIAL, stars=stars.pos, truth=truth_model)
out.savefig("isodensity.png", fig, dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# Seen from above (left) the contours are ellipses whose long axis is turned away from the
# Sun-centre line; seen side-on (right) the same ellipses are tilted out of the disc plane. On the
# mock, the fit's contours take the truth's shape and orientation.

# %% [markdown]
# ### Which way the tilt points
#
# The major axis is a line through the centre; its end on the Sun's side ($x < 0$) is
# `density.sun_side_major_axis`, and a positive pitch puts that end above the plane
# (conventions §7). S001 finds GSE's axis "above the Galactic plane towards the Sun". Below:
# the fitted ellipsoid (dashed) over the truth (solid), and the share of posterior draws whose
# Sun-side end is above the plane.

# %%
shape_names = ("p", "q", "pitch", "yaw")
fitted_shape = {k: best[k] for k in shape_names}
plotting.plot_tilt_geometry(truth if truth else fitted_shape, fitted=fitted_shape if truth else None)
out.savefig("tilt_geometry.png", dpi=100, bbox_inches="tight")
plt.show()
i_pitch, i_yaw = chain["names"].index("pitch"), chain["names"].index("yaw")
sun_side_z = np.array([dens.sun_side_major_axis(p, y)[2] for p, y in chain["samples"][:, [i_pitch, i_yaw]]])
tilt_summary = {"sun_side_end_fit": dens.sun_side_major_axis(best["pitch"], best["yaw"]).tolist(),
                "sun_side_end_truth": (dens.sun_side_major_axis(truth["pitch"], truth["yaw"]).tolist()
                                       if truth else None),
                "posterior_fraction_above_plane": float(np.mean(sun_side_z > 0))}
print("Sun-side end of the major axis (x, y, z): fit", np.round(tilt_summary["sun_side_end_fit"], 3),
      "" if truth is None else f"truth {np.round(tilt_summary['sun_side_end_truth'], 3)}",
      f"; above the plane in {tilt_summary['posterior_fraction_above_plane']:.3f} of the posterior draws")

# %% [markdown]
# ## On the sky: the dipole of an untilted model
#
# Expected counts per HEALPix pixel from the fitted model, against the stars observed, for the
# fit and for the same parameters with pitch = yaw = 0 (S001 fig 8). Zeroing the tilt leaves a
# large-scale dipole of excess and deficit in the residuals.

# %%
pix = hp.ang2pix(sky_nside, np.asarray(gse["l"], float), np.asarray(gse["b"], float), lonlat=True)
data_sky = np.bincount(pix, minlength=hp.nside2npix(sky_nside)).astype(float)
untilted = {**best, "pitch": 0.0, "yaw": 0.0}
sky_models = {"fitted": dens.sky_counts(survey, best, FIDUCIAL, sky_nside),
              "pitch = yaw = 0": dens.sky_counts(survey, untilted, FIDUCIAL, sky_nside)}
plotting.plot_sky_residuals(data_sky, sky_models)
out.savefig("sky_residuals.png", dpi=90, bbox_inches="tight")
plt.show()
covered = sky_models["fitted"] > 0
chi2_sky = {k: float(np.sum((data_sky[covered] - m[covered]) ** 2 / m[covered])) for k, m in sky_models.items()}
print(f"Pearson chi^2 over {covered.sum()} pixels:", {k: round(v, 1) for k, v in chi2_sky.items()})

# %% [markdown]
# ## The radial profile, and why two breaks
#
# Dividing the counts in shells of Galactocentric radius by the selection-weighted volume of
# each shell gives a selection-corrected density (S001 fig 9). The no-, single- and
# double-break fits predict the same quantity; the shaded band is the 16-84 % range of the same
# estimate on `n_mocks` forward-model mocks of the fiducial fit (Poisson noise of the data).

# %%
edges = np.geomspace(*GSE_RADIAL_RANGE_KPC, 13)
r_mid = np.sqrt(edges[1:] * edges[:-1])
veff = dens.effective_volume(survey, edges)
data_density = np.histogram(np.asarray(gse["r"], float), edges)[0] / veff
curves = {}
for name in ("triaxial_double_break", "triaxial_single_break", "triaxial_no_break"):
    if name in fits:
        curves[name] = dens.radial_counts(survey, fits[name]["params"], name, edges) / veff
mock_density = []
for _ in range(n_mocks):
    mock = forward_mock(fits[FIDUCIAL]["params"], survey, rng)
    rm = np.sqrt(np.asarray(mock["x"]) ** 2 + np.asarray(mock["y"]) ** 2 + np.asarray(mock["z"]) ** 2)
    mock_density.append(np.histogram(rm, edges)[0] / veff)
band = np.percentile(mock_density, [16, 84], axis=0) if n_mocks else None
plotting.plot_radial_density(r_mid, data_density, curves, band)
out.savefig("radial_density.png", dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# The density falls ever more steeply outwards. The double-break model follows the data
# within the Poisson band of the mocks (bottom panel) over the whole range; a model with fewer
# breaks cannot bend twice and leaves larger residuals in the outermost shells.

# %% [markdown]
# ### Beside the literature (S001 figures 11-13)
#
# S001 compares its two breaks with the single break radii of earlier studies, which cluster
# near 16-20 kpc and near 27-30 kpc, and reads them as the two apocentric pile-ups of GSE, each
# study seeing the one its footprint and radial range favour. The figure puts the posterior of
# this chapter's fit beside published measurements on real stars (black; `data/published_measurements.ecsv`,
# read from each paper's abstract, so with their printed errors only): (a) the break radii, a
# Gaussian of the printed error or a line where none is printed, and S001's own rounded radii;
# (b) the density shapes, each scaled to meet the fit in the middle (in $\log r$) of the radii
# drawn for it, its sample's range within the panel (only shapes are published); (c) the local power-law index, each step a ramp across
# the printed break uncertainty, as in S001 figure 13. These are measurements of the real halo
# with other tracers and footprints, not the mock's truth (dashed red): the mock is drawn from
# S001's fit, so its fit should agree with S001, and the literature only roughly.

# %%
plotting.plot_profile_vs_literature(chain["samples"], chain["names"], truth=truth)
out.savefig("profile_vs_literature.png", dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# S001's outer break (28 kpc, black star) sits on the outer cluster of the literature
# (Deason+11, Sesar+11 at 27-28 kpc); its inner break (12 kpc) lies at smaller radii than the
# inner cluster (Xue+15, Kafle+14 at 17-18 kpc). S001 gives two reasons for the second: its
# chemically selected sample has more stars at small radii than most earlier ones, and a single
# break fitted to a doubly broken halo lands beyond the inner break (S001's own mock test, its
# figure 5). The mock is drawn from S001's values, so where this fit's posterior (red) misses
# the mock's truth (dashed red) the difference is the method's on one realisation, not the
# halo's (the parameter table above says by how much, and chapter 4 how often).

# %% [markdown]
# ## Stellar mass
#
# Integrating the fitted density gives the stellar mass of the traced population (through the
# approximate giants-per-solar-mass factor of the mock, `halo_utils.survey.GIANTS_PER_MSUN`).
# We state it in spherical Galactocentric radius, $1 < r < 100$ kpc, the radius the data's
# 6-60 kpc edge is in, with the part inside $r = 6$ kpc, where there are no data and the inner
# power law is extrapolated (`density.spherical_shell_mass`); the same in ellipsoidal radius
# $r_q$, in which the model's amplitude is defined, is the stated alternative.

# %%
mass_summary = {}
for radius in dens.MASS_RADII:
    log_masses_r, inner_r = dens.stellar_mass_posterior(chain["samples"], chain["names"], FIDUCIAL, inner=(1.0, 6.0),
                                                        radius=radius)
    m16, m50, m84 = np.percentile(log_masses_r, [16, 50, 84])
    f_inner = np.percentile(inner_r, [16, 50, 84])
    print(f"{radius:11s} log10 M(1 < r < 100 kpc) = {m50:.3f} (+{m84 - m50:.3f} / -{m50 - m16:.3f}); "
          f"fraction inside 6 kpc: {f_inner[1]:.3f} ({f_inner[0]:.3f}-{f_inner[2]:.3f})")
    mass_summary[radius] = {"log10_mass_p16_p50_p84": [m16, m50, m84], "fraction_inside_6kpc_p16_p50_p84": f_inner}
    if radius == "ellipsoidal":
        log_masses = log_masses_r  # the amplitude itself: what the mock's truth is stated in
if truth_path and catalog_path:
    # The traced population is the part of GSE that survives the sample's non-spatial cuts
    # (chemistry, Sgr, unbound; and e > 0.7 unless its completeness is modelled). The mock
    # truth tells what fraction of the selected GSE giants that is.
    cat, tt = read_table(catalog_path, what="catalog_path"), read_table(truth_path, what="truth_path")
    traced = Table.read(gse_parent_path if kinematic_completeness else gse_sample_path)
    frac = dens.traced_fraction(cat, selectable_component_mask(cat, tt, "gse"), traced)
    expected = MockConfig().gse["log10_mass"] + np.log10(frac)
    mass_summary["ellipsoidal"].update({"true_log10_mass_total": MockConfig().gse["log10_mass"], "traced_fraction": frac,
                         "true_log10_mass_traced": expected,
                         "truth_in_95": bool(np.percentile(log_masses, 2.5) <= expected
                                             <= np.percentile(log_masses, 97.5))})
    print(f"mock truth: log10 M_GSE = {MockConfig().gse['log10_mass']}; the sample traces {frac:.3f} of the "
          f"selected GSE giants, so the fit should find {expected:.3f} in 1 < r_q < 100 kpc: inside 95 % = "
          f"{mass_summary['ellipsoidal']['truth_in_95']}")

# %% [markdown]
# ## Distance errors folded in
#
# Everything above evaluates the density at each star's observed position, as S001 does (its
# section 5.1 names the distance errors a limitation). The spectrophotometric distances here
# scatter by 8-20 % (the catalogue's `dist_adpt_err`). Folded in, each star's term becomes the
# density integrated along its line of sight, weighted by the volume, the luminosity function at
# the absolute magnitude its apparent magnitude implies, the survey's selection and its
# log-normal distance error; and the sample's 6-60 kpc cut, made on observed distances, counts
# each selection node with the chance that its observed distance passes it
# (`density.fold_distance_errors`, conventions §8). Both fits are maximum likelihood with Laplace
# errors; the table shows how far folding moves each parameter, in units of its error.

# %%
fold_summary = None
if fold_distance_errors:
    t0 = time.perf_counter()
    sigma_ln_d = dens.median_distance_error(gse)
    folded_survey = dens.SelectionGrid.from_tiles(survey.tiles, distance_error=sigma_ln_d)
    if completeness is not None:
        folded_survey = dens.apply_completeness(folded_survey, completeness)
    folded_stars = dens.fold_distance_errors(gse, folded_survey, completeness=completeness)
    folded_fit = dens.fit_mle(folded_stars, folded_survey, FIDUCIAL, n_starts=n_starts, rng=rng,
                              start=fits[FIDUCIAL]["params"])
    # the plain likelihood polished from the folded maximum too: both columns then compare the
    # same mode of the (kinked, multi-peaked) likelihood, not two starts that ended apart
    repolished = dens.fit_mle(stars, survey, FIDUCIAL, n_starts=0, rng=rng, start=folded_fit["params"])
    plain_fit = max(fits[FIDUCIAL], repolished, key=lambda f: f["log_likelihood"])
    sigma_folded = dens.laplace_sigmas(folded_fit, folded_stars, folded_survey)
    sigma_plain = dens.laplace_sigmas(plain_fit, stars, survey)
    fold_table = Table({"parameter": list(folded_fit["params"]),
                        "plain": [plain_fit["params"][k] for k in folded_fit["params"]],
                        "plain_sigma": [sigma_plain[k] for k in folded_fit["params"]],
                        "folded": list(folded_fit["params"].values()),
                        "folded_sigma": [sigma_folded[k] for k in folded_fit["params"]]})
    fold_table["shift_in_sigma"] = (fold_table["folded"] - fold_table["plain"]) / fold_table["plain_sigma"]
    if truth:
        fold_table["truth"] = [truth.get(k, np.nan) for k in fold_table["parameter"]]
        fold_table["plain_pull"] = (fold_table["plain"] - fold_table["truth"]) / fold_table["plain_sigma"]
        fold_table["folded_pull"] = (fold_table["folded"] - fold_table["truth"]) / fold_table["folded_sigma"]
    out.write_table(fold_table, "distance_error_fits.ecsv")
    for c in fold_table.colnames[1:]:
        fold_table[c].format = ".3f"
    fold_table.pprint(max_width=160)
    fold_summary = {"median_sigma_ln_d": sigma_ln_d, "n_points_per_star": folded_stars.ln_weight.shape[1],
                    "plain_log_likelihood_gain_from_folded_start": repolished["log_likelihood"]
                    - fits[FIDUCIAL]["log_likelihood"],
                    "log_likelihood": folded_fit["log_likelihood"], "n_calls": folded_fit["n_calls"],
                    "rows": [dict(zip(fold_table.colnames, [r[c] for c in fold_table.colnames])) for r in fold_table]}
    print(f"median sigma(ln D) = {sigma_ln_d:.3f}; {folded_stars.ln_weight.shape[1]} points per star; "
          f"{folded_fit['n_calls']} likelihood calls ({time.perf_counter() - t0:.0f} s)")

# %% [markdown]
# Distance errors move stars along their lines of sight: they blur the breaks and reshape the
# slopes, in ways that depend on the size of the errors, the volume and the selection together
# (S001 tested it on mocks with distance errors and found the effect within its statistical
# errors). The pulls against the truth show which parameters it moves on this mock and how far
# folding brings them back; chapter 4 measures both over many mocks that run the whole
# pipeline, from the mock survey through the chapter-1 cuts to this fit.

# %% [markdown]
# ## Other samples: S001 table 1 and figure 10
#
# How much do the results depend on the sample? S001 refits with a relaxed eccentricity cut
# ($e > 0.5$), fits the fiducial model to the whole parent sample (every clean, bound giant,
# whatever its chemistry: the thick disc and in-situ halo join GSE), and fits a restricted model
# (an aligned oblate spheroid with one break) to a halo selected only by height $|Z|$, as pre-Gaia
# studies did (its figure 10). Each row here is a maximum-likelihood fit with Laplace errors (blank
# where the fit ends on a prior edge or a flat direction, where the Hessian gives none); the
# relaxed sample's eccentricity cut has its own kinematic completeness, and the height-selected
# sample's selection is zero below `height_z_min` (`SelectionGrid(z_min=...)`). On the mock the
# truth is the GSE component's: the parent and height rows mix components, so S001 expects them
# to move (a smaller tilt, a rounder shape, a steeper inner slope), not to recover it.

# %%
variant_rows = []
if parent_path:
    parent_sample = Table.read(parent_path)
    variant_masks = s001_variant_samples(parent_sample, ecc_min=relaxed_ecc_min, z_min=height_z_min)
    ppos_all = np.stack([np.asarray(parent_sample[c], float) for c in "xyz"])
    accreted = np.asarray(parent_sample["chem_class"]).astype(str) == "accreted"
    for name, model in (("gse_relaxed_ecc", FIDUCIAL), ("parent", FIDUCIAL), ("height", "oblate_single_break")):
        t0 = time.perf_counter()
        grid = bare_survey
        if name == "gse_relaxed_ecc" and kinematic_completeness:
            grid = dens.apply_completeness(bare_survey, dens.KinematicCompleteness.fit(
                ppos_all[:, accreted], variant_masks[name][accreted]))
        elif name == "height":
            grid = dens.SelectionGrid.from_tiles(survey.tiles, z_min=height_z_min)
        sample = dens.Stars(ppos_all[:, variant_masks[name]])
        fit = dens.fit_mle(sample, grid, model, n_starts=n_starts, rng=rng)
        sigma = dens.laplace_sigmas(fit, sample, grid)  # NaN where the fit is not at a maximum
        at_maximum = bool(np.all(np.isfinite(list(sigma.values()))))
        m_sph = dens.stellar_mass_posterior(np.array([dens.get_model(model).vector(fit["params"])]),
                                            dens.get_model(model).free, model)
        variant_rows.append({"sample": name, "model": model, "n_stars": len(sample), "params": fit["params"],
                             "sigma": sigma, "at_maximum": at_maximum, "log10_mass_spherical": float(m_sph[0][0]),
                             "fraction_inside_6kpc_spherical": float(m_sph[1][0])})
        print(f"{name} ({S001_VARIANT_SAMPLES[name]}): {len(sample):,} stars, {model}, "
              f"{fit['n_calls']} likelihood calls ({time.perf_counter() - t0:.0f} s)"
              + ("" if at_maximum else "; not at a maximum (a parameter at its prior edge, or a flat"
                 " direction): no Laplace errors"))
    fiducial_row = {"sample": "gse (fiducial)", "model": FIDUCIAL, "n_stars": len(stars),
                    "params": {n: chain["summary"][n]["p50"] for n in chain["names"]},
                    "sigma": {n: 0.5 * (chain["summary"][n]["p84"] - chain["summary"][n]["p16"]) for n in chain["names"]}}
    columns = list(chain["names"])
    table1 = Table(rows=[[r["sample"], r["model"], r["n_stars"]]
                         + [r["params"].get(n, np.nan) for n in columns]
                         + [r["sigma"].get(n, np.nan) for n in columns]
                         for r in (fiducial_row, *variant_rows)],
                   names=["sample", "model", "n_stars", *columns, *[f"{n}_err" for n in columns]])
    out.write_table(table1, "s001_table1.ecsv")
    for n in columns:
        table1[n].format = table1[f"{n}_err"].format = ".2f"
    table1[["sample", "model", "n_stars", *columns]].pprint(max_width=200)
    if truth:
        print("truth (GSE):", {k: truth[k] for k in columns if k in truth})

# %% [markdown]
# Read the rows against S001 (its section 4.2): with the relaxed cut its density parameters do
# not move appreciably and only the mass grows with the sample; the whole parent sample, with the
# thick disc and in-situ halo in it, gives a smaller tilt, a shape closer to an oblate one
# aligned with the plane, and a steeper inner slope; the height-selected sample constrains an
# oblate spheroid with a single break, as the older literature found. On the mock the same
# directions appear where the components that join GSE differ from it: the in-situ halo is
# oblate, aligned with the disc and steep, and the thick disc sits inside 10 kpc.

# %% [markdown]
# ## Outputs

# %%
summary = {
    "chapter": "03_density_model",
    "n_stars": len(stars),
    "n_nodes": survey.n_nodes,
    "mle": {k: {"params": v["params"], "log_likelihood": v["log_likelihood"], "aic": v["aic"],
                "n_params": v["n_params"]} for k, v in fits.items()},
    "aic": aics,
    "relative_likelihood": rel,
    "emcee": {"tau": tau, "n_steps": chain["n_steps"], "n_walkers": chain["n_walkers"],
              "acceptance": chain["acceptance"], "converged": chain["converged"],
              "burn_in": chain["burn_in"],
              "n_over_tau": (chain["n_steps"] - chain["burn_in"]) / float(np.max(tau)), "runtime_s": emcee_time},
    "parameters_fiducial": {r["parameter"]: {k: r[k] for k in r.colnames if k not in ("parameter", "S001_published")}
                            for r in param_table},
    "truth_in_95": ({r["parameter"]: bool(r["truth_in_95"]) for r in param_table if "truth_in_95" in r.colnames
                     and r["parameter"] in (truth or {})} if truth else None),
    "stellar_mass": mass_summary,
    "draw_check": None if draw_check is None else {
        "n_stars": int(true_pos.shape[1]), "full_lr": draw_check["full_lr"], "dof": draw_check["dof"],
        "p_value": draw_check["p_value"], "params": draw_check["params"]},
    "sky_chi2": chi2_sky,
    "tilt": tilt_summary,
    "distance_errors_folded": fold_summary,
    "s001_variants": [{k: v for k, v in r.items()} for r in variant_rows],
    "kinematic_completeness_coef": None if completeness is None else completeness.coef,
}
run.finish(summary)
print(json.dumps({k: summary[k] for k in ("aic", "truth_in_95")}, indent=1, default=str))

# %% [markdown]
# ## Exercises
#
# Exercises that change a parameter rerun this chapter with papermill, into an output directory of
# their own (`-p output_dir _build/exercises/...`; see [Rerunning a
# chapter](../intro.md#rerunning-a-chapter) and the README's "Rerun one chapter"); the others add a
# cell at the end of this notebook after it has run, using its variables. Each maximum-likelihood
# fit below takes seconds.

# %% [markdown]
# ````{exercise} Modelling the eccentricity cut, or not
# :label: ch3-ex-completeness
#
# The GSE sample keeps only stars with $e > 0.7$, and the fraction of accreted stars that pass
# varies with position. Refit the fiducial model by maximum likelihood through the bare survey
# selection (`bare_survey`, without the kinematic completeness) and compare each parameter with the
# chapter's fit, in units of its Laplace error. Which parameters move, in which direction, and why?
# What does the amplitude measure in each case?
# ````
#
# ````{solution} ch3-ex-completeness
# :class: dropdown
#
# With the chapter run at its default `kinematic_completeness = True`:
#
# ```python
# fit_bare = dens.fit_mle(stars, bare_survey, FIDUCIAL, n_starts=n_starts, rng=rng)
# sigma = dens.laplace_sigmas(fits[FIDUCIAL], stars, survey)
# for k, v in fits[FIDUCIAL]["params"].items():
#     shift = (fit_bare["params"][k] - v) / sigma[k]
#     print(f"{k:10s} modelled {v:8.3f}  ignored {fit_bare['params'][k]:8.3f}  shift {shift:+5.1f} sigma"
#           + (f"  truth {truth[k]}" if truth and k in truth else ""))
# ```
#
# (or rerun the whole chapter with `-p kinematic_completeness False` to see the chain, the sky
# residuals and the profile too). The pitch moves most, by several of its errors towards the plane,
# and the axis ratios shift a little. More accreted stars pass the cut near the plane than far
# above it; a fit that does not know this sees a deficit of stars high above the plane and turns
# the major axis, whose Sun-side end points above the plane, down towards it. The amplitude drops
# by roughly the logarithm of the fraction that passes the cut (about 0.15 dex): with the
# completeness modelled it describes the whole accreted population before the cut, without it only
# the stars with $e > 0.7$. A selection the model leaves out becomes a property of the halo it
# reports.
# ````

# %% [markdown]
# ````{exercise} Half the sky
# :label: ch3-ex-half-sky
#
# The tilt of GSE was found with a survey that covers both sides of the Galactic plane. Fit the
# fiducial model to the northern Galactic hemisphere alone ($b > 0$: its tiles and its stars) and
# compare the Laplace error of `pitch` with the full fit's. Is the loss larger than the loss of
# stars alone explains? Compare also how strongly the AIC prefers the tilted model over
# `triaxial_aligned_double_break` with and without the southern tiles.
#
# *Hint:* build the northern selection like the chapter's,
# `dens.SelectionGrid.from_tiles(tiles[north], exclude=...)`, then apply the same kinematic
# completeness.
# ````
#
# ````{solution} ch3-ex-half-sky
# :class: dropdown
#
# ```python
# north = np.asarray(tiles["b"]) > 0
# north_survey = dens.SelectionGrid.from_tiles(
#     tiles[north], exclude=satellite_mask(tiles["RA"][north], tiles["DEC"][north], SATELLITE_RADIUS_DEG))
# if completeness is not None:
#     north_survey = dens.apply_completeness(north_survey, completeness)
# north_stars = dens.Stars.from_table(gse[np.asarray(gse["b"]) > 0])
# for label, (st, sv) in {"all sky": (stars, survey), "b > 0": (north_stars, north_survey)}.items():
#     tilted = dens.fit_mle(st, sv, FIDUCIAL, n_starts=n_starts, rng=rng)
#     aligned = dens.fit_mle(st, sv, "triaxial_aligned_double_break", n_starts=n_starts, rng=rng)
#     sigma = dens.laplace_sigmas(tilted, st, sv)
#     print(f"{label}: {len(st)} stars, pitch {tilted['params']['pitch']:.1f} +- {sigma['pitch']:.2f} deg, "
#           f"AIC(aligned) - AIC(tilted) = {aligned['aic'] - tilted['aic']:.0f}")
# ```
#
# About three quarters of the stars survive, so the pitch error would grow by
# $\sqrt{4/3} \approx 1.15$ if every star carried the same information; it grows by more, and the
# AIC preference for a tilt shrinks by a much larger factor than the star count. A tilt out of the
# plane is measured by comparing the density above and below the plane along the major axis: the
# Sun-side end of the axis points above the plane and the far end below. One hemisphere sees only
# one of the two, and the fit must infer the tilt from the shape of the iso-density surfaces on one
# side. Where a survey looks decides what it can measure, not only how many stars it gets.
# ````

# %% [markdown]
# ````{exercise} How many stars does a second break need?
# :label: ch3-ex-second-break
#
# The AIC prefers the doubly broken profile over the single break. Refit both models to random
# halves of the GSE sample. How should
# $\Delta\mathrm{AIC} = \mathrm{AIC}_{\rm single} - \mathrm{AIC}_{\rm double}$ scale with the
# number of stars, and below roughly how many stars would the AIC stop preferring the second break?
#
# *Hint:* the double break has two more parameters ($\alpha_3$ and $r_2$), and the expected
# log-likelihood ratio of two models is a sum over stars.
# ````
#
# ````{solution} ch3-ex-second-break
# :class: dropdown
#
# ```python
# def delta_aic(st):
#     double = dens.fit_mle(st, survey, FIDUCIAL, n_starts=n_starts, rng=rng)
#     single = dens.fit_mle(st, survey, "triaxial_single_break", n_starts=n_starts, rng=rng)
#     return single["aic"] - double["aic"]
#
# print("all stars:", round(delta_aic(stars), 1))
# for trial in range(5):
#     half = rng.random(len(gse)) < 0.5
#     print("a random half:", round(delta_aic(dens.Stars.from_table(gse[half])), 1))
# ```
#
# $\Delta\mathrm{AIC} = 2\Delta\ln L - 4$, and the expected $\Delta\ln L$ grows in proportion to
# $N$, so for half the stars expect about $(\Delta\mathrm{AIC}_{\rm all} + 4)/2 - 4$, with a
# scatter of several units from one half to another (the log-likelihood ratio of one sample
# fluctuates, roughly by the square root of its size). The preference vanishes near
# $N \approx N_{\rm all} \times 4/(\Delta\mathrm{AIC}_{\rm all} + 4)$ stars. The second break is a
# detail of the profile that only a large sample resolves; a smaller survey finding one break does
# not contradict two.
# ````
