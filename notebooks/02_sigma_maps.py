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
# # 2. A halo of ice and fire: maps of $\sigma_r$ and $\beta$
#
# Most measurements of the halo's radial velocity dispersion $\sigma_r$ and anisotropy
# $\beta = 1 - (\sigma_\theta^2 + \sigma_\phi^2)/2\sigma_r^2$ average over spherical shells.
# That is only meaningful if the halo is spherical. Han et al. (2024, S000) mapped $\sigma_r$
# in Galactocentric projections and on the sky and found that it is not: the accreted halo is
# hot along the tilted major axis of Gaia-Sausage-Enceladus and cooler across it, the in-situ
# halo is colder and hotter above the disk than below, and the value a survey measures depends
# on which mix of the two its lines of sight collect.
#
# This chapter rebuilds those maps on the halo sample of chapter 1. The mock knows the true
# velocity of every star, so each map is checked against the dispersion of the *true*
# velocities of the same stars.
#
# **Samples.** *Accreted* is the accreted chemistry class of chapter 1. S000's in-situ sample
# merges the high- and low-alpha in-situ classes; in this mock the metal-rich low-alpha box at
# |Z| > 5 kpc holds almost only the metal-rich tail of GSE (chapter 1 measured its purity against
# in-situ truth at a few per cent), which would make the "in-situ" maps half accreted. So the
# in-situ sample here is the high-alpha class (`insitu_classes`; set it to both classes to follow
# S000 literally). *All* is the whole halo sample.
#
# **Errors.** Every map is made twice. S000's recipe redraws each star's velocity from its
# errors and drops a random 10 % of the stars in each of 1000 realisations; a *bootstrap*
# redraws the velocities the same way but resamples the stars with replacement. The two give
# the same maps and very different bands: a 90 % subsample differs little from the whole
# sample, so the drop's bands are only $\sqrt{0.1/0.9} \approx 1/3$ of the sampling error,
# which the bootstrap measures. The chapter shows both and draws its conclusions from the
# bootstrap. In addition (`deconvolve_errors`) each dispersion has the measurement-error
# variance subtracted: each redraw adds the errors once more on top of the scatter they
# already cause. For $\sigma_r$ this changes little (radial-velocity errors of a few km/s),
# but the tangential errors of 10-30 km/s would otherwise bias $\beta$ low.

# %% tags=["parameters", "hide-input"]
halo_sample_path = "_build/outputs/01_sample_construction/halo_sample.fits"  # chapter 1 output
truth_path = "data/h3_mock_truth.fits"  # mock truth keyed by star_id; "" for real data
output_dir = "_build/outputs/02_sigma_maps"
seed = 2  # seed of the Monte Carlo realisations
n_mc = 1000  # Monte Carlo realisations per map (S000 uses 1000)
drop_frac = 0.1  # fraction of stars dropped in each realisation
grid_extent = 30.0  # maps span -grid_extent to +grid_extent kpc
grid_step = 1.0  # grid spacing in kpc
radius = 2.0  # stars within this projected distance of a grid point, kpc
min_stars = 10  # cells and pixels with fewer stars are masked
nside = 4  # HEALPix resolution of the sky maps
r_min = 10.0  # inner edge of the radial profiles, kpc
r_max = 80.0  # outer edge of the radial profiles, kpc
n_radial_bins = 15  # linear radial bins
gse_contour_rq = [15.0, 25.0]  # ellipsoidal radii of the GSE iso-density curves overlaid, kpc
insitu_classes = ["insitu_high_alpha"]  # chemistry classes forming the in-situ sample
deconvolve_errors = True  # subtract the measurement-error variance from every dispersion
population_draws = 30  # redraws of the GSE velocities for the population coverage check (0: none)
population_n_mc = 1000  # realisations per profile in the population check (its percentiles need ~1000)
population_min_stars = 50  # shells of the population check hold at least this many stars

# %% tags=["hide-input"]
import json

import healpy as hp
import numpy as np
import matplotlib.pyplot as plt
from astropy.table import Table
from scipy import stats

from halo_utils import maps, plotting
from halo_utils.catalog import match_truth, read_table
from halo_utils.frames import spherical_components
from halo_utils.mock import GSE_TRUTH, MockConfig, gse_sigma_r
from halo_utils.chapter import ChapterRun, run_from_repository_root
from halo_utils.outputs import read_upstream

# opened in Jupyter (or Binder) from notebooks/, the kernel starts there; the paths above are
# relative to the repository root
run_from_repository_root()
# the halo sample must come from a finished chapter-1 run on the same truth table
read_upstream(halo_sample_path, chapter="01_sample_construction", same_inputs={"truth_path": truth_path})
run = ChapterRun("02_sigma_maps", globals(), inputs={"halo_sample_path": halo_sample_path, "truth_path": truth_path})
out, rng = run.out, run.rng

