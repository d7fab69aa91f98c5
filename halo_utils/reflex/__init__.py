"""The reflex response of the outer halo to the LMC (chapter 5; S004 after PP21).

Subpackage layout, bottom to top:

* `~halo_utils.reflex.sky`: Magellanic Stream <-> Galactic frames, apex vectors, bases.
* `~halo_utils.reflex.model`: `ReflexModel` (constant / continuity), `OutlierMixture`, priors.
* `~halo_utils.reflex.stars`: `ReflexStars` (per-star precomputation), `DistancePrior`.
* `~halo_utils.reflex.likelihood`: predictions, the (mixture) likelihood, outlier
  probabilities, standardised residuals.
* `~halo_utils.reflex.selection`: the outer-halo cuts with counts, sky subsamples.
* `~halo_utils.reflex.maps`: smoothed sky maps and binned profiles.
* `~halo_utils.reflex.fit`: `fit_reflex` (MLE, dynesty), `fit_reflex_clipped`, `ReflexFit`.
* `~halo_utils.reflex.compare`: side-by-side fits for the comparison tables.

Many-mock coverage studies draw from the mock, which sits above this subpackage, so they
live in `halo_utils.reflex_coverage`.
"""

from .model import BASE_NAMES, PRIOR_BOUNDS, R_NODES, OutlierMixture, ReflexModel
from .sky import apex_vector, galactic_to_ms, ms_to_galactic
from .stars import DISTANCE_TERMS, REFLEX_COLUMNS, DistancePrior, ReflexStars
from .likelihood import (LogLikelihood, halo_log_likelihoods, log_likelihood, model_galactic_velocities,
                         outlier_probabilities, predict_observables, residual_fractions, standardized_residuals)
from .selection import OuterHaloCuts, galactic_velocities, select_outer_halo, sky_subsamples
from .maps import binned_mean, quadrant_masks, smoothed_sky_mean
from .fit import AT_NAMES, ReflexFit, check_sample_size, fit_reflex, fit_reflex_clipped

__all__ = [
    "BASE_NAMES", "PRIOR_BOUNDS", "R_NODES", "OutlierMixture", "ReflexModel",
    "apex_vector", "galactic_to_ms", "ms_to_galactic",
    "DISTANCE_TERMS", "REFLEX_COLUMNS", "DistancePrior", "ReflexStars",
    "LogLikelihood", "halo_log_likelihoods", "log_likelihood", "model_galactic_velocities",
    "outlier_probabilities", "predict_observables", "residual_fractions", "standardized_residuals",
    "OuterHaloCuts", "galactic_velocities", "select_outer_halo", "sky_subsamples",
    "binned_mean", "quadrant_masks", "smoothed_sky_mean",
    "AT_NAMES", "ReflexFit", "check_sample_size", "fit_reflex", "fit_reflex_clipped",
]
