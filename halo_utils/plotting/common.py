"""What the figures share: class colours, the Sun's position, parameter labels, sky
longitudes, "nice" colour limits and colour bars whose ticks are round numbers."""

from __future__ import annotations

import math

import healpy as hp
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator

from ..frames import R0_KPC, Z_SUN_KPC, wrap_longitude

__all__ = ["CLASS_COLOURS", "SUN_XYZ", "PARAM_LABELS", "nice_limit", "nice_range", "add_colorbar", "mollview_panel"]

#: Colour of each chemistry class (conventions §3).
CLASS_COLOURS = {"accreted": "tab:red", "insitu_high_alpha": "tab:blue", "insitu_low_alpha": "tab:cyan"}

#: The Sun's Galactocentric position, kpc.
SUN_XYZ = (-R0_KPC, 0.0, Z_SUN_KPC)

#: TeX labels of the density and reflex parameters for corner plots and tables.
PARAM_LABELS = {"alpha1": r"$\alpha_1$", "alpha2": r"$\alpha_2$", "alpha3": r"$\alpha_3$",
                "r1": r"$r_1$", "r2": r"$r_2$", "p": r"$p$", "q": r"$q$", "pitch": "pitch",
                "yaw": "yaw", "log10_mass": r"$\log_{10} M_\star$",
                "v_travel_x": r"$v_{\rm travel,x}$", "v_travel_y": r"$v_{\rm travel,y}$",
                "v_travel_z": r"$v_{\rm travel,z}$"}
_REFLEX_LABELS = {"v_travel": r"$v_{\rm travel}$", "L_MS": r"$L_{\rm MS}$", "B_MS": r"$B_{\rm MS}$",
                  "vr_mean": r"$\langle v_r\rangle$", "vphi_mean": r"$\langle v_\phi\rangle$",
                  "vtheta_mean": r"$\langle v_\theta\rangle$", "ln_sigma_los": r"$\ln\sigma_{\rm los}$",
                  "ln_sigma_l": r"$\ln\sigma_\ell$", "ln_sigma_b": r"$\ln\sigma_b$"}
for _base, _label in _REFLEX_LABELS.items():  # reflex parameters, bare and at the nodes
    PARAM_LABELS[_base] = _label
    for _r in (40, 120):
        PARAM_LABELS[f"{_base}_{_r}"] = f"{_label} ({_r})"
PARAM_LABELS["f_out"] = r"$f_{\rm out}$"  # the outlier fraction of the reflex mixture
# derived reflex quantities (`~halo_utils.reflex.ReflexFit.at`)
PARAM_LABELS.update({"sigma_los": r"$\sigma_{\rm los}$", "sigma_l": r"$\sigma_\ell$", "sigma_b": r"$\sigma_b$",
                     "l_apex": r"$\ell_{\rm apex}$", "b_apex": r"$b_{\rm apex}$", "beta": r"$\beta$"})

#: Mantissas of the "nice" numbers of `nice_limit`, ascending.
_NICE_MANTISSAS = (1.0, 2.0, 2.5, 5.0, 10.0)


def wrapped_longitude_rad(l_deg):
    """Galactic longitude in radians on [-pi, pi) for Mollweide axes (l = 0 at centre)."""
    return np.deg2rad(wrap_longitude(l_deg))


def nice_limit(x: float) -> float:
    """The smallest "nice" number at least as large as ``|x|``: 1, 2, 2.5 or 5 times a power of ten.

    A symmetric colour limit taken from data (``max |v|`` of a map of signed values) goes
    through it, so that the colour bar ends on a round number (25, not 21.0941); a one-sided
    range goes through `nice_range`, which rounds to multiples of a step chosen by it.

    Parameters
    ----------
    x : float
        Any finite number (its sign is ignored).

    Returns
    -------
    float
        ``m * 10**k`` with ``m`` in (1, 2, 2.5, 5) and ``|x| <= m * 10**k``; 0 for 0. A
        number that is already nice is returned as it is (up to a relative 1e-9).

    Examples
    --------
    >>> nice_limit(21.0941), nice_limit(-0.3), nice_limit(100.0), nice_limit(101.0)
    (25.0, 0.5, 100.0, 200.0)
    """
    x = abs(float(x))
    if not math.isfinite(x):
        raise ValueError(f"nice_limit needs a finite number, not {x}")
    if x == 0.0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(x))
    for m in _NICE_MANTISSAS:
        if m * power >= x * (1 - 1e-9):
            return float(m * power) if m < 10 else float(10 * power)
    return float(10 * power)  # pragma: no cover - the last mantissa always fits


