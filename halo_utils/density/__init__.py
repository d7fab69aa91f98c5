"""The density of the accreted halo: a Poisson forward model of the survey (chapters 3 and 4; S001).

A model is a geometry (a tilted triaxial ellipsoid or a nested variant) composed with a
radial profile (a power law with up to two breaks, or any other `Profile`), normalised by the
stellar mass in 1 < r_q < 100 kpc (conventions §7). Subpackage layout, bottom to top:

* `~halo_utils.density.components`: the base of a model's parts (parameters, priors,
  optimiser coordinates).
* `~halo_utils.density.geometry`: the ellipsoidal radius; `Spherical`, `Oblate`,
  `TriaxialAligned`, `Triaxial`.
* `~halo_utils.density.profiles`: broken power laws and their shell integrals; `PowerLaw`,
  `BrokenPowerLaw`, `Einasto`.
* `~halo_utils.density.models`: `DensityModel`, the registry of named models, priors, the
  tracer number density, stellar masses.
* `~halo_utils.density.selection`: `SelectionGrid` (the survey selection on nodes),
  `KinematicCompleteness`.
* `~halo_utils.density.likelihood`: `Stars`, the Poisson likelihood, AIC.
* `~halo_utils.density.gradient`: the likelihood's exact gradient (natural and optimiser
  coordinates).
* `~halo_utils.density.mle`: maximum likelihood and Laplace errors.
* `~halo_utils.density.profile_likelihood`: profile-likelihood ratios.
* `~halo_utils.density.recovery`: consistency with a known truth, coverage over mocks.
* `~halo_utils.density.sampling`: emcee.
* `~halo_utils.density.predictions`, `~halo_utils.density.mass`: counts, volumes, sky maps
  and stellar masses implied by a fit.

Drawing mock catalogues from a model sits above this subpackage, in
`halo_utils.mock.forward_mock`.
"""

from .geometry import (Geometry, Oblate, Spherical, Triaxial, TriaxialAligned, ellipsoidal_radius, monomials,
                       rotation_matrix, sun_side_major_axis)
from .profiles import BrokenPowerLaw, Einasto, PowerLaw, Profile, broken_power_law, density, shell_integral
from .models import (MODEL_NAMES, PARAM_NAMES, PRIOR_BOUNDS, DensityModel, check_params, get_model,
                     log_number_density, log_prior, stellar_mass)
from .selection import DISTANCE_RANGE_KPC, N_DISTANCE_NODES, KinematicCompleteness, SelectionGrid, apply_completeness
from .likelihood import Stars, aic, log_likelihood, log_probability, relative_likelihoods
from .gradient import (log_likelihood_and_gradient, log_probability_and_gradient,
                       profiled_log_likelihood_and_gradient, profiled_value_and_shape_gradient)
from .mle import fit_mle, laplace_errors, laplace_sigmas, profiled_log10_mass
from .profile_likelihood import profile_likelihood_ratio, profile_likelihood_ratios
from .recovery import coverage_table, laplace_ok, recovery_fit, truth_consistency
from .sampling import DensityPosterior, chain_report, fit_emcee, sample_posterior
from .predictions import effective_volume, node_radius, radial_counts, sky_counts
from .distance_errors import DISTANCE_ERROR_COLUMNS, fold_distance_errors, median_distance_error
from .mass import MASS_RADII, spherical_shell_mass, stellar_mass_posterior, traced_fraction

__all__ = [
    "rotation_matrix", "sun_side_major_axis", "ellipsoidal_radius", "monomials",
    "Geometry", "Spherical", "Oblate", "TriaxialAligned", "Triaxial",
    "broken_power_law", "shell_integral", "density", "Profile", "PowerLaw", "BrokenPowerLaw", "Einasto",
    "PARAM_NAMES", "PRIOR_BOUNDS", "MODEL_NAMES", "DensityModel", "get_model", "log_prior", "check_params",
    "stellar_mass", "log_number_density",
    "SelectionGrid", "DISTANCE_RANGE_KPC", "N_DISTANCE_NODES", "KinematicCompleteness", "apply_completeness",
    "Stars", "log_likelihood", "log_probability", "aic", "relative_likelihoods",
    "log_likelihood_and_gradient", "log_probability_and_gradient", "profiled_log_likelihood_and_gradient",
    "profiled_value_and_shape_gradient", "fit_mle", "laplace_errors", "laplace_sigmas", "profiled_log10_mass",
    "profile_likelihood_ratio", "profile_likelihood_ratios",
    "truth_consistency", "recovery_fit", "laplace_ok", "coverage_table",
    "DensityPosterior", "fit_emcee", "sample_posterior", "chain_report",
    "node_radius", "radial_counts", "effective_volume", "sky_counts",
    "DISTANCE_ERROR_COLUMNS", "fold_distance_errors", "median_distance_error",
    "MASS_RADII", "spherical_shell_mass", "stellar_mass_posterior", "traced_fraction",
]
