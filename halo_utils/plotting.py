"""Figures of the compendium (matplotlib). Functions draw on axes they are given or make."""

from __future__ import annotations

import corner
import healpy as hp
import numpy as np
import matplotlib.pyplot as plt

from .cuts import CutConfig
from .density import ellipsoidal_radius, log_number_density, monomials
from .frames import K_KMS, R0_KPC, Z_SUN_KPC, wrap_longitude

__all__ = [
    "plot_footprint",
    "plot_chemistry_plane",
    "plot_velocity_errors",
    "plot_eccentricity_feh",
    "binned_percentiles",
    "density_contour",
    "plot_dispersion_maps",
    "plot_healpix_maps",
    "plot_vs_accreted_fraction",
    "plot_profile",
    "plot_band_widths",
    "PARAM_LABELS",
    "plot_corner",
    "plot_isodensity",
    "plot_sky_residuals",
    "plot_radial_density",
    "plot_reflex_band",
    "plot_apex_sky",
]

CLASS_COLOURS = {"accreted": "tab:red", "insitu_high_alpha": "tab:blue", "insitu_low_alpha": "tab:cyan"}


def _wrap_l(l_deg):
    """Galactic longitude in radians on [-pi, pi) for Mollweide axes (l = 0 at centre)."""
    return np.deg2rad(wrap_longitude(l_deg))


def plot_footprint(tiles, stars_l=None, stars_b=None, *, colour_by="f_rank2", ax=None):
    """Survey footprint in Galactic Mollweide (S000 fig 1): tiles coloured by a column.

    Longitude increases to the left, as on the sky.
    """
    if ax is None:
        fig = plt.figure(figsize=(9, 4.8))
        ax = fig.add_subplot(projection="mollweide")
    if stars_l is not None:
        ax.scatter(-_wrap_l(stars_l), np.deg2rad(stars_b), s=0.3, c="0.6", alpha=0.4, lw=0, rasterized=True)
    sc = ax.scatter(-_wrap_l(tiles["l"]), np.deg2rad(np.asarray(tiles["b"], float)), s=6,
                    c=np.asarray(tiles[colour_by], float), cmap="viridis", lw=0)
    ax.set_xticks(np.deg2rad(np.arange(-150, 180, 60)))
    ax.set_xticklabels([f"{int(v)}°" for v in (-np.arange(-150, 180, 60)) % 360])
    ax.grid(alpha=0.3)
    plt.colorbar(sc, ax=ax, orientation="horizontal", fraction=0.05, pad=0.08, label=colour_by)
    return ax