def nice_range(lo: float, hi: float, *, n_steps: int = 5) -> tuple[float, float]:
    """``(lo, hi)`` widened outwards to whole multiples of a nice step (`nice_limit` of
    ``(hi - lo) / n_steps``): the colour limits of a map whose range comes from its data.

    A range starting at or above zero keeps a non-negative lower edge; an empty range
    (``lo == hi``) is widened by one nice step on each side.

    Examples
    --------
    >>> nice_range(51.3, 187.9)
    (50.0, 200.0)
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        raise ValueError(f"nice_range needs finite lo <= hi, not ({lo}, {hi})")
    step = nice_limit((hi - lo) / n_steps) or nice_limit(lo) or 1.0
    new_lo, new_hi = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    if new_hi == new_lo:
        new_lo, new_hi = new_lo - step, new_hi + step
    return float(new_lo if lo < 0 else max(new_lo, 0.0)), float(new_hi)


def add_colorbar(mappable, *, ax, label: str, nbins: int = 6, **kwargs):
    """A colour bar for ``mappable`` beside ``ax`` whose ticks come from a `~matplotlib.ticker.MaxNLocator`
    with steps of 1, 2, 2.5 or 5 times a power of ten (round numbers inside the colour limits,
    never the limits' own digits).

    Parameters
    ----------
    mappable : matplotlib ScalarMappable
        The image, scatter or contour set the bar explains.
    ax : matplotlib Axes or list of Axes
        Where the bar takes its room from.
    label : str
        What the colour means, with its unit.
    nbins : int
        Most tick intervals.
    **kwargs
        Passed to `~matplotlib.figure.Figure.colorbar` (``orientation``, ``shrink``, ...).

    Returns
    -------
    matplotlib.colorbar.Colorbar
    """
    fig = (ax[0] if isinstance(ax, (list, tuple, np.ndarray)) else ax).figure
    cbar = fig.colorbar(mappable, ax=ax, label=label, **kwargs)
    cbar.locator = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
    cbar.update_ticks()
    return cbar


def mollview_panel(values, *, fig, sub, title: str, vmin: float, vmax: float, unit: str, cmap: str = "viridis",
                   **kwargs):
    """One HEALPix map in Galactic Mollweide (`healpy.mollview`) with a horizontal colour bar
    whose ticks are round numbers (`add_colorbar`; healpy's own bar labels only the two limits).

    Parameters
    ----------
    values : ndarray
        The map (RING order); ``healpy.UNSEEN`` pixels are drawn in ``badcolor``.
    fig : matplotlib Figure
    sub : (int, int, int)
        Rows, columns and index of the panel, as for ``plt.subplot``.
    title : str
    vmin, vmax : float
        Colour limits, in the map's unit (pass nice ones: `nice_limit`, `nice_range`).
    unit : str
        Label of the colour bar.
    cmap : str
    **kwargs
        Passed to `healpy.mollview` (``badcolor``, ``bgcolor``, ...).

    Returns
    -------
    matplotlib Axes
        The map's axes.
    """
    hp.mollview(values, fig=fig.number, sub=sub, title=title, min=vmin, max=vmax, cmap=cmap, cbar=False, **kwargs)
    ax = fig.axes[-1]
    # the bar of a plain linear norm: healpy's own norm class would give the bar a non-linear
    # scale that pins ticks outside [vmin, vmax] to its ends
    shown = ScalarMappable(norm=Normalize(vmin=vmin, vmax=vmax), cmap=ax.get_images()[0].get_cmap())
    add_colorbar(shown, ax=ax, label=unit, orientation="horizontal", shrink=0.6, aspect=25, pad=0.05, fraction=0.08,
                 nbins=5)
    return ax
