"""Figures of the sigma_r and beta maps (chapter 2): planes, HEALPix maps, profiles and band widths."""

from __future__ import annotations

import healpy as hp
import matplotlib.pyplot as plt
import numpy as np

from ..density import ellipsoidal_radius
from .common import SUN_XYZ

__all__ = ["density_contour", "plot_dispersion_maps", "plot_healpix_maps", "plot_vs_accreted_fraction", "plot_profile", "plot_band_widths"]


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
