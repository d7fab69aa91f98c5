"""How often a map's bands cover the truth (conventions §6 and §10)."""

from __future__ import annotations

import numpy as np

from ..validation import check_array
from .dispersion import BANDS

__all__ = ["band_coverage"]


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
