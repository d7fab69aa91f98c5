"""The reflex response of the outer halo to the LMC (chapter 5; conventions §11, S004 after PP21).

Subpackage layout, bottom to top:

* `~halo_utils.reflex.sky`: Magellanic Stream <-> Galactic frames, apex vectors, bases.
* `~halo_utils.reflex.radial`: how the nine base parameters depend on radius
  (`ConstantInRadius`, `LinearInRadius`; a new variant is a new `RadialDependence`).
* `~halo_utils.reflex.model`: `ReflexModel` (a radial dependence, priors and the optional
  `OutlierMixture`).
* `~halo_utils.reflex.stars`: `ReflexStars` (per-star precomputation), `DistancePrior`.
* `~halo_utils.reflex.likelihood`: predictions, the (mixture) likelihood, outlier
  probabilities, standardised residuals.
* `~halo_utils.reflex.gradient`: the likelihood's exact gradient and Hessian (JAX), and the
  maximum-likelihood objective in the fit's coordinates.
* `~halo_utils.reflex.selection`: the outer-halo cuts with counts, sky subsamples.
* `~halo_utils.reflex.maps`: smoothed sky maps, binned profiles, the LMC quadrants.
* `~halo_utils.reflex.statistics`: counts, means and dispersions of the velocities in sky
  quadrants and distance shells, measured alike on a catalogue and a simulation's mock.
* `~halo_utils.reflex.result`: `ReflexFit`, posterior quantities at any radius.
* `~halo_utils.reflex.fit`: `fit_reflex` (MLE, dynesty), `fit_reflex_clipped`.
* `~halo_utils.reflex.compare`: side-by-side fits for the comparison tables.

Many-mock coverage studies draw from the mock, which sits above this subpackage, so they
live in `halo_utils.reflex_coverage`.
"""

from .radial import BASE_NAMES, R_NODES, ConstantInRadius, LinearInRadius, RadialDependence
from .model import PRIOR_BOUNDS, OutlierMixture, ReflexModel
from .sky import apex_vector, galactic_to_ms, ms_to_galactic
from .stars import DISTANCE_TERMS, REFLEX_COLUMNS, DistancePrior, ReflexStars
from .likelihood import (LogLikelihood, halo_log_likelihoods, log_likelihood, model_galactic_velocities,
                         outlier_probabilities, predict_observables, residual_fractions, standardized_residuals)
from .gradient import log_likelihood_and_gradient, supports_gradient
from .selection import OuterHaloCuts, galactic_velocities, select_outer_halo, sky_subsamples
from .maps import binned_mean, lmc_quadrant_masks, smoothed_sky_mean
from .statistics import (DISTANCE_EDGES_KPC, SKY_QUADRANTS, VELOCITY_NAMES, KinematicStatistics,
                         kinematic_statistics, sky_quadrant)
from .result import AT_NAMES, ReflexFit
from .fit import NoCleanMaximum, check_sample_size, fit_reflex, fit_reflex_clipped

__all__ = [
    "BASE_NAMES", "R_NODES", "RadialDependence", "ConstantInRadius", "LinearInRadius",
    "PRIOR_BOUNDS", "OutlierMixture", "ReflexModel",
    "apex_vector", "galactic_to_ms", "ms_to_galactic",
    "DISTANCE_TERMS", "REFLEX_COLUMNS", "DistancePrior", "ReflexStars",
    "LogLikelihood", "halo_log_likelihoods", "log_likelihood", "model_galactic_velocities",
    "outlier_probabilities", "predict_observables", "residual_fractions", "standardized_residuals",
    "log_likelihood_and_gradient", "supports_gradient",
    "OuterHaloCuts", "galactic_velocities", "select_outer_halo", "sky_subsamples",
    "binned_mean", "lmc_quadrant_masks", "smoothed_sky_mean",
    "SKY_QUADRANTS", "VELOCITY_NAMES", "DISTANCE_EDGES_KPC", "KinematicStatistics", "kinematic_statistics",
    "sky_quadrant",
    "AT_NAMES", "ReflexFit",
    "NoCleanMaximum", "check_sample_size", "fit_reflex", "fit_reflex_clipped",
]
