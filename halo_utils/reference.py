"""Literature reference data used across the package: satellites, the Magellanic Clouds and
the Sagittarius stream's coordinate frame.

A bottom-layer module: the cuts, the mock and the chapters all read their positions from
here, so each number has one definition.
"""

from __future__ import annotations

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from gala.coordinates import SagittariusLaw10

__all__ = ["SATELLITES", "MAGELLANIC_CLOUDS_LB", "LMC_LB", "sgr_latitude"]

#: Cold satellites: ICRS centre (deg), heliocentric distance (kpc), Plummer half-light
#: radius (deg), line-of-sight velocity (km/s), proper motion (mas/yr), stellar mass
#: (Msun) and [Fe/H]. Approximate literature values (McConnachie 2012; Gaia EDR3
#: systemic proper motions); the cut of chapter 1 uses the same positions.
SATELLITES = {
    "Draco": dict(ra=260.05, dec=57.92, distance=76.0, r_half=0.15, rv=-291.0,
                  pmra=0.044, pmdec=-0.188, mass=3e5, feh=-1.9),
    "Ursa Minor": dict(ra=227.28, dec=67.22, distance=76.0, r_half=0.14, rv=-247.0,
                       pmra=-0.182, pmdec=0.074, mass=3e5, feh=-2.1),
    "Sextans": dict(ra=153.26, dec=-1.61, distance=86.0, r_half=0.46, rv=224.0,
                    pmra=-0.41, pmdec=0.04, mass=5e5, feh=-1.9),
    "M92": dict(ra=259.28, dec=43.14, distance=8.5, r_half=0.03, rv=-120.0,
                pmra=-4.93, pmdec=-0.57, mass=3e5, feh=-2.3),
}

#: Galactic (l, b) of the LMC and the SMC, deg (McConnachie 2012).
MAGELLANIC_CLOUDS_LB = {"LMC": (280.47, -32.89), "SMC": (302.80, -44.30)}
#: Galactic (l, b) of the LMC, deg.
LMC_LB = MAGELLANIC_CLOUDS_LB["LMC"]


def sgr_latitude(ra_deg, dec_deg):
    """Sagittarius-stream coordinates (Lambda, B) in deg (gala `SagittariusLaw10`)."""
    sgr = coord.SkyCoord(ra=np.asarray(ra_deg) * u.deg, dec=np.asarray(dec_deg) * u.deg).transform_to(
        SagittariusLaw10())
    return sgr.Lambda.wrap_at(360 * u.deg).to_value(u.deg), sgr.Beta.to_value(u.deg)
