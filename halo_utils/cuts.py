"""Sample-construction cuts of S000/S001 (conventions §5) as pure functions on arrays.

Every function returns a boolean mask (True = the star has the property named by the
function); `CutFlow` applies them in order and records the count at every step, so no
star is dropped without being counted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from astropy.table import Table

from .validation import check_array, check_flags, check_integer, check_interval, check_real
from .reference import SATELLITES, sgr_latitude
from .survey import SNR_LIMIT

__all__ = [
    "GSE_RADIAL_RANGE_KPC",
    "SATELLITE_RADIUS_DEG",
    "CutConfig",
    "CHEMISTRY_CLASSES",
    "quality_mask",
    "giant_mask",
    "sgr_member_mask",
    "satellite_mask",
    "chemistry_class",
    "aleph_mask",
    "unbound_mask",
    "geometric_halo_mask",
    "gse_mask",
    "class_purity_completeness",
    "CutFlow",
]

#: The chemistry classes of the [Fe/H]-[a/Fe] plane (conventions §5), as `chemistry_class` names them.
CHEMISTRY_CLASSES = ("accreted", "insitu_high_alpha", "insitu_low_alpha")


#: Galactocentric radius range (kpc) of the GSE sample (S001): the density model is fitted,
#: and its break radii allowed to move, within it.
GSE_RADIAL_RANGE_KPC = (6.0, 60.0)

#: Radius (deg) around each known satellite inside which stars and tiles are left out (S000).
SATELLITE_RADIUS_DEG = 1.0


@dataclass(frozen=True)
class CutConfig:
    """Thresholds of the cut flow (conventions §5); L in 10^3 kpc km/s.

    Every field is checked on construction (a finite number in its physical range; see
    `_CUT_RANGES`); a misspelt field is refused by the constructor (TypeError naming it).
    """

    snr_min: float = SNR_LIMIT
    logg_max: float = 3.5
    sgr_b_max: float = 25.0
    sgr_ly_slope: float = -0.3
    sgr_ly_offset: float = -2.5
    satellite_radius_deg: float = SATELLITE_RADIUS_DEG
    # chemistry: high-alpha above afe = slope * feh + intercept; accreted below it at feh < split
    alpha_slope: float = -0.2
    alpha_intercept: float = 0.08
    feh_split: float = -0.8
    aleph_ecc_max: float = 0.3
    halo_z_min: float = 5.0
    halo_r_min: float = 10.0
    gse_ecc_min: float = 0.7
    gse_r_range: tuple = GSE_RADIAL_RANGE_KPC

    def __post_init__(self):
        for f in fields(self):
            if f.name != "gse_r_range":
                check_real(f"CutConfig.{f.name}", getattr(self, f.name), **_CUT_RANGES.get(f.name, {}))
        check_interval("CutConfig.gse_r_range", self.gse_r_range, low=0, unit="kpc")


#: Physical ranges of the `CutConfig` thresholds (others: any finite number).
_CUT_RANGES = {"snr_min": dict(low=0), "sgr_b_max": dict(low=0, high=90, low_open=True, unit="deg"),
               "satellite_radius_deg": dict(low=0, high=180, unit="deg"),
               "aleph_ecc_max": dict(low=0, high=1), "gse_ecc_min": dict(low=0, high=1),
               "halo_z_min": dict(low=0, unit="kpc"), "halo_r_min": dict(low=0, unit="kpc")}


def _same_shape(**arrays):
    """The arrays as float arrays, checked finite and of one shape."""
    out = {k: check_array(k, v) for k, v in arrays.items()}
    shapes = {k: v.shape for k, v in out.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError("arrays must have one shape (one value per star), got "
                         + ", ".join(f"{k} {v}" for k, v in shapes.items()))
    return out.values()


def _check_classes(chem_class):
    """``chem_class`` as an array of `CHEMISTRY_CLASSES` names."""
    chem_class = np.asarray(chem_class)
    if chem_class.dtype.kind not in "US":
        raise TypeError(f"chem_class must hold class names {CHEMISTRY_CLASSES}, got dtype {chem_class.dtype}")
    unknown = sorted({str(c) for c in np.unique(chem_class)} - set(CHEMISTRY_CLASSES))
    if unknown:
        raise ValueError(f"chem_class holds unknown class(es) {unknown}; expected {CHEMISTRY_CLASSES}")
    return chem_class


def quality_mask(flag, snr, snr_min: float = SNR_LIMIT):
    """Good spectral fits: ``FLAG == 0`` (integer flags) and ``SNR > snr_min`` (finite)."""
    flag_arr = np.asarray(flag)
    if flag_arr.dtype.kind not in "iu":
        raise TypeError(f"flag must hold integer FLAG values, got dtype {flag_arr.dtype}")
    snr_min = check_real("snr_min", snr_min, low=0)
    _, snr = _same_shape(flag=flag_arr, snr=snr)
    return (flag_arr == 0) & (snr > snr_min)


def giant_mask(logg, logg_max: float = 3.5):
    """Giants: ``logg < logg_max`` (dex; finite)."""
    return check_array("logg", logg, unit="dex") < check_real("logg_max", logg_max, unit="dex")


def sgr_member_mask(ra, dec, L_y, L_z, b_max: float = 25.0, slope: float = -0.3,
                    offset: float = -2.5):
    """Sagittarius members (Johnson+2020 style): near the Sgr plane with Sgr-like L.

    |B_Sgr| < b_max (deg, gala `SagittariusLaw10`) and L_y < slope * L_z + offset with
    L in 10^3 kpc km/s (the inputs ``L_y``, ``L_z`` are in kpc km/s). All four arrays
    finite and of one shape; ``|dec| <= 90``.
    """
    ra, dec, L_y, L_z = _same_shape(ra=ra, dec=dec, L_y=L_y, L_z=L_z)
    check_array("dec", dec, low=-90, high=90, unit="deg")
    b_max = check_real("b_max", b_max, low=0, high=90, low_open=True, unit="deg")
    slope, offset = check_real("slope", slope), check_real("offset", offset, unit="10^3 kpc km/s")
    _, beta = sgr_latitude(ra, dec)
    return (np.abs(beta) < b_max) & (L_y / 1e3 < slope * L_z / 1e3 + offset)


def satellite_mask(ra, dec, radius_deg: float = SATELLITE_RADIUS_DEG, satellites=SATELLITES):
    """Stars within ``radius_deg`` (in [0, 180]) of a listed satellite centre (ICRS, deg).

    ``ra``, ``dec`` finite, of one shape, ``|dec| <= 90``; ``satellites`` maps names to
    dicts with ``ra`` and ``dec`` (deg), as `~halo_utils.reference.SATELLITES`.
    """
    ra, dec = _same_shape(ra=ra, dec=dec)
    check_array("dec", dec, low=-90, high=90, unit="deg")
    radius_deg = check_real("radius_deg", radius_deg, low=0, high=180, unit="deg")
    if not isinstance(satellites, dict):
        raise TypeError(f"satellites must be a dict of name -> {{'ra', 'dec'}}, got {type(satellites).__name__}")
    for name, sat in satellites.items():
        if not isinstance(sat, dict) or "ra" not in sat or "dec" not in sat:
            raise ValueError(f"satellite {name!r} needs 'ra' and 'dec' (deg), got {sat!r}")
    ra, dec = np.deg2rad(ra), np.deg2rad(dec)
    near = np.zeros(ra.shape, bool)
    for s in satellites.values():
        ra0, dec0 = np.deg2rad(s["ra"]), np.deg2rad(s["dec"])
        cos_sep = np.sin(dec) * np.sin(dec0) + np.cos(dec) * np.cos(dec0) * np.cos(ra - ra0)
        near |= cos_sep > np.cos(np.deg2rad(radius_deg))
    return near


def chemistry_class(feh, afe, slope: float = -0.2, intercept: float = 0.08, feh_split: float = -0.8):
    """Chemistry class in the [Fe/H]-[a/Fe] plane (S000 fig 2; S001 fig 2).

    ``insitu_high_alpha`` above [a/Fe] = slope [Fe/H] + intercept; below it,
    ``accreted`` at [Fe/H] < feh_split and ``insitu_low_alpha`` otherwise. ``feh`` and
    ``afe`` (dex) finite, of one shape.
    """
    feh, afe = _same_shape(feh=feh, afe=afe)
    slope, intercept = check_real("slope", slope), check_real("intercept", intercept, unit="dex")
    feh_split = check_real("feh_split", feh_split, unit="dex")
    high = afe > slope * feh + intercept
    return np.where(high, "insitu_high_alpha",
                    np.where(feh < feh_split, "accreted", "insitu_low_alpha")).astype("U17")


def _eccentricities(chem_class, ecc, **others):
    """Class names, eccentricities (NaN: no orbit; else in [0, 1]) and finite ``others``, one shape."""
    chem_class = _check_classes(chem_class)
    ecc = check_array("ecc", ecc, finite=False)
    n_bad = int(np.count_nonzero(np.isinf(ecc) | (ecc < 0) | (ecc > 1)))
    if n_bad:
        raise ValueError(f"ecc: {n_bad} value{'s lie' if n_bad > 1 else ' lies'} outside [0, 1] "
                         "(NaN marks a star without an orbit)")
    checked = {k: check_array(k, v) for k, v in others.items()}
    shapes = {"chem_class": chem_class.shape, "ecc": ecc.shape, **{k: v.shape for k, v in checked.items()}}
    if len(set(shapes.values())) > 1:
        raise ValueError("arrays must have one shape (one value per star), got "
                         + ", ".join(f"{k} {v}" for k, v in shapes.items()))
    return chem_class, ecc, *checked.values()


def aleph_mask(chem_class, L_z, ecc, ecc_max: float = 0.3):
    """Aleph: low-alpha metal-rich chemistry on prograde (L_z < 0), near-circular orbits.

    ``chem_class`` names from `CHEMISTRY_CLASSES`, ``L_z`` (kpc km/s) finite, ``ecc`` in
    [0, 1] or NaN (no orbit: not Aleph), all of one shape; ``ecc_max`` in [0, 1].
    """
    chem_class, ecc, L_z = _eccentricities(chem_class, ecc, L_z=L_z)
    ecc_max = check_real("ecc_max", ecc_max, low=0, high=1)
    return ((chem_class == "insitu_low_alpha") & (L_z < 0) & (np.nan_to_num(ecc, nan=1.0) < ecc_max))


def unbound_mask(energy):
    """Unbound stars: E >= 0 in the package potential (``energy`` finite, (km/s)^2)."""
    return check_array("energy", energy, unit="km2/s2") >= 0


def geometric_halo_mask(z, r, z_min: float = 5.0, r_min: float = 10.0):
    """The S000 geometric halo: |Z| > z_min and r_gal > r_min (kpc; finite arrays of one
    shape, thresholds >= 0)."""
    z, r = _same_shape(z=z, r=r)
    z_min = check_real("z_min", z_min, low=0, unit="kpc")
    r_min = check_real("r_min", r_min, low=0, unit="kpc")
    return (np.abs(z) > z_min) & (r > r_min)


def gse_mask(chem_class, ecc, r, ecc_min: float = 0.7, r_range=GSE_RADIAL_RANGE_KPC):
    """GSE (S001): accreted chemistry, e > ecc_min and r_range[0] < r_gal < r_range[1].

    Stars without an eccentricity (unbound, NaN) are not GSE members. ``chem_class``
    names from `CHEMISTRY_CLASSES`, ``ecc`` in [0, 1] or NaN, ``r`` (kpc) finite, all of
    one shape; ``ecc_min`` in [0, 1], ``r_range`` two increasing radii >= 0.
    """
    chem_class, ecc, r = _eccentricities(chem_class, ecc, r=r)
    ecc_min = check_real("ecc_min", ecc_min, low=0, high=1)
    r_lo, r_hi = check_interval("r_range", r_range, low=0, unit="kpc")
    return ((chem_class == "accreted") & (np.nan_to_num(ecc, nan=-1.0) > ecc_min) & (r > r_lo) & (r < r_hi))


def class_purity_completeness(predicted, truth, classes):
    """Purity and completeness of a classification against truth labels.

    Parameters
    ----------
    predicted, truth : array_like of str
        Predicted and true labels per star.
    classes : dict
        ``{predicted_label: set of true labels counted as correct}`` (each a collection
        of str, not a single str).

    Returns
    -------
    dict
        ``{label: {"n": ..., "purity": ..., "completeness": ...}}``; purity is the
        fraction of stars given the label whose truth is in the accepted set,
        completeness the fraction of stars with an accepted truth that got the label.
    """
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    for name, arr in (("predicted", predicted), ("truth", truth)):
        if arr.ndim != 1 or arr.dtype.kind not in "US":
            raise TypeError(f"{name} must be a 1-d array of str labels, got dtype {arr.dtype}, shape {arr.shape}")
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted and truth must have one label per star, got {predicted.size} and {truth.size}")
    if not isinstance(classes, dict) or not classes:
        raise TypeError(f"classes must be a non-empty dict {{label: set of true labels}}, got {classes!r}")
    for label, accepted in classes.items():
        if isinstance(accepted, str) or not all(isinstance(a, str) for a in accepted):
            raise TypeError(f"classes[{label!r}] must be a collection of true labels (e.g. {{'accreted'}}), "
                            f"got {accepted!r}")
    predicted, truth = predicted.astype(str), truth.astype(str)
    out = {}
    for label, accepted in classes.items():
        got = predicted == label
        right = np.isin(truth, list(accepted))
        n_got, n_right = int(got.sum()), int(right.sum())
        out[label] = {
            "n": n_got,
            "purity": float((got & right).sum() / n_got) if n_got else float("nan"),
            "completeness": float((got & right).sum() / n_right) if n_right else float("nan"),
        }
    return out


class CutFlow:
    """Apply removal steps in order and count the stars at every step.

    Examples
    --------
    >>> flow = CutFlow(1000)
    >>> keep = flow.keep("good fits", good)          # doctest: +SKIP
    >>> keep = flow.remove("Sgr members", is_sgr)    # doctest: +SKIP
    """

    def __init__(self, n_stars: int, label: str = "catalogue"):
        n_stars = check_integer("n_stars", n_stars, low=0)
        self.mask = np.ones(n_stars, bool)
        self.steps = [{"step": label, "removed": 0, "remaining": n_stars}]

    def keep(self, name: str, passes) -> np.ndarray:
        """Keep only stars for which ``passes`` (booleans, one per star) is True; returns
        the running mask."""
        passes = check_flags(f"cut {name!r}", passes)
        if passes.shape != self.mask.shape:
            raise ValueError(f"cut {name!r}: mask has shape {passes.shape}, expected {self.mask.shape}")
        removed = int(np.sum(self.mask & ~passes))
        self.mask = self.mask & passes
        self.steps.append({"step": name, "removed": removed, "remaining": int(self.mask.sum())})
        return self.mask.copy()

    def remove(self, name: str, fails) -> np.ndarray:
        """Remove stars for which ``fails`` (booleans, one per star) is True; returns the
        running mask."""
        return self.keep(name, ~check_flags(f"cut {name!r}", fails))

    def require_stars(self, sample: str) -> None:
        """ValueError when no star is left, naming the step that removed the last ones and
        listing the whole cut flow (the counts say which threshold to look at)."""
        if self.mask.any():
            return
        empty = next(s for s in self.steps if s["remaining"] == 0)
        flow = "; ".join(f"{s['step']}: {s['remaining']}" + (f" (-{s['removed']})" if i else "")
                         for i, s in enumerate(self.steps))
        if empty is self.steps[0]:
            raise ValueError(f"{sample} is empty: the {empty['step']} has no stars")
        raise ValueError(f"{sample} is empty: the cut {empty['step']!r} removed the last {empty['removed']} "
                         f"star{'s' if empty['removed'] != 1 else ''}. Cut flow: {flow}")

    def table(self) -> Table:
        """The cut flow as a Table (step, removed, remaining)."""
        return Table(rows=[(s["step"], s["removed"], s["remaining"]) for s in self.steps],
                     names=("step", "removed", "remaining"))
