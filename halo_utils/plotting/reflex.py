"""Figures of the reflex fit (chapters 5-6): profiles with bands and the apex on the sky."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .common import wrapped_longitude_rad

__all__ = ["plot_reflex_band", "plot_apex_sky"]


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
