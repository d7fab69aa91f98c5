"""Figures of the density model (chapters 3-4): posteriors, iso-density contours, sky and radial residuals, the tilt."""

from __future__ import annotations

import logging

import corner
import healpy as hp
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from ..density import broken_power_law, ellipsoidal_radius, log_number_density, monomials, sun_side_major_axis
from .common import PARAM_LABELS, SUN_XYZ, mollview_panel, nice_range
from .published import PROFILE_STYLES, published_density_profiles, published_values

__all__ = ["plot_corner", "plot_isodensity", "plot_isodensity_planes", "plot_sky_residuals", "plot_radial_density",
           "plot_profile_vs_literature", "plot_tilt_geometry"]


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


def _slopes_and_breaks(values: dict):
    """(alphas, breaks) of a doubly broken power law from alpha1..3, r1, r2."""
    return [values["alpha1"], values["alpha2"], values["alpha3"]], [values["r1"], values["r2"]]


def _local_slope(r, alphas, breaks, widths=None):
    """-dln rho/dln r of a broken power law at ``r``; with ``widths`` (kpc, one per break) each
    step is a linear ramp over break +- width (S001 fig 13: the reported break uncertainty)."""
    r = np.asarray(r, float)
    slope = np.full(r.shape, float(alphas[0]))
    for i, rb in enumerate(breaks):
        w = 0.0 if widths is None or not np.isfinite(widths[i]) else float(widths[i])
        step = (r >= rb).astype(float) if w == 0 else np.clip((r - rb + w) / (2 * w), 0.0, 1.0)
        slope += (alphas[i + 1] - alphas[i]) * step
    return slope


