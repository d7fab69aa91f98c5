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
# # 4. Does the forward model recover the truth?
#
# A likelihood is only as good as its recovery of known answers. Because the density model of
# chapter 3 is *generative*, it can draw mock catalogues through exactly the survey selection
# (`halo_utils.mock.forward_mock`: positions from density times selection over the same tiles,
# luminosities from the luminosity function). This chapter asks three questions (S001 section
# 3.2, and one beyond it):
#
# 1. fitted with the right model, does a tilted triaxial doubly broken mock give back its truth?
# 2. fitted with the *restricted* model most earlier studies used (an aligned oblate ellipsoid
#    with a single break), how wrong is it, and does it know it is wrong?
# 3. over many mocks, do the 68 % intervals contain the truth 68 % of the time (coverage)?

# %% tags=["parameters", "hide-input"]
tiles_path = "data/h3_mock_tiles.fits"  # tile table of the survey to mock
output_dir = "_build/outputs/04_mock_recovery"
seed = 4  # seed of the mocks, starts and walkers
truth_log10_mass = 9.05  # mass of the traced population: about 5,500 stars through this survey
n_walkers = 40  # emcee walkers
n_steps_max = 20000  # emcee step cap
n_tau = 50  # chain length in autocorrelation times
n_processes = 1  # processes of the emcee chain (1: each move's walkers in one compiled call, fastest on 2 cores)
n_starts = 2  # random optimiser starts for the fits of parts (a) and (b)
n_coverage_mocks = 50  # mocks for the coverage test (maximum likelihood + Laplace)
n_pipeline_mocks = 20  # full-pipeline mocks: new mock surveys through the chapter-1 cuts and the chapter-3 fit
pipeline_orbit_integrator = "leapfrog"  # orbits of their e > 0.7 cut (chapter 1 uses dopri853)
pipeline_orbit_dt_myr = 1.0  # orbit time step of their e > 0.7 cut, Myr
scheduler_address = ""  # dask scheduler of the coverage study ("": a local cluster, one worker per core)
restricted_model = "oblate_single_break"  # the misspecified model of S001 fig 5

# %% tags=["hide-input"]
import os

# one BLAS thread per process: the emcee chain and the studies below share the cores among processes
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np
import matplotlib.pyplot as plt

from halo_utils import density as dens, density_coverage, plotting
from halo_utils.cuts import SATELLITE_RADIUS_DEG, satellite_mask
from halo_utils.fitting import summary_contains
from halo_utils.mock import GSE_TRUTH, forward_mock
from halo_utils.chapter import ChapterRun, run_from_repository_root
from halo_utils.survey import read_tiles

# opened in Jupyter (or Binder) from notebooks/, the kernel starts there; the paths above are
# relative to the repository root
run_from_repository_root()
run = ChapterRun("04_mock_recovery", globals(), inputs={"tiles_path": tiles_path})
out, rng = run.out, run.rng

# %% [markdown]
# The truth of the mocks of parts (a)-(c) is the mock survey's GSE shape; they are drawn
# through chapter 3's survey selection, which also tells how many stars a mock holds on average.

# %%
FIDUCIAL = "triaxial_double_break"
truth = {**GSE_TRUTH, "log10_mass": truth_log10_mass}
tiles = read_tiles(tiles_path)
survey = dens.SelectionGrid.from_tiles(tiles, exclude=satellite_mask(tiles["RA"], tiles["DEC"], SATELLITE_RADIUS_DEG))
print(f"truth: {truth}")
print(f"expected stars: {survey.expected_number(truth):.0f}")

# %% [markdown]
# ## (a) The right model
#
# One mock at the truth, fitted like the data of chapter 3: maximum likelihood, then emcee. Red
# lines in the corner plot mark the truth.

# %%
mock = forward_mock(truth, survey, rng)
out.write_table(mock, "mock_a.fits")
stars = dens.Stars.from_table(mock)
print(f"mock (a): {len(stars):,} stars")


