"""Figures of the Milky Way + LMC simulations and the LMC's mass (chapter 6): the orbits, the
simulated reflex, the fit against the simulation, the signature along the Magellanic Stream,
the apex and the LMC's past orbit on the sky, and the mass posterior."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..reflex.sky import angles
from .reflex import plot_apex_sky

__all__ = ["plot_lmc_orbits", "plot_simulated_reflex", "plot_fit_vs_simulation", "plot_ms_signature",
           "plot_apex_and_lmc_orbit", "plot_lmc_mass_posterior"]


def _mass_label(mass: float, unit: str = r"$\times10^{11}\,M_\odot$") -> str:
    return f"{mass / 1e11:g}" + unit


def plot_lmc_orbits(orbits, masses):
    """The LMC's orbit for each simulated mass (conventions §14): its distance from the Milky
    Way's centre (top, log scale) and how far that centre has moved from where it is today
    (bottom), against time (Gyr, today at 0).

    Parameters
    ----------
    orbits : Table
        The suite's orbits: ``lmc_mass`` (Msun), ``t`` (Myr) and the centres' positions
        ``x_lmc``, ``y_lmc``, ``z_lmc``, ``x_mw``, ``y_mw``, ``z_mw`` (kpc).
    masses : array_like
        LMC masses to draw (Msun); a mass of 0 (no LMC) is skipped.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for m in np.asarray(masses, float):
        if m <= 0:
            continue
        o = orbits[np.asarray(orbits["lmc_mass"], float) == m]
        sep = np.sqrt(sum((np.asarray(o[f"{a}_lmc"]) - np.asarray(o[f"{a}_mw"])) ** 2 for a in "xyz"))
        shift = np.sqrt(sum(np.asarray(o[f"{a}_mw"]) ** 2 for a in "xyz"))
        t_gyr = np.asarray(o["t"], float) / 1e3
        ax1.plot(t_gyr, sep, label=_mass_label(m))
        ax2.plot(t_gyr, shift)
    ax1.set_ylabel("LMC - MW distance [kpc]")
    ax1.set_yscale("log")
    ax1.legend(fontsize=8, title="LMC mass", title_fontsize=8)
    ax2.set_ylabel("MW centre from today's [kpc]")
    ax2.set_xlabel("time [Gyr]")
    return fig


