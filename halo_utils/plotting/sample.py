"""Figures of the sample (chapter 1): footprint, chemistry plane, velocity errors, eccentricity."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..cuts import CutConfig
from ..frames import K_KMS, galactic_lb
from .common import CLASS_COLOURS, add_colorbar, nice_range, wrapped_longitude_rad

__all__ = ["plot_footprint", "plot_chemistry_plane", "binned_percentiles", "plot_velocity_errors", "plot_eccentricity_feh"]


def plot_footprint(tiles, stars_l=None, stars_b=None, *, colour_by="f_rank2", label=None, title=None, ax=None):
    """Survey footprint in Galactic Mollweide (S000 fig 1): tiles coloured by a column.

    Longitude increases to the left, as on the sky; the tiles' Galactic ``l``, ``b`` come
    from their ``RA``, ``DEC`` (the tile schema's columns).

    Parameters
    ----------
    tiles : Table
        The tile table (conventions §2): ``RA``, ``DEC`` (deg) and the column ``colour_by``.
    stars_l, stars_b : array_like, optional
        Star positions (deg), drawn grey under the tiles.
    colour_by : str
        Tile column that sets the colour; its colour bar spans `nice_range` of its values.
    label : str, optional
        Colour-bar label (default: ``colour_by``).
    title : str, optional
    ax : matplotlib Axes with a Mollweide projection, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        fig = plt.figure(figsize=(9, 4.8))
        ax = fig.add_subplot(projection="mollweide")
    if stars_l is not None:
        ax.scatter(-wrapped_longitude_rad(stars_l), np.deg2rad(stars_b), s=0.3, c="0.6", alpha=0.4, lw=0, rasterized=True)
    values = np.asarray(tiles[colour_by], float)
    vmin, vmax = nice_range(np.min(values), np.max(values))
    tile_l, tile_b = galactic_lb(np.asarray(tiles["RA"], float), np.asarray(tiles["DEC"], float))
    sc = ax.scatter(-wrapped_longitude_rad(tile_l), np.deg2rad(tile_b), s=6, c=values, cmap="viridis", vmin=vmin,
                    vmax=vmax, lw=0)
    ax.set_xticks(np.deg2rad(np.arange(-150, 180, 60)))
    ax.set_xticklabels([f"{int(v)}°" for v in (-np.arange(-150, 180, 60)) % 360])
    ax.grid(alpha=0.3)
    add_colorbar(sc, ax=ax, label=label or colour_by, orientation="horizontal", fraction=0.05, pad=0.08)
    if title:
        ax.set_title(title, pad=16)  # clear of the 75 deg latitude label
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


def plot_velocity_errors(r, errors: dict, *, n_bins: int = 50, title=None, ax=None):
    """Velocity errors vs Galactocentric radius (S000 fig 3) with 16-84 % bands.

    ``errors`` maps a label (e.g. "V_r") to per-star 1-sigma errors (km/s) of the stars at
    radii ``r`` (kpc); each is drawn as its median and 16-84 % band in ``n_bins``
    equal-count bins. The dashed line is the tangential error of a 0.1 mas/yr proper-motion
    error at distance r. Returns the Axes.
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
    if title:
        ax.set_title(title)
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