def plot_chemistry_plane(feh_all, afe_all, feh_halo, afe_halo, classes_halo, *,
                         config: CutConfig = CutConfig(), axes=None):
    """[Fe/H]-[a/Fe] plane (S000 fig 2): all giants (left), final halo by class (right)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
    lim_feh, lim_afe = (-2.6, 0.4), (-0.25, 0.6)
    axes[0].hist2d(feh_all, afe_all, bins=(90, 70), range=(lim_feh, lim_afe), cmap="Greys",
                   norm="log", rasterized=True)
    for label, colour in CLASS_COLOURS.items():
        sel = np.asarray(classes_halo) == label
        axes[1].scatter(np.asarray(feh_halo)[sel], np.asarray(afe_halo)[sel], s=2, c=colour,
                        alpha=0.5, lw=0, label=f"{label} ({sel.sum()})", rasterized=True)
    x = np.linspace(*lim_feh, 100)
    for ax in axes:
        line = config.alpha_slope * x + config.alpha_intercept
        ax.plot(x, line, "k--", lw=1)
        split = config.alpha_slope * config.feh_split + config.alpha_intercept
        ax.plot([config.feh_split, config.feh_split], [lim_afe[0], split], "k--", lw=1)
        ax.set_xlim(lim_feh)
        ax.set_ylim(lim_afe)
        ax.set_xlabel("[Fe/H]")
    axes[0].set_ylabel("[α/Fe]")
    axes[0].set_title("giants outside cold substructures")
    axes[1].set_title("final halo sample")
    axes[1].legend(loc="upper right", markerscale=5, fontsize=8)
    return axes


def binned_percentiles(x, y, n_bins: int = 50, percentiles=(16, 50, 84)):
    """Percentiles of ``y`` in equal-count bins of ``x``: (bin median x, array (n_pct, n_bins))."""
    order = np.argsort(x)
    chunks = np.array_split(order, n_bins)
    centres = np.array([np.median(np.asarray(x)[c]) for c in chunks])
    values = np.array([np.percentile(np.asarray(y)[c], percentiles) for c in chunks]).T
    return centres, values


def plot_velocity_errors(r, errors: dict, *, n_bins: int = 50, ax=None):
    """Velocity errors vs Galactocentric radius (S000 fig 3) with 16-84 % bands.

    ``errors`` maps a label (e.g. "V_r") to per-star 1-sigma errors (km/s). The dashed
    line is the tangential error of a 0.1 mas/yr proper-motion error at distance r.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.5))
    colours = {"V_r": "tab:red", "V_theta": "tab:green", "V_phi": "tab:blue"}
    tex = {"V_r": "V_r", "V_theta": "V_\\theta", "V_phi": "V_\\phi"}
    for label, err in errors.items():
        centres, (lo, med, hi) = binned_percentiles(r, err, n_bins)
        c = colours.get(label)
        ax.plot(centres, med, "o-", ms=3, color=c, label=f"$\\sigma({tex.get(label, label)})$ median")
        ax.fill_between(centres, lo, hi, color=c, alpha=0.2, lw=0)
    rr = np.linspace(centres.min(), centres.max(), 50)
    ax.plot(rr, 0.1 * K_KMS * rr, "k--", lw=1, label="0.1 mas/yr at r")
    ax.set_xlabel("$r_{\\rm Gal}$ [kpc]")
    ax.set_ylabel("velocity error [km/s]")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_eccentricity_feh(feh, ecc, in_gse, *, ecc_min: float = 0.7, ax=None):
    """Eccentricity vs [Fe/H] of the giants outside cold substructures (the parent sample of
    S001 fig 3), GSE members in red."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    feh, ecc, in_gse = np.asarray(feh), np.asarray(ecc), np.asarray(in_gse, bool)
    ax.scatter(feh[~in_gse], ecc[~in_gse], s=1, c="0.5", alpha=0.4, lw=0, rasterized=True, label="parent")
    ax.scatter(feh[in_gse], ecc[in_gse], s=1, c="tab:red", alpha=0.4, lw=0, rasterized=True, label="GSE sample")
    ax.axhline(ecc_min, color="k", ls="--", lw=1)
    ax.set_xlabel("[Fe/H]")
    ax.set_ylabel("eccentricity")
    ax.set_xlim(-2.6, 0.4)
    ax.legend(markerscale=6, fontsize=8, loc="lower left")
    return ax


# ------------------------------------------------------------------ chapter 2

SUN_XYZ = (-R0_KPC, 0.0, Z_SUN_KPC)


def density_contour(ax, plane: str, params: dict, levels_rq=(20.0,), extent=(-30, 30), **kw):
    """Overlay the cut of an iso-density ellipsoid (r_q = const) through the XY or XZ plane.

    ``params`` holds ``p``, ``q``, ``pitch``, ``yaw`` (deg) of `halo_utils.density`.
    """
    g = np.linspace(*extent, 301)
    A, B = np.meshgrid(g, g)
    zero = np.zeros_like(A)
    pos = np.stack([A, B, zero]) if plane == "xy" else np.stack([A, zero, B])
    rq = ellipsoidal_radius(pos, params["p"], params["q"], params["pitch"], params["yaw"])
    style = dict(colors="purple", linestyles="--", linewidths=1.5)
    style.update(kw)
    return ax.contour(A, B, rq, levels=sorted(levels_rq), **style)


def plot_dispersion_maps(results: dict, stars: dict, plane: str, *, levels: int = 11, vmin=None, vmax=None,
                         gse_params=None, levels_rq=(20.0,), label="$\\sigma_r$ [km/s]"):
    """S000 figs 4-5: one column per sample, contour map on top, the stars below.

    ``results`` maps a sample name to the output of `grid_dispersion`; ``stars`` maps it
    to the (u, w) star positions. Masked cells (too few stars) are grey.
    """
    names = list(results)
    fig, axes = plt.subplots(2, len(names), figsize=(4.4 * len(names), 8.6), sharex=True, sharey=True,
                             gridspec_kw={"height_ratios": [1, 1]})
    axes = np.atleast_2d(axes).reshape(2, len(names))
    finite = np.concatenate([results[n]["median"][np.isfinite(results[n]["median"])] for n in names])
    vmin = np.nanmin(finite) if vmin is None else vmin
    vmax = np.nanmax(finite) if vmax is None else vmax
    lev = np.linspace(vmin, vmax, levels)
    xl, yl = ("X", "Y") if plane == "xy" else ("X", "Z")
    for j, name in enumerate(names):
        res = results[name]
        ax = axes[0, j]
        ax.set_facecolor("0.75")
        cs = ax.contourf(res["centers_u"], res["centers_w"], np.clip(res["median"], vmin, vmax), levels=lev,
                         cmap="plasma", extend="neither")
        sun = SUN_XYZ[1] if plane == "xy" else SUN_XYZ[2]
        ax.plot(SUN_XYZ[0], sun, marker="*", ms=12, color="k", ls="none")
        if gse_params is not None:
            density_contour(ax, plane, gse_params, levels_rq)
        ax.set_title(f"{name} ({len(stars[name][0]):,} stars)")
        ax.set_aspect("equal")
        axes[1, j].scatter(*stars[name], s=0.5, c="k", alpha=0.4, lw=0, rasterized=True)
        axes[1, j].plot(SUN_XYZ[0], sun, marker="*", ms=12, color="tab:orange", ls="none")
        axes[1, j].set_aspect("equal")
        axes[1, j].set_xlabel(f"{xl} [kpc]")
    for ax in axes.ravel():
        ax.set_xlim(res["centers_u"][0], res["centers_u"][-1])
        ax.set_ylim(res["centers_w"][0], res["centers_w"][-1])
    axes[0, 0].set_ylabel(f"{yl} [kpc]")
    axes[1, 0].set_ylabel(f"{yl} [kpc]")
    fig.colorbar(cs, ax=axes[0].tolist(), label=label, shrink=0.85)
    return fig, axes


def plot_healpix_maps(maps: dict, *, vmin=None, vmax=None, unit="$\\sigma_r$ [km/s]"):
    """S000 fig 6: Mollweide HEALPix maps (Galactic), masked pixels grey."""
    fig = plt.figure(figsize=(5.2 * len(maps), 3.6))
    finite = np.concatenate([m[np.isfinite(m)] for m in maps.values()])
    vmin = np.min(finite) if vmin is None else vmin
    vmax = np.max(finite) if vmax is None else vmax
    for i, (name, m) in enumerate(maps.items()):
        shown = np.where(np.isfinite(m), m, hp.UNSEEN)
        hp.mollview(shown, fig=fig.number, sub=(1, len(maps), i + 1), title=name, unit=unit, min=vmin,
                    max=vmax, cmap="plasma", badcolor="0.4", bgcolor="white", notext=False)
        hp.graticule(dpar=30, dmer=60, alpha=0.3)
    return fig


def plot_vs_accreted_fraction(frac, value, n_stars, *, ax=None, ylabel="$\\sigma_r$ [km/s]", rho=None):
    """S000 figs 7-8: a per-pixel value vs accreted fraction, marker area proportional to N."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    n_stars = np.asarray(n_stars, float)
    ax.scatter(frac, value, s=200 * n_stars / n_stars.max(), facecolors="none", edgecolors="k")
    ax.set_xlabel("accreted fraction $N_{\\rm acc}/N_{\\rm all}$")
    ax.set_ylabel(ylabel)
    if rho is not None:
        ax.text(0.04, 0.93, f"Spearman $\\rho$ = {rho:.2f}", transform=ax.transAxes)
    return ax


