"""The posterior of the suite's parameters for a catalogue's statistics: an emulated synthetic
likelihood learnt from the simulations, sampled with emcee (conventions §14).

With u the parameters rescaled to [0, 1] over the prior and t the compressed statistics
(`~halo_utils.lmc.compression.LinearCompression`: estimates of the four parameters and of the
travel velocity at 100 kpc, five numbers), the likelihood is a Gaussian,

    p(t | u) = N(t; m(u), S(u) C S(u)),

its mean m a quadratic polynomial in u fitted by least squares on the simulations, S(u) a
diagonal of scales whose logarithms are linear in u (fitted to the logarithms of the squared
residuals: how much the simulations scatter changes across the prior, e.g. a heavier LMC
scatters its statistics more) and C the covariance of the scaled residuals (an emulated
synthetic likelihood, after Wood 2010 and Price et al. 2018, where a neural posterior
estimator would learn the same from many more simulations). A constant covariance made the
held-out simulations' posteriors of the Milky Way's mass too wide where the scatter is small
(a peaked rank histogram); with the scales it is flat.

The training simulations' compressed statistics are computed *out of fold*, by default
leaving each one out of the compression that compresses it, so that C has the scatter of a
new catalogue's compressed statistics, not the smaller one of the simulations the
compression was fitted to. With five folds the compressions were fitted to 80 % of the
simulations and scattered more than the final one does: the posteriors came out too wide
(held-out intervals of the LMC's mass held the truth too often).

The travel velocity v of a simulation is not a function of the four parameters alone: the
same particles that make the reflex make the statistics, so the data say more about v than
the parameters do. The emulator therefore models (t, v) jointly: the likelihood is the
marginal of t, and v is drawn for each posterior sample from its Gaussian conditional on
the observed t (drawn from the parameters alone, its held-out intervals were too wide). The posterior under the uniform prior is sampled with
emcee (`~halo_utils.fitting.run_emcee`); the masses within 50 kpc follow from each sample
(`~halo_utils.lmc.suite.derived_masses`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fitting import run_emcee
from ..validation import check_array, check_integer, check_real, make_generator
from .compression import LinearCompression
from .suite import PRIOR_PARAMETERS, SuitePrior, derived_masses

__all__ = ["POSTERIOR_NAMES", "quadratic_features", "GaussianEmulator", "SuitePosterior", "SuiteInference"]

#: What a `SuitePosterior` holds samples of: the prior's parameters, the masses within 50 kpc
#: (Msun) and the travel velocity at 100 kpc (km/s).
POSTERIOR_NAMES = PRIOR_PARAMETERS + ("lmc_mass_50", "mw_mass_50", "v_travel_100")


def quadratic_features(u) -> np.ndarray:
    """[1, u_i, u_i u_j (i <= j)] of each row of ``u`` (n, k): (n, 1 + k + k (k + 1) / 2)."""
    u = np.atleast_2d(u)
    i, j = np.triu_indices(u.shape[1])
    return np.column_stack([np.ones(len(u)), u, u[:, i] * u[:, j]])


class GaussianEmulator:
    """y ~ N(m(u), S(u) C S(u)), m quadratic in u, fitted by least squares (see the module
    docstring).

    Parameters
    ----------
    u : array_like (n, k)
        Inputs (the rescaled parameters).
    y : array_like (n, d)
        Outputs of the simulations.
    heteroscedastic : bool
        Fit the scales S(u) (ln S linear in u); False: S = 1, one covariance everywhere.
    """

    def __init__(self, u, y, *, heteroscedastic: bool = False):
        u = check_array("u", u, ndim=2)
        y = check_array("y", y)
        y = y.reshape(len(y), -1)
        if len(y) != len(u):
            raise ValueError(f"y must have one row per simulation ({len(u)}), got {len(y)}")
        design = quadratic_features(u)
        if len(u) <= design.shape[1] + y.shape[1]:
            raise ValueError(f"the emulator needs more than {design.shape[1] + y.shape[1]} simulations, got {len(u)}")
        self._coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        residual = y - design @ self._coef
        # unbiased for the residuals of a fit with design.shape[1] coefficients per output
        dof = len(u) - design.shape[1]
        self._log_scale_coef = np.zeros((1 + u.shape[1], y.shape[1]))
        if heteroscedastic:
            # ln of each output's variance linear in u, from ln r^2 (whose mean is ln sigma^2 - 1.27
            # for a Gaussian r: E[ln chi2_1] = -1.2704); the scale is then removed from the
            # residuals before their covariance is taken
            linear = np.column_stack([np.ones(len(u)), u])
            log_r2 = np.log(np.maximum(residual**2, 1e-300)) + 1.2704
            self._log_scale_coef, *_ = np.linalg.lstsq(linear, 0.5 * log_r2, rcond=None)
            self._log_scale_coef[0] -= np.log(np.sqrt(np.mean((residual / self._scale(u)) ** 2, axis=0)))
        standard = residual / self._scale(u)
        self.covariance = standard.T @ standard / dof
        self._chol = np.linalg.cholesky(self.covariance)
        self._blocks = {}

    def _scale(self, u) -> np.ndarray:
        """Each output's scale at each row of ``u`` relative to `covariance` (1: homoscedastic)."""
        u = np.atleast_2d(u)
        return np.exp(np.column_stack([np.ones(len(u)), u]) @ self._log_scale_coef)

    def mean(self, u) -> np.ndarray:
        """m(u), (n, d)."""
        return quadratic_features(u) @ self._coef

    def _block(self, k: int):
        """Cholesky factor and ln det of the covariance of the first ``k`` outputs."""
        if k not in self._blocks:
            chol = np.linalg.cholesky(self.covariance[:k, :k])
            self._blocks[k] = chol, 2.0 * np.sum(np.log(np.diag(chol)))
        return self._blocks[k]

    def log_likelihood(self, y, u) -> np.ndarray:
        """ln N(y; m(u), S(u) C S(u)) for one ``y`` (1-d) at each row of ``u`` (n, number of inputs).

        ``y`` may hold only the first ``len(y)`` outputs: the likelihood is then their marginal
        (what `SuiteInference` does with the compressed statistics of a joint emulator whose
        last output is the travel velocity)."""
        y = check_array("y", y, ndim=1, finite=False)
        k = y.shape[0]
        if not 1 <= k <= self.covariance.shape[0]:
            raise ValueError(f"y must hold 1 to {self.covariance.shape[0]} outputs, got {k}")
        scale = self._scale(u)[:, :k]
        d = (y[None, :] - self.mean(u)[:, :k]) / scale
        chol, logdet = self._block(k)
        z = np.linalg.solve(chol, d.T)
        return -0.5 * (np.sum(z**2, axis=0) + logdet + k * np.log(2 * np.pi)) - np.sum(np.log(scale), axis=1)

    def draw_conditional(self, u, known, rng) -> np.ndarray:
        """One draw of the outputs after the first ``len(known)`` (1-d) at each row of ``u``,
        given that those are ``known``: the Gaussian conditional, with mean
        m_2 + S_2 C_21 C_11^-1 S_1^-1 (known - m_1) and covariance S_2 (C_22 - C_21 C_11^-1 C_12) S_2
        (S_1, S_2 the scales of the known and the drawn outputs at u), (n, d - len(known)).
        ``rng``: a numpy Generator or an integer seed."""
        known = check_array("known", known, ndim=1, finite=False)
        rng = make_generator("rng", rng)
        k = known.shape[0]
        if not 1 <= k < self.covariance.shape[0]:
            raise ValueError(f"known must hold 1 to {self.covariance.shape[0] - 1} outputs, got {k}")
        mean, scale = self.mean(u), self._scale(u)
        c11, c12, c22 = self.covariance[:k, :k], self.covariance[:k, k:], self.covariance[k:, k:]
        gain = np.linalg.solve(c11, c12)  # C_11^-1 C_12, (k, d - k)
        standard = (known[None, :] - mean[:, :k]) / scale[:, :k]
        chol = np.linalg.cholesky(c22 - c12.T @ gain)
        scatter = standard @ gain + rng.standard_normal((len(mean), c22.shape[0])) @ chol.T
        return mean[:, k:] + scatter * scale[:, k:]


