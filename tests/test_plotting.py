"""Figures of halo_utils.plotting: what a reader sees instead of log lines."""

import logging

import matplotlib
import healpy as hp
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from halo_utils import plotting  # noqa: E402
from halo_utils.plotting import nice_limit, nice_range, plot_corner  # noqa: E402


def test_corner_with_too_few_samples_says_so_on_the_figure_and_logs_nothing(caplog):
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(6, 3))   # far too few for corner's 2D density contours
    with caplog.at_level(logging.WARNING):
        fig = plot_corner(samples, ["a", "b", "c"])
    assert not [r for r in caplog.records if "contours" in r.getMessage()]
    notes = [t.get_text() for t in fig.texts if "too few samples" in t.get_text()]
    assert notes and notes[0].startswith("3 panel(s)")  # the three 2D panels of three parameters
    assert logging.getLogger().filters == []            # the filter is removed afterwards


def test_corner_with_enough_samples_has_no_note():
    samples = np.random.default_rng(2).normal(size=(4000, 2))
    fig = plot_corner(samples, ["a", "b"])
    assert not [t for t in fig.texts if "too few samples" in t.get_text()]


# ---------------------------------------------------------------- nice colour limits


def test_nice_limit_rounds_up_to_one_two_two_and_a_half_or_five_times_a_power_of_ten():
    cases = {21.0941: 25.0, -21.0941: 25.0, 1.0: 1.0, 0.3: 0.5, 7.0: 10.0, 100.0: 100.0, 101.0: 200.0,
             0.011: 0.02, 2.4: 2.5, 2.6: 5.0, 53.31: 100.0, 4.2e-7: 5e-7, 0.0: 0.0}
    for x, want in cases.items():
        assert nice_limit(x) == pytest.approx(want, rel=1e-12), x
    assert nice_limit(250.00000000001) == 250.0  # already nice, up to rounding
    with pytest.raises(ValueError):
        nice_limit(float("nan"))


def test_nice_range_widens_to_multiples_of_a_nice_step():
    assert nice_range(51.3, 187.9) == (50.0, 200.0)
    assert nice_range(0.02, 1.0) == (0.0, 1.0)
    lo, hi = nice_range(-21.0941, 3.2)
    assert lo == -25.0 and hi == 5.0
    assert nice_range(3.0, 3.0) == (0.0, 5.0)  # an empty range gets a step each side, not below zero
    with pytest.raises(ValueError):
        nice_range(2.0, 1.0)


def _ticks(cax):
    """The ticks a colour bar shows (inside its colour limits)."""
    lo, hi = cax._colorbar.mappable.get_clim()
    return [t for t in cax._colorbar.get_ticks() if lo - 1e-9 <= t <= hi + 1e-9]


def _is_round(values):
    """Whether every value is a whole multiple of the smallest nice step between them."""
    values = np.asarray(values, float)
    step = np.min(np.diff(values))
    return step > 0 and np.allclose(values / step, np.round(values / step)) and nice_limit(step) == pytest.approx(step)


def test_add_colorbar_ticks_are_round_numbers_from_a_max_n_locator():
    fig, ax = plt.subplots()
    im = ax.imshow(np.linspace(-21.0941, 21.0941, 100).reshape(10, 10), vmin=-21.0941, vmax=21.0941)
    cbar = plotting.add_colorbar(im, ax=ax, label="v [km/s]")
    assert isinstance(cbar.locator, MaxNLocator)
    assert cbar.ax.get_ylabel() == "v [km/s]"
    ticks = [t for t in cbar.get_ticks() if -21.0941 <= t <= 21.0941]
    assert len(ticks) >= 3 and _is_round(ticks)
    plt.close(fig)


def _colorbars(fig):
    """The colour bars of a figure (axes that hold a colour bar), with their labels."""
    return [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


def _colorbar_label(cax):
    return cax.get_xlabel() or cax.get_ylabel()


def test_mollview_panel_has_a_labelled_colour_bar_with_round_ticks():
    fig = plt.figure()
    values = np.linspace(0, 53.31, hp.nside2npix(2))
    plotting.mollview_panel(values, fig=fig, sub=(1, 1, 1), title="counts", vmin=0, vmax=60, unit="stars / pixel")
    (cax,) = _colorbars(fig)
    assert _colorbar_label(cax) == "stars / pixel"
    ticks = _ticks(cax)
    assert len(ticks) >= 3 and _is_round(ticks) and 53.31 not in ticks
    assert cax.get_xscale() == "linear"  # a linear bar: no tick beyond the limits pinned to its ends
    plt.close(fig)