# %% [markdown]
# The halo sample of chapter 1, split into the three samples the maps compare (stars per
# sample below), and, on the mock, the true spherical velocity components of the same stars.

# %%
halo = Table.read(halo_sample_path)
chem = np.asarray(halo["chem_class"]).astype(str)
samples = {"all": np.ones(len(halo), bool), "accreted": chem == "accreted",
           "in-situ": np.isin(chem, insitu_classes)}
print({k: int(m.sum()) for k, m in samples.items()})

truth_vel = None
if truth_path:
    truth = read_table(truth_path, what="truth_path")
    t = match_truth(halo, truth)
    pos = np.stack([t["x"], t["y"], t["z"]])
    vel = np.stack([t["vx"], t["vy"], t["vz"]])
    truth_vel = spherical_components(pos, vel)
grid = dict(extent=(-grid_extent, grid_extent), step=grid_step, radius=radius, min_stars=min_stars,
            n_mc=n_mc, drop_frac=drop_frac, rng=rng, deconvolve=deconvolve_errors)
RECIPES = ("bootstrap", "drop")  # the bands the conclusions use, and S000's beside them


def width_ratio(boot, drop):
    """Median over measured cells of the bootstrap's 68 % band width over the drop's."""
    good = np.isfinite(boot["median"]) & np.isfinite(drop["median"]) & (drop["p84"] > drop["p16"])
    return float(np.median((boot["p84"] - boot["p16"])[good] / (drop["p84"] - drop["p16"])[good]))
summary = {"chapter": "02_sigma_maps", "n_stars": {k: int(m.sum()) for k, m in samples.items()}}

# %% [markdown]
# ## How the uncertainties are made
#
# Each map cell collects the stars within `radius` of its centre in the projection. We
# measure $\sigma_r$ 1000 times: every realisation redraws each star's $V_r$ from a Gaussian
# with its propagated error (chapter 1) and either resamples the stars with replacement (the
# bootstrap) or drops a random 10 % of them (S000). The median of the realisations is the map;
# the 16-84 % and 2.5-97.5 % ranges are its 1 and 2 sigma bands.
# Cells with fewer than 10 stars are grey. The purple dashed curves are cuts through the GSE
# iso-density ellipsoid (here the mock's true shape: tilted 25 deg out of the plane and rotated
# 25 deg from the Sun-centre line, axis ratios 1 : 0.8 : 0.7).

# %%
def grid_maps(plane):
    a, b = ("x", "y") if plane == "xy" else ("x", "z")
    res, pts, cover = {}, {}, {}
    for name, m in samples.items():
        u, w = np.asarray(halo[a][m]), np.asarray(halo[b][m])
        res[name] = {recipe: maps.grid_dispersion(u, w, np.asarray(halo["V_r"][m]), np.asarray(halo["V_r_err"][m]),
                                                  resampling=recipe, **grid) for recipe in RECIPES}
        pts[name] = (u, w)
        if truth_vel is not None:
            true = maps.grid_dispersion(u, w, truth_vel["V_r"][m], np.zeros(m.sum()),
                                        **{**grid, "n_mc": 0, "rng": None, "deconvolve": False})
            cover[name] = {recipe: maps.band_coverage(true["sigma"], r) for recipe, r in res[name].items()}
    return res, pts, cover


BAND_KEYS = ("p16", "p84", "p2_5", "p97_5")


def save_grid(res, name):
    """The bootstrap map with its bands, and the drop's bands beside them (``*_drop``)."""
    boot, drop = res["bootstrap"], res["drop"]
    cu, cw = np.meshgrid(boot["centers_u"], boot["centers_w"])
    tab = Table({"u": cu.ravel(), "w": cw.ravel(),
                 **{k: boot[k].ravel() for k in ("count", "sigma", "median", *BAND_KEYS)},
                 **{f"{k}_drop": drop[k].ravel() for k in BAND_KEYS}})
    out.write_table(tab, f"{name}.ecsv")


