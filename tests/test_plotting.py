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


def test_published_values_are_drawn_with_their_errors_and_labelled_as_published():
    import matplotlib.pyplot as plt
    from halo_utils.plotting import draw_published_vs_radius, published_apex_markers, published_values

    fig, ax = plt.subplots()
    ax.set_xlim(0, 160)
    rows = draw_published_vs_radius(ax, "v_travel")
    assert {str(r["where"]) for r in rows} >= {"S004 table 1", "S004 table 2", "PP21 abstract (S004 fig 8)"}
    labels = [t for t in ax.get_legend_handles_labels()[1]]
    assert all(label.endswith(("(published)", "simulation")) for label in labels), labels
    assert len(labels) == len(set(labels))  # one entry per source and model
    assert "Chandra+24 (S004): GC19 LMC3 simulation" in labels
    # S004 table 1's 40-kpc point, drawn at its value with its printed errors (6 -4 +5 km/s)
    points = [c for c in ax.containers if hasattr(c, "lines")]
    ys = {round(float(c.lines[0].get_ydata()[0]), 3) for c in points}
    assert {6.0, 47.0, 37.0} <= ys
    markers = published_apex_markers()
    assert [(m[0], m[1]) for m in markers] == [(-80.0, -59.0), (-86.0, -73.0), (56.0, -34.0)]
    assert published_values(["v_travel_x", "v_travel_y", "v_travel_z", "beta"], bibkey="Chandra2024",
                            where="S004 table 2") == [3.0, -17.0, -31.0, None]
    plt.close(fig)
