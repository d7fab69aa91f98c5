"""The Poisson point-process likelihood of star positions, and model comparison by AIC.

ln L(theta) = sum_i ln n(x_i | theta) - Lambda(theta), with n the tracer number density
at the stars' observed positions and Lambda the expected number of selected stars from a
`~halo_utils.density.selection.SelectionGrid` (conventions §8; S001 section 3). With the
stars' distance errors folded in, ln n(x_i) becomes ln sum_k w_ik n(x_ik) over points along
each line of sight (`Stars`; `~halo_utils.density.distance_errors`).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .geometry import monomials
from .models import check_params, get_model, log_number_density
from .selection import SelectionGrid

__all__ = ["Stars", "as_stars", "log_likelihood", "log_probability", "aic", "relative_likelihoods"]


class Stars:
    """Star positions prepared for `log_likelihood` (monomials computed once).

    A star is either one point, its observed position, with likelihood term ln n(x), or,
    with ``ln_weight``, K points along its line of sight with weights that sum to one, with
    term ln sum_k w_k n(x_k): its distance error folded in
    (`~halo_utils.density.distance_errors.fold_distance_errors`; conventions §8).

    Parameters
    ----------
    pos : array_like, shape (3, N) or (3, N, K)
        Galactocentric positions, kpc (finite).
    ln_weight : array_like, shape (N, K), optional
        ln of each point's weight (-inf for none); each star's weights sum to one.
    """

    def __init__(self, pos, ln_weight=None):
        pos = np.asarray(pos, float)
        if ln_weight is None:
            if pos.ndim != 2 or pos.shape[0] != 3:
                raise ValueError(f"positions must have shape (3, N), got {pos.shape}")
        else:
            ln_weight = np.asarray(ln_weight, float)
            if pos.ndim != 3 or pos.shape[0] != 3 or ln_weight.shape != pos.shape[1:]:
                raise ValueError(f"folded positions must have shape (3, N, K) and ln_weight (N, K), got {pos.shape} "
                                 f"and {ln_weight.shape}")
            if np.any(np.isnan(ln_weight) | (ln_weight == np.inf)):
                raise ValueError("ln_weight must be finite or -inf")
            off = np.abs(special.logsumexp(ln_weight, axis=1))
            if not np.all(off < 1e-9):
                raise ValueError(f"each star's weights must sum to one; {np.sum(~(off < 1e-9))} stars' do not")
        n_bad = int(np.sum(~np.all(np.isfinite(pos.reshape(3, -1)), axis=0)))
        if n_bad:
            raise ValueError(f"{n_bad} star positions are NaN or inf")
        self.pos = pos
        self.ln_weight = ln_weight
        self.mono = monomials(pos.reshape(3, -1))

    @classmethod
    def from_table(cls, table):
        """From a table with Galactocentric ``x``, ``y``, ``z`` (kpc) columns."""
        missing = [c for c in "xyz" if c not in table.colnames]
        if missing:
            raise ValueError(f"star table lacks Galactocentric column(s) {missing}")
        return cls(np.stack([np.asarray(table[c], float) for c in "xyz"]))

    def __len__(self):
        return self.pos.shape[1]

    @property
    def folded(self) -> bool:
        """Whether each star is integrated over several points (its distance error folded in)."""
        return self.ln_weight is not None

    def sum_log_density(self, ln_n) -> float:
        """The stars' term of ln L from ln n at the points (`mono`'s rows): sum_i ln n(x_i),
        or sum_i ln sum_k w_ik n(x_ik) when folded."""
        if self.ln_weight is None:
            return float(np.sum(ln_n))
        return float(np.sum(special.logsumexp(np.reshape(ln_n, self.ln_weight.shape) + self.ln_weight, axis=1)))

    def point_weights(self, ln_n) -> np.ndarray:
        """d `sum_log_density` / d ln n at each point: ones, or when folded each point's share
        w_ik n_ik / sum_k w_ik n_ik of its star's term (each star's shares sum to one)."""
        if self.ln_weight is None:
            return np.ones(len(ln_n))
        a = np.reshape(ln_n, self.ln_weight.shape) + self.ln_weight
        return np.exp(a - special.logsumexp(a, axis=1, keepdims=True)).ravel()


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
    return stars.sum_log_density(ln_n) - grid.expected_number(params, model)


def log_probability(vector, stars: Stars, grid: SelectionGrid, model) -> float:
    """ln prior + ln likelihood of a free-parameter vector (order of ``model.free``).

    Returns -inf outside the prior (never NaN); ``stars`` must be `Stars`.
    """
    m = get_model(model)
    params = m.params(vector)
    if m.problems(params):
        return -np.inf
    ln_n = log_number_density(stars.mono, params, m, grid.giants_per_msun)
    return stars.sum_log_density(ln_n) - grid.expected_number(params, m)


def aic(max_log_likelihood: float, n_params: int) -> float:
    """Akaike information criterion 2k - 2 ln L_max."""
    return 2.0 * n_params - 2.0 * max_log_likelihood


def relative_likelihoods(aics: dict) -> dict:
    """exp((AIC_min - AIC_i) / 2) for each model of ``{name: AIC}``."""
    best = min(aics.values())
    return {k: float(np.exp((best - v) / 2.0)) for k, v in aics.items()}
