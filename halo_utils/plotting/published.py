"""The papers' published measurements on the figures (`halo_utils.reference.published_measurements`).

They are drawn in black, labelled with their source and "(published)", a measurement on real
stars as a filled marker and a number from a simulation as an open one, so that no reader
takes them for the mock's truth (drawn dashed in the colour of the fit).
"""

from __future__ import annotations

import numpy as np

from ..reference import MEASUREMENT_KINDS, published_measurements

__all__ = ["SHORT_CITATIONS", "published_label", "draw_published_vs_radius", "published_apex_markers",
           "published_values"]

#: Short citations of the sources of the published measurements, for legends.
SHORT_CITATIONS = {"Chandra2024": "Chandra+24 (S004)", "Petersen2021": "Petersen & Peñarrubia 21",
                   "Cunningham2019": "Cunningham+19", "Deason2011": "Deason+11", "Han2022": "Han+22 (S001)",
                   "Naidu2021": "Naidu+21"}
_MARKERS = {"Chandra2024": "s", "Petersen2021": "D", "Cunningham2019": "^", "Deason2011": "v", "Han2022": "*",
            "Naidu2021": "P"}
_COLOUR = "0.1"
#: Line style of each source's values for a whole radial range, the same on every figure.
_RANGE_STYLES = {("Chandra2024", "distance-independent"): "-.", ("Petersen2021", "distance-independent"): "-"}


def published_label(row) -> str:
    """Legend text of a published row: source, model and whether it is data or a simulation."""
    source = SHORT_CITATIONS.get(str(row["bibkey"]), str(row["bibkey"]))
    if row["kind"] == "simulation":
        what = str(row["sample"]).split(" (")[0]
        return f"{source}: {what}" + ("" if "simulation" in what else " (simulation)")
    model = f", {row['model']}" if str(row["model"]) else ""
    return f"{source}{model} (published)"


def _groups(rows):
    """Rows of one source, place in the paper and model, in the table's order."""
    groups = {}
    for row in rows:
        groups.setdefault((str(row["bibkey"]), str(row["where"]), str(row["model"]), str(row["kind"])), []).append(row)
    return groups.values()


def draw_published_vs_radius(ax, key: str, *, kinds=MEASUREMENT_KINDS, bibkeys=None, colour=_COLOUR, offset=0.0):
    """Every published value of ``key`` against Galactocentric radius (kpc) on ``ax``.

    A value at a radius (``r_kpc``) is a point with its (asymmetric) error bar; a value for a
    whole radial range (``r_min_kpc`` to ``r_max_kpc``, no ``r_kpc``) is a horizontal line over
    the range with its error band. Each source and model gets one legend entry
    (`published_label`).

    Parameters
    ----------
    ax : matplotlib Axes
    key : str
        A key of the table (``"v_travel"``, ``"beta"``, ...); its unit is the axis's.
    kinds : iterable of str
        Which of ``"measurement"`` and ``"simulation"`` to draw.
    bibkeys : iterable of str, optional
        Only these sources.
    colour : matplotlib colour
    offset : float
        Shift of the points in radius (kpc), so that they do not hide a fit's own points.

    Returns
    -------
    list of Row
        The rows drawn.
    """
    rows = [r for r in published_measurements(key) if r["kind"] in kinds
            and (bibkeys is None or r["bibkey"] in bibkeys)]
    seen = set()
    for group in _groups(rows):
        label = published_label(group[0])
        if label in seen:  # one legend entry per source and model (S004's tables 1 and 2)
            label = None
        seen.add(label)
        filled = group[0]["kind"] == "measurement"
        marker = _MARKERS.get(str(group[0]["bibkey"]), "o")
        style = _RANGE_STYLES.get((str(group[0]["bibkey"]), str(group[0]["model"])), "--")
        for row in group:
            err = np.nan_to_num([[row["err_minus"]], [row["err_plus"]]])
            if np.isfinite(row["r_kpc"]):
                ax.errorbar(row["r_kpc"] + offset, row["value"], yerr=err, fmt=marker, ms=6, color=colour,
                            mfc=colour if filled else "white", capsize=2, label=label, zorder=5)
            else:
                lo = row["r_min_kpc"] if np.isfinite(row["r_min_kpc"]) else ax.get_xlim()[0]
                hi = row["r_max_kpc"] if np.isfinite(row["r_max_kpc"]) else ax.get_xlim()[1]
                ax.plot([lo, hi], [row["value"]] * 2, color=colour, lw=1.5, ls=style, label=label, zorder=4)
                if err.any():
                    ax.fill_between([lo, hi], row["value"] - err[0, 0], row["value"] + err[1, 0], color=colour,
                                    alpha=0.12, lw=0, zorder=3)
            label = None
    return rows


def published_apex_markers(*, kinds=("measurement",)) -> list:
    """Markers for `halo_utils.plotting.plot_apex_sky`: each published apex (Galactic ``l``,
    ``b`` in deg, printed together by one source) as ``(l, b, scatter keywords)``."""
    longitudes = published_measurements("l_apex")
    latitudes = {(str(r["bibkey"]), str(r["where"]), str(r["model"])): r for r in published_measurements("b_apex")}
    markers = []
    for row in longitudes:
        match = latitudes.get((str(row["bibkey"]), str(row["where"]), str(row["model"])))
        if match is None or row["kind"] not in kinds:
            continue
        filled = row["kind"] == "measurement"
        markers.append((float(row["value"]), float(match["value"]),
                        dict(marker=_MARKERS.get(str(row["bibkey"]), "o"), s=60, edgecolor=_COLOUR,
                             facecolor=_COLOUR if filled else "white", zorder=6,
                             label=f"{published_label(row)}, apex")))
    return markers


def published_values(keys, *, bibkey: str, where: str | None = None) -> list:
    """The values of ``keys`` printed by one source (and place, e.g. ``"S004 table 2"``), None
    for a key it does not print: e.g. lines for a corner plot."""
    out = []
    for key in keys:
        try:
            rows = published_measurements(key, bibkey=bibkey)
        except ValueError:
            out.append(None)
            continue
        rows = [r for r in rows if where is None or r["where"] == where]
        out.append(float(rows[0]["value"]) if rows else None)
    return out
