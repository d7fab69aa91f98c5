"""Figures of mock recovery (chapter 4): interval coverage and mean pulls over many mocks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..coverage import binomial_sigma
from .common import PARAM_LABELS

__all__ = ["plot_coverage", "plot_coverage_panels", "plot_mean_pulls"]


def plot_coverage(coverage, n_profile: int, *, ax=None, title=None):
    """Coverage of the 68 % and 95 % intervals per parameter (a `~halo_utils.density.coverage_table`).

    Laplace intervals open, profile-likelihood intervals filled, each with its binomial error;
    dashed lines at the nominal rates and a band of +- 3 binomial sigma around 0.68.

    Parameters
    ----------
    coverage : Table
        Rows of `~halo_utils.density.coverage_table` (``n_mocks`` is the Laplace count).
    n_profile : int
        Mocks behind the profile-likelihood coverage (every mock).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(coverage))
    n_laplace = int(np.max(coverage["n_mocks"]))
    if n_laplace:  # none when no mock had Laplace errors: only the profile intervals are drawn
        ax.errorbar(x - 0.1, coverage["coverage_68"], yerr=coverage["binomial_sigma_68"], fmt="o", color="k",
                    mfc="none", label="68 %, Laplace")
    ax.errorbar(x + 0.1, coverage["profile_coverage_68"], yerr=binomial_sigma(0.683, n_profile, 0.317),
                fmt="o", color="k", label="68 %, profile likelihood")
    if n_laplace:
        ax.errorbar(x - 0.1, coverage["coverage_95"], yerr=binomial_sigma(0.95, n_laplace, 0.05), fmt="s",
                    color="tab:blue", mfc="none", label="95 %, Laplace")
    ax.errorbar(x + 0.1, coverage["profile_coverage_95"], yerr=binomial_sigma(0.95, n_profile, 0.05), fmt="s",
                color="tab:blue", label="95 %, profile likelihood")
    ax.axhline(0.68, color="k", ls="--", lw=1)
    ax.axhline(0.95, color="tab:blue", ls="--", lw=1)
    band = 3 * binomial_sigma(0.68, n_laplace or n_profile, 0.32)
    ax.fill_between([-0.5, len(x) - 0.5], 0.68 - band, 0.68 + band, color="k", alpha=0.1, lw=0)
    ax.set_xticks(x)
    ax.set_xticklabels([PARAM_LABELS.get(k, k) for k in coverage["parameter"]])
    ax.set_ylabel("fraction of mocks with truth inside")
    ax.set_ylim(0, 1.05)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_coverage_panels(coverages: dict, n_profile: int, *, titles=None):
    """`plot_coverage` of several fits of the same mocks side by side, sharing the y axis
    (fraction of mocks whose interval holds the truth).

    Parameters
    ----------
    coverages : dict
        ``{fit name: coverage Table}`` (`~halo_utils.density.coverage_table` rows).
    n_profile : int
        Mocks behind the profile-likelihood coverage of each fit (every mock).
    titles : dict, optional
        Panel title per fit name (default: the names).

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(coverages)
    fig, axes = plt.subplots(1, len(names), figsize=(7.5 * len(names), 4), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names):
        plot_coverage(coverages[name], n_profile, ax=ax, title=(titles or {}).get(name, name))
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    return fig


def plot_mean_pulls(coverages: dict, *, labels=None, ax=None):
    """Mean pull (fit - truth) / sigma per parameter for several fits of the same mocks.

    Each fit's mean Laplace pull with its standard error (std of the pulls / sqrt(n)); a
    calibrated fit scatters around zero within those errors.

    Parameters
    ----------
    coverages : dict
        ``{fit name: coverage Table}`` (`~halo_utils.density.coverage_table` rows with
        ``mean_pull``, ``std_pull`` and ``n_mocks``), all over the same parameters.
    labels : dict, optional
        Legend text per fit name (default: the names).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4))
    names = list(coverages)
    first = coverages[names[0]]
    x = np.arange(len(first))
    width = 0.6 / max(len(names), 1)
    for i, name in enumerate(names):
        table = coverages[name]
        if list(table["parameter"]) != list(first["parameter"]):
            raise ValueError(f"coverage table {name!r} has other parameters than {names[0]!r}")
        err = np.asarray(table["std_pull"], float) / np.sqrt(np.maximum(np.asarray(table["n_mocks"], float), 1.0))
        ax.errorbar(x + (i - (len(names) - 1) / 2) * width, table["mean_pull"], yerr=err, fmt="o", ms=4,
                    label=(labels or {}).get(name, name))
    ax.axhline(0.0, color="k", lw=1)
    ax.set_xticks(x)
    ax.set_xticklabels([PARAM_LABELS.get(k, k) for k in first["parameter"]])
    ax.set_ylabel("mean pull (fit - truth) / sigma")
    ax.legend(fontsize=8)
    return ax
