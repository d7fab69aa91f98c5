"""Velocity-dispersion and anisotropy maps with Monte Carlo errors (chapter 2; conventions §6, S000).

Subpackage layout, bottom to top:

* `~halo_utils.maps.dispersion`: the Monte Carlo dispersion core every map shares
  (cell membership, `binned_dispersion`, `keep_mask`) and its conventions;
* `~halo_utils.maps.grid`: maps on a square grid of a Galactocentric projection;
* `~halo_utils.maps.sky`: maps per HEALPix pixel, and the four (l, b) sky quadrants;
* `~halo_utils.maps.radial`: profiles in radial shells (sigma and beta);
* `~halo_utils.maps.coverage`: how often a map's bands cover the truth;
* `~halo_utils.maps.comparison`: hotter or colder, shell by shell and across the plane.
"""

from .dispersion import RESAMPLINGS, binned_dispersion, bootstrap_counts, keep_mask, membership_from_labels, \
    resample_weights
from .grid import grid_centres, grid_dispersion, grid_membership
from .sky import SKY_QUADRANTS, check_nside, healpix_dispersion, healpix_pixels, sky_quadrant_masks
from .radial import anisotropy, radial_profile
from .coverage import band_coverage, population_coverage
from .comparison import compare_profiles, hemisphere_dispersion

__all__ = [
    "grid_centres",
    "grid_membership",
    "grid_dispersion",
    "healpix_dispersion",
    "radial_profile",
    "anisotropy",
    "binned_dispersion",
    "membership_from_labels",
    "healpix_pixels",
    "check_nside",
    "band_coverage",
    "population_coverage",
    "keep_mask",
    "bootstrap_counts",
    "resample_weights",
    "RESAMPLINGS",
    "SKY_QUADRANTS",
    "sky_quadrant_masks",
    "compare_profiles",
    "hemisphere_dispersion",
]
