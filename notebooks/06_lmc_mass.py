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
# # 6. How heavy is the LMC?
#
# Chapter 5 measures the travel velocity of the inner Galaxy on a mock whose halo velocities
# are drawn from the very model it fits, so its recovery cannot tell whether that model
# captures a *real* reflex. S004 leans on the N-body simulations of Garavito-Camargo et al.
# (2019, GC19) for that; they are not public. This chapter computes its own: the Milky Way and
# the LMC as two moving bodies (the Milky Way pulled by the LMC, the LMC slowed by dynamical
# friction) and an equilibrium stellar halo of $10^5$ test particles in their potentials, for
# no LMC and for GC19's four LMC masses (conventions §14, `halo_utils.lmc`).
#
# With it the chapter (1) shows what the reflex looks like: the travel velocity and its apex
# against radius (S004 figures 6, 7 and 9) and the radial-velocity signature along the
# Magellanic Stream (figure 13); (2) repeats S004 appendix C: the continuity model fitted to
# a survey drawn from the simulation, particles instead of model draws; (3) goes past S004
# and **weighs the LMC**: a synthetic likelihood of the mass, calibrated on mocks of every
# simulation that went through the data's selection, errors and fit.

# %% tags=["parameters", "hide-input"]
particles_path = "data/lmc_simulation_particles.fits"  # the suite's particles today (make data)
orbits_path = "data/lmc_simulation_orbits.fits"  # the orbits of the two centres for every mass
generate_if_missing = True  # run the default simulations if the default files are missing
simulation_seed = 20240521  # seed of the default simulations (used only when generating)
catalog_path = ""  # outer-halo catalogue to weigh the LMC with ("": a mock of the simulation below)
mock_lmc_mass = 1.8e11  # LMC mass (Msun) of the simulation the mock is drawn from
mock_seed = 2019  # seed of that mock
output_dir = "_build/outputs/06_lmc_mass"
seed = 6  # seed of the fits and of the calibration mocks
r_min = 40.0  # fitted range of Galactocentric radius (kpc, as in chapter 5)
r_max = 120.0
shell_width = 10.0  # width of the simulation's radial shells (kpc)
n_calibration_mocks = 20  # mocks per simulated mass of the mass calibration
nlive = 500  # dynesty live points of the continuity fit (appendix C)
dlogz = 0.5  # dynesty stopping criterion
n_procs = 2  # processes of the dynesty pool
scheduler_address = ""  # dask scheduler of the calibration ("": a local cluster, one worker per core)
n_boot = 500  # bootstrap resamples of the binned means

# %% tags=["hide-input"]
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import matplotlib.pyplot as plt
from astropy.table import Table

from halo_utils import lmc, plotting, reflex as rf
from halo_utils.catalog import read_catalog, read_table
from halo_utils.chapter import ChapterRun, run_from_repository_root
from halo_utils.lmc_mass import (SUMMARY_NAMES, estimate_lmc_mass, leave_one_out_coverage, simulation_summaries,
                                 travel_summary)
from halo_utils.mock import ensure_default_data, generate_simulated_outer_halo, particles_of_mass
from halo_utils.outputs import table_rows

# opened in Jupyter (or Binder) from notebooks/, the kernel starts there; the paths above are
# relative to the repository root
run_from_repository_root()
simulation_paths = {"particles_path": particles_path, "orbits_path": orbits_path}
ensure_default_data(simulation_paths, generate=generate_if_missing, seed=simulation_seed, simulations=True)
run = ChapterRun("06_lmc_mass", globals(), inputs={**simulation_paths, "catalog_path": catalog_path})
out, rng = run.out, run.rng

# %% [markdown]
# The simulation suite: one run per LMC mass (and one without the LMC), each the particles of
# the stellar halo today and the orbits of the two centres.

# %%
particles = read_table(particles_path, what="particles_path")
orbits = read_table(orbits_path, what="orbits_path")
masses = np.unique(np.asarray(particles["lmc_mass"], float))
print(f"{len(masses)} simulations, LMC masses {[f'{m:.2g}' for m in masses]} Msun, "
      f"{np.sum(particles['lmc_mass'] == masses[0]):,} particles each")

