"""What the figures share: class colours, the Sun's position, parameter labels, sky longitudes."""

from __future__ import annotations

import numpy as np

from ..frames import R0_KPC, Z_SUN_KPC, wrap_longitude

__all__ = ["CLASS_COLOURS", "SUN_XYZ", "PARAM_LABELS"]

#: Colour of each chemistry class (conventions §3).
CLASS_COLOURS = {"accreted": "tab:red", "insitu_high_alpha": "tab:blue", "insitu_low_alpha": "tab:cyan"}

#: The Sun's Galactocentric position, kpc.
SUN_XYZ = (-R0_KPC, 0.0, Z_SUN_KPC)

#: TeX labels of the density and reflex parameters for corner plots and tables.
PARAM_LABELS = {"alpha1": r"$\alpha_1$", "alpha2": r"$\alpha_2$", "alpha3": r"$\alpha_3$",
                "r1": r"$r_1$", "r2": r"$r_2$", "p": r"$p$", "q": r"$q$", "pitch": "pitch",
                "yaw": "yaw", "log10_mass": r"$\log_{10} M_\star$",
                "v_travel_x": r"$v_{\rm travel,x}$", "v_travel_y": r"$v_{\rm travel,y}$",
                "v_travel_z": r"$v_{\rm travel,z}$"}
_REFLEX_LABELS = {"v_travel": r"$v_{\rm travel}$", "L_MS": r"$L_{\rm MS}$", "B_MS": r"$B_{\rm MS}$",
                  "vr_mean": r"$\langle v_r\rangle$", "vphi_mean": r"$\langle v_\phi\rangle$",
                  "vtheta_mean": r"$\langle v_\theta\rangle$", "ln_sigma_los": r"$\ln\sigma_{\rm los}$",
                  "ln_sigma_l": r"$\ln\sigma_\ell$", "ln_sigma_b": r"$\ln\sigma_b$"}
for _base, _label in _REFLEX_LABELS.items():  # reflex parameters, bare and at the nodes
    PARAM_LABELS[_base] = _label
    for _r in (40, 120):
        PARAM_LABELS[f"{_base}_{_r}"] = f"{_label} ({_r})"
PARAM_LABELS["f_out"] = r"$f_{\rm out}$"  # the outlier fraction of the reflex mixture


def wrapped_longitude_rad(l_deg):
    """Galactic longitude in radians on [-pi, pi) for Mollweide axes (l = 0 at centre)."""
    return np.deg2rad(wrap_longitude(l_deg))
