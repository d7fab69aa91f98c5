"""The Poisson point-process likelihood of star positions, and model comparison by AIC.

ln L(theta) = sum_i ln n(x_i | theta) - Lambda(theta), with n the tracer number density
at the stars' observed positions and Lambda the expected number of selected stars from a
`~halo_utils.density.selection.SelectionGrid` (conventions §8; S001 section 3).
"""

from __future__ import annotations

import numpy as np

from .geometry import monomials
from .models import check_params, get_model, log_number_density
from .selection import SelectionGrid

__all__ = ["Stars", "as_stars", "log_likelihood", "log_probability", "aic", "relative_likelihoods"]


class Stars:
    """Star positions prepared for `log_likelihood` (monomials computed once).

    Parameters
    ----------
    pos : array_like, shape (3, N)
        Galactocentric positions, kpc (finite).
    """

    def __init__(self, pos):
        pos = np.asarray(pos, float)
        if pos.ndim != 2 or pos.shape[0] != 3:
            raise ValueError(f"positions must have shape (3, N), got {pos.shape}")
        n_bad = int(np.sum(~np.all(np.isfinite(pos), axis=0)))
        if n_bad:
            raise ValueError(f"{n_bad} star positions are NaN or inf")
        self.pos = pos
        self.mono = monomials(pos)

    @classmethod
    def from_table(cls, table):
        """From a table with Galactocentric ``x``, ``y``, ``z`` (kpc) columns."""
        missing = [c for c in "xyz" if c not in table.colnames]
        if missing:
            raise ValueError(f"star table lacks Galactocentric column(s) {missing}")
        return cls(np.stack([np.asarray(table[c], float) for c in "xyz"]))

    def __len__(self):
        return self.pos.shape[1]


def as_stars(stars) -> Stars:
    """`Stars` from `Stars`, a table with ``x``, ``y``, ``z`` columns or a (3, N) array (kpc)."""
    if isinstance(stars, Stars):
        return stars
    if hasattr(stars, "colnames"):
        return Stars.from_table(stars)
    return Stars(stars)


def log_likelihood(params: dict, stars, grid: SelectionGrid, model="triaxial_double_break") -> float:
    """Poisson point-process log-likelihood, up to a parameter-free constant.

    Raises ValueError for parameters outside the prior (use `log_probability` for sampling).

    Parameters
    ----------
    params : dict
        Free parameters of ``model`` (radii kpc, angles deg, log10_mass log10 Msun).
    stars : Stars, Table or array_like (3, N)
        Star positions (Galactocentric, kpc).
    grid : SelectionGrid
        Precomputed selection.
    model : str or DensityModel

    Returns
    -------
    float
        ln L.
    """
    check_params(params, model)
    stars = as_stars(stars)
    ln_n = log_number_density(stars.mono, params, model, grid.giants_per_msun)
    return float(np.sum(ln_n) - grid.expected_number(params, model))


def log_probability(vector, stars: Stars, grid: SelectionGrid, model) -> float:
    """ln prior + ln likelihood of a free-parameter vector (order of ``model.free``).

    Returns -inf outside the prior (never NaN); ``stars`` must be `Stars`.
    """
    m = get_model(model)
    params = m.params(vector)
    if m.problems(params):
        return -np.inf
    ln_n = log_number_density(stars.mono, params, m, grid.giants_per_msun)
    return float(np.sum(ln_n) - grid.expected_number(params, m))


def aic(max_log_likelihood: float, n_params: int) -> float:
    """Akaike information criterion 2k - 2 ln L_max."""
    return 2.0 * n_params - 2.0 * max_log_likelihood


def relative_likelihoods(aics: dict) -> dict:
    """exp((AIC_min - AIC_i) / 2) for each model of ``{name: AIC}``."""
    best = min(aics.values())
    return {k: float(np.exp((best - v) / 2.0)) for k, v in aics.items()}