@dataclass(frozen=True)
class SuitePosterior:
    """Posterior samples of the `POSTERIOR_NAMES`.

    Attributes
    ----------
    samples : dict of ndarray
        Name -> the samples (Msun for masses, km/s for v_travel_100).
    converged : bool
        Whether the chain ran longer than the asked number of autocorrelation times.
    """

    samples: dict
    converged: bool

    def interval(self, name: str, level: float = 68.0) -> tuple:
        """Central ``level`` % interval of ``name``."""
        level = check_real("level", level, low=0, high=100, low_open=True, high_open=True)
        lo, hi = np.percentile(self.samples[name], [50 - level / 2, 50 + level / 2])
        return float(lo), float(hi)

    def median(self, name: str) -> float:
        return float(np.median(self.samples[name]))

    def contains(self, name: str, value: float, level: float = 68.0) -> bool:
        """Whether ``value`` lies in the central ``level`` % interval of ``name``."""
        lo, hi = self.interval(name, level)
        return bool(lo <= value <= hi)

    def rank(self, name: str, value: float) -> float:
        """Fraction of the samples of ``name`` below ``value`` (uniform over many simulations
        when the posterior is calibrated: simulation-based calibration, Talts et al. 2018)."""
        return float(np.mean(self.samples[name] < value))


