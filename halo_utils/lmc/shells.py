"""What the reflex looks like, measured directly from particles in radial shells (conventions §14).

In the frame of the inner Galaxy the reflex model's mean velocity is
v_mean = -v_travel n_apex + <v_r> e_r + <v_theta> e_theta + <v_phi> e_phi; over a shell that
covers the whole sky the last three average out of the Cartesian mean, so the shell's mean
velocity is -v_travel n_apex: the travel velocity is minus the shell's bulk velocity, as
S004 (appendix C) and Yaaqib, Petersen & Penarrubia (2024) measure it in simulations. The
apex is given in Galactic (l, b) and Magellanic Stream (L_MS, B_MS) coordinates with the
conventions of `halo_utils.reflex` (a direction's (l, b) are its angles in Galactocentric
axes). Errors are the shot noise of the shell's particles (sigma / sqrt(N) per component).
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from ..frames import spherical_components
from ..reflex.sky import MS_TO_GAL, angles
from ..validation import check_array

__all__ = ["shell_profiles"]


def shell_profiles(pos, vel, edges) -> Table:
    """Travel velocity, apex, bulk means and dispersions of the particles in each radial shell.

    Parameters
    ----------
    pos, vel : array_like, shape (3, n)
        Positions (kpc) and velocities (km/s) in the frame of the inner Galaxy.
    edges : array_like
        Increasing shell edges in Galactocentric radius, kpc.

    Returns
    -------
    astropy.table.Table
        One row per shell: ``r_lo``, ``r_hi``, ``r_mid`` (kpc), ``n``; ``v_travel`` and its
        Cartesian components ``v_travel_x/y/z`` (km/s) with ``v_travel_err`` (shot noise of
        one component), ``l_apex``, ``b_apex``, ``L_MS``, ``B_MS`` (deg); ``vr_mean``,
        ``vtheta_mean``, ``vphi_mean``, ``sigma_r``, ``sigma_theta``, ``sigma_phi`` (km/s)
        and ``beta`` = 1 - (sigma_theta^2 + sigma_phi^2) / (2 sigma_r^2). A shell with fewer
        than two particles has NaN, and so has the apex of a shell with no bulk motion.
    """
    pos = check_array("pos", pos, unit="kpc")
    vel = check_array("vel", vel, unit="km/s")
    if pos.ndim != 2 or pos.shape[0] != 3 or vel.shape != pos.shape:
        raise ValueError(f"pos and vel must both have shape (3, n), got {pos.shape} and {vel.shape}")
    edges = check_array("edges", edges, ndim=1, min_size=2, low=0, unit="kpc")
    if np.any(np.diff(edges) <= 0):
        raise ValueError(f"edges must increase, got {edges.tolist()}")
    r = np.linalg.norm(pos, axis=0)
    sph = spherical_components(pos, vel)
    v_r, v_theta, v_phi = sph["V_r"], sph["V_theta"], sph["V_phi"]
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (r >= lo) & (r < hi)
        n = int(m.sum())
        row = {"r_lo": lo, "r_hi": hi, "r_mid": 0.5 * (lo + hi), "n": n}
        if n < 2:
            rows.append({**row, **{k: np.nan for k in _COLUMNS}})
            continue
        travel = -vel[:, m].mean(axis=1)
        if np.any(travel):
            (l_apex, b_apex), (L_ms, B_ms) = angles(travel), angles(travel @ MS_TO_GAL)
        else:  # no bulk motion at all (mirror pairs without the LMC): no apex
            l_apex = b_apex = L_ms = B_ms = np.nan
        sig = [float(np.std(c[m], ddof=1)) for c in (v_r, v_theta, v_phi)]
        row.update(v_travel=float(np.linalg.norm(travel)), v_travel_x=travel[0], v_travel_y=travel[1],
                   v_travel_z=travel[2], v_travel_err=float(np.sqrt(np.mean(np.var(vel[:, m], axis=1, ddof=1)) / n)),
                   l_apex=float(l_apex), b_apex=float(b_apex), L_MS=float(L_ms), B_MS=float(B_ms),
                   vr_mean=float(v_r[m].mean()), vtheta_mean=float(v_theta[m].mean()),
                   vphi_mean=float(v_phi[m].mean()), sigma_r=sig[0], sigma_theta=sig[1], sigma_phi=sig[2],
                   beta=1.0 - (sig[1]**2 + sig[2]**2) / (2.0 * sig[0]**2))
        rows.append(row)
    return Table(rows=rows, names=["r_lo", "r_hi", "r_mid", "n", *_COLUMNS])


_COLUMNS = ("v_travel", "v_travel_x", "v_travel_y", "v_travel_z", "v_travel_err", "l_apex", "b_apex", "L_MS",
            "B_MS", "vr_mean", "vtheta_mean", "vphi_mean", "sigma_r", "sigma_theta", "sigma_phi", "beta")