def plot_simulated_reflex(shells: dict, *, fit_range=None):
    """The simulated reflex in radial shells around the inner Galaxy (S004 figs 6-7): the
    travel velocity (km/s, with its error) and the apex's Galactic l and b (deg) against
    Galactocentric radius, one curve per LMC mass; the run without the LMC dotted.

    Parameters
    ----------
    shells : dict
        ``{LMC mass (Msun): Table}`` of `~halo_utils.lmc.shell_profiles`: ``r_mid`` (kpc),
        ``v_travel``, ``v_travel_err`` (km/s), ``l_apex``, ``b_apex`` (deg).
    fit_range : (float, float), optional
        Radial range of the fits, kpc, shaded grey.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
    for m, t in shells.items():
        if m == 0:
            axes[0].plot(t["r_mid"], t["v_travel"], "k:", label="no LMC")
            continue
        lab = _mass_label(m)
        axes[0].errorbar(t["r_mid"], t["v_travel"], yerr=t["v_travel_err"], label=lab, capsize=0)
        axes[1].plot(t["r_mid"], t["l_apex"], label=lab)
        axes[2].plot(t["r_mid"], t["b_apex"], label=lab)
    axes[0].set_ylabel(r"$v_{\rm travel}$ [km/s]")
    axes[1].set_ylabel(r"apex $\ell$ [deg]")
    axes[2].set_ylabel(r"apex $b$ [deg]")
    for ax in axes:
        ax.set_xlabel(r"$r_{\rm gal}$ [kpc]")
        if fit_range is not None:
            ax.axvspan(*fit_range, color="0.9", zorder=0, label="fitted range" if ax is axes[0] else None)
    axes[0].legend(fontsize=8)
    return fig


def plot_fit_vs_simulation(fit, radii, *, simulation=None, r_kpc: float = 100.0):
    """A reflex fit against the simulation it was drawn from (S004 appendix C): the fit's 68 %
    and 95 % bands of v_travel (km/s) and the apex latitude b (deg) against Galactocentric
    radius with the simulated shells over them, and the posterior of the Cartesian travel
    velocity at ``r_kpc`` with the simulated values dashed.

    Parameters
    ----------
    fit : ReflexFit
        A continuity-model fit (`~halo_utils.reflex.fit_reflex`).
    radii : array_like
        Galactocentric radii of the bands, kpc; the panels span them with 10 kpc to spare.
    simulation : Table, optional
        The simulation's shells (`~halo_utils.lmc.shell_profiles`: ``r_mid``, ``v_travel``,
        ``v_travel_err``, ``b_apex``, ``v_travel_x/y/z``).
    r_kpc : float
        Radius of the Cartesian travel velocity, kpc.

    Returns
    -------
    matplotlib.figure.Figure
    """
    radii = np.asarray(radii, float)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
    for ax, q, label in ((axes[0], "v_travel", r"$v_{\rm travel}$ [km/s]"), (axes[1], "b_apex", r"apex $b$ [deg]")):
        band = np.array([np.percentile(fit.draws_at(r)[q], [2.5, 16, 50, 84, 97.5]) for r in radii])
        ax.fill_between(radii, band[:, 0], band[:, 4], color="tab:red", alpha=0.2, lw=0, label="fit, 95 %")
        ax.fill_between(radii, band[:, 1], band[:, 3], color="tab:red", alpha=0.4, lw=0, label="fit, 68 %")
        if simulation is not None:
            ax.errorbar(simulation["r_mid"], simulation[q], yerr=simulation["v_travel_err"] if q == "v_travel" else None,
                        fmt="k.-", label="simulation")
        ax.set_xlim(radii.min() - 10, radii.max() + 10)
        ax.set_xlabel(r"$r_{\rm gal}$ [kpc]")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    draws = fit.draws_at(r_kpc)
    for i, c in enumerate("xyz"):
        axes[2].hist(draws[f"v_travel_{c}"], bins=40, histtype="step", density=True, color=f"C{i}",
                     label=r"$v_{\rm travel," + c + "}$")
        if simulation is not None:
            axes[2].axvline(float(np.interp(r_kpc, simulation["r_mid"], simulation[f"v_travel_{c}"])), color=f"C{i}",
                            ls="--")
    axes[2].set_xlabel(f"Cartesian travel velocity at {r_kpc:g} kpc [km/s]"
                       + ("; dashed: simulation" if simulation is not None else ""))
    axes[2].set_ylabel("posterior density [1 / (km/s)]")
    axes[2].legend(fontsize=8)
    return fig


def plot_ms_signature(panels: list):
    """Binned mean velocities along the Magellanic Stream (S004 fig 13), one panel per
    velocity: the data with bootstrap errors, the reflex fit's prediction at the data's
    positions and every simulation observed the same way (thicker: heavier; no LMC dotted).

    Parameters
    ----------
    panels : list of dict
        One per panel, each with ``data`` and ``model`` (`~halo_utils.reflex.binned_mean`
        tables: ``x_mid`` (deg), ``mean``, ``err`` (km/s)), ``simulations`` (``{LMC mass
        (Msun): binned mean}``), ``xlabel`` and ``ylabel`` (without the unit, km/s).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 3.3 * len(panels)), squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        sims = panel["simulations"]
        heaviest = max(sims) if sims else None
        for m, prof in sims.items():
            ax.plot(prof["x_mid"], prof["mean"], color="tab:blue", lw=0.5 + 1.5 * m / max(heaviest, 1.0),
                    ls=":" if m == 0 else "-", label="simulations (thicker: heavier)" if m == heaviest else None)
        ax.plot(panel["model"]["x_mid"], panel["model"]["mean"], color="tab:red", label="continuity fit (pure reflex)")
        data = panel["data"]
        ax.errorbar(data["x_mid"], data["mean"], yerr=data["err"], fmt="ko", label="data")
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel(panel["ylabel"] + ", $b < 0$ [km/s]")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_apex_and_lmc_orbit(draws_l, draws_b, orbits, shells: dict, *, track_mass: float, r_kpc: float = 100.0,
                            t_min_myr: float = -1500.0):
    """The fitted reflex apex on the sky (S004 fig 6, top; `plot_apex_sky`) with the simulated
    apices at ``r_kpc`` for every LMC mass (larger: heavier) and the LMC's past orbit seen from
    the Galactic centre since ``t_min_myr``, for the mass ``track_mass``; its position today
    is a black star.

    Parameters
    ----------
    draws_l, draws_b : array_like
        The fit's apex at ``r_kpc`` for each posterior draw (Galactic l, b in deg).
    orbits : Table
        The suite's orbits (see `plot_lmc_orbits`).
    shells : dict
        ``{LMC mass (Msun): shell Table}`` (see `plot_simulated_reflex`).
    track_mass : float
        LMC mass (Msun) whose orbit is drawn.
    r_kpc : float
        Radius of the apices, kpc.
    t_min_myr : float
        Start of the orbit's track, Myr (today is 0).

    Returns
    -------
    matplotlib Axes
    """
    o = orbits[(np.asarray(orbits["lmc_mass"], float) == track_mass) & (np.asarray(orbits["t"], float) >= t_min_myr)]
    rel = np.column_stack([np.asarray(o[f"{a}_lmc"]) - np.asarray(o[f"{a}_mw"]) for a in "xyz"])
    orbit_l, orbit_b = angles(rel)  # direction from the Galactic centre, the apex's convention
    marks = [(orbit_l[-1], orbit_b[-1], dict(marker="*", s=150, color="k", label="LMC today (from the GC)"))]
    heaviest = max(shells)
    for m in sorted(m for m in shells if m > 0):
        at = shells[m]
        l_m, b_m = (float(np.interp(r_kpc, at["r_mid"], at[k])) for k in ("l_apex", "b_apex"))
        marks.append((l_m, b_m, dict(marker="o", s=10 + 30 * m / heaviest, color="tab:blue",
                                     label=f"simulated apex at {r_kpc:g} kpc" if m == heaviest else None)))
    track = (orbit_l, orbit_b, dict(color="0.5", lw=1.5, label=f"LMC past {-t_min_myr / 1e3:g} Gyr "
                                                               f"({track_mass / 1e11:g}e11)"))
    return plot_apex_sky(draws_l, draws_b, markers=marks, track=track)


