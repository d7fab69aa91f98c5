"""Stellar populations of the mocks: chemistry and surface gravity.

Each relation is a function of standard-normal deviates that the caller draws, so that a
mock keeps its own order of random draws (the survey draws [a/Fe] right after [Fe/H], the
forward-model mock draws the velocities' errors in between) while the formula is written
once (conventions §4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Chemistry", "giant_logg", "dwarf_logg"]


@dataclass(frozen=True)
class Chemistry:
    """[Fe/H] and [a/Fe] of a stellar population, dex.

    [Fe/H] = ``feh_mean`` + ``feh_sd`` z1 and
    [a/Fe] = ``afe_at_pivot`` + ``afe_slope`` ([Fe/H] - ``feh_pivot``) + ``afe_sd`` z2,
    with z1, z2 standard-normal deviates.

    Attributes
    ----------
    feh_mean, feh_sd : float
        Mean and dispersion of [Fe/H], dex.
    afe_at_pivot : float
        Mean [a/Fe] at [Fe/H] = ``feh_pivot``, dex.
    afe_slope : float
        d[a/Fe] / d[Fe/H] (0: [a/Fe] independent of [Fe/H]).
    feh_pivot : float
        [Fe/H] of ``afe_at_pivot``, dex.
    afe_sd : float
        Scatter of [a/Fe] about the relation, dex.
    """

    feh_mean: float
    feh_sd: float
    afe_at_pivot: float
    afe_slope: float
    feh_pivot: float
    afe_sd: float

    def feh(self, z):
        """[Fe/H] (dex) of standard-normal deviates ``z``."""
        return self.feh_mean + self.feh_sd * z

    def afe(self, feh, z):
        """[a/Fe] (dex) of stars with [Fe/H] ``feh`` (dex) and standard-normal deviates ``z``."""
        return self.afe_at_pivot + self.afe_slope * (feh - self.feh_pivot) + self.afe_sd * z

    def draw(self, n: int, rng: np.random.Generator):
        """([Fe/H], [a/Fe]) of ``n`` stars (dex): n deviates for [Fe/H], then n for [a/Fe]."""
        feh = self.feh(rng.standard_normal(n))
        return feh, self.afe(feh, rng.standard_normal(n))


def giant_logg(abs_mag):
    """True log g (dex, cgs) of a giant of absolute magnitude ``abs_mag`` (M_r, mag).

    log g = 3.3 + 0.5 (M_r - 2.5): 0.55-3.3 along the giant branch (-3 <= M_r <= 2.5),
    every giant below the log g = 3.5 cut by more than 3 sigma of its error.
    """
    return 3.3 + 0.5 * (abs_mag - 2.5)


def dwarf_logg(abs_mag, z):
    """True log g (dex, cgs) of a main-sequence dwarf: 4.1 + 0.1 (M_r - 3.5) + 0.05 z.

    ``abs_mag`` is M_r (mag, 3.5-7.5) and ``z`` a standard-normal deviate, so log g is
    4.1-4.5 with a 0.05 dex scatter.
    """
    return 4.1 + 0.1 * (abs_mag - 3.5) + 0.05 * z
