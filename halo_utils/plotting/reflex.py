"""Figures of the reflex fit (chapters 5-6): profiles with bands, the apex on the sky, the
travel vector of subsamples and fits."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from ..frames import wrap_longitude
from ..lmc import KMS_TO_KPC_MYR
from .common import PARAM_LABELS, SUN_XYZ, add_colorbar, wrapped_longitude_rad
from .published import draw_published_vs_radius

__all__ = ["plot_reflex_band", "plot_travel_profiles", "plot_kinematic_profiles", "plot_apex_sky",
           "plot_sgr_contamination", "plot_travel_subsamples", "plot_reflex_3d"]

#: Axis labels (with units) of the reflex quantities of `~halo_utils.reflex.ReflexFit.at`.
_AXIS_LABELS = {"v_travel": "$v_{\\rm travel}$ [km/s]", "l_apex": "$\\ell_{\\rm apex}$ [deg]",
                "b_apex": "$b_{\\rm apex}$ [deg]", "beta": "$\\beta$"}


def plot_reflex_band(ax, fit, quantity, radii, *, colour="tab:red", truth=None, label=None):
    """Median and 16-84 % band of a `~halo_utils.reflex.ReflexFit` quantity against
    Galactocentric radius ``radii`` (kpc), with the truth (another ReflexFit, e.g. of the
    mock's truth vector) dashed. The legend label defaults to the quantity's symbol."""
    p = np.array([fit.at(r)[quantity] for r in radii])
    ax.fill_between(radii, p[:, 1], p[:, 2], color=colour, alpha=0.3, label=label or PARAM_LABELS.get(quantity, quantity))
    ax.plot(radii, p[:, 0], color=colour)
    if truth is not None:
        ax.plot(radii, [truth.at(r)[quantity][0] for r in radii], "--", color=colour)
    ax.set_xlabel("$r_{\\rm gal}$ [kpc]")


def _truth_key(ax, truth):
    """Add a legend entry for the dashed truth lines (when there are any) to ``ax``'s legend."""
    handles, _ = ax.get_legend_handles_labels()
    if truth is not None:
        handles.append(Line2D([], [], color="0.3", ls="--", label="truth"))
    ax.legend(handles=handles, fontsize=8)


def plot_travel_profiles(fit, radii, *, truth=None, published=False):
    """The amplitude and apex of the reflex against Galactocentric radius (S004 figs 6-7):
    v_travel (km/s) and the apex's Galactic l and b (deg), each the fit's median with its
    16-84 % band and the truth dashed; with ``published``, the published measurements in black
    (S004's tables, PP21; `~halo_utils.plotting.draw_published_vs_radius`).

    Parameters
    ----------
    fit : ReflexFit
        A continuity-model fit (`~halo_utils.reflex.fit_reflex`).
    radii : array_like
        Galactocentric radii, kpc.
    truth : ReflexFit, optional
        E.g. `~halo_utils.reflex.ReflexFit.point` of the mock's truth vector.
    published : bool
        Draw the published values of v_travel, l_apex and b_apex.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    for ax, q in zip(axes, ("v_travel", "l_apex", "b_apex")):
        plot_reflex_band(ax, fit, q, radii, truth=truth, label="continuity fit (16-84 %)")
        ax.set_xlim(min(radii), max(radii))
        if published:
            draw_published_vs_radius(ax, q, offset=1.5)
        ax.set_ylabel(_AXIS_LABELS[q])
    _truth_key(axes[0], truth)
    if published:  # the sources' entries once, under the panels
        handles, labels = axes[0].get_legend_handles_labels()
        if truth is not None:
            handles.append(Line2D([], [], color="0.3", ls="--"))
            labels.append("truth")
        for ax in axes[1:]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        is_source = ["published" in lab or "simulation" in lab for lab in labels]
        fig.legend([h for h, src in zip(handles, is_source) if src], [lab for lab, src in zip(labels, is_source) if src],
                   loc="outside lower center", ncol=3, fontsize=8)
        axes[0].legend([h for h, src in zip(handles, is_source) if not src],
                       [lab for lab, src in zip(labels, is_source) if not src], fontsize=8)
    return fig


def plot_kinematic_profiles(fit, radii, *, truth=None, published=False):
    """The outer halo's bulk motion, dispersions and anisotropy against Galactocentric radius
    (S004 figs 11-12): the mean velocities along r, phi and theta, the intrinsic dispersions
    along the line of sight, l and b (km/s), and beta, each the fit's median with its 16-84 %
    band and the truth dashed; with ``published``, the published anisotropies (S004 fig 12's
    comparison: Cunningham et al. 2019 at 23 kpc) on the beta panel.

    Parameters
    ----------
    fit : ReflexFit
    radii : array_like
        Galactocentric radii, kpc.
    truth : ReflexFit, optional
    published : bool

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(16, 4), layout="constrained")
    colours = ("tab:red", "tab:green", "tab:blue")
    for ax, quantities, ylabel in ((axes[0], ("vr_mean", "vphi_mean", "vtheta_mean"), "mean velocity [km/s]"),
                                   (axes[1], ("sigma_los", "sigma_l", "sigma_b"), "intrinsic dispersion [km/s]")):
        for q, colour in zip(quantities, colours):
            plot_reflex_band(ax, fit, q, radii, colour=colour, truth=truth)
        ax.set_ylabel(ylabel)
    plot_reflex_band(axes[2], fit, "beta", radii, colour="k", truth=truth)
    if published:
        axes[2].set_xlim(0, max(radii))
        draw_published_vs_radius(axes[2], "beta", colour="tab:purple")
    axes[2].set_ylabel(_AXIS_LABELS["beta"])
    for ax in axes:
        _truth_key(ax, truth)
    return fig


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
        x, y = -wrapped_longitude_rad(l_t), np.deg2rad(np.asarray(b_t, float))
        jump = np.flatnonzero(np.abs(np.diff(x)) > np.pi)
        ax.plot(np.insert(x, jump + 1, np.nan), np.insert(y, jump + 1, np.nan), **kw)
    ax.scatter(-wrapped_longitude_rad(draws_l), np.deg2rad(np.asarray(draws_b, float)), s=1, alpha=0.2, color="tab:red",
               label="apex at 100 kpc (posterior)", rasterized=True)
    for l_m, b_m, kw in markers:
        ax.scatter(-wrapped_longitude_rad(l_m), np.deg2rad(b_m), **kw)
    ax.set_xticks(np.deg2rad(np.arange(-150, 180, 30)))
    ax.set_xticklabels([f"{int(v)}" for v in -np.arange(-150, 180, 30)])
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)
    return ax


