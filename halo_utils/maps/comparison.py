"""Comparisons between maps that chapter 2 draws its conclusions from (conventions §6; S000
section 4): is one population hotter than another shell by shell, and is a population hotter
above the Galactic plane than below it."""

from __future__ import annotations

import numpy as np

from ..validation import check_array
from .dispersion import BANDS, binned_dispersion, membership_from_labels

__all__ = ["compare_profiles", "hemisphere_dispersion"]


def compare_profiles(hot: dict, cold: dict) -> dict:
    """Shell-by-shell comparison of two radial profiles on the same ``edges``.

    Parameters
    ----------
    hot, cold : dict
        Results of `radial_profile` (or `anisotropy`) with Monte Carlo bands; ``hot`` is the
        population expected to be the hotter one.

    Returns
    -------
    dict
        ``n_compared``: shells where both medians are measured; ``n_hotter``: shells there
        where ``hot``'s median exceeds ``cold``'s; ``all_hotter``: whether that holds in every
        compared shell; ``n_separated_95``: shells where ``hot``'s 2.5th percentile lies above
        ``cold``'s 97.5th (the 95 % bands do not overlap).
    """
    for name, prof in (("hot", hot), ("cold", cold)):
        missing = [k for k in BANDS if k not in prof]
        if missing:
            raise ValueError(f"{name} lacks the band(s) {missing}; expected a profile with n_mc > 0")
    if np.shape(hot["median"]) != np.shape(cold["median"]):
        raise ValueError(f"the profiles have {np.size(hot['median'])} and {np.size(cold['median'])} shells; "
                         "compare profiles made on the same edges")
    both = np.isfinite(hot["median"]) & np.isfinite(cold["median"])
    hotter = hot["median"][both] > cold["median"][both]
    return {"n_compared": int(both.sum()), "n_hotter": int(np.sum(hotter)), "all_hotter": bool(np.all(hotter)),
            "n_separated_95": int(np.sum(hot["p2_5"][both] > cold["p97_5"][both]))}


def hemisphere_dispersion(z, v, v_err, *, min_stars=10, n_mc=1000, drop_frac=0.1, rng=None,
                          deconvolve=False, resampling="drop") -> dict:
    """Dispersion of ``v`` below (z <= 0) and above (z > 0) the Galactic plane.

    ``z`` is the Galactocentric height (kpc), ``v`` and ``v_err`` a velocity component and
    its error (km/s); the keywords are those of `binned_dispersion`, which makes both
    measurements in one call (the same Monte Carlo realisations for both halves).

    Returns
    -------
    dict
        ``below`` and ``above``: ``{"count", "median", "p16", "p84"}`` (km/s), and ``ratio``:
        the median above over the median below.
    """
    z = check_array("z", z, unit="kpc")
    hemi = (z > 0).astype(int)  # 1 above the plane, 0 below
    res = binned_dispersion(membership_from_labels(hemi, 2), v, v_err, min_stars=min_stars, n_mc=n_mc,
                            drop_frac=drop_frac, rng=rng, deconvolve=deconvolve, resampling=resampling)
    below, above = ({k: float(res[k][i]) for k in ("count", "median", "p16", "p84")} for i in (0, 1))
    return {"below": below, "above": above, "ratio": above["median"] / below["median"]}
