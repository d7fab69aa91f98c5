"""Figures of halo_utils.plotting: what a reader sees instead of log lines."""

import logging

import matplotlib
import numpy as np

from halo_utils.plotting import plot_corner

matplotlib.use("Agg")


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
