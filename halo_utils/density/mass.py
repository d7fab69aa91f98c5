"""The stellar mass of the traced population: its posterior, and what fraction of GSE it is.

The amplitude log10_mass is the mass (Msun) within 1 < r_q < 100 kpc of the population the
sample traces (conventions §7): the stars that survive the sample's non-spatial cuts. The
mass in a shell of spherical Galactocentric radius, the radius the data's 6-60 kpc edge and
"the mass inside 6 kpc" are stated in, is `spherical_shell_mass`. On a mock,
`traced_fraction` says what part of the component's selectable giants that is, so that the
fitted mass can be compared with the mock's truth.
"""

from __future__ import annotations

import numpy as np

from ..cuts import GSE_RADIAL_RANGE_KPC
from ..frames import galactocentric
from .models import MASS_RANGE_KPC, get_model, stellar_mass

__all__ = ["MASS_RADII", "spherical_shell_mass", "stellar_mass_posterior", "traced_fraction"]

#: The radii a stellar mass can be stated in: ``"spherical"`` Galactocentric r or the
#: ellipsoidal ``"ellipsoidal"`` r_q of the model (conventions §7).
MASS_RADII = ("spherical", "ellipsoidal")


def _octant_nodes(n_nodes: int):
    """Gauss-Legendre nodes in (cos theta, phi) over one octant of directions, and their weights (sr)."""
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    mu, w_mu = 0.5 * (x + 1.0), 0.5 * w  # cos theta in [0, 1]
    phi, w_phi = 0.25 * np.pi * (x + 1.0), 0.25 * np.pi * w  # phi in [0, pi / 2]
    mu, phi = np.meshgrid(mu, phi, indexing="ij")
    return mu.ravel(), phi.ravel(), np.outer(w_mu, w_phi).ravel()


def spherical_shell_mass(params: dict, model="triaxial_double_break", r_min: float = 1.0, r_max: float = 100.0,
                         n_nodes: int = 16) -> float:
    """Stellar mass within r_min < r < r_max of spherical Galactocentric radius r.

    Along a direction n the ellipsoidal radius is r_q = s(n) r, with s^2 = n'_x^2 +
    (n'_y / p)^2 + (n'_z / q)^2 in the ellipsoid's axes, so the shell's mass is

        M_sph = 10**log10_mass / (4 pi p q I) * int dOmega s^-3 I(s r_min, s r_max),

    with I(a, b) the profile's analytic shell integral int_a^b u^2 f(u) du and I = I(1, 100)
    (conventions §7). A spherical shell is the same in every orientation, so the direction
    integral runs over one octant of the ellipsoid's frame (it is symmetric under the
    reflections of its axes), by Gauss-Legendre quadrature in cos theta and phi.

    Parameters
    ----------
    params : dict
        Free parameters of ``model``.
    model : str or DensityModel
    r_min, r_max : float
        Spherical radii of the shell, kpc.
    n_nodes : int
        Quadrature nodes per angle (n_nodes^2 directions; the integrand is smooth except where
        s r crosses a break, and 16 nodes give ~1e-6 relative accuracy for the default truth).

    Returns
    -------
    float
        Stellar mass, Msun.
    """
    m = get_model(model)
    full = m.complete(params)
    p, q = full["p"], full["q"]
    mu, phi, weight = _octant_nodes(n_nodes)
    sin2 = 1.0 - mu**2
    s = np.sqrt(sin2 * np.cos(phi) ** 2 + sin2 * np.sin(phi) ** 2 / p**2 + mu**2 / q**2)
    shells = np.array([m.profile.shell_integral(full, si * r_min, si * r_max) for si in s])
    direction_integral = 8.0 * np.sum(weight * shells / s**3)
    norm = m.profile.shell_integral(full, *MASS_RANGE_KPC)
    return 10.0 ** full["log10_mass"] * direction_integral / (4.0 * np.pi * p * q * norm)


def stellar_mass_posterior(samples, names, model="triaxial_double_break", *, inner=(1.0, 6.0), n_keep=2000,
                           radius="spherical"):
    """Stellar mass of posterior samples in 1 < radius < 100 kpc, and the fraction of it in an
    inner shell.

    Parameters
    ----------
    samples : ndarray, shape (n_samples, n_free)
        Flat posterior samples (e.g. ``fit_emcee(...)["samples"]``).
    names : sequence of str
        Parameter of each column (``fit_emcee(...)["names"]``).
    model : str or DensityModel
    inner : (float, float)
        Radii (kpc) of the inner shell, e.g. the part inside the data's 6 kpc that is
        extrapolated from the inner slope.
    n_keep : int
        Every (n_samples // n_keep)-th sample is used (all if there are fewer than
        ``2 n_keep``).
    radius : {"spherical", "ellipsoidal"}
        The radius both shells are in (`MASS_RADII`): spherical Galactocentric r
        (`spherical_shell_mass`) or the model's ellipsoidal r_q, in which the mass in
        1 < r_q < 100 kpc is log10_mass itself.

    Returns
    -------
    log10_mass : ndarray
        log10 of the mass within 1 < radius < 100 kpc, log10 Msun, per used sample.
    inner_fraction : ndarray
        Fraction of that mass within ``inner``, per used sample.
    """
    if radius not in MASS_RADII:
        raise ValueError(f"radius must be one of {MASS_RADII}, not {radius!r}")
    mass = stellar_mass if radius == "ellipsoidal" else spherical_shell_mass
    idx = {k: i for i, k in enumerate(names)}
    masses, fractions = [], []
    for row in samples[:: max(1, len(samples) // n_keep)]:
        p = {k: row[i] for k, i in idx.items()}
        masses.append(mass(p, model, *MASS_RANGE_KPC))
        fractions.append(mass(p, model, *inner) / masses[-1])
    return np.log10(masses), np.asarray(fractions)


def traced_fraction(catalog, selectable, traced, r_range=GSE_RADIAL_RANGE_KPC) -> float:
    """Fraction of a mock component's selectable giants that a sample traces.

    The denominator counts the ``selectable`` catalogue stars (those of one component that
    the selection function describes, `halo_utils.samples.selectable_component_mask`) with
    an observed Galactocentric radius inside ``r_range``; the numerator those of them in
    ``traced``.

    Parameters
    ----------
    catalog : Table
        The mock's catalogue.
    selectable : array_like of bool
        One flag per catalogue row.
    traced : Table
        The sample whose population the density fit describes (``star_id`` column), e.g. the
        GSE sample before its eccentricity cut when the kinematic completeness is modelled.
    r_range : (float, float)
        Galactocentric radius range of the sample, kpc.

    Returns
    -------
    float
        n_traced / n_selectable.
    """
    good = np.asarray(selectable, bool)
    r_obs = np.asarray(galactocentric(catalog[good], n_mc=0)["r"])
    n_selected = int(np.sum((r_obs > r_range[0]) & (r_obs < r_range[1])))
    n_traced = int(np.isin(traced["star_id"], catalog["star_id"][good]).sum())
    return n_traced / n_selected