def plot_lmc_mass_posterior(calibration, observed, posterior, *, names, true_mass=None):
    """Weighing the LMC (conventions §14): the fitted travel vector of every calibration mock
    against its simulated LMC mass, with the data's values as dashed lines (left), and the
    posterior density of the mass with its 68 % interval shaded (right).

    Parameters
    ----------
    calibration : Table
        One row per calibration mock: ``lmc_mass`` (Msun) and the summary columns ``names``
        (km/s; `~halo_utils.lmc_mass.simulation_summaries`).
    observed : array_like
        The data's summary, in the order of ``names`` (km/s).
    posterior : MassPosterior
        `~halo_utils.lmc_mass.estimate_lmc_mass`: ``grid`` (Msun), ``density`` (1/Msun) and
        ``interval(level)``.
    names : sequence of str
        The summary's components.
    true_mass : float, optional
        The mock's LMC mass (Msun), drawn red.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4))
    mass = np.asarray(calibration["lmc_mass"], float) / 1e11
    for i, n in enumerate(names):
        ax1.plot(mass + 0.02 * (i - 1), np.asarray(calibration[n], float), ".", color=f"C{i}", alpha=0.4)
        ax1.axhline(observed[i], color=f"C{i}", ls="--", lw=1, label=n + " (data)")
    ax1.set_xlabel(r"simulated $M_{\rm LMC}$ [$10^{11}\,M_\odot$]")
    ax1.set_ylabel("fitted travel vector [km/s]")
    ax1.legend(fontsize=8)
    lo68, hi68 = posterior.interval(68)
    ax2.plot(posterior.grid / 1e11, posterior.density * 1e11, "k")
    ax2.axvspan(lo68 / 1e11, hi68 / 1e11, color="0.8", zorder=0, label="68 %")
    if true_mass is not None:
        ax2.axvline(true_mass / 1e11, color="tab:red", label="the mock's mass")
    ax2.set_xlabel(r"$M_{\rm LMC}$ [$10^{11}\,M_\odot$]")
    ax2.set_ylabel(r"posterior density [1 / $10^{11}\,M_\odot$]")
    ax2.legend(fontsize=8)
    return fig
