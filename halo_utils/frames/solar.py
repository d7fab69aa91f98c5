"""The package's Galactocentric frame and the solar frames a user may choose (conventions §1).

`GALCEN_FRAME` is the default: astropy's ``Galactocentric`` with its "v4.0" parameters
(R0 = 8.122 kpc, z_sun = 20.8 pc, v_sun = (12.9, 245.6, 7.78) km/s, roll 0). Another solar
position or velocity is one `solar_frame` spec (a name of `SOLAR_FRAMES` or a dict of
`SOLAR_FRAME_KEYS`); `frame_vectors` gives the rotation and solar offsets the transforms use.
"""

from __future__ import annotations

import numpy as np
import astropy.coordinates as coord
import astropy.units as u
from astropy.coordinates.builtin_frames.galactocentric import get_matrix_vectors

__all__ = ["GALCEN_FRAME", "R0_KPC", "Z_SUN_KPC", "SOLAR_FRAMES", "SOLAR_FRAME_KEYS", "solar_frame",
           "frame_vectors"]


with coord.galactocentric_frame_defaults.set("v4.0"):
    #: The package's default Galactocentric frame (astropy "v4.0" parameters).
    GALCEN_FRAME = coord.Galactocentric()

#: The Sun's distance from the Galactic centre (kpc) in `GALCEN_FRAME`; the Sun sits at
#: (x, y, z) = (-R0_KPC, 0, Z_SUN_KPC) to within 3e-5 kpc.
R0_KPC = float(GALCEN_FRAME.galcen_distance.to_value(u.kpc))
#: The Sun's height above the Galactic plane (kpc) in `GALCEN_FRAME`.
Z_SUN_KPC = float(GALCEN_FRAME.z_sun.to_value(u.kpc))

#: The solar parameters a user may set, with their units: the Sun's distance from the
#: Galactic centre (kpc), its height above the plane (pc) and its Galactocentric velocity
#: (vx, vy, vz, km/s). Anything not given keeps its astropy "v4.0" value.
SOLAR_FRAME_KEYS = {"galcen_distance": "kpc", "z_sun": "pc", "galcen_v_sun": "km/s"}

#: Named solar frames. ``"v4.0"``: astropy's defaults (GRAVITY 2018 R0 = 8.122 kpc,
#: Bennett & Bovy 2019 z_sun = 20.8 pc, Drimmel & Poggio 2018 v_sun = (12.9, 245.6, 7.78)
#: km/s). ``"pp21"``: the frame of Petersen & Penarrubia (2021): R0 = 8.3 kpc and
#: v_sun = (11.1, 244.24, 7.25) km/s (Schoenrich et al. 2010 peculiar motion on a 232 km/s
#: circular speed); z_sun keeps the v4.0 value, which PP21 do not state.
SOLAR_FRAMES = {
    "v4.0": {},
    "pp21": {"galcen_distance": 8.3, "galcen_v_sun": (11.1, 244.24, 7.25)},
}


def solar_frame(spec=None) -> coord.Galactocentric:
    """The Galactocentric frame described by ``spec``.

    Parameters
    ----------
    spec : None, str, dict or `~astropy.coordinates.Galactocentric`
        ``None`` or ``"v4.0"``: `GALCEN_FRAME`. A name in `SOLAR_FRAMES`. A dict with
        keys of `SOLAR_FRAME_KEYS` (plain numbers in the units given there, or astropy
        quantities) overriding the v4.0 values. A ``Galactocentric`` frame is returned as is.

    Raises
    ------
    ValueError
        For an unknown name or key, or a non-positive or non-finite value.
    """
    if spec is None:
        return GALCEN_FRAME
    if isinstance(spec, coord.Galactocentric):
        return spec
    if isinstance(spec, str):
        if spec not in SOLAR_FRAMES:
            raise ValueError(f"unknown solar frame {spec!r}; expected one of {sorted(SOLAR_FRAMES)} "
                             f"or a dict with keys {sorted(SOLAR_FRAME_KEYS)}")
        spec = SOLAR_FRAMES[spec]
    if not isinstance(spec, dict):
        raise TypeError(f"solar frame must be None, a name, a dict or a Galactocentric frame, "
                        f"got {type(spec).__name__}")
    unknown = set(spec) - set(SOLAR_FRAME_KEYS)
    if unknown:
        raise ValueError(f"unknown solar frame key(s) {sorted(unknown)}; expected {sorted(SOLAR_FRAME_KEYS)}")
    kwargs = {}
    for key, unit in SOLAR_FRAME_KEYS.items():
        if key not in spec:
            continue
        try:
            value = u.Quantity(spec[key], unit)
        except (TypeError, ValueError) as exc:  # a str, or a quantity in another unit
            raise ValueError(f"solar frame {key!r} must be a number in {unit} (or a quantity convertible "
                             f"to it), got {spec[key]!r}") from exc
        if not np.all(np.isfinite(value.value)):
            raise ValueError(f"solar frame {key!r} must be finite, got {spec[key]!r}")
        if key == "galcen_distance" and value.value <= 0:
            raise ValueError(f"solar frame 'galcen_distance' must be > 0 kpc, got {spec[key]!r}")
        if key == "galcen_v_sun":
            if value.shape != (3,):
                raise ValueError(f"solar frame 'galcen_v_sun' must be three numbers (vx, vy, vz) in km/s, "
                                 f"got {spec[key]!r}")
            value = coord.CartesianDifferential(value)
        kwargs[key] = value
    with coord.galactocentric_frame_defaults.set("v4.0"):
        return coord.Galactocentric(**kwargs)


def _frame_key(frame):
    v_sun = frame.galcen_v_sun
    v_sun = v_sun.d_xyz if hasattr(v_sun, "d_xyz") else v_sun.xyz  # a differential or a representation
    return (frame.galcen_distance.to_value(u.kpc), frame.z_sun.to_value(u.pc), frame.roll.to_value(u.deg),
            tuple(v_sun.to_value(u.km / u.s)), frame.galcen_coord.ra.deg, frame.galcen_coord.dec.deg)


_VECTORS = {}


def frame_vectors(frame=None):
    """``(R, x_sun, v_sun)`` of a Galactocentric frame (any `solar_frame` spec).

    ``R`` rotates ICRS Cartesian axes into Galactocentric ones; ``x_sun`` (kpc) and
    ``v_sun`` (km/s) are the Sun's Galactocentric position and velocity. Taken from
    astropy (`get_matrix_vectors`) and cached per frame.
    """
    if frame is None and None in _VECTORS:  # the default frame, on every call of the transforms
        return _VECTORS[None]
    frame = solar_frame(frame)
    key = _frame_key(frame)
    if key not in _VECTORS:
        rot, offset = get_matrix_vectors(frame)
        _VECTORS[key] = (np.asarray(rot), offset.get_xyz().to_value(u.kpc),
                         offset.differentials["s"].get_d_xyz().to_value(u.km / u.s))
    if frame is GALCEN_FRAME:
        _VECTORS[None] = _VECTORS[key]
    return _VECTORS[key]
