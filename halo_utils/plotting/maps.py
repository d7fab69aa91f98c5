"""Figures of the sigma_r and beta maps (chapter 2): planes, HEALPix maps, profiles and band widths."""

from __future__ import annotations

import healpy as hp
import matplotlib.pyplot as plt
import numpy as np

from matplotlib.lines import Line2D

from ..density import ellipsoidal_radius
from .common import SUN_XYZ, add_colorbar, mollview_panel, nice_range
from .published import draw_published_vs_radius

__all__ = ["density_contour", "plot_dispersion_maps", "plot_healpix_maps", "plot_vs_accreted_fraction",
           "plot_sigma_beta_vs_accreted_fraction", "plot_profile", "plot_radial_profiles", "plot_band_widths"]

#: Colours of the radial profiles: the samples of chapter 2, then the sky regions of beta.
PROFILE_COLOURS = {"accreted": "tab:red", "in-situ": "tab:blue", "whole sky": "k"}
_REGION_CYCLE = ("tab:purple", "tab:green", "tab:orange", "tab:cyan", "tab:brown", "tab:pink")


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
    """S000 figs 4-5: one column per sample, the map on top, its stars below.

    Parameters
    ----------
    results : dict
        ``{sample name: output of halo_utils.maps.grid_dispersion}``: the grid centres (kpc)
        and the ``median`` map (km/s); masked cells (too few stars, NaN) are grey.
    stars : dict
        ``{sample name: (u, w)}``, the stars' positions in the plane (kpc).
    plane : {"xy", "xz"}
        The Galactocentric projection (X-Y or X-Z).
    levels : int
        Number of contour levels between ``vmin`` and ``vmax``.
    vmin, vmax : float, optional
        Colour limits (km/s); by default `nice_range` of the maps' values.
    gse_params : dict, optional
        ``p``, ``q``, ``pitch``, ``yaw`` of an iso-density ellipsoid whose cuts at ``levels_rq``
        (kpc) are drawn dashed purple (`density_contour`).
    label : str
        Colour-bar label.

    Returns
    -------
    (matplotlib.figure.Figure, ndarray of Axes)
    """
    names = list(results)
    fig, axes = plt.subplots(2, len(names), figsize=(4.4 * len(names), 8.6), sharex=True, sharey=True,
                             gridspec_kw={"height_ratios": [1, 1]})
    axes = np.atleast_2d(axes).reshape(2, len(names))
    finite = np.concatenate([results[n]["median"][np.isfinite(results[n]["median"])] for n in names])
    auto_lo, auto_hi = nice_range(np.min(finite), np.max(finite)) if finite.size else (0.0, 1.0)
    vmin = auto_lo if vmin is None else vmin
    vmax = auto_hi if vmax is None else vmax
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
    add_colorbar(cs, ax=axes[0].tolist(), label=label, shrink=0.85)
    return fig, axes


def plot_healpix_maps(maps: dict, *, vmin=None, vmax=None, unit="$\\sigma_r$ [km/s]"):
    """S000 fig 6: Mollweide HEALPix maps (Galactic), one per sample; masked pixels grey.

    Parameters
    ----------
    maps : dict
        ``{title: map}``, RING-ordered HEALPix maps with NaN where nothing was measured.
    vmin, vmax : float, optional
        Colour limits shared by the maps; by default `nice_range` of their finite values.
    unit : str
        Colour-bar label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = plt.figure(figsize=(5.2 * len(maps), 3.6))
    finite = np.concatenate([m[np.isfinite(m)] for m in maps.values()])
    auto_lo, auto_hi = nice_range(np.min(finite), np.max(finite)) if finite.size else (0.0, 1.0)
    vmin = auto_lo if vmin is None else vmin
    vmax = auto_hi if vmax is None else vmax
    for i, (name, m) in enumerate(maps.items()):
        shown = np.where(np.isfinite(m), m, hp.UNSEEN)
        mollview_panel(shown, fig=fig, sub=(1, len(maps), i + 1), title=name, unit=unit, vmin=vmin, vmax=vmax,
                       cmap="plasma", badcolor="0.4", bgcolor="white", notext=False)
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


def plot_sigma_beta_vs_accreted_fraction(frac, sigma_r, beta, n_stars, *, rho_sigma=None, rho_beta=None):
    """S000 figs 7-8 side by side: each sky pixel's sigma_r (km/s, left) and beta
    (right) against the fraction of its stars with accreted chemistry.

    Parameters
    ----------
    frac, sigma_r, beta, n_stars : array_like
        Per pixel: accreted fraction, sigma_r (km/s), beta and number of stars
        (marker area is proportional to it).
    rho_sigma, rho_beta : float, optional
        Spearman correlation coefficients, written in the panels' corners.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    plot_vs_accreted_fraction(frac, sigma_r, n_stars, ax=axes[0], rho=rho_sigma)
    plot_vs_accreted_fraction(frac, beta, n_stars, ax=axes[1], ylabel="$\\beta$", rho=rho_beta)
    return fig


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


