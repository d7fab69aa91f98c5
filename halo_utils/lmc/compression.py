"""Compressing a catalogue's binned statistics to one number per target (conventions §14).

The kinematic statistics of a catalogue (`~halo_utils.reflex.kinematic_statistics`: ~100
means and dispersions) are too many for a likelihood learnt from a few hundred simulations.
Following the semi-automatic summaries of Fearnhead & Prangle (2012), they are compressed
to estimates of the parameters themselves: a linear (ridge) regression of each parameter,
rescaled to [0, 1] over its prior range, on the standardised statistics of the training
simulations (`~halo_utils.lmc.SuiteInference` adds the travel velocity at 100 kpc as a fifth
target). A linear compression loses information where the statistics depend on the
parameters non-linearly, but it cannot make the inference overconfident: the likelihood of
the compressed numbers is learnt from simulations (`~halo_utils.lmc.emulator`), and
whatever the compression loses only widens the posterior.

Cells that are often empty (a sky quadrant the surveys barely reach) are dropped: a
statistic missing in more than ``max_missing`` of the training simulations is not used,
and where a kept one is missing (in a simulation or in the data) it takes its training
median, i.e. it carries no information. The ridge strength minimises the error of five-fold
cross-validation. (Generalised cross-validation and the leave-one-out shortcut both chose
almost no regularisation when the simulations were about as many as the statistics, 80 for
96, where an unregularised regression is at its worst: the compressed statistics of new
simulations then scattered three times more, and the posterior of the data was twice as wide
as with 40 simulations.)
"""

from __future__ import annotations

import numpy as np

from ..validation import check_array, check_real

__all__ = ["LinearCompression"]

#: Ridge strengths tried, in units of the number of training simulations.
_RIDGE_GRID = np.logspace(-4, 2, 31)


class LinearCompression:
    """Ridge regression of parameters on statistics, fitted on training simulations.

    Parameters
    ----------
    statistics : array_like (n, m)
        The training simulations' statistics (NaN where a cell had too few stars).
    targets : array_like (n, k)
        What to predict, each rescaled to about [0, 1] (one ridge strength serves all): the
        parameters over their prior ranges, and whatever else the statistics should estimate.
    max_missing : float
        A statistic missing (NaN) in more than this fraction of the simulations is dropped.

    Attributes
    ----------
    kept : ndarray of int
        Columns of the statistics that are used.
    ridge : float
        The chosen ridge strength (on the standardised statistics).
    """

    def __init__(self, statistics, targets, *, max_missing: float = 0.2):
        x = check_array("statistics", statistics, ndim=2, finite=False)
        y = check_array("targets", targets, ndim=2)
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"targets must have one row per simulation ({x.shape[0]}), got shape {y.shape}")
        max_missing = check_real("max_missing", max_missing, low=0, high=1)
        if x.shape[0] < 10:
            raise ValueError(f"the compression needs at least 10 training simulations, got {x.shape[0]}")
        missing = np.mean(~np.isfinite(x), axis=0)
        self.kept = np.flatnonzero(missing <= max_missing)
        x = x[:, self.kept]
        self._fill = np.nanmedian(x, axis=0)
        x = np.where(np.isfinite(x), x, self._fill)
        self._centre, scale = x.mean(axis=0), x.std(axis=0)
        varying = scale > 0
        self.kept, self._fill, self._centre, scale = (self.kept[varying], self._fill[varying],
                                                      self._centre[varying], scale[varying])
        if self.kept.size == 0:
            raise ValueError("no statistic is present in enough simulations and varies between them")
        self._scale = scale
        z = (x[:, varying] - self._centre) / self._scale
        self._y_mean = y.mean(axis=0)
        self.ridge, self._coef = _ridge_by_cross_validation(z, y - self._y_mean)

    def _standardise(self, statistics):
        x = np.atleast_2d(np.asarray(statistics, float))
        if x.shape[1] <= self.kept.max():
            raise ValueError(f"statistics must have at least {self.kept.max() + 1} columns, got {x.shape[1]}")
        x = x[:, self.kept]
        return (np.where(np.isfinite(x), x, self._fill) - self._centre) / self._scale

    def transform(self, statistics) -> np.ndarray:
        """The compressed statistics (n, k) of ``statistics`` (n, m) or (m,)."""
        return self._y_mean + self._standardise(statistics) @ self._coef


def _ridge_path(z, y, alphas):
    """Ridge coefficients of centred ``y`` on ``z`` for every strength in ``alphas`` (one SVD)."""
    u, s, vt = np.linalg.svd(z, full_matrices=False)
    uty = u.T @ y
    return [vt.T @ ((s / (s**2 + alpha))[:, None] * uty) for alpha in alphas]


def _ridge_by_cross_validation(z, y, n_folds=5):
    """Ridge coefficients of centred ``y`` on standardised ``z``, the strength minimising the
    squared error of ``n_folds``-fold cross-validation (folds by index modulo ``n_folds``)
    summed over the targets."""
    n = z.shape[0]
    alphas = _RIDGE_GRID * n
    fold = np.arange(n) % n_folds
    error = np.zeros(alphas.size)
    for f in range(n_folds):
        train, test = fold != f, fold == f
        centre = y[train].mean(axis=0)
        for j, coef in enumerate(_ridge_path(z[train], y[train] - centre, alphas)):
            error[j] += np.sum((y[test] - centre - z[test] @ coef) ** 2)
    alpha = float(alphas[np.argmin(error)])
    return alpha, _ridge_path(z, y, [alpha])[0]
