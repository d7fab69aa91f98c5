"""How often a map's bands cover the truth (conventions §6 and §10): of the same stars, and of
the population they are drawn from."""

from __future__ import annotations

import numpy as np

from ..validation import check_array, check_generator, check_integer
from .dispersion import BANDS, RESAMPLINGS, star_array
from .radial import _radial_labels, radial_profile

__all__ = ["band_coverage", "population_coverage"]


def band_coverage(truth, result):
    """Fraction of unmasked cells whose ``truth`` lies inside the 68 % and 95 % bands.

    ``truth`` is an array shaped like the result's bands (e.g. the dispersion of the true
    velocities of the same stars; NaN where unknown). ``result`` is a map's dict with
    ``median``, ``p16``, ``p84``, ``p2_5`` and ``p97_5``. Returns ``{"n_cells", "in_68",
    "in_95"}``.
    """
    if not isinstance(result, dict):
        raise TypeError(f"result must be the dict of a map, got {type(result).__name__}")
    missing = [k for k in BANDS if k not in result]
    if missing:
        raise ValueError(f"result lacks the band(s) {missing}; expected the dict of a map with n_mc > 0")
    truth = check_array("truth", truth, finite=False)
    if truth.shape != np.shape(result["median"]):
        raise ValueError(f"truth has shape {truth.shape}, expected the shape of the map {np.shape(result['median'])}")
    good = np.isfinite(result["median"]) & np.isfinite(truth)
    n = int(good.sum())
    if n == 0:
        return {"n_cells": 0, "in_68": float("nan"), "in_95": float("nan")}
    t = truth[good]
    in68 = (t >= result["p16"][good]) & (t <= result["p84"][good])
    in95 = (t >= result["p2_5"][good]) & (t <= result["p97_5"][good])
    return {"n_cells": n, "in_68": float(in68.mean()), "in_95": float(in95.mean())}


def population_coverage(r, sigma_true, v_err, *, edges, n_draws=30, rng=None, resamplings=RESAMPLINGS,
                        **profile_kwargs) -> dict:
    """Coverage of the population dispersion by each resampling's bands, over repeated draws
    of the velocities of a population with a known dispersion at every star.

    Each draw gives every star a new velocity, N(0, ``sigma_true``) plus N(0, ``v_err``)
    (its measurement error), at the same radius; `radial_profile` measures the profile with
    each of ``resamplings`` (errors deconvolved unless ``profile_kwargs`` says otherwise),
    and `band_coverage` compares its bands with the population value of every shell:
    sqrt(mean of sigma_true^2) over the shell's stars (the dispersion of infinitely many
    draws). The positions stay fixed, so the draws test the velocity sampling alone.

    Parameters
    ----------
    r, sigma_true, v_err : array_like (n,)
        Radii (kpc), the population's dispersion at each star (km/s, > 0) and the
        measurement errors (km/s, >= 0).
    edges : array_like
        Shell edges (kpc), as for `radial_profile`.
    n_draws : int
        Draws of the population (>= 1).
    rng : numpy.random.Generator
    resamplings : sequence of str
        Resamplings to compare (default both, `~halo_utils.maps.dispersion.RESAMPLINGS`).
    **profile_kwargs
        Further settings of `radial_profile` (``n_mc``, ``min_stars``, ``drop_frac``, ...).

    Returns
    -------
    dict
        Per resampling: ``in_68`` and ``in_95`` (fractions over all measured shells of all
        draws), ``n_cells`` and ``band_width_68`` (median 68 % band width, km/s); and
        ``truth`` (the population dispersion per shell).
    """
    r = star_array("r", r, unit="kpc")
    n = r.size
    sigma_true = star_array("sigma_true", sigma_true, n, low=0, low_open=True, unit="km/s")
    v_err = star_array("v_err", v_err, n, low=0, unit="km/s")
    n_draws = check_integer("n_draws", n_draws, low=1)
    check_generator("rng", rng)
    profile_kwargs = {"deconvolve": True, **profile_kwargs}
    labels, edges = _radial_labels(r, edges)  # the shells radial_profile uses (-1: outside)
    inside = labels >= 0
    n_shells = edges.size - 1
    count = np.bincount(labels[inside], minlength=n_shells)
    sum_var = np.bincount(labels[inside], weights=sigma_true[inside] ** 2, minlength=n_shells)
    with np.errstate(invalid="ignore", divide="ignore"):
        truth = np.where(count > 0, np.sqrt(sum_var / count), np.nan)
    hits = {name: {"in_68": 0.0, "in_95": 0.0, "n_cells": 0, "widths": []} for name in resamplings}
    for _ in range(n_draws):
        v = sigma_true * rng.standard_normal(n) + v_err * rng.standard_normal(n)
        for name in resamplings:
            res = radial_profile(r, v, v_err, edges=edges, rng=rng, resampling=name, **profile_kwargs)
            cover = band_coverage(truth, res)
            h = hits[name]
            if cover["n_cells"]:
                h["in_68"] += cover["in_68"] * cover["n_cells"]
                h["in_95"] += cover["in_95"] * cover["n_cells"]
                h["n_cells"] += cover["n_cells"]
            h["widths"].append(res["p84"] - res["p16"])
    out = {"truth": truth}
    for name, h in hits.items():
        m = max(h["n_cells"], 1)
        out[name] = {"in_68": h["in_68"] / m, "in_95": h["in_95"] / m, "n_cells": h["n_cells"],
                     "band_width_68": float(np.nanmedian(np.concatenate(h["widths"])))}
    return out
