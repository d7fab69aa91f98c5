"""Figures of the simulation-based inference of the LMC's and the Milky Way's masses: the
posterior beside the published measurements, the calibration on held-out simulations, and
how the posterior moves with the suite's size, the sky and the depth."""

from __future__ import annotations

import re

import corner
import matplotlib.pyplot as plt
import numpy as np

from ..reference import published_measurements
from .published import SHORT_CITATIONS

__all__ = ["SBI_LABELS", "SBI_SCALES", "plot_sbi_posterior", "plot_sbi_calibration", "plot_sbi_intervals",
           "plot_predictive_check"]

#: Axis labels of the inferred quantities (in the units of `SBI_SCALES`).
SBI_LABELS = {"lmc_mass_50": r"$M_{\rm LMC}(<50\,{\rm kpc})$ [$10^{10}\,M_\odot$]",
              "mw_mass_50": r"$M_{\rm MW}(<50\,{\rm kpc})$ [$10^{11}\,M_\odot$]",
              "v_travel_100": r"$v_{\rm travel}(100\,{\rm kpc})$ [km/s]", "beta_0": r"$\beta_0$",
              "lmc_mass": r"$M_{\rm LMC}$ [$10^{10}\,M_\odot$]", "halo_mass_factor": "halo mass factor",
              "friction_strength": "friction strength"}
#: Divisor of each quantity for display.
SBI_SCALES = {"lmc_mass_50": 1e10, "mw_mass_50": 1e11, "lmc_mass": 1e10}
_PUBLISHED_MARKERS = {"Brooks2026": "s", "Brooks2025": "D"}


#: Where each inferred quantity is in the published table: its key and the radius (kpc) it
#: refers to (None: any).
_PUBLISHED_KEYS = {"lmc_mass_50": ("lmc_mass_50", 50.0), "mw_mass_50": ("mw_mass_50", 50.0),
                   "v_travel_100": ("v_travel", 100.0), "beta_0": ("beta_0", None)}


def _published(name):
    """(value, err_minus, err_plus, bibkey) of every published measurement of ``name``."""
    if name not in _PUBLISHED_KEYS:
        return []
    key, radius = _PUBLISHED_KEYS[name]
    try:
        rows = published_measurements(key, kind="measurement")
    except ValueError:
        return []
    scale = SBI_SCALES.get(name, 1.0)
    return [(float(r["value"]) / scale, float(r["err_minus"]) / scale, float(r["err_plus"]) / scale,
             str(r["bibkey"])) for r in rows if radius is None or float(r["r_kpc"]) == radius]


def _axis_range(samples, published, truth):
    """The samples' 0.5-99.5 % range widened to hold the published values with their errors
    and the truth."""
    lo, hi = np.percentile(samples, [0.5, 99.5])
    for value, err_lo, err_hi, _ in published:
        lo, hi = min(lo, value - err_lo), max(hi, value + err_hi)
    if truth is not None:
        lo, hi = min(lo, truth), max(hi, truth)
    pad = 0.03 * (hi - lo)
    return lo - pad, hi + pad


def plot_sbi_posterior(posterior, names=("lmc_mass_50", "mw_mass_50", "v_travel_100", "beta_0"), *, truths=None,
                       show_published: bool = True):
    """Corner plot of ``posterior`` (`~halo_utils.lmc.SuitePosterior`) for ``names``; the
    mock's ``truths`` (dict, None to omit) as blue lines, the published measurements
    (Brooks et al., real data) as black points with their 1-sigma errors on the diagonal."""
    data = np.column_stack([posterior.samples[n] / SBI_SCALES.get(n, 1.0) for n in names])
    truth = None if truths is None else [truths[n] / SBI_SCALES.get(n, 1.0) if n in truths else None for n in names]
    ranges = [_axis_range(data[:, i], _published(n) if show_published else [], None if truth is None else truth[i])
              for i, n in enumerate(names)]
    fig = corner.corner(data, labels=[SBI_LABELS[n] for n in names], truths=truth, truth_color="tab:blue", range=ranges,
                        quantiles=(0.16, 0.5, 0.84), show_titles=True, title_fmt=".2f", label_kwargs={"fontsize": 9},
                        title_kwargs={"fontsize": 8})
    axes = np.array(fig.axes).reshape(len(names), len(names))
    handles = {}
    if show_published:
        for i, name in enumerate(names):
            ax = axes[i, i]
            top = ax.get_ylim()[1]
            for k, (value, lo, hi, bibkey) in enumerate(_published(name)):
                h = ax.errorbar(value, top * (0.9 - 0.12 * k), xerr=[[lo], [hi]], fmt=_PUBLISHED_MARKERS.get(bibkey, "o"),
                                color="0.1", ms=4, capsize=2, zorder=5)
                handles[bibkey] = h
    labels = [f"{SHORT_CITATIONS.get(k, k)} (published, real data)" for k in handles]
    if truths is not None:
        handles["truth"] = plt.Line2D([], [], color="tab:blue")
        labels.append("the mock's simulation (truth)")
    if handles:
        fig.legend(list(handles.values()), labels, loc="upper right", fontsize=8, frameon=False)
    return fig