def plot_profile(ax, prof, *, colour, label, truth=None, narrow=None):
    """A radial profile: median line with 1 and 2 sigma bands (S000 figs 9-10); the 1-sigma
    band of ``narrow`` (the same profile with other bands, e.g. S000's 10 % drop) as dashes."""
    x = prof["r_mid"]
    ax.fill_between(x, prof["p2_5"], prof["p97_5"], color=colour, alpha=0.15, lw=0)
    ax.fill_between(x, prof["p16"], prof["p84"], color=colour, alpha=0.3, lw=0)
    ax.plot(x, prof["median"], "-", color=colour, label=label)
    if narrow is not None:
        ax.plot(x, narrow["p16"], "--", x, narrow["p84"], "--", color=colour, lw=0.8)
    if truth is not None:
        ax.plot(x, truth, "o", mfc="none", color=colour, ms=4)
    return ax


def plot_band_widths(ax, profiles: dict, colours: dict):
    """68 % band widths of radial profiles made with two resamplings, ``{name: {recipe:
    profile}}``: the bootstrap solid, S000's drop dashed."""
    for name, by_recipe in profiles.items():
        for recipe, style in (("bootstrap", "-"), ("drop", "--")):
            prof = by_recipe[recipe]
            ax.plot(prof["r_mid"], prof["p84"] - prof["p16"], style, color=colours[name], label=f"{name}, {recipe}")
    ax.set_xlabel("$r_{\\rm Gal}$ [kpc]")
    ax.set_ylabel("68 % band width of $\\sigma_r$ [km/s]")
    ax.legend(fontsize=8)
    return ax


