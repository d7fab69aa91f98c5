"""Figures of the compendium (matplotlib), by chapter topic. Functions draw on axes they are
given or make, and return them (or the figure).

* `~halo_utils.plotting.sample`: the footprint, chemistry plane, velocity errors, eccentricity.
* `~halo_utils.plotting.maps`: sigma_r / beta maps, HEALPix maps, profiles, band widths.
* `~halo_utils.plotting.density`: posteriors, iso-density contours, sky and radial residuals, the
  ellipsoid's tilt, coverage and mean pulls over mocks.
* `~halo_utils.plotting.reflex`: the reflex profiles and the apex on the sky.
* `~halo_utils.plotting.published`: the papers' published measurements beside the mocks'
  results, labelled as published values (never as mock truth).
* `~halo_utils.plotting.common`: class colours, the Sun, parameter labels.
"""

from .common import CLASS_COLOURS, PARAM_LABELS, SUN_XYZ
from .sample import binned_percentiles, plot_chemistry_plane, plot_eccentricity_feh, plot_footprint, plot_velocity_errors
from .maps import (density_contour, plot_band_widths, plot_dispersion_maps, plot_healpix_maps, plot_profile,
                   plot_vs_accreted_fraction)
from .density import (plot_corner, plot_coverage, plot_isodensity, plot_mean_pulls, plot_radial_density,
                      plot_sky_residuals, plot_tilt_geometry)
from .reflex import plot_apex_sky, plot_reflex_band
from .published import (SHORT_CITATIONS, draw_published_vs_radius, published_apex_markers, published_label,
                        published_values)

__all__ = [
    "CLASS_COLOURS", "SUN_XYZ", "PARAM_LABELS",
    "plot_footprint", "plot_chemistry_plane", "plot_velocity_errors", "plot_eccentricity_feh", "binned_percentiles",
    "density_contour", "plot_dispersion_maps", "plot_healpix_maps", "plot_vs_accreted_fraction", "plot_profile",
    "plot_band_widths",
    "plot_corner", "plot_isodensity", "plot_sky_residuals", "plot_radial_density", "plot_tilt_geometry", "plot_coverage",
    "plot_mean_pulls",
    "plot_reflex_band", "plot_apex_sky",
    "SHORT_CITATIONS", "published_label", "draw_published_vs_radius", "published_apex_markers", "published_values",
]