def plot_sbi_calibration(calibration, names, *, levels=(68, 95), n_bins: int = 10):
    """Rank histograms of the held-out simulations (one panel per name, with the band that
    95 % of uniform histograms stay in) and their coverage at ``levels``, from the table of
    `~halo_utils.lmc.calibration.held_out_calibration`."""
    n = len(calibration)
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(3.0 * (len(names) + 1), 2.8))
    expected = n / n_bins
    band = 1.96 * np.sqrt(expected * (1 - 1 / n_bins))
    for ax, name in zip(axes, names):
        ax.hist(np.asarray(calibration[f"rank_{name}"]), bins=n_bins, range=(0, 1), color="0.6", edgecolor="0.3")
        ax.axhspan(expected - band, expected + band, color="tab:blue", alpha=0.2, lw=0)
        ax.axhline(expected, color="tab:blue", lw=1)
        ax.set_xlabel(f"rank of the true {SBI_LABELS[name].split(' [')[0]}", fontsize=8)
        ax.set_yticks([])
    ax = axes[-1]
    for k, level in enumerate(levels):
        p = level / 100
        frac = [np.mean(calibration[f"in{level:g}_{name}"]) for name in names]
        sigma = np.sqrt(p * (1 - p) / n)
        x = np.arange(len(names)) + 0.15 * (k - 0.5)
        ax.errorbar(x, frac, yerr=3 * sigma, fmt="o", ms=4, capsize=2, label=f"{level:g} % intervals (±3σ binomial)")
        ax.axhline(p, color="0.5", lw=0.8, ls="--")
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels([SBI_LABELS[nm].split(" [")[0] for nm in names], rotation=30, fontsize=7)
    ax.set_ylabel("fraction holding the truth")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{n} held-out simulations", fontsize=9)
    fig.tight_layout()
    return fig


def plot_sbi_intervals(rows, names=("lmc_mass_50", "mw_mass_50", "v_travel_100", "beta_0"), *, truths=None):
    """Median and 68 % interval of each name for several posteriors side by side: ``rows``
    a list of (label, `~halo_utils.lmc.SuitePosterior`); ``truths`` as in `plot_sbi_posterior`."""
    fig, axes = plt.subplots(1, len(names), figsize=(3.0 * len(names), 0.45 * len(rows) + 1.4), sharey=True)
    y = np.arange(len(rows))[::-1]
    for ax, name in zip(axes, names):
        scale = SBI_SCALES.get(name, 1.0)
        for yi, (_, post) in zip(y, rows):
            lo, hi = post.interval(name, 68)
            ax.errorbar(post.median(name) / scale, yi, xerr=[[(post.median(name) - lo) / scale],
                                                              [(hi - post.median(name)) / scale]],
                        fmt="o", color="0.2", ms=4, capsize=2)
        if truths is not None and name in truths:
            ax.axvline(truths[name] / scale, color="tab:blue", lw=1)
        ax.set_xlabel(SBI_LABELS[name], fontsize=8)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([label for label, _ in rows], fontsize=8)
    fig.tight_layout()
    return fig


def plot_predictive_check(check, *, title: str = ""):
    """The data's statistics against their posterior predictive spread: z = (observed -
    predictive mean) / predictive sd of each statistic, grouped by kind (mean and dispersion
    of v_gsr, v_l, v_b) and marked by sky quadrant, from the table of
    `~halo_utils.lmc.calibration.predictive_check` (names ``"<view>:<kind>[<quadrant>, <shell>]"``);
    the ones beyond every predictive simulation in red; a statistic without a z (no spread in
    the simulations) is left out and counted in the title."""
    names = [str(n).split(":", 1)[-1] for n in check["name"]]
    malformed = [n for n in names if not re.fullmatch(r"[^\[\]]+\[[^,\]]+, [^\]]+\]", n)]
    if malformed:
        raise ValueError(f"check's names must read '<view>:<kind>[<quadrant>, <shell>]' (the suite's statistics), "
                         f"got {malformed[:3]}")
    kinds = list(dict.fromkeys(n.split("[")[0] for n in names))
    quadrants = list(dict.fromkeys(n.split("[")[1].split(",")[0] for n in names))
    fig, ax = plt.subplots(figsize=(9.0, 3.6))
    ax.axhspan(-2, 2, color="0.9", lw=0)
    ax.axhspan(-1, 1, color="0.8", lw=0)
    x = 0
    ticks = []
    markers = "os^vDP<>"
    for kind in kinds:
        start = x
        for q, quadrant in enumerate(quadrants):
            rows = [i for i, n in enumerate(names) if n.startswith(kind + "[") and n.split("[")[1].startswith(quadrant + ",")]
            z = np.asarray(check["z"])[rows]
            outside = np.asarray(check["outside"])[rows]
            xs = x + np.arange(len(rows))
            ax.scatter(xs[~outside], z[~outside], marker=markers[q % len(markers)], s=14, color="0.25",
                       label=quadrant if kind == kinds[0] else None)
            ax.scatter(xs[outside], z[outside], marker=markers[q % len(markers)], s=18, color="tab:red")
            x += len(rows)
        ticks.append(((start + x - 1) / 2, kind))
        ax.axvline(x - 0.5, color="0.6", lw=0.6)
    ax.set_xticks([t for t, _ in ticks])
    ax.set_xticklabels([k for _, k in ticks], fontsize=8)
    ax.set_ylabel("(observed − predictive mean) / sd", fontsize=8)
    ax.set_xlim(-0.5, x - 0.5)
    ax.legend(fontsize=7, ncol=len(quadrants), loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False,
              title="sky quadrant (within each, the shells from the inside out)", title_fontsize=7)
    k = check.meta.get("n_simulations")
    no_z = int(np.sum(~np.isfinite(np.asarray(check["z"], float))))
    ax.set_title(title or f"posterior predictive check ({k} simulations; red: beyond all of them"
                 + (f"; {no_z} without spread, not shown" if no_z else "") + ")", fontsize=9)
    fig.tight_layout()
    return fig