grid_results, coverage, extremes, grid_width_ratio = {}, {}, {}, {}
for plane in ("xy", "xz"):
    res, pts, cover = grid_maps(plane)
    grid_results[plane] = res
    coverage[plane] = cover
    for name, r in res.items():
        save_grid(r, f"sigma_r_{plane}_{name.replace('-', '')}")
        extremes[f"{plane}_{name}"] = [float(np.nanmin(r["bootstrap"]["median"])),
                                       float(np.nanmax(r["bootstrap"]["median"]))]
        grid_width_ratio[f"{plane}_{name}"] = width_ratio(r["bootstrap"], r["drop"])
    res = {name: r["bootstrap"] for name, r in res.items()}
    fig, _ = plotting.plot_dispersion_maps(res, pts, plane, vmin=50, vmax=200,
                                           gse_params=GSE_TRUTH, levels_rq=gse_contour_rq)
    out.savefig(f"sigma_r_{plane}.png", fig, dpi=110, bbox_inches="tight")
    plt.show()

# %% [markdown]
# **What the maps show.** In the XY plane the accreted $\sigma_r$ is not constant on circles
# around the Galactic centre: it is highest along the GSE major axis and lowest across it,
# the azimuthal pattern that the mock imprints as $\sigma_r \propto 1 + 0.12\cos 2\psi$ about
# the ellipsoid's major axis. In XZ the pattern is tilted with the ellipsoid, so the halo is not
# mirror-symmetric about the disk. The in-situ maps are colder everywhere: near the plane at
# large $R$ they are dominated by the flared thick disk, and above the plane by the in-situ
# halo. A spherical average would blend all of this into one number per shell.
#
# **Two bands, and two questions.** The median ratio of the bootstrap's band width to the
# drop's, over the measured cells of each map:

# %%
for key, ratio in grid_width_ratio.items():
    print(f"{key:12s}: bootstrap band / drop band = {ratio:.2f}")
summary["grid_band_width_ratio"] = grid_width_ratio

# %% [markdown]
# About $\sqrt{0.9/0.1} = 3$, as the arithmetic of a 10 % drop says. Which band is right depends
# on the question. For every unmasked cell we compare the bands with the dispersion of the true
# velocities of the *same* stars:

# %%
for plane, cov in coverage.items():
    for name, by_recipe in cov.items():
        for recipe, c in by_recipe.items():
            print(f"{plane} {name:9s} {recipe:9s}: {c['n_cells']:5d} cells, {100 * c['in_68']:5.1f} % inside "
                  f"the 68 % band, {100 * c['in_95']:5.1f} % inside the 95 % band")
summary["grid_sigma_r_min_max"] = extremes
summary["grid_truth_coverage"] = coverage

# %% [markdown]
# Both cover the same stars' truth more often than their nominal rates: that truth differs from
# the data only by measurement errors, which is a smaller question (how well do we know the
# dispersion of *these* stars?) than the one the chapter asks (what is the halo's dispersion
# there?). That one is answered by the population check at the end of the chapter, where the
# drop's bands fail and the bootstrap's hold.
#
# ## The sky view
#
# The same measurement per HEALPix pixel (nside = 4, about 15 deg across) in Galactic
# coordinates shows what a pencil-beam survey would see along each line of sight (S000 fig 6).

# %%
lb = {k: (np.asarray(halo["l"][m]), np.asarray(halo["b"][m])) for k, m in samples.items()}
hp_kw = dict(nside=nside, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
             deconvolve=deconvolve_errors, resampling="bootstrap")
sky = {k: maps.healpix_dispersion(*lb[k], np.asarray(halo["V_r"][m]), np.asarray(halo["V_r_err"][m]), **hp_kw)
       for k, m in samples.items()}
sky_drop = {k: maps.healpix_dispersion(*lb[k], np.asarray(halo["V_r"][m]), np.asarray(halo["V_r_err"][m]),
                                       **{**hp_kw, "resampling": "drop"}) for k, m in samples.items()}
plotting.plot_healpix_maps({k: v["median"] for k, v in sky.items()}, vmin=50, vmax=200)
out.savefig("sigma_r_healpix.png", dpi=110, bbox_inches="tight")
plt.show()
for k, v in sky.items():
    with out.atomic(f"sigma_r_healpix_{k.replace('-', '')}.fits") as tmp:
        columns = [v["median"], v["p16"], v["p84"], sky_drop[k]["p16"], sky_drop[k]["p84"]]
        hp.write_map(str(tmp), [np.where(np.isfinite(c), c, hp.UNSEEN) for c in columns],
                     column_names=["MEDIAN", "P16", "P84", "P16_DROP", "P84_DROP"], overwrite=True, dtype=np.float64)
summary["healpix_sigma_r_min_max"] = {k: [float(np.nanmin(v["median"])), float(np.nanmax(v["median"]))]
                                      for k, v in sky.items()}
summary["healpix_band_width_ratio"] = {k: width_ratio(sky[k], sky_drop[k]) for k in sky}
print("sigma_r range over unmasked pixels:", summary["healpix_sigma_r_min_max"])
print("bootstrap band / drop band per pixel (median):", summary["healpix_band_width_ratio"])

