"""Figures of the compendium (matplotlib), by chapter topic. Each figure of a chapter is one
call here: functions take arrays, tables and dicts, draw on axes they are given or make, and
return the figure (or the axes). Colour limits that come from data are rounded to "nice"
values (`nice_limit`) and colour-bar ticks are round numbers (`add_colorbar`).

* `~halo_utils.plotting.sample`: the footprint, chemistry plane, velocity errors, eccentricity.
* `~halo_utils.plotting.maps`: sigma_r / beta maps, HEALPix maps, profiles, band widths.
* `~halo_utils.plotting.density`: posteriors, iso-density contours, sky and radial residuals, the
  ellipsoid's tilt.
* `~halo_utils.plotting.recovery`: coverage and mean pulls over mocks.
* `~halo_utils.plotting.outer_halo`: the outer-halo sample, the v_GSR sky, binned mean velocities,
  outlier probabilities and residuals.
* `~halo_utils.plotting.reflex`: the reflex profiles, the apex on the sky, travel vectors.
* `~halo_utils.plotting.lmc`: the LMC's orbits, the simulated reflex, the fit against the
  simulation, the Magellanic Stream signature and the LMC's mass.
* `~halo_utils.plotting.sbi`: the posterior of the LMC's and the Milky Way's masses, its
  calibration on held-out simulations, intervals side by side, and the posterior predictive
  check of a catalogue's statistics.
* `~halo_utils.plotting.published`: the papers' published measurements beside the mocks'
  results, labelled as published values (never as mock truth).
* `~halo_utils.plotting.common`: class colours, the Sun, parameter labels, nice colour limits
  and colour bars.
"""

from .common import CLASS_COLOURS, PARAM_LABELS, SUN_XYZ, add_colorbar, mollview_panel, nice_limit, nice_range
from .sample import binned_percentiles, plot_chemistry_plane, plot_eccentricity_feh, plot_footprint, plot_velocity_errors
from .maps import (density_contour, plot_band_widths, plot_dispersion_maps, plot_healpix_maps, plot_profile,
                   plot_radial_profiles, plot_sigma_beta_vs_accreted_fraction, plot_vs_accreted_fraction)
from .density import (plot_corner, plot_isodensity, plot_isodensity_planes, plot_profile_vs_literature,
                      plot_radial_density, plot_sky_residuals, plot_tilt_geometry)
from .recovery import plot_coverage, plot_coverage_panels, plot_mean_pulls
from .outer_halo import (plot_outer_halo_sample, plot_outlier_probabilities, plot_quadrant_profiles,
                         plot_standardized_residuals, plot_vgsr_sky, plot_vgsr_sky_bins)
from .reflex import (plot_apex_sky, plot_kinematic_profiles, plot_reflex_3d, plot_reflex_band,
                     plot_sgr_contamination, plot_travel_profiles, plot_travel_subsamples)
from .lmc import (plot_apex_and_lmc_orbit, plot_fit_vs_simulation, plot_lmc_mass_posterior, plot_lmc_orbits,
                  plot_ms_signature, plot_simulated_reflex)
from .sbi import SBI_LABELS, SBI_SCALES, plot_predictive_check, plot_sbi_calibration, plot_sbi_intervals, plot_sbi_posterior
from .published import (PROFILE_STYLES, SHORT_CITATIONS, PublishedProfile, draw_published_vs_radius,
                        published_apex_markers, published_density_profiles, published_label, published_values)

__all__ = [
    "CLASS_COLOURS", "SUN_XYZ", "PARAM_LABELS", "nice_limit", "nice_range", "add_colorbar", "mollview_panel",
    "plot_footprint", "plot_chemistry_plane", "plot_velocity_errors", "plot_eccentricity_feh", "binned_percentiles",
    "density_contour", "plot_dispersion_maps", "plot_healpix_maps", "plot_vs_accreted_fraction",
    "plot_sigma_beta_vs_accreted_fraction", "plot_profile", "plot_radial_profiles", "plot_band_widths",
    "plot_corner", "plot_isodensity", "plot_isodensity_planes", "plot_sky_residuals", "plot_radial_density",
    "plot_profile_vs_literature",
    "plot_tilt_geometry",
    "plot_coverage", "plot_coverage_panels", "plot_mean_pulls",
    "plot_outer_halo_sample", "plot_vgsr_sky", "plot_vgsr_sky_bins", "plot_quadrant_profiles", "plot_outlier_probabilities",
    "plot_standardized_residuals",
    "plot_reflex_band", "plot_travel_profiles", "plot_kinematic_profiles", "plot_apex_sky", "plot_sgr_contamination",
    "plot_travel_subsamples", "plot_reflex_3d",
    "plot_lmc_orbits", "plot_simulated_reflex", "plot_fit_vs_simulation", "plot_ms_signature",
    "plot_apex_and_lmc_orbit", "plot_lmc_mass_posterior",
    "SBI_LABELS", "SBI_SCALES", "plot_sbi_posterior", "plot_sbi_calibration", "plot_sbi_intervals", "plot_predictive_check",
    "SHORT_CITATIONS", "published_label", "draw_published_vs_radius", "published_apex_markers", "published_values",
    "PROFILE_STYLES", "PublishedProfile", "published_density_profiles",
]