# ------------------------------------------------------------- chapters 3-4

#: TeX labels of the density and reflex parameters for corner plots and tables.
PARAM_LABELS = {"alpha1": r"$\alpha_1$", "alpha2": r"$\alpha_2$", "alpha3": r"$\alpha_3$",
                "r1": r"$r_1$", "r2": r"$r_2$", "p": r"$p$", "q": r"$q$", "pitch": "pitch",
                "yaw": "yaw", "log10_mass": r"$\log_{10} M_\star$",
                "v_travel_x": r"$v_{\rm travel,x}$", "v_travel_y": r"$v_{\rm travel,y}$",
                "v_travel_z": r"$v_{\rm travel,z}$"}
_REFLEX_LABELS = {"v_travel": r"$v_{\rm travel}$", "L_MS": r"$L_{\rm MS}$", "B_MS": r"$B_{\rm MS}$",
                  "vr_mean": r"$\langle v_r\rangle$", "vphi_mean": r"$\langle v_\phi\rangle$",
                  "vtheta_mean": r"$\langle v_\theta\rangle$", "ln_sigma_los": r"$\ln\sigma_{\rm los}$",
                  "ln_sigma_l": r"$\ln\sigma_\ell$", "ln_sigma_b": r"$\ln\sigma_b$"}
for _base, _label in _REFLEX_LABELS.items():  # reflex parameters, bare and at the nodes
    PARAM_LABELS[_base] = _label
    for _r in (40, 120):
        PARAM_LABELS[f"{_base}_{_r}"] = f"{_label} ({_r})"
PARAM_LABELS["f_out"] = r"$f_{\rm out}$"  # the outlier fraction of the reflex mixture


def plot_corner(samples, names, truths=None, **kw):
    """Corner plot of posterior samples (corner.py), truth lines when given."""
    labels = [PARAM_LABELS.get(n, n) for n in names]
    truth_vals = None if truths is None else [truths.get(n) for n in names]
    return corner.corner(np.asarray(samples), labels=labels, truths=truth_vals, truth_color="tab:red",
                         quantiles=[0.16, 0.5, 0.84], show_titles=True, title_fmt=".3f",
                         title_kwargs={"fontsize": 9}, **kw)


def plot_isodensity(ax, params, model, plane, *, stars=None, extent=40.0, levels=8, truth=None):
    """Iso-density contours of a fitted density in the XY (z = 0) or XZ (y = 0) plane."""
    g = np.linspace(-extent, extent, 241)
    A, B = np.meshgrid(g, g)
    zero = np.zeros_like(A)
    pos = np.stack([A, B, zero]) if plane == "xy" else np.stack([A, zero, B])
    ln_n = log_number_density(monomials(pos.reshape(3, -1)), params, model).reshape(A.shape)
    if stars is not None:
        u, w, other = (stars[0], stars[1], stars[2]) if plane == "xy" else (stars[0], stars[2], stars[1])
        near = np.abs(other) < 5
        ax.scatter(u[near], w[near], s=1, c="0.6", lw=0, alpha=0.5, rasterized=True)
    lev = np.linspace(np.percentile(ln_n, 30), np.percentile(ln_n, 99.5), levels)
    ax.contour(A, B, ln_n, levels=lev, colors="k", linewidths=1, linestyles="solid")
    if truth is not None:
        t_ln = log_number_density(monomials(pos.reshape(3, -1)), truth[0], truth[1]).reshape(A.shape)
        ax.contour(A, B, t_ln, levels=lev, colors="tab:red", linewidths=0.8, linestyles="--")
    ax.plot(SUN_XYZ[0], SUN_XYZ[1] if plane == "xy" else SUN_XYZ[2], "*", color="tab:orange", ms=12)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("X [kpc]")
    ax.set_ylabel("Y [kpc]" if plane == "xy" else "Z [kpc]")
    return ax