# %% [markdown]
# The accreted sky is hot nearly everywhere the survey looks, and hottest on a few lines of
# sight; the in-situ sample fills only a handful of pixels, all of them cold. The "all" map
# follows the accreted one, because accreted stars dominate the halo sample.

# %% [markdown]
# ## Hot lines of sight are accreted lines of sight
#
# Plotting each pixel's $\sigma_r$ and $\beta$ against the fraction of its stars with accreted
# chemistry (S000 figs 7-8) makes the point quantitatively: the more accreted stars a line of
# sight holds, the hotter and the more radially biased it is. Marker area is proportional to the
# number of stars.

# %%
all_pix = sky["all"]
n_acc = np.bincount(maps.healpix_pixels(*lb["accreted"], nside), minlength=12 * nside**2)
frac_acc = np.where(all_pix["count"] > 0, n_acc / np.maximum(all_pix["count"], 1), np.nan)
beta_pix = maps.healpix_dispersion(*lb["all"], np.asarray(halo["V_r"]), np.asarray(halo["V_r_err"]),
                                   v_theta=np.asarray(halo["V_theta"]), v_phi=np.asarray(halo["V_phi"]),
                                   err_theta=np.asarray(halo["V_theta_err"]), err_phi=np.asarray(halo["V_phi_err"]),
                                   **hp_kw)
good = np.isfinite(all_pix["median"])
rho_sigma = stats.spearmanr(frac_acc[good], all_pix["median"][good])
rho_beta = stats.spearmanr(frac_acc[good], beta_pix["median"][good])
fig = plotting.plot_sigma_beta_vs_accreted_fraction(frac_acc[good], all_pix["median"][good], beta_pix["median"][good],
                                                   all_pix["count"][good], rho_sigma=rho_sigma.statistic,
                                                   rho_beta=rho_beta.statistic)
out.savefig("sigma_beta_vs_accreted_fraction.png", fig, dpi=110, bbox_inches="tight")
plt.show()
summary["spearman_sigma_r_vs_accreted_fraction"] = {"rho": rho_sigma.statistic, "p": rho_sigma.pvalue,
                                                    "n_pixels": int(good.sum())}
summary["spearman_beta_vs_accreted_fraction"] = {"rho": rho_beta.statistic, "p": rho_beta.pvalue}
print(f"Spearman rho: sigma_r {rho_sigma.statistic:.2f} (p = {rho_sigma.pvalue:.1e}), "
      f"beta {rho_beta.statistic:.2f} (p = {rho_beta.pvalue:.1e}) over {good.sum()} pixels")

# %% [markdown]
# ## Spherical averages, and what they hide
#
# Finally the spherically averaged profiles that the literature reports (S000 figs 9-10): $\sigma_r$
# of the accreted and in-situ samples in 15 linear shells from 10 to 80 kpc, and $\beta$ of the
# whole halo in each of the four $(l, b)$ sky quadrants and over the whole sky. Open circles are
# the truth (the same stars' true velocities). The shaded bands are the bootstrap's; the dashed
# lines bound S000's 68 % band (the 10 % drop).

# %%
edges = np.linspace(r_min, r_max, n_radial_bins + 1)
prof_kw = dict(edges=edges, min_stars=min_stars, n_mc=n_mc, drop_frac=drop_frac, rng=rng,
               deconvolve=deconvolve_errors)
no_mc = {**prof_kw, "n_mc": 0, "rng": None, "deconvolve": False}
profiles, beta_profiles, profile_cover = {}, {}, {}  # each {recipe: profile}
sigma_truth, beta_truth = {}, {}  # each the truth per shell, or None


def radial_truth(mask, beta=False):
    if truth_vel is None:
        return None
    r = np.asarray(halo["r"][mask])
    zeros = np.zeros(mask.sum())
    if beta:
        return maps.anisotropy(r, truth_vel["V_r"][mask], truth_vel["V_theta"][mask], truth_vel["V_phi"][mask],
                               zeros, zeros, zeros, **no_mc)["sigma"]
    return maps.radial_profile(r, truth_vel["V_r"][mask], zeros, **no_mc)["sigma"]


for name in ("accreted", "in-situ"):
    m = samples[name]
    profiles[name] = {recipe: maps.radial_profile(np.asarray(halo["r"][m]), np.asarray(halo["V_r"][m]),
                                                  np.asarray(halo["V_r_err"][m]), resampling=recipe, **prof_kw)
                      for recipe in RECIPES}
    sigma_truth[name] = tr = radial_truth(m)
    if tr is not None:
        profile_cover[f"sigma_r_{name}"] = {recipe: maps.band_coverage(tr, p) for recipe, p in profiles[name].items()}