def plot_profile_vs_literature(samples, names, *, truth: dict | None = None, r_range=(6.0, 60.0),
                               r_norm: float = 20.0, n_draws: int = 400):
    """S001 figs 11-13: the fitted doubly broken profile beside the literature's.

    Three panels against Galactocentric radius (kpc): (a) the posterior of the two break radii
    ``r1``, ``r2`` with the literature's single break radii (a Gaussian of unit area where an
    error is printed, a vertical line where none is) and S001's own rounded radii; (b) the
    density shape, rho along each model's own (flattened) radius, the fit normalised to 1 at
    ``r_norm`` and each published profile scaled to meet the fit's median at the middle (in
    log r) of the radii it covers; (c) the local power-law index -dln rho/dln r, the
    literature's steps drawn as ramps across their printed break uncertainty. Published
    profiles are black, each source in its own line style (`published_density_profiles`),
    over the radial range of its sample (to the panel's edge where none is printed).

    Parameters
    ----------
    samples : array (n, k)
        Posterior samples of the doubly broken model; ``names`` their parameter names (must
        include ``alpha1``, ``alpha2``, ``alpha3``, ``r1``, ``r2``).
    truth : dict, optional
        The mock's true ``alpha1..3``, ``r1``, ``r2``, drawn dashed in the fit's colour.
    r_range : (float, float)
        Radii drawn, kpc.
    r_norm : float
        Radius where the fitted profile is 1, kpc.
    n_draws : int
        Posterior samples (evenly spaced through ``samples``) for the bands of (b) and (c).

    Returns
    -------
    matplotlib.figure.Figure
    """
    samples = np.asarray(samples, float)
    names = list(names)
    missing = [k for k in ("alpha1", "alpha2", "alpha3", "r1", "r2") if k not in names]
    if missing:
        raise ValueError(f"plot_profile_vs_literature needs samples of the doubly broken model; missing {missing}")
    col = {k: samples[:, names.index(k)] for k in ("alpha1", "alpha2", "alpha3", "r1", "r2")}
    pick = np.unique(np.linspace(0, len(samples) - 1, min(n_draws, len(samples))).astype(int))
    r = np.geomspace(*r_range, 300)
    shapes, slopes = [], []
    for i in pick:
        alphas, breaks = _slopes_and_breaks({k: v[i] for k, v in col.items()})
        shapes.append(broken_power_law(r, alphas, breaks) / broken_power_law(np.array([r_norm]), alphas, breaks)[0])
        slopes.append(_local_slope(r, alphas, breaks))
    shape_lo, shape_mid, shape_hi = np.percentile(shapes, [16, 50, 84], axis=0)
    slope_lo, slope_mid, slope_hi = np.percentile(slopes, [16, 50, 84], axis=0)

    fig, (ax_b, ax_rho, ax_s) = plt.subplots(3, 1, figsize=(7.5, 10.5), sharex=True,
                                             gridspec_kw={"height_ratios": [1, 1.3, 1]})
    fit_colour = "tab:red"
    bins = np.linspace(*r_range, 60)
    for key, label in (("r1", "this fit: $r_1$"), ("r2", "this fit: $r_2$")):
        ax_b.hist(col[key], bins=bins, density=True, histtype="stepfilled", color=fit_colour,
                  alpha=0.35 if key == "r1" else 0.2, label=label)
    ax_rho.fill_between(r, shape_lo, shape_hi, color=fit_colour, alpha=0.25, lw=0)
    ax_rho.plot(r, shape_mid, color=fit_colour, lw=2, label="this fit (16-84 %)")
    ax_s.fill_between(r, slope_lo, slope_hi, color=fit_colour, alpha=0.25, lw=0)
    ax_s.plot(r, slope_mid, color=fit_colour, lw=2, label="this fit (16-84 %)")
    if truth is not None:
        alphas, breaks = _slopes_and_breaks(truth)
        for rb in breaks:
            ax_b.axvline(rb, color=fit_colour, ls="--", lw=1.2, label="mock truth" if rb == breaks[0] else None)
        true_shape = broken_power_law(r, alphas, breaks) / broken_power_law(np.array([r_norm]), alphas, breaks)[0]
        ax_rho.plot(r, true_shape, color=fit_colour, ls="--", lw=1.2, label="mock truth")
        ax_s.plot(r, _local_slope(r, alphas, breaks), color=fit_colour, ls="--", lw=1.2, label="mock truth")

    grid = np.linspace(*r_range, 600)
    for prof in published_density_profiles():
        style = PROFILE_STYLES.get(prof.bibkey, "--")
        for rb, err in zip(prof.breaks, prof.break_errors):
            if np.isfinite(err):
                ax_b.plot(grid, np.exp(-0.5 * ((grid - rb) / err) ** 2) / (np.sqrt(2 * np.pi) * err), color="0.1",
                          ls=style, lw=1.3, label=prof.label)
            else:
                ax_b.axvline(rb, color="0.1", ls=style, lw=1.3, label=prof.label)
        if not prof.alphas:
            continue
        lo = max(r_range[0], prof.r_min) if np.isfinite(prof.r_min) else r_range[0]
        hi = min(r_range[1], prof.r_max) if np.isfinite(prof.r_max) else r_range[1]
        if lo >= hi:
            continue
        rr = np.geomspace(lo, hi, 200)
        middle = np.sqrt(lo * hi)
        shape = broken_power_law(rr, prof.alphas, prof.breaks)
        scale = np.interp(np.log(middle), np.log(r), shape_mid) / broken_power_law(np.array([middle]), prof.alphas,
                                                                                      prof.breaks)[0]
        ax_rho.plot(rr, scale * shape, color="0.1", ls=style, lw=1.3, label=prof.label)
        ax_s.plot(rr, _local_slope(rr, prof.alphas, prof.breaks, prof.break_errors), color="0.1", ls=style, lw=1.3,
                  label=prof.label)
    top = ax_b.get_ylim()[1]
    r1, r2 = published_values(("r1", "r2"), bibkey="Han2022")
    for rb in (r1, r2):
        if rb is not None:
            ax_b.plot([rb], [1.05 * top], marker="*", ms=11, color="0.1", ls="none",
                      label="Han+22 (S001), rounded (published)" if rb == r1 else None)

    ax_b.set_ylim(0, 1.75 * top)  # room for the legend above the curves
    ax_b.set_ylabel("probability density [kpc$^{-1}$]")
    ax_b.set_title("(a) break radii (S001 fig 11)", fontsize=10, loc="left")
    ax_b.legend(fontsize=7, ncol=3, loc="upper center")
    ax_rho.set_yscale("log")
    ax_rho.set_xscale("log")
    ax_rho.set_ylabel(f"$\\rho / \\rho({r_norm:g}$ kpc$)$ along each model's radius")
    ax_rho.set_title("(b) density profiles (S001 fig 12)", fontsize=10, loc="left")
    ax_rho.legend(fontsize=7, loc="lower left")
    ax_s.set_ylabel("power-law index $-d\\ln\\rho / d\\ln r$")
    ax_s.set_xlabel("$r$ [kpc]")
    ax_s.set_title("(c) power-law index (S001 fig 13)", fontsize=10, loc="left")
    ax_s.set_ylim(0, 7)
    ax_s.legend(fontsize=7, loc="upper left", ncol=2)
    ax_s.set_xlim(*r_range)
    ticks = [t for t in (6, 8, 10, 15, 20, 30, 40, 60, 80, 100) if r_range[0] <= t <= r_range[1]]
    ax_s.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax_s.xaxis.set_minor_formatter(plt.NullFormatter())
    fig.tight_layout()
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
