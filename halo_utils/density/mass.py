"""The stellar mass of the traced population: its posterior, and what fraction of GSE it is.

The amplitude log10_mass is the mass (Msun) within 1 < r_q < 100 kpc of the population the
sample traces (conventions §7): the stars that survive the sample's non-spatial cuts. On a
mock, `traced_fraction` says what part of the component's selectable giants that is, so
that the fitted mass can be compared with the mock's truth.
"""

from __future__ import annotations

import numpy as np

from ..cuts import GSE_RADIAL_RANGE_KPC
from ..frames import galactocentric
from .models import stellar_mass

__all__ = ["stellar_mass_posterior", "traced_fraction"]


def stellar_mass_posterior(samples, names, model="triaxial_double_break", *, inner=(1.0, 6.0), n_keep=2000):
    """Stellar mass of posterior samples, and the fraction of it in an inner shell.

    Parameters
    ----------
    samples : ndarray, shape (n_samples, n_free)
        Flat posterior samples (e.g. ``fit_emcee(...)["samples"]``).
    names : sequence of str
        Parameter of each column (``fit_emcee(...)["names"]``).
    model : str or DensityModel
    inner : (float, float)
        Ellipsoidal radii (kpc) of the inner shell, e.g. the part inside the data's 6 kpc
        that is extrapolated from the inner slope.
    n_keep : int
        Every (n_samples // n_keep)-th sample is used (all if there are fewer than
        ``2 n_keep``).

    Returns
    -------
    log10_mass : ndarray
        log10 of the mass within 1 < r_q < 100 kpc, log10 Msun, per used sample.
    inner_fraction : ndarray
        Fraction of that mass within ``inner``, per used sample.
    """
    idx = {k: i for i, k in enumerate(names)}
    masses, fractions = [], []
    for row in samples[:: max(1, len(samples) // n_keep)]:
        p = {k: row[i] for k, i in idx.items()}
        masses.append(stellar_mass(p, model))
        fractions.append(stellar_mass(p, model, *inner) / masses[-1])
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