class SuiteInference:
    """The compression and the emulated likelihood of a simulation suite.

    Parameters
    ----------
    theta : array_like (n, 4)
        The simulations' parameters, in the order of `PRIOR_PARAMETERS`.
    statistics : array_like (n, m)
        Their statistics (NaN where a cell had too few stars).
    v_travel : array_like (n,)
        Their travel velocity at 100 kpc, km/s.
    prior : SuitePrior
        The prior they were drawn from.
    n_folds : int, optional
        Folds of the out-of-fold compression of the training simulations (None: one per
        simulation, leave-one-out).
    max_missing : float
        As for `LinearCompression`.
    """

    def __init__(self, theta, statistics, v_travel, prior: SuitePrior = SuitePrior(), *, n_folds: int | None = None,
                 max_missing: float = 0.2):
        if not isinstance(prior, SuitePrior):
            raise TypeError(f"prior must be a SuitePrior, got {type(prior).__name__}")
        theta = check_array("theta", theta, ndim=2)
        n = len(theta)
        if theta.shape[1] != len(PRIOR_PARAMETERS):
            raise ValueError(f"theta must have {len(PRIOR_PARAMETERS)} columns {PRIOR_PARAMETERS}, got {theta.shape}")
        if not np.all(prior.contains(theta)):
            raise ValueError("theta has simulations outside the prior's ranges: was the suite drawn from this prior?")
        statistics = check_array("statistics", statistics, ndim=2, finite=False)
        v_travel = check_array("v_travel", v_travel, shape=(n,), unit="km/s")
        if len(statistics) != n:
            raise ValueError(f"statistics must have one row per simulation ({n}), got {len(statistics)}")
        n_folds = n if n_folds is None else check_integer("n_folds", n_folds, low=2, high=n)
        self.prior, self.n_simulations = prior, n
        u = self.to_unit(theta)
        # the travel velocity rescaled to about [0, 1] like the parameters, so that the ridge
        # strength chosen for all targets together suits it too
        self._travel_zero, self._travel_span = float(v_travel.min()), float(np.ptp(v_travel)) or 1.0
        travel = (v_travel - self._travel_zero) / self._travel_span
        targets = np.column_stack([u, travel])
        self.compression = LinearCompression(statistics, targets, max_missing=max_missing)
        out_of_fold = np.empty_like(targets)
        fold = np.arange(n) % n_folds
        for f in range(n_folds):
            fitted = LinearCompression(statistics[fold != f], targets[fold != f], max_missing=max_missing)
            out_of_fold[fold == f] = fitted.transform(statistics[fold == f])
        self.emulator = GaussianEmulator(u, np.column_stack([out_of_fold, travel]), heteroscedastic=True)

    def to_unit(self, theta) -> np.ndarray:
        low, high = self.prior.bounds.T
        return (np.atleast_2d(theta) - low) / (high - low)

    def from_unit(self, u) -> np.ndarray:
        low, high = self.prior.bounds.T
        return low + np.atleast_2d(u) * (high - low)

    def log_posterior(self, compressed, u) -> np.ndarray:
        """ln p(u | t) up to a constant, for walkers ``u`` (n, 4) (-inf outside the prior)."""
        u = np.atleast_2d(u)
        inside = np.all((u >= 0) & (u <= 1), axis=1)
        out = np.full(len(u), -np.inf)
        if inside.any():
            out[inside] = self.emulator.log_likelihood(compressed, u[inside])
        return out

    def posterior(self, statistics, *, seed: int = 0, n_walkers: int = 32, n_steps_max: int = 20_000,
                  n_tau: float = 40.0) -> SuitePosterior:
        """Posterior samples for one catalogue's ``statistics`` (m,), measured as the suite's.

        emcee (stretch move, ``n_walkers``) runs until the chain is ``n_tau`` autocorrelation
        times long or ``n_steps_max`` steps, started from the prior draws of highest
        likelihood; ``seed`` seeds the start, the chain and the travel velocities' scatter.
        """
        seed = check_integer("seed", seed, low=0)
        compressed = self.compression.transform(statistics)[0]
        rng = np.random.default_rng([seed, 18])
        trial = rng.uniform(size=(50 * n_walkers, len(PRIOR_PARAMETERS)))
        best = np.argsort(self.log_posterior(compressed, trial))[-n_walkers:]
        run = run_emcee(lambda u: self.log_posterior(compressed, u), trial[best], n_steps_max=n_steps_max,
                        seed=seed, check_every=500, n_tau=n_tau, report_progress=False, vectorize=True)
        tau = np.nanmax(run["tau"]) if np.all(np.isfinite(run["tau"])) else 1.0
        u = run["sampler"].get_chain(discard=run["burn_in"], thin=max(1, int(tau / 2)), flat=True)
        theta = self.from_unit(u)
        samples = dict(zip(PRIOR_PARAMETERS, theta.T))
        samples["lmc_mass_50"], samples["mw_mass_50"] = derived_masses(samples["lmc_mass"],
                                                                       samples["halo_mass_factor"])
        travel = self.emulator.draw_conditional(u, compressed, rng)[:, 0]
        samples["v_travel_100"] = self._travel_zero + self._travel_span * travel
        return SuitePosterior(samples=samples, converged=bool(run["converged"]))
