"""A Milky Way + LMC test-particle simulation: what the reflex should look like (conventions §14).

Subpackage layout, bottom to top:

* `~halo_utils.lmc.bodies`: the LMC's potential, Chandrasekhar friction and the two-body
  orbit of the Milky Way and the LMC (`integrate_two_body`).
* `~halo_utils.lmc.milky_way`: the Milky Way with a halo of any mass, its monopole and
  enclosed mass.
* `~halo_utils.lmc.tracers`: a stellar halo of test particles in equilibrium, of any constant
  anisotropy (`draw_halo`).
* `~halo_utils.lmc.particles`: the particles integrated in the moving potentials.
* `~halo_utils.lmc.shells`: travel velocity, apex, means and dispersions measured in shells.
* `~halo_utils.lmc.simulation`: the suite of LMC masses on one halo (`simulate`), which
  `make data` caches (`halo_utils.mock.files`).
* `~halo_utils.lmc.suite`: one simulation per draw of a prior on the LMC's and the Milky
  Way's masses, the halo's anisotropy and the friction (`simulate_draw`); the suite itself
  runs in `halo_utils.lmc_suite`.
* `~halo_utils.lmc.observed`: particles seen from the Sun, in the data's columns.
* `~halo_utils.lmc.compression`, `~halo_utils.lmc.emulator`, `~halo_utils.lmc.calibration`: the
  simulation-based inference of the suite's parameters (statistics compressed to one number
  per parameter and one for the travel velocity, an emulated Gaussian likelihood sampled with
  emcee), its calibration on held-out simulations and the posterior predictive check.
* `~halo_utils.lmc.inference`: the LMC's mass from a summary of the data by a synthetic
  likelihood over the suite (`SyntheticLikelihood`); `halo_utils.lmc_mass` computes the
  summaries on mocks of the simulations.
"""

from .bodies import (gradient, G_KPC_MYR, KMS_TO_KPC_MYR, LMC_MASSES, LMC_PRESENT, MASS_WITHIN_8P7_KPC, ChandrasekharFriction,
                     TwoBodyOrbit, integrate_two_body, lmc_mass_within, lmc_potential, lmc_present_phase_space,
                     lmc_scale_radius)
from .milky_way import enclosed_mass, radial_force, scaled_milky_way
from .tracers import HaloTracers, draw_halo, jeans_sigma_r, relative_potential
from .particles import check_particle_settings, integrate_particles
from .shells import shell_profiles
from .simulation import ORBIT_STEP_MYR, SimulationConfig, simulate
from .suite import (PRIOR_PARAMETERS, SuiteConfig, SuitePrior, derived_masses, initial_conditions, simulate_draw,
                    travel_at)
from .observed import observed_particles
from .compression import LinearCompression
from .emulator import POSTERIOR_NAMES, GaussianEmulator, SuiteInference, SuitePosterior, quadratic_features
from .calibration import held_out_calibration, predictive_check, rank_uniformity
from .inference import MassPosterior, SyntheticLikelihood

__all__ = ["G_KPC_MYR", "KMS_TO_KPC_MYR", "LMC_MASSES", "LMC_PRESENT", "MASS_WITHIN_8P7_KPC",
           "ChandrasekharFriction", "TwoBodyOrbit", "integrate_two_body", "lmc_potential",
           "lmc_present_phase_space", "lmc_scale_radius", "lmc_mass_within", "gradient", "scaled_milky_way",
           "enclosed_mass", "HaloTracers", "draw_halo", "jeans_sigma_r",
           "radial_force", "relative_potential", "integrate_particles", "check_particle_settings", "shell_profiles", "ORBIT_STEP_MYR",
           "SimulationConfig", "simulate", "PRIOR_PARAMETERS", "SuiteConfig", "SuitePrior", "derived_masses",
           "initial_conditions", "simulate_draw", "travel_at", "observed_particles", "LinearCompression", "POSTERIOR_NAMES", "GaussianEmulator", "SuiteInference",
           "SuitePosterior", "quadratic_features", "held_out_calibration", "rank_uniformity", "predictive_check",
           "MassPosterior", "SyntheticLikelihood"]
