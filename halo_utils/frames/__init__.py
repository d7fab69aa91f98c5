"""The Galactocentric frame and velocity transformations (conventions §1).

Conventions: right-handed, the Sun at x < 0, disk rotation +y at the Sun, so prograde
orbits have L_z < 0 and V_phi < 0; spherical angles theta from +z and phi = atan2(y, x).
Every transform accepts a solar frame as ``frame=`` (any `solar_frame` spec; default
`GALCEN_FRAME`, astropy's "v4.0"), which the reflex fit and the outer-halo selection pass
on unchanged. Subpackage layout, bottom to top:

* `~halo_utils.frames.solar`: `GALCEN_FRAME`, the named solar frames, `solar_frame`,
  `frame_vectors`;
* `~halo_utils.frames.transforms`: ICRS <-> Galactocentric, spherical components,
  Galactic (l, b), `wrap_longitude`;
* `~halo_utils.frames.monte_carlo`: `galactocentric`, the Galactocentric quantities of
  catalogue stars with Monte Carlo errors.
"""

from .solar import GALCEN_FRAME, R0_KPC, SOLAR_FRAME_KEYS, SOLAR_FRAMES, Z_SUN_KPC, frame_vectors, solar_frame
from .transforms import (K_KMS, check_phase_space, galactic_lb, galactocentric_to_icrs, icrs_to_galactocentric,
                         spherical_components, spherical_to_cartesian_velocity, wrap_longitude)
from .monte_carlo import GALCEN_COLUMNS, galactocentric

__all__ = [
    "GALCEN_FRAME",
    "R0_KPC",
    "Z_SUN_KPC",
    "SOLAR_FRAMES",
    "SOLAR_FRAME_KEYS",
    "solar_frame",
    "frame_vectors",
    "K_KMS",
    "icrs_to_galactocentric",
    "galactocentric_to_icrs",
    "check_phase_space",
    "spherical_components",
    "spherical_to_cartesian_velocity",
    "galactic_lb",
    "wrap_longitude",
    "GALCEN_COLUMNS",
    "galactocentric",
]
