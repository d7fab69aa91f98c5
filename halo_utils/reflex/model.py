"""Reflex models: a radial dependence of the parameters, their priors and the outlier mixture.

The inner Galaxy moves with a *travel velocity* v_travel towards the apex ``n_apex``
relative to the outer halo, so halo stars show the opposite (reflex) motion. At a star's
Galactocentric position the model mean velocity is

    v_mean = -v_travel n_apex + <v_r> e_r + <v_theta> e_theta + <v_phi> e_phi,

with intrinsic dispersions (sigma_los, sigma_l, sigma_b) along the star's line of sight
and Galactic (l, b) axes (conventions §11; S004 section 4 after PP21).

A `ReflexModel` composes

* a radial dependence of the nine base parameters (`~halo_utils.reflex.radial`):
  ``"constant"`` (9 parameters, PP21 / S004 appendix E) or ``"linear"`` (the S004
  continuity model, 18 parameters at two node radii), or any `RadialDependence`;
* an optional `OutlierMixture` (on by default), which adds one parameter, ``f_out``, last.

Priors (S004): v_travel U(0, 150) km/s; apex isotropic (L_MS uniform, sin B_MS uniform);
means U(-250, 250) km/s; ln sigma U(ln 1, ln 300); f_out U(0, f_max).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..validation import check_array, check_bool, check_real
from .radial import BASE_NAMES, R_NODES, RadialDependence, radial_dependence

__all__ = ["BASE_NAMES", "PRIOR_BOUNDS", "R_NODES", "OutlierMixture", "ReflexModel"]

#: Prior ranges (km/s, deg, ln km/s); B_MS is isotropic (uniform in sin B_MS).
PRIOR_BOUNDS = {"v_travel": (0.0, 150.0), "L_MS": (-180.0, 180.0), "B_MS": (-90.0, 90.0),
                "vr_mean": (-250.0, 250.0), "vphi_mean": (-250.0, 250.0),
                "vtheta_mean": (-250.0, 250.0), "ln_sigma_los": (0.0, np.log(300.0)),
                "ln_sigma_l": (0.0, np.log(300.0)), "ln_sigma_b": (0.0, np.log(300.0))}


@dataclass(frozen=True)
class OutlierMixture:
    """A broad outlier component mixed with the halo model: each star is a halo star with
    probability 1 - f_out, or an outlier with probability f_out.

    An outlier's Galactocentric velocity is drawn from an isotropic Gaussian of zero mean
    and dispersion ``sigma`` (km/s), evaluated, like the halo component, at the star's
    marginalised distances and convolved with its measurement errors. Why this form: real
    outliers are mostly stars whose catalogue distance is wrong (misclassified dwarfs,
    wrong-branch giants) or whose velocities are spurious. A distance k times too large
    turns the solar reflex in their proper motions into tangential speeds of k x 250 km/s,
    5-20 sigma from any halo model, so the component only has to be much wider than the
    halo (sigma_halo ~ 20-110 km/s); its exact shape then hardly matters, because a
    well-fitting star's halo density exceeds the outlier density by ~(sigma/sigma_halo)^3
    ~ 10^2-10^4. The outlier likelihood of each star does not depend on the halo
    parameters, so it is computed once per star set.

    Parameters
    ----------
    sigma : float
        Dispersion of the outlier component per axis, km/s (> 0; default 500).
    f_max : float
        Upper edge of the uniform prior of f_out, U(0, f_max) (0 < f_max <= 0.5; default
        0.2: a catalogue with more outliers than that needs cleaning before any fit).
    """

    sigma: float = 500.0
    f_max: float = 0.2

    def __post_init__(self):
        check_real("OutlierMixture.sigma", self.sigma, low=0, low_open=True, unit="km/s",
                   why="the dispersion of the outlier component")
        check_real("OutlierMixture.f_max", self.f_max, low=0, high=0.5, low_open=True,
                   why="upper edge of the f_out prior")


@dataclass(frozen=True, init=False)
class ReflexModel:
    """A reflex model: a radial dependence of the nine base parameters and an optional
    outlier mixture.

    Parameters
    ----------
    radial : {"linear", "constant"} or `RadialDependence`
        How the parameters depend on radius: a name (``"linear"``, the default, is
        `LinearInRadius` at ``r_nodes``; ``"constant"`` is `ConstantInRadius`) or an object.
    r_nodes : (float, float), optional
        Node radii (kpc) of ``"linear"`` (default `R_NODES`); not used by ``"constant"``,
        and not accepted with a `RadialDependence` object, which carries its own.
    outliers : `OutlierMixture` or None
        The outlier mixture (on by default); ``None`` is the plain Gaussian likelihood of S004.

    Parameter vectors are ordered as `names`: the nine `BASE_NAMES` per node (for
    ``"linear"`` with the suffix ``_40`` at the first node and ``_120`` at the second), then
    ``f_out`` with a mixture.
    """

    radial: RadialDependence
    outliers: OutlierMixture | None

    def __init__(self, radial="linear", r_nodes=None, outliers: OutlierMixture | None = OutlierMixture()):
        if isinstance(radial, RadialDependence):
            if r_nodes is not None:
                raise TypeError("r_nodes goes with a model name; a RadialDependence carries its own nodes")
        elif isinstance(radial, str):
            radial = radial_dependence(radial, r_nodes)
        else:
            raise TypeError(f"model must be 'constant', 'linear' or a RadialDependence, got {type(radial).__name__}")
        if outliers is not None and not isinstance(outliers, OutlierMixture):
            raise TypeError(f"outliers must be an OutlierMixture or None, got {type(outliers).__name__}")
        object.__setattr__(self, "radial", radial)
        object.__setattr__(self, "outliers", outliers)

    @property
    def kind(self) -> str:
        """Name of the radial dependence, e.g. ``"linear"``."""
        return self.radial.kind

    @property
    def n_nodes(self) -> int:
        return self.radial.n_nodes

    @property
    def n_base(self) -> int:
        """Number of halo parameters (9 per node)."""
        return 9 * self.n_nodes

    @property
    def names(self) -> tuple:
        return self.radial.node_names() + (("f_out",) if self.outliers is not None else ())

    @property
    def ndim(self) -> int:
        return self.n_base + (1 if self.outliers is not None else 0)

    def without_outliers(self) -> "ReflexModel":
        """The same model with the plain Gaussian likelihood."""
        return ReflexModel(self.radial, outliers=None)

    def check(self, theta) -> np.ndarray:
        """``theta`` as a float array (..., ndim): ValueError for the wrong length, TypeError
        for anything that is not numbers (NaN passes; see `validate`)."""
        theta = check_array("theta", theta, finite=False)
        if theta.ndim == 0 or theta.shape[-1] != self.ndim:
            raise ValueError(f"{self.kind} model takes {self.ndim} parameters {self.names}, "
                             f"got {'a scalar' if theta.ndim == 0 else f'a vector of length {theta.shape[-1]}'}")
        return theta

    @cached_property
    def _bounds(self):
        """Prior ranges (lo, hi) of every parameter, arrays of length `ndim`."""
        lo = np.array([PRIOR_BOUNDS[n][0] for n in BASE_NAMES] * self.n_nodes
                      + ([0.0] if self.outliers is not None else []))
        hi = np.array([PRIOR_BOUNDS[n][1] for n in BASE_NAMES] * self.n_nodes
                      + ([self.outliers.f_max] if self.outliers is not None else []))
        return lo, hi

    def in_prior(self, theta) -> bool:
        """Whether every parameter of one vector lies inside its prior range (NaN does not).

        The samplers' fast check (a few microseconds); `out_of_prior` names the culprits.
        """
        lo, hi = self._bounds
        return bool(np.all((theta >= lo) & (theta <= hi)))

    def in_prior_each(self, thetas) -> np.ndarray:
        """`in_prior` for each row of ``thetas`` (..., ndim): a boolean array (...)."""
        lo, hi = self._bounds
        return np.all((thetas >= lo) & (thetas <= hi), axis=-1)

    def nodes(self, theta) -> np.ndarray:
        """Halo parameters as an array (..., n_nodes, 9)."""
        theta = self.check(theta)
        return theta[..., :self.n_base].reshape(theta.shape[:-1] + (self.n_nodes, 9))

    def f_out(self, theta):
        """The outlier fraction of ``theta`` (0 without a mixture)."""
        theta = self.check(theta)
        return theta[..., self.n_base] if self.outliers is not None else np.zeros(theta.shape[:-1])

    def values_at(self, theta, r, wrap: bool = True):
        """The nine base parameters at Galactocentric radius ``r`` (kpc, finite, >= 0).

        Returns an array (9, ...) broadcast over ``r`` (and leading axes of ``theta``);
        L_MS is interpolated along the shorter arc and wrapped to [-180, 180) (unless
        ``wrap=False``).
        """
        check_array("r", r, low=0, unit="kpc")
        check_bool("wrap", wrap)
        return self._values_at(theta, r, wrap)

    def _values_at(self, theta, r, wrap):
        """`values_at` without the checks of ``r``."""
        return self.radial.values(self.nodes(theta), r, wrap)

    def out_of_prior(self, theta) -> list:
        """Names of the parameters of ``theta`` (one vector, or draws (..., ndim)) outside
        their prior range or not finite, in `names` order."""
        theta = self.check(theta)
        lo, hi = self._bounds
        inside = (theta >= lo) & (theta <= hi)  # NaN compares False: out
        bad = ~np.all(inside.reshape(-1, self.ndim), axis=0)
        return [name for name, b in zip(self.names, bad) if b]

    def validate(self, theta, what: str = "parameter vector") -> np.ndarray:
        """``theta`` as floats; ValueError naming every parameter outside its prior (or NaN),
        with its value (the number of offending draws for an array of draws)."""
        theta = self.check(theta)
        lo, hi = self._bounds
        if np.all((theta >= lo) & (theta <= hi)):  # the common case, in microseconds
            return theta
        bad = self.out_of_prior(theta)
        if bad:
            details = []
            for n in bad:
                i = self.names.index(n)
                v = theta[..., i]
                value = f"{float(v):g}" if v.ndim == 0 else f"{int(np.sum(~((v >= lo[i]) & (v <= hi[i]))))} draws"
                details.append(f"{n} = {value} (prior [{lo[i]:g}, {hi[i]:g}])")
            raise ValueError(f"{what} lies outside the prior: {', '.join(details)}")
        return theta

    def log_prior(self, theta) -> float:
        """Log prior density (up to a constant); -inf outside the prior ranges or for NaN."""
        theta = self.check(theta)
        if not self.in_prior(theta):
            return -np.inf
        return float(np.sum(np.log(np.cos(np.deg2rad(self.nodes(theta)[..., 2])) + 1e-300)))

    def prior_transform(self, cube) -> np.ndarray:
        """Unit cube (``ndim`` values in [0, 1]) -> parameters under the priors (for dynesty)."""
        cube = check_array("cube", cube, shape=(self.ndim,), low=0, high=1)
        c = cube[:self.n_base].reshape(self.n_nodes, 9)
        out = np.empty_like(c)
        for i, name in enumerate(BASE_NAMES):
            lo, hi = PRIOR_BOUNDS[name]
            out[:, i] = lo + (hi - lo) * c[:, i]
        out[:, 2] = np.rad2deg(np.arcsin(2.0 * c[:, 2] - 1.0))
        if self.outliers is None:
            return out.ravel()
        return np.append(out.ravel(), self.outliers.f_max * cube[self.n_base])

    def from_dict(self, params: dict) -> np.ndarray:
        """Parameter vector from a dict keyed by `names` (sigmas may be given as ``sigma_*``,
        km/s > 0). KeyError for a missing or unknown key, TypeError for a value that is not
        a number, ValueError for a non-positive sigma; the message names the key."""
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict keyed by {self.names}, got {type(params).__name__}")
        unknown = set(params) - set(self.names) - {n[3:] for n in self.names if n.startswith("ln_sigma")}
        if unknown:
            raise KeyError(f"unknown parameter(s) {sorted(unknown)} for model {self.kind!r} ({self.names})")
        values = []
        for name in self.names:
            if name in params:
                values.append(check_real(name, params[name]))
            elif name.startswith("ln_sigma") and name[3:] in params:
                values.append(np.log(check_real(name[3:], params[name[3:]], low=0, low_open=True, unit="km/s")))
            else:
                raise KeyError(f"parameter {name!r} missing (model {self.kind!r} needs {self.names})")
        return np.asarray(values, float)

    def with_f_out(self, theta_base, f_out: float = 0.0) -> np.ndarray:
        """A full vector from the halo parameters (``n_base`` values) and an outlier fraction
        (in [0, f_max]; ignored without a mixture)."""
        theta_base = check_array("theta_base", theta_base, finite=False)
        if theta_base.shape != (self.n_base,):
            raise ValueError(f"theta_base must be one vector of the {self.n_base} halo parameters, "
                             f"got shape {theta_base.shape}")
        if self.outliers is None:
            return theta_base
        return np.append(theta_base, check_real("f_out", f_out, low=0, high=self.outliers.f_max))