def fit_and_sample(model, label):
    """Maximum likelihood, then emcee from the maximum (restart: a fresh chain for the book)."""
    fit = dens.fit_mle(stars, survey, model, n_starts=n_starts, rng=rng)
    chain = dens.sample_posterior(stars, survey, model, start=fit["params"], rng=rng, n_processes=n_processes,
                                  n_walkers=n_walkers, n_steps_max=n_steps_max,
                                  backend_path=out.file(f"emcee_{label}.h5"), restart=True, n_tau=n_tau)
    print(f"{model}: {dens.chain_report(chain)}")
    return fit, chain


fit_a, chain_a = fit_and_sample(FIDUCIAL, "a_fiducial")
plotting.plot_corner(chain_a["samples"], chain_a["names"], truths=truth)
out.savefig("corner_a_fiducial.png", dpi=90, bbox_inches="tight")
plt.show()
in95_a = summary_contains(chain_a["summary"], truth)
print("truth inside the 95 % interval:", in95_a)

# %% [markdown]
# This mock has no distance errors and no selection beyond the survey's, so the likelihood is
# exactly the generator's: any truth outside its interval is the draw. Its size, in the
# likelihood's own units (profile-likelihood ratio at the truth, chi-squared with 1 degree of
# freedom; and the whole true shape, chi-squared with 9), says how unusual this draw is.

# %%
draw_a = dens.truth_consistency(stars, survey, truth, FIDUCIAL, rng=np.random.default_rng(seed))
print(f"2 ln LR(true shape) = {draw_a['full_lr']:.1f} for {draw_a['dof']} dof, p = {draw_a['p_value']:.3f}")
print({k: f"pull {v['pull']:+.2f}, profile LR {v['profile_lr']:.2f}" for k, v in draw_a["params"].items()})

# %% [markdown]
# ## (b) The wrong model, confidently
#
# The same mock, fitted with an aligned oblate ellipsoid and a single break. The posterior is
# narrow, and wrong: it cannot tilt, so it absorbs the tilt into its flattening, and it places
# its single break between the two true ones (S001 fig 5). Narrow error bars are a statement
# about the model, not about the Galaxy.

# %%
fit_b, chain_b = fit_and_sample(restricted_model, "b_restricted")
plotting.plot_corner(chain_b["samples"], chain_b["names"])
out.savefig("corner_b_restricted.png", dpi=90, bbox_inches="tight")
plt.show()
sb = chain_b["summary"]
q_excludes = not summary_contains(sb, {"q": truth["q"]})["q"]
rb_excludes = {f"r{i}": not summary_contains(sb, {"r1": truth[f"r{i}"]})["r1"] for i in (1, 2)}
print(f"restricted q: {sb['q']['p50']:.3f} [{sb['q']['p2.5']:.3f}, {sb['q']['p97.5']:.3f}] vs truth {truth['q']}: "
      f"excluded = {q_excludes}")
print(f"restricted break: {sb['r1']['p50']:.1f} [{sb['r1']['p2.5']:.1f}, {sb['r1']['p97.5']:.1f}] kpc vs true "
      f"breaks {truth['r1']}, {truth['r2']}: excluded = {rb_excludes}")
delta_aic = fit_b["aic"] - fit_a["aic"]
print(f"AIC(restricted) - AIC(fiducial) = {delta_aic:.1f}")

# %% [markdown]
# ## (c) Coverage over many mocks
#
# Beyond the paper: `n_coverage_mocks` independent mocks at the truth, each fitted by maximum
# likelihood (L-BFGS-B on the exact gradient, started at the truth, amplitude profiled),
# with two kinds of 68 % interval: Laplace (MLE +- the inverse-Hessian sigma) and
# profile likelihood (the values whose re-maximised likelihood is within
# $2\Delta\ln L \le 1$ of the peak; `density.profile_likelihood_ratios`). The Laplace interval
# assumes a Gaussian likelihood; the inner profile is not Gaussian. A star crossing a break
# changes the slope of $\ln L$, the chain of part (a) shows $r_1$'s long tail towards $r_2$,
# and the likelihood can have two peaks: on one mock the maximum sits at
# $\alpha_1 = 0.45$, $r_1 = 10.2$ kpc (a flat inner halo, the break just outside the 6 kpc
# inner edge), with a second peak at $\alpha_1 = 1.7$, $r_1 = 11.7$ kpc only 1.9 lower in
# $\ln L$. The Hessian at either peak knows nothing of the other; the profile follows both.
# Each constrained re-maximisation runs L-BFGS-B on the exact gradient from the Gaussian
# conditional maximum, restarted where a kink ends its line search (conventions §9): with
# finite-difference gradients it stopped after one iteration on such kinked profiles, which
# inflated the ratio (47 instead of 4.4 on that mock) and lowered the profile coverage. Fits whose Hessian is not negative
# definite are counted as Laplace failures and reported. The mocks run as the tasks of a dask
# study (`halo_utils.density_coverage.coverage_fits`): on a local cluster, one worker per core, or
# on the cluster at `scheduler_address`. Each mock has its own seed from a `SeedSequence` of the
# chapter seed, so the result does not depend on how many workers run them, or in which order.
# For a calibrated method, each parameter's 68 % interval contains the truth in 68 % of the
# mocks, within the binomial error
# $\sqrt{0.68 \times 0.32 / N}$.

