"""Sample-construction cuts of S000/S001 (SPEC section 4) as pure functions on arrays.

Every function returns a boolean mask (True = the star has the property named by the
function); `CutFlow` applies them in order and records the count at every step, so no
star is dropped without being counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from .reference import SATELLITES, sgr_latitude

__all__ = [
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

CHEMISTRY_CLASSES = ("accreted", "insitu_high_alpha", "insitu_low_alpha")


@dataclass(frozen=True)
class CutConfig:
    """Thresholds of the cut flow (SPEC section 4); L in 10^3 kpc km/s."""

    snr_min: float = 3.0
    logg_max: float = 3.5
    sgr_b_max: float = 25.0
    sgr_ly_slope: float = -0.3
    sgr_ly_offset: float = -2.5
    satellite_radius_deg: float = 1.0
    # chemistry: high-alpha above afe = slope * feh + intercept; accreted below it at feh < split
    alpha_slope: float = -0.2
    alpha_intercept: float = 0.08
    feh_split: float = -0.8
    aleph_ecc_max: float = 0.3
    halo_z_min: float = 5.0
    halo_r_min: float = 10.0
    gse_ecc_min: float = 0.7
    gse_r_range: tuple = (6.0, 60.0)


def quality_mask(flag, snr, snr_min: float = 3.0):
    """Good spectral fits: ``FLAG == 0`` and ``SNR > snr_min``."""
    return (np.asarray(flag) == 0) & (np.asarray(snr, float) > snr_min)


def giant_mask(logg, logg_max: float = 3.5):
    """Giants: ``logg < logg_max`` (dex)."""
    return np.asarray(logg, float) < logg_max


def sgr_member_mask(ra, dec, L_y, L_z, b_max: float = 25.0, slope: float = -0.3,
                    offset: float = -2.5):
    """Sagittarius members (Johnson+2020 style): near the Sgr plane with Sgr-like L.

    |B_Sgr| < b_max (deg, gala `SagittariusLaw10`) and L_y < slope * L_z + offset with
    L in 10^3 kpc km/s (the inputs ``L_y``, ``L_z`` are in kpc km/s).
    """
    _, beta = sgr_latitude(ra, dec)
    ly, lz = np.asarray(L_y, float) / 1e3, np.asarray(L_z, float) / 1e3
    return (np.abs(beta) < b_max) & (ly < slope * lz + offset)


def satellite_mask(ra, dec, radius_deg: float = 1.0, satellites=SATELLITES):
    """Stars within ``radius_deg`` of a listed satellite centre (ICRS, deg)."""
    ra, dec = np.deg2rad(np.asarray(ra, float)), np.deg2rad(np.asarray(dec, float))
    near = np.zeros(ra.shape, bool)
    for s in satellites.values():
        ra0, dec0 = np.deg2rad(s["ra"]), np.deg2rad(s["dec"])
        cos_sep = np.sin(dec) * np.sin(dec0) + np.cos(dec) * np.cos(dec0) * np.cos(ra - ra0)
        near |= cos_sep > np.cos(np.deg2rad(radius_deg))
    return near


def chemistry_class(feh, afe, slope: float = -0.2, intercept: float = 0.08, feh_split: float = -0.8):
    """Chemistry class in the [Fe/H]-[a/Fe] plane (S000 fig 2; S001 fig 2).

    ``insitu_high_alpha`` above [a/Fe] = slope [Fe/H] + intercept; below it,
    ``accreted`` at [Fe/H] < feh_split and ``insitu_low_alpha`` otherwise.
    """
    feh, afe = np.asarray(feh, float), np.asarray(afe, float)
    high = afe > slope * feh + intercept
    return np.where(high, "insitu_high_alpha",
                    np.where(feh < feh_split, "accreted", "insitu_low_alpha")).astype("U17")


def aleph_mask(chem_class, L_z, ecc, ecc_max: float = 0.3):
    """Aleph: low-alpha metal-rich chemistry on prograde (L_z < 0), near-circular orbits."""
    ecc = np.asarray(ecc, float)
    return ((np.asarray(chem_class) == "insitu_low_alpha") & (np.asarray(L_z, float) < 0)
            & (np.nan_to_num(ecc, nan=1.0) < ecc_max))


def unbound_mask(energy):
    """Unbound stars: E >= 0 in the package potential."""
    return np.asarray(energy, float) >= 0


def geometric_halo_mask(z, r, z_min: float = 5.0, r_min: float = 10.0):
    """The S000 geometric halo: |Z| > z_min and r_gal > r_min (kpc)."""
    return (np.abs(np.asarray(z, float)) > z_min) & (np.asarray(r, float) > r_min)


def gse_mask(chem_class, ecc, r, ecc_min: float = 0.7, r_range=(6.0, 60.0)):
    """GSE (S001): accreted chemistry, e > ecc_min and r_range[0] < r_gal < r_range[1].

    Stars without an eccentricity (unbound, NaN) are not GSE members.
    """
    ecc, r = np.asarray(ecc, float), np.asarray(r, float)
    return ((np.asarray(chem_class) == "accreted") & (np.nan_to_num(ecc, nan=-1.0) > ecc_min)
            & (r > r_range[0]) & (r < r_range[1]))


def class_purity_completeness(predicted, truth, classes):
    """Purity and completeness of a classification against truth labels.

    Parameters
    ----------
    predicted, truth : array_like of str
        Predicted and true labels per star.
    classes : mapping
        ``{predicted_label: set of true labels counted as correct}``.

    Returns
    -------
    dict
        ``{label: {"n": ..., "purity": ..., "completeness": ...}}``; purity is the
        fraction of stars given the label whose truth is in the accepted set,
        completeness the fraction of stars with an accepted truth that got the label.
    """
    predicted, truth = np.asarray(predicted).astype(str), np.asarray(truth).astype(str)
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
        self.mask = np.ones(n_stars, bool)
        self.steps = [{"step": label, "removed": 0, "remaining": n_stars}]

    def keep(self, name: str, passes) -> np.ndarray:
        """Keep only stars for which ``passes`` is True; returns the running mask."""
        passes = np.asarray(passes, bool)
        if passes.shape != self.mask.shape:
            raise ValueError(f"cut {name!r}: mask has shape {passes.shape}, expected {self.mask.shape}")
        removed = int(np.sum(self.mask & ~passes))
        self.mask = self.mask & passes
        self.steps.append({"step": name, "removed": removed, "remaining": int(self.mask.sum())})
        return self.mask.copy()

    def remove(self, name: str, fails) -> np.ndarray:
        """Remove stars for which ``fails`` is True; returns the running mask."""
        return self.keep(name, ~np.asarray(fails, bool))

    def table(self) -> Table:
        """The cut flow as a Table (step, removed, remaining)."""
        return Table(rows=[(s["step"], s["removed"], s["remaining"]) for s in self.steps],
                     names=("step", "removed", "remaining"))
