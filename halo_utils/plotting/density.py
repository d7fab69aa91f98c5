"""Figures of the density model (chapters 3-4): posteriors, iso-density contours, sky and radial residuals, the tilt."""

from __future__ import annotations

import logging

import corner
import healpy as hp
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from ..density import ellipsoidal_radius, log_number_density, monomials, sun_side_major_axis
from .common import PARAM_LABELS, SUN_XYZ, mollview_panel, nice_range

__all__ = ["plot_corner", "plot_isodensity", "plot_isodensity_planes", "plot_sky_residuals", "plot_radial_density",
           "plot_tilt_geometry"]


class _FewPointsCounter(logging.Filter):
    """Counts (and keeps off the log) corner's "Too few points to create valid contours",
    which it logs once per 2D panel whose samples are too few or too concentrated for
    its density contours (short chains at the ci profile)."""

    MESSAGE = "Too few points to create valid contours"

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record):
        if self.MESSAGE in record.getMessage():
            self.count += 1
            return False
        return True


def plot_corner(samples, names, truths=None, **kw):
    """Corner plot of posterior samples (corner.py), truth lines when given.

    Panels whose samples are too few for corner's density contours show their points only,
    and the figure says how many (corner would log a warning for each instead).
    """
    labels = [PARAM_LABELS.get(n, n) for n in names]
    truth_vals = None if truths is None else [truths.get(n) for n in names]
    counter = _FewPointsCounter()
    logging.getLogger().addFilter(counter)  # corner logs through the root logger
    try:
        fig = corner.corner(np.asarray(samples), labels=labels, truths=truth_vals, truth_color="tab:red",
                            quantiles=[0.16, 0.5, 0.84], show_titles=True, title_fmt=".3f",
                            title_kwargs={"fontsize": 9}, **kw)
    finally:
        logging.getLogger().removeFilter(counter)
    if counter.count:
        fig.text(0.98, 0.98, f"{counter.count} panel(s) with too few samples for contours: points only",
                 ha="right", va="top", fontsize=8, color="0.4")
    return fig


def plot_isodensity(ax, params, model, plane, *, stars=None, extent=40.0, levels=8, truth=None):
    """Iso-density contours of a fitted density in the XY (z = 0) or XZ (y = 0) plane."""
    g = np.linspace(-extent, extent, 240)  # an even count: the centre, where ln n diverges, is no node
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