def _asymmetric(row, key):
    """(median, [[minus], [plus]]) of a (median, p16, p84) tuple, for ``errorbar``."""
    med, lo, hi = row[key]
    return med, [[med - lo], [hi - med]]


def plot_sgr_contamination(l, v_gsr, kept, removed, fits: dict):
    """What the Sagittarius cut removes and what it changes (S004 appendix A): the stars'
    v_GSR against Galactic longitude, those the cut removes in red (left), and the travel
    vector at 100 kpc of the fits with and without the cut, in the x-y (circles) and x-z
    (open squares) planes with 16-84 % error bars (right).

    Parameters
    ----------
    l, v_gsr : array_like
        Galactic longitude (deg) and Galactocentric radial velocity (km/s) of every star.
    kept, removed : array_like of bool
        The stars the cut keeps, and the extra stars a selection without it would keep.
    fits : dict
        ``{label: {"v_travel_x": (median, p16, p84), "v_travel_y": ..., "v_travel_z": ...}}``
        (km/s), e.g. rows of `~halo_utils.reflex.ReflexFit.at` at 100 kpc; two at most.

    Returns
    -------
    matplotlib.figure.Figure
    """
    l, v_gsr = wrap_longitude(np.asarray(l, float)), np.asarray(v_gsr, float)
    kept, removed = np.asarray(kept, bool), np.asarray(removed, bool)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax = axes[0]
    ax.scatter(l[kept], v_gsr[kept], s=4, color="grey", label="kept")
    ax.scatter(l[removed], v_gsr[removed], s=10, color="tab:red", label="removed by the Sgr cut")
    ax.set_xlim(180, -180)
    ax.set_xlabel("$\\ell$ [deg]")
    ax.set_ylabel("$v_{\\rm GSR}$ [km/s]")
    ax.legend(fontsize=8)
    ax = axes[1]
    for (label, row), colour in zip(fits.items(), ("tab:blue", "tab:red")):
        x, xerr = _asymmetric(row, "v_travel_x")
        for other, fmt, mfc in (("y", "o", colour), ("z", "s", "none")):
            y, yerr = _asymmetric(row, f"v_travel_{other}")
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt=fmt, color=colour, mfc=mfc, label=f"{label}: x-{other}")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("$v_{\\rm travel,x}$ [km/s]")
    ax.set_ylabel("$v_{\\rm travel,y}$ or $v_{\\rm travel,z}$ [km/s]")
    ax.legend(fontsize=7)
    return fig