# %% [markdown]
# ## 1. The LMC's orbit
#
# Integrated back from its measured position and velocity today: a first infall for every
# mass. The heavier the LMC, the stronger the friction, the faster it was moving earlier and the
# more it pulls the Milky Way's centre (lower panel: how far the inner Galaxy has moved).

# %%
fig = plotting.plot_lmc_orbits(orbits, masses)
out.savefig("orbits.png", fig, dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 2. What the reflex looks like
#
# In radial shells around the inner Galaxy the travel velocity is minus the shell's mean
# velocity (the radial and tangential means cancel over a full sphere; conventions §14). The
# control run without the LMC must show none; with the LMC it grows outwards, where orbital
# times are longer than the LMC's infall, and with the mass (S004 figures 6 and 7 show the
# same for GC19). The apex points south, towards where the LMC was a little while ago.

# %%
edges = np.arange(10.0, 250.0 + shell_width / 2, shell_width)
shells = {float(m): lmc.shell_profiles(*particles_of_mass(particles, m), edges) for m in masses}
for m, t in shells.items():
    t["lmc_mass"] = m
out.write_table(Table(np.hstack([t.as_array() for t in shells.values()])), "shells.ecsv")
control = shells[0.0] if 0.0 in shells else None
control_max = float(np.nanmax(control["v_travel"])) if control is not None else None
if control is not None:
    print(f"no LMC: largest shell travel velocity {control_max:.2f} km/s (10-250 kpc)")
at_100 = Table(rows=[(m, *[float(np.interp(100.0, t["r_mid"], t[c])) for c in
                           ("v_travel", "l_apex", "b_apex", "v_travel_x", "v_travel_y", "v_travel_z")])
                     for m, t in shells.items() if m > 0],
               names=("lmc_mass", "v_travel", "l_apex", "b_apex", "v_travel_x", "v_travel_y", "v_travel_z"))
for c in at_100.colnames[1:]:
    at_100[c].format = ".1f"
print("simulated reflex at 100 kpc:")
at_100.pprint()

fig = plotting.plot_simulated_reflex(shells, fit_range=(r_min, r_max))
out.savefig("simulated_reflex.png", fig, dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 3. The data: a survey of the simulation
#
# By default the data are a mock of the simulation with the LMC mass `mock_lmc_mass`: chapter
# 5's three surveys, footprints, radial selections, errors and imperfections (hot outliers,
# wrong distances, Sagittarius debris), with every halo star a simulation particle
# (`halo_utils.mock.generate_simulated_outer_halo`). Any outer-halo catalogue with the
# chapter-5 columns can take its place (`catalog_path`); its mass is then unknown and the
# checks against the simulation are skipped. The mock is written to the output directory, so
# that chapter 5 can be run on it too (its `catalog_path`).

# %%
is_mock = not catalog_path
if is_mock:
    catalog, mock_truth = generate_simulated_outer_halo(mock_seed, *particles_of_mass(particles, mock_lmc_mass))
    mock_truth.meta["LMC_MASS"] = float(mock_lmc_mass)
    out.write_table(catalog, "simulated_mock_catalog.fits")
    out.write_table(mock_truth, "simulated_mock_truth.fits")
else:
    catalog = read_catalog(catalog_path, required=rf.REFLEX_COLUMNS)
cuts = rf.OuterHaloCuts(r_range=(r_min, r_max), clip=False)
in_fit, flow = rf.select_outer_halo(catalog, cuts)
fit_sample = catalog[in_fit]
out.write_table(flow, "cut_flow.ecsv")
flow.pprint()

# %% [markdown]
# ## 4. S004 appendix C: the continuity model on a simulated survey
#
# The continuity model of chapter 5 (linear in $r$ between 40 and 120 kpc, outlier mixture,
# distances marginalised) fitted with dynesty. Its parameters are not the simulation's: the
# simulated reflex is not linear in $r$ and its apex wanders. The question is whether the fit's
# 95 % intervals hold the simulated travel velocity and apex at 100 kpc (S004 found its fit
# of a GC19 simulation within 1.5 sigma). Near the pole, where the apex sits, longitude loses its
# meaning (a few degrees of arc span a wide range of $\ell$), so the apex is also judged by
# its distance on the sky: the smallest credible cap around the fitted apex that holds the
# simulated one, and the Cartesian vector by its Mahalanobis distance (S004 figure 18).

# %%
fit = rf.fit_reflex(fit_sample, "linear", "dynesty", rng=np.random.default_rng(seed), nlive=nlive, dlogz=dlogz,
                    n_procs=n_procs)
print(f"{fit.n_stars} stars, {fit.info['ncall']:,} likelihood calls")
table_fit = fit.table((50.0, 100.0, 120.0))
out.write_table(table_fit, "table_linear.ecsv")
checks_100 = {}
if is_mock:
    sim = shells[float(mock_lmc_mass)]
    sim_100 = {q: float(np.interp(100.0, sim["r_mid"], sim[q]))
               for q in ("v_travel", "l_apex", "b_apex", "v_travel_x", "v_travel_y", "v_travel_z")}
    # with no LMC (mock_lmc_mass = 0) nothing pulls the Milky Way: no travel, so no apex to compare
    checks_100 = fit.check_against(100.0, sim_100, level=95.0)
    apex_level, vector_sigma = checks_100["apex_cap_level"], checks_100["travel_vector_mahalanobis"]
    print("simulated at 100 kpc:", {k: round(v, 1) for k, v in sim_100.items()})
    print("inside the fit's 95 % intervals:", {q: checks_100[q] for q in ("v_travel", "l_apex", "b_apex")})
    if apex_level is not None:
        print(f"the simulated apex lies on the {apex_level:.0f} % credible cap of the fitted apex")
    else:
        print("the simulation has no travel velocity (no LMC), so no apex to compare")
    print(f"the simulated Cartesian travel vector is {vector_sigma:.2f} sigma (Mahalanobis) from the fitted one")
sel = table_fit[np.isin(table_fit["quantity"], ["v_travel", "l_apex", "b_apex", "f_out"])]
for c in ("p50", "p16", "p84"):
    sel[c].format = ".1f"
sel["r_kpc", "quantity", "p50", "p16", "p84"].pprint()

# %%
draws_100 = fit.draws_at(100.0)
fig = plotting.plot_fit_vs_simulation(fit, np.linspace(r_min, r_max, 17), simulation=sim if is_mock else None, r_kpc=100.0)
out.savefig("appendix_c.png", fig, dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# The red bands are the fit's 68 and 95 % intervals against radius, the black points the
# simulated shells: where the points fall inside the bands, the continuity model recovers the
# simulated reflex although it was not drawn from it. On the right, the posterior of each
# Cartesian component at 100 kpc beside the simulation's value (dashed).

# %% [markdown]
# ## 5. Along the Magellanic Stream (S004 figure 13)
#
# Binned means of the southern stars ($b < 0$) along the LMC's past orbit: $v_{\rm GSR}$ and
# $v_b$ against $L_{\rm MS}$, the coordinate along the orbit, and $v_\ell$ against
# $B_{\rm MS}$, where the reflex draws a converging S. The tangential velocities have the solar
# motion removed. Shown: the data (bootstrap errors), every simulation observed at the same
# radii in the same hemisphere, and the continuity fit's pure-reflex prediction at the data's
# positions. The global reflex makes $v_{\rm GSR}$ fall along $L_{\rm MS}$; what the
# simulations add beyond it is the LMC's local pull, which a sample of this size cannot
# separate (S004 section 5.3), least of all in the tangential velocities, whose errors are
# ten times those of the radial ones.

# %%
gv = rf.galactic_velocities(fit_sample)
L_ms, B_ms = rf.galactic_to_ms(gv["l"], gv["b"])
south = np.asarray(gv["b"]) < 0
model_gv = rf.model_galactic_velocities(fit.best, fit_sample, fit.model)
panels = [("v_gsr", L_ms, "L_MS", np.arange(-150.0, 150.1, 30.0), r"$L_{\rm MS}$ (deg)", r"mean $v_{\rm GSR}$"),
          ("v_b", L_ms, "L_MS", np.arange(-150.0, 150.1, 30.0), r"$L_{\rm MS}$ (deg)", r"mean $v_b$"),
          ("v_l", B_ms, "B_MS", np.arange(-75.0, 75.1, 15.0), r"$B_{\rm MS}$ (deg)", r"mean $v_\ell$")]
observed_sims = {}
for m in masses:
    obs = lmc.observed_particles(*particles_of_mass(particles, m))
    observed_sims[m] = obs[(np.asarray(obs["b"]) < 0) & (obs["r"] > r_min) & (obs["r"] < r_max)]
signature, signature_panels = {}, []
for q, x_data, x_name, bins, xlabel, ylabel in panels:
    data_prof = rf.binned_mean(x_data[south], gv[q][south], bins, n_boot=n_boot, rng=np.random.default_rng(seed))
    model_prof = rf.binned_mean(x_data[south], model_gv[q][south], bins, n_boot=1, rng=np.random.default_rng(seed))
    signature[q] = {"data": table_rows(data_prof["x_mid", "n", "mean", "err"])}
    sim_profs = {m: rf.binned_mean(observed_sims[m][x_name], observed_sims[m][q], bins, n_boot=1,
                                   rng=np.random.default_rng(seed)) for m in masses}
    signature_panels.append({"data": data_prof, "model": model_prof, "simulations": sim_profs, "xlabel": xlabel,
                             "ylabel": ylabel})
fig = plotting.plot_ms_signature(signature_panels)
out.savefig("signature_lms.png", fig, dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# The apex on the sky (S004 figure 6, top): the fit's apex at 100 kpc, the simulated apices at
# 100 kpc for every mass, and the LMC's past orbit over the last 1.5 Gyr seen from the
# Galactic centre for the mock's mass (or the heaviest): the reflex points to where the LMC
# was a few hundred Myr ago, not to where it is.

# %%
track_mass = float(mock_lmc_mass) if is_mock and mock_lmc_mass in masses else float(masses.max())
ax = plotting.plot_apex_and_lmc_orbit(draws_100["l_apex"], draws_100["b_apex"], orbits, shells, track_mass=track_mass,
                                      r_kpc=100.0, t_min_myr=-1500.0)
out.savefig("apex_sky.png", ax.figure, dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# ## 6. Weighing the LMC
#
# The summary of a data set is the travel vector of the constant reflex model, fitted by
# maximum likelihood after the data's cuts. The same summary on `n_calibration_mocks` mocks of
# every simulation gives, at each mass, the distribution of what the fit returns, including
# what it gets wrong (the footprint hands part of a bulk motion to the mean $v_r$ and
# $v_\theta$; Sagittarius and outliers add their own). A Student-t synthetic likelihood
# interpolated in mass turns the data's summary into a posterior for the mass, under a
# uniform prior over the simulated range (conventions §14). Each calibration mock, weighed in
# turn against the others, tests the intervals.

# %%
calibration = simulation_summaries(particles, n_calibration_mocks, seed=seed, cuts=cuts,
                                   scheduler_address=scheduler_address or None)
out.write_table(calibration, "calibration_summaries.ecsv")
observed = travel_summary(catalog, cuts, np.random.default_rng(seed))
posterior = estimate_lmc_mass(calibration, observed)
coverage = leave_one_out_coverage(calibration)
out.write_table(coverage, "calibration_coverage.ecsv")
lo68, hi68 = posterior.interval(68)
lo95, hi95 = posterior.interval(95)
print("summary (km/s):", dict(zip(SUMMARY_NAMES, np.round(observed, 1))))
print(f"M_LMC = {posterior.median / 1e11:.2f} x 10^11 Msun; 68 %: [{lo68 / 1e11:.2f}, {hi68 / 1e11:.2f}], "
      f"95 %: [{lo95 / 1e11:.2f}, {hi95 / 1e11:.2f}]")
mass_in_95 = posterior.contains(mock_lmc_mass, 95) if is_mock else None
if is_mock:
    print(f"the mock's LMC mass {mock_lmc_mass / 1e11:g} x 10^11 Msun inside the 95 % interval: {mass_in_95}")
coverage.pprint()

fig = plotting.plot_lmc_mass_posterior(calibration, observed, posterior, names=SUMMARY_NAMES,
                                       true_mass=mock_lmc_mass if is_mock else None)
out.savefig("lmc_mass.png", fig, dpi=100, bbox_inches="tight")
plt.show()

# %% [markdown]
# On the left, each dot is one calibration mock: the $z$ component of the fitted travel vector
# falls with the LMC's mass while $x$ and $y$ barely move, so $v_{\rm travel,z}$ carries most of
# the information; the dashed lines are the data's values. On the right, the posterior of the
# mass with its 68 % interval (grey) and, for the mock, the mass it was drawn with (red).

# %% [markdown]
# **Caveats.** The suite is one halo per mass and rigid potentials: the scatter between halo
# realisations, the LMC's own stripping and the Milky Way halo's deformation (GC19's wake) are
# not in the likelihood, so the interval is a lower bound on the uncertainty of a real
# measurement. The prior stops at the suite's masses (0 to $2.5\times10^{11}\,M_\odot$).

# %%
summary = {
    "chapter": "06_lmc_mass",
    "masses": [float(m) for m in masses],
    "control_max_v_travel": control_max,
    "simulated_at_100": table_rows(at_100),
    "n_fit": int(in_fit.sum()),
    "fit": {"info": fit.info, "table": table_rows(table_fit)},
    "checks_100_in_95": checks_100,
    "signature_south": signature,
    "calibration": {"n_mocks_per_mass": n_calibration_mocks, "coverage": table_rows(coverage)},
    "lmc_mass": {"summary": observed.tolist(), "median": posterior.median, "interval_68": [lo68, hi68],
                 "interval_95": [lo95, hi95], "mock_mass": mock_lmc_mass if is_mock else None,
                 "mock_mass_in_95": mass_in_95},
}
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
# ````{exercise} Where the reflex points, and since when
# :label: ch6-ex-lag
#
# In the simulations the Milky Way's centre is at rest today (conventions §14), so
# $-\mathbf v_{\rm MW}(t)$ is how much the inner Galaxy's velocity has changed since time $t$.
# Compare it, for look-back times of 100 Myr to 3 Gyr, with the simulated travel velocity of shells
# at 50, 100 and 200 kpc (`shells`), in size and direction. What sets which look-back time a shell
# "remembers", and why does the apex point near the south Galactic pole rather than at the LMC
# today?
#
# *Hint:* `orbits` holds `vx_mw`, `vy_mw`, `vz_mw` against `t` (Myr) for each mass, and `angles`
# turns a vector into $(\ell, b)$ as seen from the Galactic centre.
# ````
#
# ````{solution} ch6-ex-lag
# :class: dropdown
#
# ```python
# m = 1.8e11
# o = orbits[orbits["lmc_mass"] == m]
# for T in (100, 250, 500, 1000, 3000):
#     k = np.argmin(np.abs(o["t"] + T))
#     dv = -np.array([o["vx_mw"][k], o["vy_mw"][k], o["vz_mw"][k]])
#     l_dv, b_dv = angles(dv[None, :])
#     print(f"since {T:4d} Myr: |dv| = {np.linalg.norm(dv):5.1f} km/s towards "
#           f"l = {float(l_dv[0]):4.0f}, b = {float(b_dv[0]):4.0f} deg")
# t = shells[m]
# for r in (50, 100, 200):
#     i = int(np.argmin(np.abs(t["r_mid"] - r)))
#     print(f"shell at {t['r_mid'][i]:.0f} kpc: v_travel = {t['v_travel'][i]:5.1f} km/s towards "
#           f"l = {t['l_apex'][i]:4.0f}, b = {t['b_apex'][i]:4.0f} deg")
# ```
#
# Each shell's travel velocity matches the change of the inner Galaxy's velocity over a look-back
# time that grows with radius: a few hundred Myr at 100 kpc, longer further out, while the
# outermost shells approach, without reaching, the total change since the start of the integration.
# A shell's stars follow the moving centre only on their own dynamical time ($\sim r/\sigma$,
# hundreds of Myr to Gyr in the outer halo): the inner halo has moved with the disk, the outer halo
# keeps the motion the Galaxy had before the LMC's pull. The direction is that of the
# time-integrated pull, towards where the LMC was over that time, below the disk during its recent
# pericentre passage; near the pole the longitudes mean little and the latitudes are the thing to
# compare. The mass sets the amplitude: repeat with `m = 0.8e11` and `2.5e11`.
# ````

# %% [markdown]
# ````{exercise} Weighing an LMC that is not there
# :label: ch6-ex-no-lmc
#
# Draw a mock survey of the no-LMC simulation, compute its summary with `travel_summary` and weigh
# it with the chapter's `calibration`. Is its fitted travel speed zero? Where does the posterior of
# the mass go, and why does the chapter calibrate the Cartesian vector rather than the speed?
# (`-p mock_lmc_mass 0` does not work: the simulated apex at zero travel velocity is undefined, and
# the chapter's comparison with it stops.)
# ````
#
# ````{solution} ch6-ex-no-lmc
# :class: dropdown
#
# ```python
# for s in (1, 2, 3):
#     cat0, _ = generate_simulated_outer_halo(mock_seed + s, *particles_of_mass(particles, 0.0))
#     s0 = travel_summary(cat0, cuts, np.random.default_rng(seed))
#     post0 = estimate_lmc_mass(calibration, s0)
#     print(f"summary {s0.round(1)} km/s, speed {np.linalg.norm(s0):.1f} km/s; M_LMC median "
#           f"{post0.median / 1e11:.2f}e11, 95 % interval {np.round(np.array(post0.interval(95)) / 1e11, 2)}e11")
# nolmc = calibration[calibration["lmc_mass"] == 0]
# print("no-LMC calibration mocks, mean vector:", [round(float(np.mean(nolmc[c])), 1) for c in SUMMARY_NAMES])
# ```
#
# The fitted speed is not zero but several to ten km/s: a speed is positive whatever the noise, so
# noise alone biases it upwards (for three Gaussian components of error $\sigma$ the mean speed at
# zero truth is $\sqrt{8/\pi}\,\sigma \approx 1.6\sigma$), and the no-LMC calibration mocks show
# that the fit also returns a systematic vector of several km/s where there is no reflex at all
# (their mean is not zero). Both are in the calibration, so the posterior piles up at the low end
# of the prior and its 95 % upper limit falls below or near the lightest simulated LMC: an upper
# limit, not a detection. Components average to the truth under noise, a speed does not, which is
# why the summary is the vector; and a fit calibrated on mocks, rather than compared with a
# simulation's true shells, absorbs whatever the fit gets wrong.
# ````

# %% [markdown]
# ````{exercise} How many calibration mocks?
# :label: ch6-ex-calibration
#
# The synthetic likelihood of each mass is a Student $t$ with $n - 3$ degrees of freedom and scale
# matrix $S\,(n+1)(n-1)/[n(n-3)]$, for $n$ mocks of covariance $S$ (conventions §14). Compute the
# scale factor for the ci profile's 6 mocks and the full profile's 20, predict how much wider the
# mass interval is with 6, and check by weighing the data with only the first 6 calibration mocks
# of each mass. What would a Gaussian with covariance $S$ get wrong?
# ````
#
# ````{solution} ch6-ex-calibration
# :class: dropdown
#
# ```python
# for n in (6, 20):
#     print(n, "mocks: scale factor", round((n + 1) * (n - 1) / (n * (n - 3)), 2), "degrees of freedom", n - 3)
# few = calibration[calibration["mock"] < 6]
# for label, cal in (("all mocks", calibration), ("6 per mass", few)):
#     post = estimate_lmc_mass(cal, observed)
#     lo, hi = post.interval(68)
#     print(f"{label}: median {post.median / 1e11:.2f}e11, 68 % [{lo / 1e11:.2f}, {hi / 1e11:.2f}]e11")
# leave_one_out_coverage(few).pprint()
# ```
#
# The factor is 1.94 for 6 mocks and 1.17 for 20, so the predictive scale is
# $\sqrt{1.94/1.17} \approx 1.3$ times larger with 6, and with 3 degrees of freedom instead of 17
# its tails are much heavier: expect the interval from 6 mocks per mass to be roughly a third wider
# than the chapter's from 20, give or take the noise of a mean and a covariance estimated from six
# mocks. (This needs a full-profile run: the ci profile already has 6.) The $t$ carries the
# uncertainty of $\bar s$ and $S$ themselves: a Gaussian with $S$ estimated from six mocks would be
# as narrow as one from a hundred and would over-state the precision, which the leave-one-out
# coverage (the fraction of calibration mocks whose interval holds their own mass) would show as
# undercoverage. More mocks per mass buy a narrower interval only up to the data's own noise, the
# one-mock scatter that no calibration removes.
# ````