quads = maps.sky_quadrant_masks(halo["l"], halo["b"])
regions = {"whole sky": np.ones(len(halo), bool), **quads}
for name, m in regions.items():
    h = halo[m]
    beta_profiles[name] = {recipe: maps.anisotropy(np.asarray(h["r"]), np.asarray(h["V_r"]), np.asarray(h["V_theta"]),
                                                   np.asarray(h["V_phi"]), np.asarray(h["V_r_err"]),
                                                   np.asarray(h["V_theta_err"]), np.asarray(h["V_phi_err"]),
                                                   resampling=recipe, **prof_kw)
                           for recipe in RECIPES}
    beta_truth[name] = tr = radial_truth(m, beta=True)
    if tr is not None:
        profile_cover[f"beta_{name}"] = {recipe: maps.band_coverage(tr, p) for recipe, p in beta_profiles[name].items()}
fig = plotting.plot_radial_profiles(profiles, beta_profiles, sigma_truth=sigma_truth, beta_truth=beta_truth,
                                    published=True)
out.savefig("radial_profiles.png", fig, dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# The accreted halo is hotter than the in-situ halo wherever both are measured, and
# $\beta$ is strongly radial in every quadrant of the sky; where a quadrant has few stars in a
# shell its $\beta$ wanders and its band opens up. Open circles within the shaded bands are the
# truth the bands should hold; the dashed lines, S000's bands, are much narrower. In black are
# published measurements on real stars, not mock truth (conventions §15): on the right HALO7D's
# $\beta = 0.68^{+0.04}_{-0.05}$ at 23 kpc from distant main-sequence stars {cite}`Cunningham2019`,
# which S000 fig 10 compares with, $\beta \approx 0.5$ of SDSS BHB stars at 9-12 kpc {cite}`Kafle2012`
# (whose profile then dips to $-1.2$ at 17 kpc, off this panel) and $\beta \approx 0.8$ of LAMOST K
# giants at 5-25 kpc {cite}`Bird2019`; on the left the $\sigma_r$ of SDSS BHB stars
# {cite}`Sirko2004`, one of S000 fig 9's literature values, which lies between the accreted and
# the in-situ profiles as S000 finds for the literature inside 40 kpc. The rest of S000 figs 9-10's
# literature is printed only in the paper's figures, so it is not shown here.

# %%
profile_width_ratio = {}
for name, by_recipe in {**{f"sigma_r_{k}": v for k, v in profiles.items()},
                        **{f"beta_{k}": v for k, v in beta_profiles.items()}}.items():
    prof, drop = by_recipe["bootstrap"], by_recipe["drop"]
    profile_width_ratio[name] = width_ratio(prof, drop)
    stem = name.replace(' ', '_').replace(',', '').replace('<', 'lt').replace('>=', 'ge').replace('>', 'gt')
    out.write_table(Table({"r_mid": prof["r_mid"], "count": prof["count"],
                           **{k: prof[k] for k in ("sigma", "median", *BAND_KEYS)},
                           **{f"{k}_drop": drop[k] for k in BAND_KEYS}}),
                    f"profile_{stem}.ecsv")
print("truth coverage of the profiles:", json.dumps(profile_cover, indent=1))
print("bootstrap band / drop band (median over shells):", json.dumps(profile_width_ratio, indent=1))

ax = plotting.plot_band_widths(profiles, {"accreted": "tab:red", "in-situ": "tab:blue"})
out.savefig("band_widths.png", ax.figure, dpi=110, bbox_inches="tight")
plt.show()

# %% [markdown]
# The bootstrap's bands (solid) are wider than the drop's (dashed) in every shell, and both
# widen outwards as the shells empty.

# %% [markdown]
# ## The asymmetries, in numbers
#
# Three statements the maps make, tested directly:
#
# 1. the accreted halo is hotter than the in-situ halo at every radius with enough stars;
# 2. the in-situ halo is hotter above the plane than below (mirror asymmetry);
# 3. hot lines of sight are accreted lines of sight (the Spearman correlation above).
#
# The separations are counted with the bootstrap's bands; the drop's, a third as wide, would
# separate more shells than the data can support.

# %%
shells = {recipe: maps.compare_profiles(profiles["accreted"][recipe], profiles["in-situ"][recipe])
          for recipe in RECIPES}
for recipe, c in shells.items():
    print(f"{recipe:9s}: accreted hotter than in-situ in {c['n_hotter']} of {c['n_compared']} shells with "
          f">= {min_stars} stars of each; 2-sigma bands separated in {c['n_separated_95']}")

insitu = halo[samples["in-situ"]]
hemi = {recipe: maps.hemisphere_dispersion(np.asarray(insitu["z"]), np.asarray(insitu["V_r"]),
                                           np.asarray(insitu["V_r_err"]), min_stars=min_stars, n_mc=n_mc,
                                           drop_frac=drop_frac, rng=rng, deconvolve=deconvolve_errors,
                                           resampling=recipe) for recipe in RECIPES}
above, below = hemi["bootstrap"]["above"], hemi["bootstrap"]["below"]
# the two halves are independent samples: their separation in combined 1-sigma bootstrap errors
separation = (above["median"] - below["median"]) / np.hypot(0.5 * (above["p84"] - above["p16"]),
                                                          0.5 * (below["p84"] - below["p16"]))
print(f"in-situ sigma_r above the plane {above['median']:.1f} [{above['p16']:.1f}, {above['p84']:.1f}] km/s "
      f"({above['count']:.0f} stars), below {below['median']:.1f} [{below['p16']:.1f}, {below['p84']:.1f}] km/s "
      f"({below['count']:.0f} stars): ratio {hemi['bootstrap']['ratio']:.3f}, {separation:.1f} sigma apart "
      f"(bootstrap)")
summary["asymmetry"] = {
    "accreted_hotter_all_shells": shells["bootstrap"]["all_hotter"],
    "n_shells_compared": shells["bootstrap"]["n_compared"],
    "n_shells_2sigma_separated": shells["bootstrap"]["n_separated_95"],
    "n_shells_2sigma_separated_drop_bands": shells["drop"]["n_separated_95"],
    "insitu_sigma_r_above_plane": above, "insitu_sigma_r_below_plane": below,
    "insitu_sigma_r_above_plane_drop_bands": hemi["drop"]["above"],
    "insitu_sigma_r_below_plane_drop_bands": hemi["drop"]["below"],
    "insitu_above_below_ratio": hemi["bootstrap"]["ratio"], "insitu_above_below_separation_sigma": separation,
}

# %% [markdown]
# ## Do the bands cover the halo's dispersion?
#
# The question the bands must answer is how far a measured $\sigma_r$ may lie from the
# dispersion of the *population* the stars are drawn from. The mock's GSE stars have a known
# one: $V_r \sim N(0, \sigma_r(\mathbf{x}))$ with the mock's $\sigma_r(\mathbf{x})$ (a power law
# in $r$ modulated along the major axis). We redraw the velocities of the accreted sample's GSE
# stars `population_draws` times from that distribution plus their measurement errors, at their
# true positions, measure the $\sigma_r$ profile with each recipe, and count how often the bands
# contain the population value of each shell ($\sqrt{\langle \sigma_r^2 \rangle}$ over its stars),
# first in the shells with at least `population_min_stars` stars, then in all shells with at
# least `min_stars`. (Positions stay fixed, so this tests the velocity sampling, which
# dominates the error.)

# %%
population = None
if truth_path and population_draws > 0:
    gse = samples["accreted"] & (np.asarray(t["component"]).astype(str) == "gse")
    pos_gse = pos[:, gse]
    summary["population_coverage"] = {"n_draws": population_draws, "n_gse_stars": int(gse.sum())}
    for label, shell_min in (("large_shells", population_min_stars), ("all_shells", min_stars)):
        population = maps.population_coverage(
            np.sqrt(np.sum(pos_gse**2, axis=0)), gse_sigma_r(pos_gse, MockConfig().gse),
            np.asarray(halo["V_r_err"][gse]), edges=edges, n_draws=population_draws, rng=rng, n_mc=population_n_mc,
            min_stars=shell_min, drop_frac=drop_frac, deconvolve=deconvolve_errors)
        n_cells = population["bootstrap"]["n_cells"]
        print(f"shells with >= {shell_min} GSE stars ({n_cells} over {population_draws} draws; expected "
              f"68 +- {300 * np.sqrt(0.68 * 0.32 / n_cells):.1f} % and 95 +- {300 * np.sqrt(0.95 * 0.05 / n_cells):.1f} %"
              f" within 3 binomial sigma):")
        for recipe in RECIPES:
            c = population[recipe]
            print(f"  {recipe:9s}: {100 * c['in_68']:5.1f} % inside the 68 % band, {100 * c['in_95']:5.1f} % inside "
                  f"the 95 % band (median 68 % width {c['band_width_68']:.2f} km/s)")
        summary["population_coverage"][label] = {"min_stars": shell_min,
                                                 **{recipe: population[recipe] for recipe in RECIPES}}

# %% [markdown]
# Where shells hold tens of stars or more, the bootstrap's bands contain the population value
# at their nominal rates; the drop's, a third as wide, miss it most of the time. S000's bands
# measure how stable a number is against losing a few stars, not how well the halo's
# dispersion is known. In the outermost shells, with 10-50 stars, the bootstrap's 95 % band
# falls a little short too (a percentile bootstrap of a dispersion from a handful of stars
# is too narrow); conclusions there need more stars than a 2-sigma band suggests.

# %% [markdown]
# ## Outputs

# %%
summary["profiles"] = {
    **{f"sigma_r_{k}": {key: v["bootstrap"][key] for key in ("r_mid", "count", "median", *BAND_KEYS)}
       for k, v in profiles.items()},
    **{f"beta_{k}": {key: v["bootstrap"][key] for key in ("r_mid", "count", "median", *BAND_KEYS)}
       for k, v in beta_profiles.items()},
}
summary["profiles_drop_bands"] = {
    **{f"sigma_r_{k}": {key: v["drop"][key] for key in BAND_KEYS} for k, v in profiles.items()},
    **{f"beta_{k}": {key: v["drop"][key] for key in BAND_KEYS} for k, v in beta_profiles.items()},
}
summary["profile_band_width_ratio"] = profile_width_ratio
summary["profile_truth_coverage"] = profile_cover
summary = run.finish(summary)
print(f"written {out.path / 'summary.json'} ({summary['runtime_s']:.1f} s)")

# %% [markdown]
# ## Exercises
#
# Exercises that change a parameter rerun this chapter with papermill, into an output directory of
# their own (`-p output_dir _build/exercises/...`; see [Rerunning a
# chapter](../intro.md#rerunning-a-chapter) and the README's "Rerun one chapter"); the others add a
# cell at the end of this notebook after it has run, using its variables. The reruns read chapter
# 1's halo sample from its default path, so run chapter 1 first (as `make book` does).

# %% [markdown]
# ````{exercise} Which drop fraction would make S000's bands honest?
# :label: ch2-ex-drop-frac
#
# S000's bands drop a random fraction $f$ of the stars in each realisation. Show that the spread of
# a statistic over such subsamples is about $\sqrt{f/(1-f)}$ times its sampling error, predict the
# bootstrap-to-drop band ratio for $f = 0.1$, 0.3 and 0.5, and check the prediction by rerunning
# with `drop_frac`. Which $f$ makes the drop's bands cover the population value at their nominal
# rates, and is that a coincidence?
#
# *Hint:* for the mean of $m = (1-f)N$ of $N$ stars drawn without replacement, the variance about
# the full-sample mean is $(\sigma^2/m)(1 - m/N)$.
# ````
#
# ````{solution} ch2-ex-drop-frac
# :class: dropdown
#
# With $m = (1-f)N$ the hint gives $\sigma^2 f / [(1-f) N]$, i.e. $f/(1-f)$ times the sampling
# variance $\sigma^2/N$ that the bootstrap measures. The predicted ratio of band widths is
# $\sqrt{(1-f)/f}$: 3 for $f = 0.1$ (the chapter's value), 1.5 for 0.3 and 1 for 0.5. Rerun (fewer
# realisations are enough for the widths):
#
# ```bash
# .venv/bin/papermill notebooks/02_sigma_maps.ipynb /tmp/ch2_drop05.ipynb \
#     -p drop_frac 0.5 -p n_mc 200 -p output_dir _build/exercises/ch2_drop05
# ```
#
# In its `summary.json`, `grid_band_width_ratio` and `profile_band_width_ratio` are now close to 1
# instead of 3, and in `population_coverage` the drop's bands contain the population dispersion
# about as often as the bootstrap's. Not a coincidence: dropping half the stars is the half-sample
# (delete-$N/2$) jackknife, whose spread needs no rescaling; for any other $f$ the drop's bands
# would have to be widened by $\sqrt{(1-f)/f}$ to measure the sampling error.
# ````

# %% [markdown]
# ````{exercise} Errors that make the halo look less radial
# :label: ch2-ex-deconvolve
#
# Rerun the chapter with `deconvolve_errors = False`. From the errors of chapter 1 (radial-velocity
# errors of a few km/s, tangential errors of 10-30 km/s) predict which of $\sigma_r$ and $\beta$
# moves, in which direction, by roughly how much, and at which radii most. Then check against the
# open circles (the same stars' true velocities) of the profiles.
#
# *Hint:* each Monte Carlo realisation scatters by the errors twice (the data's own scatter, then
# the redraw), so its variance estimates $\sigma^2 + 2\langle\epsilon^2\rangle$.
# ````
#
# ````{solution} ch2-ex-deconvolve
# :class: dropdown
#
# ```bash
# .venv/bin/papermill notebooks/02_sigma_maps.ipynb /tmp/ch2_nodeconv.ipynb \
#     -p deconvolve_errors False -p n_mc 200 -p output_dir _build/exercises/ch2_nodeconv
# ```
#
# $\sigma_r$ moves by about $\langle\epsilon_r^2\rangle/\sigma_r$, a small fraction of a km/s for
# $\epsilon_r \approx 3$ km/s and $\sigma_r \approx 150$ km/s: invisible. The tangential
# dispersions are inflated, so $\beta = 1 - (\sigma_\theta^2 + \sigma_\phi^2)/2\sigma_r^2$ drops by
# about $(\langle\epsilon_\theta^2\rangle + \langle\epsilon_\phi^2\rangle)/\sigma_r^2$: a few
# hundredths where $\sigma_r$ is large, approaching 0.1 in the outer shells, where $\sigma_r$ has
# fallen and the errors have not. Compare `profiles` → `beta_whole sky` → `median` in the two
# `summary.json`: without deconvolution the $\beta$ profiles sit below the open circles, and
# `profile_truth_coverage` of the $\beta$ profiles drops. The halo looks less radially biased than
# it is, the bias S000's recipe carries.
# ````

# %% [markdown]
# ````{exercise} A chemically selected sample with a contaminant
# :label: ch2-ex-insitu-mix
#
# S000's in-situ sample merges the high- and low-alpha in-situ boxes; this chapter keeps only the
# high-alpha one. Rerun with both (`insitu_classes`, a list: pass it with papermill's `-y`).
# Predict and check what happens to the in-situ $\sigma_r$ profile, to the accreted/in-situ
# contrast and to the above/below-plane asymmetry of the in-situ halo.
#
# *Hint:* chapter 1 measured who lives in the metal-rich low-alpha box at $|Z| > 5$ kpc.
# ````
#
# ````{solution} ch2-ex-insitu-mix
# :class: dropdown
#
# ```bash
# .venv/bin/papermill notebooks/02_sigma_maps.ipynb /tmp/ch2_s000_insitu.ipynb \
#     -y "insitu_classes: [insitu_high_alpha, insitu_low_alpha]" -p n_mc 200 \
#     -p output_dir _build/exercises/ch2_s000_insitu
# ```
#
# The low-alpha box holds mostly the metal-rich tail of GSE (chapter 1's purity table), so the
# "in-situ" sample roughly doubles and its new stars are hot, radial GSE stars: the in-situ maps
# and $\sigma_r$ profile heat up towards the accreted ones, and fewer shells separate the two
# samples at 2 sigma (`asymmetry` in `summary.json`). Contamination does not only dilute: the
# contaminants are not spread evenly above and below the plane, so the above/below ratio and its
# significance (`insitu_above_below_ratio`, `insitu_above_below_separation_sigma`) change too, and
# on this mock they grow. An "asymmetry" of a mixed sample partly measures how the mixture changes
# across the sky, which is S000's own argument about lines of sight, turned on its in-situ sample.
# ````

# %% [markdown]
# ````{exercise} Smoothing radius: noise against blur
# :label: ch2-ex-radius
#
# Each map cell averages the stars within `radius` of its centre. Rerun with `radius` 4 kpc (and 1
# kpc). Predict how the band widths, the number of masked cells and the azimuthal pattern of the
# accreted map ($\sigma_r \propto 1 + 0.12\cos 2\psi$ about the GSE major axis) change. Does the
# coverage of the same stars' truth warn you of the blur?
# ````
#
# ````{solution} ch2-ex-radius
# :class: dropdown
#
# ```bash
# .venv/bin/papermill notebooks/02_sigma_maps.ipynb /tmp/ch2_r4.ipynb \
#     -p radius 4.0 -p n_mc 200 -p output_dir _build/exercises/ch2_radius4
# ```
#
# A cell's area grows as radius squared, so at 4 kpc a cell holds about four times the stars: the
# bands narrow by about 2 and fewer cells fall below `min_stars`, so the maps reach further out.
# The price is resolution: the hot and cold lobes of the $\cos 2\psi$ pattern are averaged
# together, and the range of the map (`grid_sigma_r_min_max`) shrinks; at 1 kpc the maps are noisy
# and many more cells are masked. The truth coverage does not warn of this, because the truth map
# is smoothed with the same radius: the bands measure the noise of a smoothed map, not its bias
# against the local $\sigma_r$. Choosing the radius is a bias-variance trade-off that no band
# reports.
# ````