def plot_travel_subsamples(fits: dict, *, r_kpc: float = 100.0, truth=None):
    """The travel vector's y and z components at ``r_kpc`` (S004 fig 17) for fits of
    subsamples of the sky: each fit's posterior draws as faint dots and their median with
    the standard deviation as error bars; the truth as a red cross.

    Parameters
    ----------
    fits : dict
        ``{label: ReflexFit}``; the legend gives each fit's number of stars.
    r_kpc : float
        Galactocentric radius of the travel vector, kpc.
    truth : ReflexFit, optional

    Returns
    -------
    matplotlib Axes
    """
    _, ax = plt.subplots(figsize=(5.5, 4.5))
    for (label, f), colour in zip(fits.items(), ("k", "tab:blue", "tab:orange", "tab:green")):
        d = f.draws_at(r_kpc)
        ax.scatter(d["v_travel_y"], d["v_travel_z"], s=1, alpha=0.05, color=colour)
        ax.errorbar(np.median(d["v_travel_y"]), np.median(d["v_travel_z"]), xerr=np.std(d["v_travel_y"]),
                    yerr=np.std(d["v_travel_z"]), fmt="o", color=colour, label=f"{label} ({f.n_stars})")
    if truth is not None:
        t = truth.at(r_kpc)
        ax.plot(t["v_travel_y"][0], t["v_travel_z"][0], "x", color="tab:red", ms=10, label="truth")
    ax.set_xlabel(f"$v_{{\\rm travel,y}}$ at {r_kpc:g} kpc [km/s]")
    ax.set_ylabel(f"$v_{{\\rm travel,z}}$ at {r_kpc:g} kpc [km/s]")
    ax.legend(fontsize=8)
    return ax