def plot_isodensity_planes(params, model, *, stars=None, truth=None, extent=40.0):
    """Iso-density contours of a fitted density in the XY (z = 0, left) and XZ (y = 0, right)
    planes (`plot_isodensity` each), over the stars within 5 kpc of each plane.

    Parameters
    ----------
    params : dict
        Parameters of ``model`` (`halo_utils.density`; lengths in kpc, angles in deg).
    model : str
        Name of the density model.
    stars : ndarray (3, N), optional
        Galactocentric positions of the stars (kpc), drawn grey.
    truth : (dict, str), optional
        Parameters and model of a second density whose contours, at the same levels, are
        drawn dashed red (e.g. a mock's truth).
    extent : float
        Half-width of each panel, kpc.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    for ax, plane in zip(axes, ("xy", "xz")):
        plot_isodensity(ax, params, model, plane, stars=stars, truth=truth, extent=extent)
    handles = [Line2D([], [], color="k", lw=1, label="fit"), Line2D([], [], color="0.6", marker=".", ls="none",
                                                                    label="stars within 5 kpc of the plane"),
               Line2D([], [], color="tab:orange", marker="*", ms=10, ls="none", label="Sun")]
    if truth is not None:
        handles.insert(1, Line2D([], [], color="tab:red", lw=0.8, ls="--", label="truth"))
    if stars is None:
        handles = [h for h in handles if not h.get_label().startswith("stars")]
    axes[0].legend(handles=handles, fontsize=8, loc="upper right")
    return fig


def plot_sky_residuals(data, models: dict, *, mean=None):
    """S001 fig 8: HEALPix maps (Galactic Mollweide) of the stars per pixel, each model's
    expected counts and the residual (data - model) / mean, one row per model.

    Parameters
    ----------
    data : ndarray
        Observed stars per pixel (RING order).
    models : dict
        ``{name: expected stars per pixel}`` on the same pixels; pixels no model covers are
        left blank.
    mean : float, optional
        Scale of the residuals (default: the mean of the non-empty data pixels).

    Returns
    -------
    matplotlib.figure.Figure
        The counts share one colour scale, from 0 to the data's 99th percentile rounded up
        to a multiple of a nice step (`nice_range`); the residuals run from -1 to 1.
    """
    mean = np.mean(data[data > 0]) if mean is None else mean
    observed = np.asarray(data, float)
    covered = np.zeros(observed.size, bool)
    for m in models.values():
        covered |= m > 0
    show = lambda v: np.where(covered, v, hp.UNSEEN)  # noqa: E731
    n_rows = len(models)
    fig = plt.figure(figsize=(15, 3.6 * n_rows))
    vmax = nice_range(0.0, np.percentile(observed[covered], 99))[1]
    for i, (name, model) in enumerate(models.items()):
        counts = dict(fig=fig, vmin=0, vmax=vmax, cmap="viridis", unit="stars / pixel")
        mollview_panel(show(observed), sub=(n_rows, 3, 3 * i + 1), title="data", **counts)
        mollview_panel(show(model), sub=(n_rows, 3, 3 * i + 2), title=name, **counts)
        mollview_panel(show((observed - model) / mean), fig=fig, sub=(n_rows, 3, 3 * i + 3),
                       title=f"(data - model) / mean: {name}", vmin=-1, vmax=1, cmap="RdBu_r",
                       unit="residual / mean count")
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


def plot_tilt_geometry(truth: dict, *, fitted: dict | None = None, extent: float = 35.0, levels_rq=(10.0, 20.0, 30.0),
                       axes=None):
    """The ellipsoid's orientation (conventions §7): cuts through the X-Z (y = 0) and X-Y
    (z = 0) planes of iso-density surfaces r_q = ``levels_rq`` (kpc), the major axis with its
    Sun-side end marked, the Galactic plane, the Sun and the centre.

    Parameters
    ----------
    truth : dict
        ``p``, ``q``, ``pitch``, ``yaw`` (deg) of the ellipsoid drawn solid (e.g. the mock's truth).
    fitted : dict, optional
        The same keys for a second ellipsoid drawn dashed (e.g. a fit).
    extent : float
        Half-width of each panel, kpc.
    axes : pair of matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4.8), constrained_layout=True)
    g = np.linspace(-extent, extent, 301)
    A, B = np.meshgrid(g, g)
    zero = np.zeros_like(A)
    shapes = [("truth", truth, "tab:red", "-")] + ([("fit", fitted, "k", "--")] if fitted is not None else [])
    for ax, plane in zip(axes, ("xz", "xy")):
        pos = np.stack([A, zero, B]) if plane == "xz" else np.stack([A, B, zero])
        other = 2 if plane == "xz" else 1
        for name, shape, colour, style in shapes:
            r_q = ellipsoidal_radius(pos, shape["p"], shape["q"], shape["pitch"], shape["yaw"])
            ax.contour(A, B, r_q, levels=sorted(levels_rq), colors=colour, linestyles=style, linewidths=1)
            end = sun_side_major_axis(shape["pitch"], shape["yaw"])
            u, w = end[0] * 0.9 * extent, end[other] * 0.9 * extent
            ax.plot([-u, u], [-w, w], style, color=colour, lw=1.5)
            ax.annotate("", xy=(u, w), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=colour, lw=2))
            ax.plot([], [], style, color=colour, label=f"{name}: pitch {shape['pitch']:.0f}°, yaw {shape['yaw']:.0f}°")
        if plane == "xz":
            ax.plot([-15, 15], [0, 0], color="0.3", lw=4, solid_capstyle="butt", label="disc (z = 0)")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.plot(SUN_XYZ[0], SUN_XYZ[other], "*", color="tab:orange", ms=14, label="Sun")
        ax.plot(0, 0, "+", color="k", ms=10)
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_xlabel("X [kpc]")
        ax.set_ylabel("Z [kpc]" if plane == "xz" else "Y [kpc]")
        ax.set_title("side view, y = 0: the Sun-side end (arrow) is above the disc" if plane == "xz"
                     else "top view, z = 0", fontsize=9)
    axes[0].legend(fontsize=8, loc="lower right")
    return axes[0].figure
