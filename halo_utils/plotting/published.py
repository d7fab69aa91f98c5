"""The papers' published measurements on the figures (`halo_utils.reference.published_measurements`).

They are drawn in black, labelled with their source and "(published)", a measurement on real
stars as a filled marker and a number from a simulation as an open one, so that no reader
takes them for the mock's truth (drawn dashed in the colour of the fit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..reference import MEASUREMENT_KINDS, published_measurements

__all__ = ["SHORT_CITATIONS", "published_label", "draw_published_vs_radius", "published_apex_markers",
           "published_values", "PROFILE_STYLES", "PublishedProfile", "published_density_profiles"]

#: Short citations of the sources of the published measurements, for legends.
SHORT_CITATIONS = {"Chandra2024": "Chandra+24 (S004)", "Petersen2021": "Petersen & Peñarrubia 21",
                   "Cunningham2019": "Cunningham+19", "Deason2011": "Deason+11", "Han2022": "Han+22 (S001)",
                   "Naidu2021": "Naidu+21", "Sesar2011": "Sesar+11", "Xue2015": "Xue+15", "Kafle2014": "Kafle+14",
                   "Deason2014": "Deason+14", "Slater2016": "Slater+16", "Bird2019": "Bird+19",
                   "Sirko2004": "Sirko+04", "Kafle2012": "Kafle+12", "Brooks2025": "Brooks+25", "Brooks2026": "Brooks+26"}
_MARKERS = {"Chandra2024": "s", "Petersen2021": "D", "Cunningham2019": "^", "Deason2011": "v", "Han2022": "*",
            "Naidu2021": "P", "Sirko2004": "o"}
#: Line style of each source's density profile (all drawn in the published values' black).
PROFILE_STYLES = {"Deason2011": "--", "Sesar2011": ":", "Xue2015": "-.", "Kafle2014": "-",
                  "Deason2014": (0, (5, 1, 1, 1, 1, 1)), "Slater2016": (0, (8, 2))}
_COLOUR = "0.1"
#: Line style of each source's values for a whole radial range, the same on every figure.
_RANGE_STYLES = {("Chandra2024", "distance-independent"): "-.", ("Petersen2021", "distance-independent"): "-",
                 ("Bird2019", ""): ":", ("Kafle2012", ""): (0, (5, 1, 1, 1))}


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


@dataclass(frozen=True)
class PublishedProfile:
    """A published radial density profile rho ∝ r^-alpha, broken at ``breaks`` (kpc).

    ``alphas`` has one slope more than ``breaks``; ``alpha_errors`` and ``break_errors`` are
    the symmetric 1-sigma errors (the mean of the two printed sides, NaN where none is
    printed); ``r_min``, ``r_max`` the sample's Galactocentric range (kpc, NaN where none is
    printed). A source that prints only a break radius (from a kinematic model) has
    ``alphas`` empty.
    """

    bibkey: str
    label: str
    alphas: tuple
    breaks: tuple
    alpha_errors: tuple
    break_errors: tuple
    r_min: float
    r_max: float


def _symmetric_error(row) -> float:
    errors = [e for e in (row["err_minus"], row["err_plus"]) if np.isfinite(e)]
    return float(np.mean(errors)) if errors else float("nan")


def published_density_profiles() -> list:
    """The literature's radial density profiles of the stellar halo (S001 figs 11-13): every
    source of the table with a break radius (``r_break``) or a single slope (``alpha``), as
    `PublishedProfile` objects in the table's order."""
    keys = ("alpha", "alpha_inner", "alpha_outer", "r_break")
    rows = [r for r in published_measurements() if r["key"] in keys]
    by_source = {}
    for row in rows:
        by_source.setdefault(str(row["bibkey"]), {})[str(row["key"])] = row
    profiles = []
    for bibkey, got in by_source.items():
        if "alpha" in got:
            slopes, breaks = [got["alpha"]], []
        else:
            slopes = [got[k] for k in ("alpha_inner", "alpha_outer") if k in got]
            breaks = [got["r_break"]] if "r_break" in got else []
            if len(slopes) == 1:
                raise ValueError(f"{bibkey}: a broken power law needs both alpha_inner and alpha_outer")
        first = (slopes or breaks)[0]
        profiles.append(PublishedProfile(
            bibkey=bibkey, label=f"{SHORT_CITATIONS.get(bibkey, bibkey)} (published)",
            alphas=tuple(float(r["value"]) for r in slopes), breaks=tuple(float(r["value"]) for r in breaks),
            alpha_errors=tuple(_symmetric_error(r) for r in slopes),
            break_errors=tuple(_symmetric_error(r) for r in breaks),
            r_min=float(first["r_min_kpc"]), r_max=float(first["r_max_kpc"])))
    return profiles