def plot_sky_residuals(data, models: dict, *, mean=None):
    """S001 fig 8: HEALPix maps of the data, each model and (data - model) / mean."""
    mean = np.mean(data[data > 0]) if mean is None else mean
    observed = np.asarray(data, float)
    covered = np.zeros(observed.size, bool)
    for m in models.values():
        covered |= m > 0
    show = lambda v: np.where(covered, v, hp.UNSEEN)  # noqa: E731
    n_rows = len(models)
    fig = plt.figure(figsize=(15, 3.6 * n_rows))
    vmax = np.percentile(observed[covered], 99)
    for i, (name, model) in enumerate(models.items()):
        hp.mollview(show(observed), fig=fig.number, sub=(n_rows, 3, 3 * i + 1), title="data",
                    min=0, max=vmax, cmap="viridis", unit="stars / pixel")
        hp.mollview(show(model), fig=fig.number, sub=(n_rows, 3, 3 * i + 2), title=name,
                    min=0, max=vmax, cmap="viridis", unit="stars / pixel")
        hp.mollview(show((observed - model) / mean), fig=fig.number, sub=(n_rows, 3, 3 * i + 3),
                    title=f"(data - model) / mean: {name}", min=-1, max=1, cmap="RdBu_r")
    return fig


def plot_radial_density(r_mid, data_density, models: dict, band=None):
    """S001 fig 9: selection-corrected density vs r, model curves, and residuals."""
    fig, (ax, res) = plt.subplots(2, 1, figsize=(7, 7), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    ref = None
    colours = ["tab:red", "tab:green", "tab:blue", "tab:purple", "tab:orange"]
    for (name, curve), c in zip(models.items(), colours):
        ax.plot(r_mid, curve, "-", color=c, label=name)
        ref = curve if ref is None else ref
        res.plot(r_mid, (data_density - curve) / curve, "-", color=c)
    ax.plot(r_mid, data_density, "ko", ms=4, label="data")
    if band is not None:
        lo, hi = band
        res.fill_between(r_mid, (lo - ref) / ref, (hi - ref) / ref, color="tab:red", alpha=0.2, lw=0,
                         label="Poisson 16-84 % (mocks)")
        res.legend(fontsize=8)
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_ylabel("selection-corrected density [stars / kpc$^3$]")
    ax.legend(fontsize=8)
    res.axhline(0, color="k", lw=0.8)
    res.set_ylabel("(data - model) / model")
    res.set_xlabel("$r_{\\rm Gal}$ [kpc]")
    res.set_ylim(-1, 1)
    return fig


def plot_reflex_band(ax, fit, quantity, radii, *, colour="tab:red", truth=None, label=None):
    """Median and 16-84 % band of a `~halo_utils.reflex.ReflexFit` quantity against radius,
    with the truth (another ReflexFit, e.g. of the mock's truth vector) dashed."""
    p = np.array([fit.at(r)[quantity] for r in radii])
    ax.fill_between(radii, p[:, 1], p[:, 2], color=colour, alpha=0.3, label=label or quantity)
    ax.plot(radii, p[:, 0], color=colour)
    if truth is not None:
        ax.plot(radii, [truth.at(r)[quantity][0] for r in radii], "--", color=colour)
    ax.set_xlabel("$r_{\\rm gal}$ [kpc]")


def plot_apex_sky(draws_l, draws_b, *, markers=(), track=None, ax=None):
    """The reflex apex on a Galactic Mollweide map (S004 fig 6, top): posterior draws of its
    direction (l, b in deg, Galactocentric), optional markers and a track (e.g. the LMC's past
    orbit seen from the Galactic centre). Longitude increases to the left, as on the sky.

    Parameters
    ----------
    draws_l, draws_b : array_like
        Apex directions of the posterior draws, deg.
    markers : iterable of (l, b, dict)
        Points to mark, each with its matplotlib ``scatter`` keywords (``label`` included).
    track : (l, b, dict), optional
        A line through directions (deg) with its ``plot`` keywords; broken where it crosses
        l = 180 deg, so that it does not run across the map.
    """
    if ax is None:
        fig = plt.figure(figsize=(8, 4.5))
        ax = fig.add_subplot(111, projection="mollweide")
    if track is not None:
        l_t, b_t, kw = track
        x, y = -_wrap_l(l_t), np.deg2rad(np.asarray(b_t, float))
        jump = np.flatnonzero(np.abs(np.diff(x)) > np.pi)
        ax.plot(np.insert(x, jump + 1, np.nan), np.insert(y, jump + 1, np.nan), **kw)
    ax.scatter(-_wrap_l(draws_l), np.deg2rad(np.asarray(draws_b, float)), s=1, alpha=0.2, color="tab:red",
               label="apex at 100 kpc (posterior)", rasterized=True)
    for l_m, b_m, kw in markers:
        ax.scatter(-_wrap_l(l_m), np.deg2rad(b_m), **kw)
    ax.set_xticks(np.deg2rad(np.arange(-150, 180, 30)))
    ax.set_xticklabels([f"{int(v)}" for v in -np.arange(-150, 180, 30)])
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)
    return ax