def plot_radial_profiles(sigma_r: dict, beta: dict, *, sigma_truth=None, beta_truth=None, colours=None,
                         beta_ylim=(-0.5, 1.05), published=False):
    """S000 figs 9-10 side by side: sigma_r profiles of samples (left) and beta
    profiles of sky regions (right) against Galactocentric radius (`plot_profile` each).

    Each profile is drawn from its bootstrap (median, 1 and 2 sigma bands) with the 68 % band
    of S000's 10 % drop dashed; open circles are the truth where given.

    Parameters
    ----------
    sigma_r, beta : dict
        ``{name: {"bootstrap": profile, "drop": profile}}``, profiles of
        `halo_utils.maps.radial_profile` (km/s) and `halo_utils.maps.anisotropy`.
    sigma_truth, beta_truth : dict, optional
        ``{name: array}``: the truth per shell (e.g. the same stars' true velocities), or None.
    colours : dict, optional
        Colour per name (default `PROFILE_COLOURS`, then a cycle for the other names).
    beta_ylim : (float, float)
        The range of beta shown.
    published : bool
        Draw the published measurements (`~halo_utils.plotting.draw_published_vs_radius`):
        sigma_r on the left panel (S000 fig 9; the table holds those printed as numbers) and
        the anisotropies on the right (Cunningham et al. 2019 and others, S000 fig 10).

    Returns
    -------
    matplotlib.figure.Figure
    """
    colours = {**PROFILE_COLOURS, **(colours or {})}
    cycle = iter(_REGION_CYCLE)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    has_truth = False
    for ax, profiles, truths in ((axes[0], sigma_r, sigma_truth or {}), (axes[1], beta, beta_truth or {})):
        for name, by_recipe in profiles.items():
            colour = colours.get(name) or colours.setdefault(name, next(cycle))
            truth = truths.get(name)
            has_truth |= truth is not None
            plot_profile(ax, by_recipe["bootstrap"], colour=colour, label=name, truth=truth, narrow=by_recipe.get("drop"))
        ax.set_xlabel("$r_{\\rm Gal}$ [kpc]")
    axes[0].set_ylabel("$\\sigma_r$ [km/s]")
    axes[1].set_ylabel("$\\beta$")
    axes[1].set_ylim(*beta_ylim)
    if published:
        draw_published_vs_radius(axes[0], "sigma_r")
        draw_published_vs_radius(axes[1], "beta")
    keys = [Line2D([], [], color="0.4", lw=0.8, ls="--", label="drop, 68 % (S000)")]
    if has_truth:
        keys.append(Line2D([], [], color="0.4", marker="o", mfc="none", ms=4, ls="none", label="truth (same stars)"))
    handles, _ = axes[0].get_legend_handles_labels()
    axes[0].legend(handles=handles + keys, fontsize=8)
    axes[1].legend(fontsize=8, loc="lower right")
    return fig


def plot_band_widths(profiles: dict, colours: dict, *, ax=None):
    """68 % band widths (km/s) of sigma_r radial profiles made with two resamplings: the
    bootstrap solid, S000's 10 % drop dashed.

    Parameters
    ----------
    profiles : dict
        ``{name: {"bootstrap": profile, "drop": profile}}`` (`halo_utils.maps.radial_profile`).
    colours : dict
        Colour per name.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, by_recipe in profiles.items():
        for recipe, style in (("bootstrap", "-"), ("drop", "--")):
            prof = by_recipe[recipe]
            ax.plot(prof["r_mid"], prof["p84"] - prof["p16"], style, color=colours[name], label=f"{name}, {recipe}")
    ax.set_xlabel("$r_{\\rm Gal}$ [kpc]")
    ax.set_ylabel("68 % band width of $\\sigma_r$ [km/s]")
    ax.legend(fontsize=8)
    return ax
