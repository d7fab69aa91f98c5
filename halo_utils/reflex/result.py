"""The result of a reflex fit: posterior draws and the derived quantities at any radius
(conventions §11; S004 tables 1-2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

from ..frames import wrap_longitude
from .model import ReflexModel
from .sky import apex_vector, ms_to_galactic, unit_vector

__all__ = ["AT_NAMES", "ReflexFit"]

#: Quantities reported by `ReflexFit.at` (plus ``f_out`` for a mixture model).
AT_NAMES = ("v_travel", "l_apex", "b_apex", "L_MS", "B_MS", "vr_mean", "vphi_mean", "vtheta_mean",
            "sigma_los", "sigma_l", "sigma_b", "v_travel_x", "v_travel_y", "v_travel_z", "beta")
_CIRCULAR = ("l_apex", "L_MS")


def _circular_percentiles(deg, q):
    centre = np.rad2deg(np.arctan2(np.mean(np.sin(np.deg2rad(deg))), np.mean(np.cos(np.deg2rad(deg)))))
    unwrapped = centre + wrap_longitude(deg - centre)
    return np.percentile(unwrapped, q)


@dataclass
class ReflexFit:
    """Result of `fit_reflex`.

    Attributes
    ----------
    model : ReflexModel
    samples : ndarray (S, ndim)
        Equal-weight posterior draws (dynesty) or draws from the Laplace approximation
        (mle), ordered as ``model.names``.
    best : ndarray (ndim,)
        Maximum-likelihood vector (the MLE, or the best nested-sampling point).
    max_log_likelihood : float
    sampler : str
    n_stars : int
    info : dict
        Sampler diagnostics (dynesty: nlive, bound, sample, niter, ncall, logz, logzerr;
        mle: starts, Hessian steps) and the star set's settings (distance term, prior, frame).
    star_id : ndarray (n_stars,) or None
    outlier_probability : ndarray (n_stars,) or None
        Each star's posterior probability of being an outlier (mixture models; at the MLE,
        or averaged over up to 200 posterior draws for dynesty).
    """

    model: ReflexModel
    samples: np.ndarray
    best: np.ndarray
    max_log_likelihood: float
    sampler: str
    n_stars: int
    info: dict
    star_id: np.ndarray | None = None
    outlier_probability: np.ndarray | None = None

    @classmethod
    def point(cls, model: ReflexModel, theta) -> "ReflexFit":
        """A 'fit' holding one parameter vector (e.g. a mock's truth) as its only sample."""
        theta = model.check(theta)
        return cls(model, theta[None], theta, 0.0, "point", 0, {})

    def draws_at(self, r_kpc: float) -> dict:
        """Posterior draws of every `AT_NAMES` quantity (and ``f_out``) at radius ``r_kpc``."""
        v = self.model.values_at(self.samples, float(r_kpc))  # (9, S)
        vt, L, B = v[0], v[1], v[2]
        vec = apex_vector(vt, L, B)
        l_apex, b_apex = ms_to_galactic(L, B)
        sig = np.exp(v[6:9])
        mean2 = lambda m, s: m**2 + s**2  # noqa: E731 - second moments as in S004
        beta = 1.0 - (mean2(v[4], sig[1]) + mean2(v[5], sig[2])) / (2.0 * mean2(v[3], sig[0]))
        out = {"v_travel": vt, "l_apex": l_apex, "b_apex": b_apex, "L_MS": L, "B_MS": B,
               "vr_mean": v[3], "vphi_mean": v[4], "vtheta_mean": v[5], "sigma_los": sig[0],
               "sigma_l": sig[1], "sigma_b": sig[2], "v_travel_x": vec[:, 0],
               "v_travel_y": vec[:, 1], "v_travel_z": vec[:, 2], "beta": beta}
        if self.model.outliers is not None:
            out["f_out"] = self.model.f_out(self.samples)
        return out

    def at(self, r_kpc: float) -> dict:
        """(median, p16, p84) of every `AT_NAMES` quantity at ``r_kpc`` (apex in deg)."""
        out = {}
        for name, d in self.draws_at(r_kpc).items():
            p16, p50, p84 = (_circular_percentiles(d, [16, 50, 84]) if name in _CIRCULAR
                             else np.percentile(d, [16, 50, 84]))
            if name in _CIRCULAR:
                p50w = wrap_longitude(p50)
                p16, p84, p50 = p16 + (p50w - p50), p84 + (p50w - p50), p50w
            out[name] = (float(p50), float(p16), float(p84))
        return out

    def interval(self, r_kpc: float, name: str, level: float = 95.0):
        """Central ``level`` % interval of one quantity at ``r_kpc``."""
        d = self.draws_at(r_kpc)[name]
        q = [50 - level / 2, 50 + level / 2]
        return tuple(float(x) for x in (_circular_percentiles(d, q) if name in _CIRCULAR else np.percentile(d, q)))

    def covers(self, r_kpc: float, name: str, value: float, level: float = 68.0) -> bool:
        """Whether ``value`` lies inside the central ``level`` % interval of ``name`` at ``r_kpc``
        (longitudes compared on the interval's branch)."""
        lo, hi = self.interval(r_kpc, name, level)
        if name in _CIRCULAR:
            value = 0.5 * (lo + hi) + wrap_longitude(value - 0.5 * (lo + hi))
        return bool(lo <= value <= hi)

    def apex_credible_level(self, r_kpc: float, l_deg: float, b_deg: float) -> float:
        """Smallest credible level (%) of an apex cap that holds the direction (l, b), deg.

        The cap is centred on the posterior mean apex direction at ``r_kpc``; the level is
        the percentage of posterior apexes closer to that centre than (l, b). A direction
        lies inside the 95 % cap when this is below 95. Unlike intervals in l and b
        separately, it does not blow up near the poles, where l loses its meaning.
        """
        d = self.draws_at(r_kpc)
        vec = unit_vector(d["l_apex"], d["b_apex"])
        centre = vec.mean(axis=0)
        centre /= np.linalg.norm(centre)
        target = unit_vector(float(l_deg), float(b_deg))
        return float(100.0 * np.mean(vec @ centre > target @ centre))

    def travel_vector_distance(self, r_kpc: float, vector) -> float:
        """Mahalanobis distance of a Cartesian travel vector (km/s, Galactocentric axes) from
        the posterior of ``v_travel_x/y/z`` at ``r_kpc`` (its mean and covariance): S004
        appendix C's "within 1.5 sigma" of its figure 18."""
        d = self.draws_at(r_kpc)
        draws = np.column_stack([d["v_travel_x"], d["v_travel_y"], d["v_travel_z"]])
        delta = np.asarray(vector, float) - draws.mean(axis=0)
        return float(np.sqrt(delta @ np.linalg.solve(np.cov(draws, rowvar=False), delta)))

    def check_against(self, r_kpc: float, reference: dict, level: float = 95.0) -> dict:
        """How a reference travel vector at ``r_kpc`` (e.g. a simulation's, S004 appendix C)
        sits in this posterior.

        ``reference`` holds ``v_travel``, ``l_apex``, ``b_apex`` (km/s, deg) and
        ``v_travel_x/y/z`` (km/s). Returns ``v_travel``, ``l_apex``, ``b_apex``: whether each
        lies inside the central ``level`` % interval; ``apex_cap_level`` (`apex_credible_level`)
        and ``apex_in_cap`` (below ``level``); ``travel_vector_mahalanobis``
        (`travel_vector_distance`). A reference with no travel (an undefined, NaN apex: no
        LMC) has None for the three apex entries.
        """
        has_apex = bool(np.isfinite(reference["l_apex"]) and np.isfinite(reference["b_apex"]))
        cap = self.apex_credible_level(r_kpc, reference["l_apex"], reference["b_apex"]) if has_apex else None
        return {"v_travel": self.covers(r_kpc, "v_travel", reference["v_travel"], level),
                "l_apex": self.covers(r_kpc, "l_apex", reference["l_apex"], level) if has_apex else None,
                "b_apex": self.covers(r_kpc, "b_apex", reference["b_apex"], level) if has_apex else None,
                "apex_cap_level": cap, "apex_in_cap": None if cap is None else cap < level,
                "travel_vector_mahalanobis": self.travel_vector_distance(
                    r_kpc, [reference[f"v_travel_{c}"] for c in "xyz"])}

    def table(self, radii=(40.0, 100.0, 120.0), truth: "ReflexFit | None" = None) -> Table:
        """S004 tables 1-2: one row per (radius, quantity) with median, p16 and p84.

        With ``truth`` (e.g. `ReflexFit.point` of the mock's truth vector) the table adds
        the true value and ``in_95``: whether it lies inside the central 95 % interval.
        """
        rows = []
        for r in radii:
            at = self.at(r)
            ref = truth.at(r) if truth is not None else None
            for q, (p50, p16, p84) in at.items():
                row = {"r_kpc": float(r), "quantity": q, "p50": p50, "p16": p16, "p84": p84}
                if ref is not None:
                    t = ref[q][0] if q in ref else np.nan
                    row.update(truth=t, in_95=bool(np.isfinite(t) and self.covers(r, q, t, 95.0)))
                rows.append(row)
        return Table(rows=rows)
