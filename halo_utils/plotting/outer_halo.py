"""Figures of the outer-halo data before and around the reflex fit (chapter 5): the sample on
the sky and in depth, the smoothed v_GSR sky, binned mean velocities, outlier probabilities
and standardised residuals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..frames import wrap_longitude
from .common import add_colorbar, mollview_panel, nice_limit, nice_range

__all__ = ["plot_outer_halo_sample", "plot_vgsr_sky", "plot_vgsr_sky_bins", "plot_quadrant_profiles",
           "plot_outlier_probabilities", "plot_standardized_residuals"]

#: Colours of the two sky quadrants of `plot_quadrant_profiles`, in the order given.
_QUADRANT_COLOURS = ("tab:red", "tab:blue", "tab:green", "tab:purple")


def plot_outer_halo_sample(l, b, r, r_by_survey: dict, *, r_range=None):
    """The selected outer-halo stars (S004 fig 2): on the sky coloured by Galactocentric radius
    (left, longitude increasing to the left) and their cumulative counts N(> r) per survey
    (right, log scale).

    Parameters
    ----------
    l, b : array_like
        Galactic longitude and latitude of the selected stars, deg.
    r : array_like
        Their Galactocentric radii, kpc.
    r_by_survey : dict
        ``{survey name: radii (kpc) of its selected stars}``; one curve each.
    r_range : (float, float), optional
        Radial range of the selection, kpc: the colour limits, the title and the span of the
        counts (default: `nice_range` of ``r``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    r = np.asarray(r, float)
    lo, hi = r_range if r_range is not None else nice_range(np.min(r), np.max(r))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ax = axes[0]
    sc = ax.scatter(wrap_longitude(np.asarray(l, float)), b, c=r, s=6, cmap="viridis", vmin=lo, vmax=hi)
    ax.set_xlim(180, -180)
    ax.set_xlabel("$\\ell$ [deg]")
    ax.set_ylabel("$b$ [deg]")
    add_colorbar(sc, ax=ax, label="$r_{\\rm gal}$ [kpc]")
    ax.set_title(f"selected stars, {lo:g}-{hi:g} kpc (S004 fig 2)")
    ax = axes[1]
    r_grid = np.linspace(lo, hi, 200)
    for name, radii in r_by_survey.items():
        radii = np.asarray(radii, float)
        ax.plot(r_grid, [(radii > x).sum() for x in r_grid], label=name)
    ax.set_yscale("log")
    ax.set_xlabel("$r_{\\rm gal}$ [kpc]")
    ax.set_ylabel("N(> $r_{\\rm gal}$)")
    ax.set_title("stars beyond each radius, per survey")
    ax.legend()
    return fig


def plot_vgsr_sky(maps: dict, l, b, *, n_stars=None):
    """Smoothed all-sky maps of the mean Galactocentric radial velocity, sky mean removed
    (S004 fig 3), in Galactic Mollweide, with the stars behind them as black dots.

    The colour scale is symmetric about zero, to `nice_limit` of the largest ``|v|`` of the
    maps, so that a dipole shows as red against blue.

    Parameters
    ----------
    maps : dict
        ``{name: HEALPix map of mean v_GSR (km/s)}`` (e.g. the data and the truth model).
    l, b : array_like
        Galactic coordinates of the stars behind the maps, deg.
    n_stars : int, optional
        Stars behind each map, for the titles (default: ``len(l)``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_stars = len(l) if n_stars is None else n_stars
    fig = plt.figure(figsize=(6 * len(maps), 3.6))
    finite = np.concatenate([np.abs(m[np.isfinite(m)]) for m in maps.values()])
    lim = nice_limit(np.max(finite)) if finite.size and np.max(finite) > 0 else 1.0
    for i, (name, m) in enumerate(maps.items()):
        ax = mollview_panel(m, fig=fig, sub=(1, len(maps), i + 1), cmap="RdBu_r", vmin=-lim, vmax=lim,
                            title=f"mean $v_{{GSR}}$ - sky mean, {name} ({n_stars} stars)",
                            unit="$v_{\\rm GSR}$ - sky mean [km/s]")
        ax.projscatter(l, b, lonlat=True, s=2, c="k")
    return fig


def plot_vgsr_sky_bins(bins: dict):
    """S004 fig 19: the smoothed mean-v_GSR sky (sky mean removed) in disjoint distance bins,
    each with its stars as black circles, on one symmetric colour scale (`nice_limit` of the
    largest ``|v|``), two panels per row.

    Parameters
    ----------
    bins : dict
        ``{label: (HEALPix map of mean v_GSR in km/s, l, b)}``, ``l``, ``b`` the Galactic
        coordinates (deg) of the bin's stars, in the order the panels are drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_rows = (len(bins) + 1) // 2
    fig = plt.figure(figsize=(12, 4.6 * n_rows))  # room for each row's colour bars under it
    finite = np.concatenate([np.abs(m[np.isfinite(m)]) for m, _, _ in bins.values()])
    lim = nice_limit(np.max(finite)) if finite.size and np.max(finite) > 0 else 1.0
    for i, (label, (m, l, b)) in enumerate(bins.items()):
        ax = mollview_panel(m, fig=fig, sub=(n_rows, 2, i + 1), cmap="RdBu_r", vmin=-lim, vmax=lim,
                            title=f"{label} ({len(l)} stars)", unit="$v_{\\rm GSR}$ - sky mean [km/s]")
        ax.projscatter(l, b, lonlat=True, s=6, facecolors="none", edgecolors="k", linewidths=0.5)
    return fig


def plot_quadrant_profiles(v_gsr: dict, v_b, *, v_gsr_truth=None, v_b_truth=None):
    """Binned mean velocities against Galactocentric radius (S004 figs 4-5): the mean v_GSR of
    sky quadrants (left) and the all-sky mean tangential velocity along b, v_b (right), with
    their bootstrap errors; the truth model at the same stars dashed.

    Parameters
    ----------
    v_gsr : dict
        ``{quadrant name: binned mean}``; each a `~halo_utils.reflex.binned_mean` table with
        ``x_mid`` (kpc), ``mean`` and ``err`` (km/s).
    v_b : Table
        The same for v_b over the whole sky.
    v_gsr_truth : dict, optional
        ``{quadrant name: binned mean}`` of the truth model's velocities.
    v_b_truth : Table, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for (name, prof), colour in zip(v_gsr.items(), _QUADRANT_COLOURS):
        axes[0].errorbar(prof["x_mid"], prof["mean"], prof["err"], fmt="o", color=colour, label=f"{name} quadrant")
        truth = (v_gsr_truth or {}).get(name)
        if truth is not None:
            axes[0].plot(truth["x_mid"], truth["mean"], "--", color=colour,
                         label="truth model" if name == next(iter(v_gsr)) else None)
    axes[1].errorbar(v_b["x_mid"], v_b["mean"], v_b["err"], fmt="o", color="k", label="data")
    if v_b_truth is not None:
        axes[1].plot(v_b_truth["x_mid"], v_b_truth["mean"], "--", color="k", label="truth model")
    for ax, ylabel in zip(axes, ("mean $v_{\\rm GSR}$ [km/s]", "mean $v_{t,b}^*$ [km/s]")):
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlabel("$r_{\\rm gal}$ [kpc]")
        ax.set_ylabel(ylabel)
        ax.legend()
    return fig


def plot_outlier_probabilities(p_out, components=None):
    """Histograms of each star's posterior probability of belonging to the outlier component
    of the reflex mixture, per true component where it is known (log counts).

    Parameters
    ----------
    p_out : array_like
        Outlier probability of every star of the fit, 0-1.
    components : array_like of str, optional
        Each star's true component (a mock's truth); without it one histogram of all stars.

    Returns
    -------
    matplotlib Axes
    """
    _, ax = plt.subplots(figsize=(6, 3.5))
    p_out = np.asarray(p_out, float)
    bins = np.linspace(0, 1, 21)
    if components is None:
        ax.hist(p_out, bins=bins, histtype="step", lw=1.5, label="all stars")
    else:
        components = np.asarray(components)
        for name in np.unique(components):
            sel = components == name
            ax.hist(p_out[sel], bins=bins, histtype="step", lw=1.5, label=f"{name} ({sel.sum()})")
    ax.set_yscale("log")
    ax.set_xlabel("outlier probability")
    ax.set_ylabel("stars")
    ax.legend(fontsize=8)
    return ax


def plot_standardized_residuals(residuals, *, outliers=None, limit: float = 12.0):
    """Histograms of the standardised residuals of the line-of-sight velocity and the two
    proper motions from the halo model (`~halo_utils.reflex.standardized_residuals`), against
    the unit normal that stars the model describes follow (log counts; values beyond
    ``limit`` piled into the end bins).

    Parameters
    ----------
    residuals : Table or dict
        Columns ``z_vlos``, ``z_mu_l`` and ``z_mu_b`` (dimensionless).
    outliers : array_like of bool, optional
        Stars to show as a filled histogram (e.g. outlier probability > 0.5).
    limit : float
        Half-width of the histograms, in units of sigma.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.5), sharey=True)
    edges = np.linspace(-limit, limit, 61)
    for ax, col, label in zip(axes, ("z_vlos", "z_mu_l", "z_mu_b"), ("$v_{\\rm los}$", "$\\mu_{\\ell*}$", "$\\mu_b$")):
        z = np.clip(np.asarray(residuals[col], float), edges[0], edges[-1])
        ax.hist(z, bins=edges, histtype="step", color="k", label="stars")
        if outliers is not None:
            ax.hist(z[np.asarray(outliers, bool)], bins=edges, histtype="stepfilled", color="tab:red", alpha=0.5,
                    label="outlier probability > 0.5")
        ax.plot(edges, len(z) * np.diff(edges)[0] * np.exp(-0.5 * edges**2) / np.sqrt(2 * np.pi), color="tab:blue",
                label="unit normal")
        ax.set_yscale("log")
        ax.set_ylim(0.5, None)
        ax.set_xlabel(f"standardised residual, {label}")
    axes[0].set_ylabel("stars")
    axes[0].legend(fontsize=7)
    return fig