def plot_reflex_3d(xyz, v_gsr, travel_vector, *, lmc_track=None, travel_myr: float = 500.0,
                   disc_radius: float = 15.0, extent: float | None = None, elev: float = 18.0,
                   azim: float = -62.0):
    """S004 fig 10: the best-fit reflex field in 3D Galactocentric coordinates.

    The stars at their 3D positions, coloured by the v_GSR the fitted model predicts there; a
    disc of radius ``disc_radius`` (kpc) in the z = 0 plane and the Sun; the travel vector of
    the inner Galaxy relative to the halo, drawn from the centre as the distance it covers in
    ``travel_myr`` Myr (S004: "arbitrarily scaled up to 500 Myr of motion"); and the LMC's past
    orbit relative to the Milky Way's centre when given. Static (matplotlib's mplot3d): the
    book's pages stay offline and light.

    Parameters
    ----------
    xyz : array (3, n) or (n, 3)
        Galactocentric positions of the stars, kpc (astropy's frame: the Sun at x < 0).
    v_gsr : array (n,)
        Model v_GSR at each star, km/s.
    travel_vector : array (3,)
        v_travel (x, y, z) in km/s, e.g. the posterior median at 100 kpc.
    lmc_track : array (3, m), optional
        The LMC's past positions relative to the Milky Way's centre, kpc, oldest first.
    travel_myr : float
        Time the arrow's length stands for, Myr.
    disc_radius : float
        Radius of the disc drawn, kpc.
    extent : float, optional
        Half-width of the box, kpc (default: the 95th percentile of the stars' |x|, |y|, |z|,
        rounded up to a multiple of 20 kpc).
    elev, azim : float
        Viewing angles, deg.

    Returns
    -------
    matplotlib.figure.Figure
    """
    xyz = np.asarray(xyz, float)
    if xyz.ndim != 2 or 3 not in xyz.shape:
        raise ValueError(f"xyz must have shape (3, n) or (n, 3), got {xyz.shape}")
    if xyz.shape[0] != 3:
        xyz = xyz.T
    v_gsr = np.asarray(v_gsr, float)
    if v_gsr.shape != (xyz.shape[1],):
        raise ValueError(f"v_gsr must have one value per star ({xyz.shape[1]}), got shape {v_gsr.shape}")
    travel = np.asarray(travel_vector, float)
    if travel.shape != (3,):
        raise ValueError(f"travel_vector must be (v_x, v_y, v_z) in km/s, got shape {travel.shape}")
    if extent is None:
        extent = 20.0 * np.ceil(np.percentile(np.abs(xyz), 95) / 20.0)
    fig = plt.figure(figsize=(8.5, 7.5))
    ax = fig.add_subplot(projection="3d")
    # to the next 10 km/s: the model's v_GSR spans a few tens of km/s, and the 1-2-2.5-5 ladder of
    # nice_limit would waste up to half the colour scale here
    limit = 10.0 * np.ceil(np.percentile(np.abs(v_gsr), 98) / 10.0)
    points = ax.scatter(*xyz, c=v_gsr, cmap="RdBu_r", vmin=-limit, vmax=limit, s=6, alpha=0.8, depthshade=False)
    phi = np.linspace(0, 2 * np.pi, 120)
    ax.plot_trisurf(np.r_[0.0, disc_radius * np.cos(phi)], np.r_[0.0, disc_radius * np.sin(phi)],
                    np.zeros(phi.size + 1), color="0.55", alpha=0.35, linewidth=0, shade=False)
    ax.scatter(*SUN_XYZ, marker="*", s=120, color="gold", edgecolor="k", zorder=6, label="Sun")
    arrow = travel * travel_myr * KMS_TO_KPC_MYR
    ax.quiver(0, 0, 0, *arrow, color="tab:red", lw=2.5, arrow_length_ratio=0.2,
              label=f"$v_{{\\rm travel}}$ ({np.linalg.norm(travel):.0f} km/s) x {travel_myr:g} Myr")
    if lmc_track is not None:
        track = np.asarray(lmc_track, float)
        ax.plot(*track, color="tab:blue", lw=2, label="LMC past orbit")
        ax.scatter(*track[:, -1], color="tab:blue", s=60, edgecolor="k", label="LMC today")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_zlim(-extent, extent)
    ax.set_box_aspect((1, 1, 1))
    ax.set_xlabel("x [kpc]")
    ax.set_ylabel("y [kpc]")
    ax.set_zlabel("z [kpc]")
    ax.view_init(elev=elev, azim=azim)
    ax.legend(fontsize=8, loc="upper left")
    add_colorbar(points, ax=ax, label="model $v_{\\rm GSR}$ [km/s]", shrink=0.6, pad=0.08)
    return fig