# %%
t0 = time.perf_counter()
model = dens.get_model(FIDUCIAL)
coverage_fits = density_coverage.coverage_fits(n_coverage_mocks, truth, survey, FIDUCIAL, seed=seed,
                                               scheduler_address=scheduler_address or None)
out.write_table(coverage_fits, "coverage_fits.ecsv")
print(f"{n_coverage_mocks} mock fits in {time.perf_counter() - t0:.0f} s")

n_ok = dens.laplace_ok(coverage_fits, model.free)
print(f"Laplace errors failed for {np.sum(~n_ok)} of {n_ok.size} mocks (excluded below)")
coverage = dens.coverage_table(coverage_fits, truth, model.free)
out.write_table(coverage, "coverage.ecsv")
for col in ("coverage_68", "binomial_sigma_68", "coverage_95", "mean_pull", "std_pull", "profile_coverage_68",
            "profile_coverage_95"):
    coverage[col].format = ".3f"
coverage.pprint(max_width=140)

ax = plotting.plot_coverage(coverage, len(coverage_fits))
out.savefig("coverage.png", ax.figure, dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# The pulls $(\hat\theta - \theta_{\rm true})/\sigma$ should be standard normal; the table gives
# their mean and spread for each parameter. Read the two interval types differently. The
# Laplace pulls are wider than normal wherever the likelihood is not a single Gaussian
# peak, most of all for $r_1$, whose maximum hops between the two peaks described above
# from mock to mock: the Hessian at one peak cannot know about the other, so the Laplace
# interval is too narrow there, and no number of mocks fixes that. The profile intervals
# follow the likelihood's real shape; they are the intervals to quote for a single maximum-
# likelihood fit, and the posterior intervals of emcee (parts a and b) follow it as well.

# %% [markdown]
# ## (d) Coverage over full-pipeline mocks
#
# The mocks of part (c) come from the model the fit assumes: stars at their true distances, only
# GSE, nothing cut. Chapter 3 runs something else on the default data, and that is what needs
# calibrating. Here each of `n_pipeline_mocks` mocks is a whole new mock survey with a new seed
# (`mock.generate_survey`: every component, distance errors, the survey's own tiles and fibre
# sampling), cut into samples by the chapter-1 code (chemistry classes, Sagittarius and
# satellites out, $e > 0.7$, $6 < r < 60$ kpc on observed distances) and fitted as chapter 3 fits
# it: the selection of the mock's own tiles times the kinematic completeness fitted to that mock,
# once with stars at their observed positions and once with their distance errors folded in
# (`density_coverage.pipeline_coverage_fits`). The truth is the mock's GSE shape, and for the
# amplitude the mass of the population the sample traces (chapter 3's definition). The orbits of
# the eccentricity cut use leapfrog at 1 Myr (`pipeline_orbit_integrator`): against chapter 1's
# dopri853 it changes ~0.2 % of the GSE members, at 1/17 of the cost.

# %%
t0 = time.perf_counter()
pipeline_fits = density_coverage.pipeline_coverage_fits(
    n_pipeline_mocks, seed=seed, orbit_integrator=pipeline_orbit_integrator, orbit_dt_myr=pipeline_orbit_dt_myr,
    scheduler_address=scheduler_address or None)
out.write_table(pipeline_fits, "pipeline_fits.ecsv")
print(f"{n_pipeline_mocks} full-pipeline mocks ({np.min(pipeline_fits['n_stars'])}-"
      f"{np.max(pipeline_fits['n_stars'])} GSE stars each) in {time.perf_counter() - t0:.0f} s")
pipeline_coverage = density_coverage.pipeline_coverage(pipeline_fits)
for name in density_coverage.PIPELINE_FITS:
    table = pipeline_coverage[name]
    out.write_table(table, f"pipeline_coverage_{name}.ecsv")
    print(f"{name}: Laplace errors failed for {len(pipeline_fits) - int(np.max(table['n_mocks']))} of "
          f"{len(pipeline_fits)} mocks")
    for col in ("coverage_68", "binomial_sigma_68", "coverage_95", "mean_pull", "std_pull", "profile_coverage_68",
                "profile_coverage_95"):
        table[col].format = ".3f"
    table.pprint(max_width=140)
fig = plotting.plot_coverage_panels({name: pipeline_coverage[name] for name in density_coverage.PIPELINE_FITS},
                                    len(pipeline_fits), titles={"plain": "stars at their observed positions (S001)",
                                                                "folded": "distance errors folded in"})
out.savefig("pipeline_coverage.png", fig, dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# Compare the two panels and the mean pulls. Whatever separates the plain fit's coverage from
# part (c)'s is the pipeline: distance errors, contamination by other components that share the
# accreted chemistry, the eccentricity cut and its modelled completeness. Folding the distance
# errors in removes their part; what remains in the folded panel is the rest of the pipeline,
# and the mean pulls say in which direction it moves each parameter.
#
# ### Where a remaining bias comes from
#
# Each mock is fitted twice more, on its *true* positions through the bare survey selection
# (`density_coverage.LADDER_FITS`): every GSE giant the selection function describes (the
# model the fit assumes, so unbiased up to the draw), and the same giants less those that
# chapter 1's Sagittarius cut removes. That cut takes the stars within 25 deg of the Sgr
# orbital plane whose angular momentum is Sgr-like ($L_y < -0.3 L_z - 2.5$); a GSE star far out
# along the plane can have such an angular momentum by chance, so the cut removes a few GSE
# stars, at large radius and close to the Galactic $x$-$z$ plane in which Sgr orbits, and the
# selection function does not know. Missing stars far out near the $x$-$z$ plane, which holds
# most of the tilted major axis, make the ellipsoid look shorter along that axis, so both axis
# ratios $p = b/a$ and $q = c/a$ come out high. The mean pulls of the four fits side by side
# show which step moves what.

# %%
n_sgr = np.asarray(pipeline_fits["n_sgr_cut_gse"])
n_true = np.asarray(pipeline_fits["true_positions_n_stars"])
print(f"the Sagittarius cut removes {np.min(n_sgr)}-{np.max(n_sgr)} of {np.min(n_true):,}-{np.max(n_true):,} "
      f"selectable GSE giants per mock ({100 * np.mean(n_sgr / n_true):.1f} % on average)")
ladder_labels = {"true_positions": "true positions, every selectable giant",
                 "true_minus_sgr": "true positions, less the Sgr cut's GSE stars",
                 "plain": "full pipeline, observed positions", "folded": "full pipeline, distance errors folded in"}
ax = plotting.plot_mean_pulls({name: pipeline_coverage[name] for name in ladder_labels}, labels=ladder_labels)
out.savefig("pipeline_pull_ladder.png", ax.figure, dpi=110, bbox_inches="tight")
plt.show()
for name in ("p", "q"):
    cells = []
    for fit in ladder_labels:
        row = pipeline_coverage[fit][list(pipeline_coverage[fit]["parameter"]).index(name)]
        cells.append(f"{fit} {row['mean_pull']:+.2f} +- {row['std_pull'] / np.sqrt(max(row['n_mocks'], 1)):.2f}")
    print(f"mean pull of {name}: " + "; ".join(cells))

# %% [markdown]
# Read the ladder from the left. If the true positions scatter around zero and removing the
# Sagittarius cut's few GSE stars moves $p$ and $q$ up by about as much as the full pipeline
# is off, the cut explains the pipeline's remaining bias in the axis ratios: an incompleteness
# of the sample that the selection function leaves out, not a fault of the likelihood, the
# distance errors or the eccentricity cut's modelled completeness. S001 removes Sagittarius in
# much the same way; modelling what the cut takes from GSE (its completeness along the Sgr
# band, from the velocity distribution of GSE stars outside it) is the next step. At the ci
# profile (one mock) these means are noise; the full profile runs 20.

# %%
summary = {
    "chapter": "04_mock_recovery",
    "truth": truth,
    "a_fiducial": {"n_stars": len(stars), "summary": chain_a["summary"], "truth_in_95": in95_a,
                   "tau": chain_a["tau"], "n_steps": chain_a["n_steps"], "burn_in": chain_a["burn_in"],
                   "acceptance": chain_a["acceptance"],
                   "converged": chain_a["converged"], "aic": fit_a["aic"],
                   "draw_check": {k: draw_a[k] for k in ("full_lr", "dof", "p_value", "params")}},
    "b_restricted": {"model": restricted_model, "summary": chain_b["summary"], "q_excludes_truth": q_excludes,
                     "break_excludes_true_breaks": rb_excludes, "tau": chain_b["tau"],
                     "n_steps": chain_b["n_steps"], "aic": fit_b["aic"], "delta_aic_vs_fiducial": delta_aic},
    "c_coverage": {r["parameter"]: {k: r[k] for k in r.colnames if k != "parameter"} for r in coverage},
    "c_laplace_failures": int(np.sum(~n_ok)),
    "d_pipeline": {"n_mocks": len(pipeline_fits), "n_stars": [int(v) for v in pipeline_fits["n_stars"]],
                   "n_sgr_cut_gse": [int(v) for v in pipeline_fits["n_sgr_cut_gse"]],
                   **{name: {r["parameter"]: {k: r[k] for k in r.colnames if k != "parameter"}
                             for r in pipeline_coverage[name]}
                      for name in density_coverage.PIPELINE_FITS + density_coverage.LADDER_FITS}},
}
summary = run.finish(summary)
print(f"written {out.path / 'summary.json'} ({summary['runtime_s']:.0f} s)")

# %% [markdown]
# ## Exercises
#
# Exercises that change a parameter rerun this chapter with papermill, into an output directory of
# their own (`-p output_dir _build/exercises/...`; see [Rerunning a
# chapter](../intro.md#rerunning-a-chapter) and the README's "Rerun one chapter"); the others add a
# cell at the end of this notebook after it has run, using its variables. For parts (a) and (b)
# alone, `-p n_coverage_mocks 4 -p n_pipeline_mocks 1` keeps a rerun short.

# %% [markdown]
# ````{exercise} Fewer stars: when does a wrong model look right?
# :label: ch4-ex-fewer-stars
#
# Rerun the chapter with `truth_log10_mass = 8.75`, which halves the expected number of stars
# ($10^{-0.3} \approx 0.5$). Before running, predict how the posterior widths of part (a), the
# $\Delta\mathrm{AIC}$ between the restricted and the fiducial model, and the restricted model's
# error in $q$ (its bias over its error) change. At what sample size would the restricted model
# stop looking wrong?
# ````
#
# ````{solution} ch4-ex-fewer-stars
# :class: dropdown
#
# ```bash
# .venv/bin/papermill notebooks/04_mock_recovery.ipynb /tmp/ch4_light.ipynb \
#     -p truth_log10_mass 8.75 -p n_coverage_mocks 4 -p n_pipeline_mocks 1 \
#     -p output_dir _build/exercises/ch4_light
# ```
#
# The chapter prints the expected number of stars (about half the default's). Statistical errors
# scale as $1/\sqrt N$, so the 16-84 % widths in `a_fiducial` → `summary` grow by about $\sqrt 2$.
# The expected log-likelihood ratio is a sum over stars, so `b_restricted` →
# `delta_aic_vs_fiducial` roughly halves (with a draw-to-draw scatter). The restricted model's bias
# does not depend on $N$ (it is the best a misspecified model can do with infinitely many stars),
# while its error grows by $\sqrt 2$, so bias over error falls by $\sqrt 2$. Misspecification is a
# bias that only a large sample reveals. The oblate single-break model has 5 parameters fewer, so
# $\Delta\mathrm{AIC} = 2\Delta\ln L - 10$, and with $\Delta\ln L \propto N$ the AIC stops
# preferring the right model near
# $N \approx N_{\rm mock} \times 10/(\Delta\mathrm{AIC}_{\rm mock} + 10)$: of order a hundred stars
# when the default mock gives several hundred. The same reasoning applies to the second break (see
# {ref}`ch3-ex-second-break`).
# ````

# %% [markdown]
# ````{exercise} Which misspecification costs what?
# :label: ch4-ex-misspecification
#
# Part (b) fits a model that is wrong in two ways at once: no tilt (an aligned oblate ellipsoid)
# and one break instead of two. Separate the two by rerunning with `restricted_model` set to
# `triaxial_single_break` (right shape, wrong profile) and to `triaxial_aligned_double_break`
# (right profile, no tilt). For each, predict which parameters are biased and how large
# $\Delta\mathrm{AIC}$ is, then check.
# ````
#
# ````{solution} ch4-ex-misspecification
# :class: dropdown
#
# ```bash
# for m in triaxial_single_break triaxial_aligned_double_break; do
#   .venv/bin/papermill notebooks/04_mock_recovery.ipynb /tmp/ch4_$m.ipynb \
#       -p restricted_model $m -p n_coverage_mocks 4 -p n_pipeline_mocks 1 \
#       -p output_dir _build/exercises/ch4_$m
# done
# ```
#
# With one break the shape ($p$, $q$, pitch, yaw) stays at the truth: the geometry and the radial
# profile are nearly separate questions. The single break settles between the two true ones, nearer
# the outer, with an inner slope between the two inner true slopes and an outer slope close to the
# outermost one; the mass comes out high (the amplitude extrapolates a wrong inner profile into
# $1 < r_q < 6$ kpc, where there are no data); $\Delta\mathrm{AIC}$ is tens. Without the tilt the
# radial profile is recovered, but the ellipsoid turns rounder ($q$, and to a lesser degree $p$,
# biased high): a tilted, elongated density seen in axes aligned with the disk mixes its long and
# short axes. $\Delta\mathrm{AIC}$ is hundreds, and the corner plot is as narrow as ever. The tilt
# is by far the costlier omission, and in both cases the posterior widths give no warning: only the
# comparison of models does.
# ````

# %% [markdown]
# ````{exercise} How many mocks does a coverage test need?
# :label: ch4-ex-binomial
#
# The coverage of a 68 % interval over $N$ mocks has a binomial standard error
# $\sqrt{0.68 \times 0.32/N}$. How large is it for the ci profile's 4 mocks and the full profile's
# 50? How many mocks would detect, at 2 sigma, intervals that cover 63 % instead of 68 %? And with
# 10 parameters each tested at 2 sigma, how often would a perfectly calibrated method fail at least
# one test?
# ````
#
# ````{solution} ch4-ex-binomial
# :class: dropdown
#
# ```python
# import numpy as np
# from scipy import stats
# for n in (4, 50):
#     print(n, "mocks: binomial sigma", round(np.sqrt(0.68 * 0.32 / n), 3))
# print("mocks to see 0.63 against 0.68 at 2 sigma:", int(np.ceil(4 * 0.68 * 0.32 / 0.05**2)))
# print("P(at least one of 10 outside 2 sigma):", round(1 - 0.954**10, 2))
# print("two-sided binomial p-value of 30/50:", stats.binomtest(30, 50, 0.68).pvalue)
# ```
#
# With 4 mocks the error is 0.23 and the coverage can only be 0, 0.25, 0.5, 0.75 or 1: the ci table
# is a smoke test, not a calibration. With 50 mocks it is 0.066, and 30 of 50 (60 %) is no evidence
# of undercoverage (binomial p-value about 0.2); telling 63 % from 68 % takes about 350 mocks. Ten
# parameters tested at 2 sigma fail at least once about 40 % of the time even for a perfect method
# (less if the parameters' coverages are correlated): read the table as a whole, and look for
# consistent signs in the mean pulls, whose standard error is `std_pull` $/\sqrt N$. The time a
# larger study needs follows from the chapter's printed time for its mocks, which grows linearly
# with $N$.
# ````
