"""Stellar mass of the traced population (conventions §7): posterior and traced fraction."""

import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.frames import galactocentric
from halo_utils.samples import selectable_component_mask


def test_stellar_mass_posterior_of_samples(rng, gse_truth):
    """log10_mass is by definition the mass in 1 < r_q < 100 kpc, so the posterior of log10 M
    is the log10_mass column of the used samples; the inner fraction is the shell-integral
    ratio of each sample's slopes and breaks."""
    m = dens.get_model("triaxial_double_break")
    n = 5000
    samples = np.array([m.vector(gse_truth)] * n)
    samples[:, m.free.index("log10_mass")] += 0.05 * rng.standard_normal(n)
    samples[:, m.free.index("alpha1")] += 0.1 * rng.standard_normal(n)
    log_m, inner = dens.stellar_mass_posterior(samples, m.free, m, inner=(1.0, 6.0), n_keep=2000)
    used = samples[::2]  # every (5000 // 2000)-th sample
    assert log_m.shape == inner.shape == (used.shape[0],)
    np.testing.assert_allclose(log_m, used[:, m.free.index("log10_mass")], rtol=1e-12)
    for row, frac in zip(used[:5], inner[:5]):
        alphas = (row[0], gse_truth["alpha2"], gse_truth["alpha3"])
        breaks = (gse_truth["r1"], gse_truth["r2"])
        expected = dens.shell_integral(alphas, breaks, 1.0, 6.0) / dens.shell_integral(alphas, breaks, 1.0, 100.0)
        assert frac == pytest.approx(expected, rel=1e-12)
    # few samples: all are used
    assert dens.stellar_mass_posterior(samples[:100], m.free, m)[0].size == 100


def test_traced_fraction(small_survey):
    """1 for a sample of every selectable giant in the radial range, about one half for every
    second one, and stars that are not selectable never count."""
    _, catalog, truth = small_survey
    good = selectable_component_mask(catalog, truth, "gse")
    r = np.asarray(galactocentric(catalog, n_mc=0)["r"])
    in_range = good & (r > 6.0) & (r < 60.0)
    assert in_range.sum() > 100
    everything = catalog[in_range | ~good]  # plus every non-selectable star
    assert dens.traced_fraction(catalog, good, everything) == 1.0
    half = catalog[np.flatnonzero(in_range)[::2]]
    assert dens.traced_fraction(catalog, good, half) == len(half) / in_range.sum()
    assert dens.traced_fraction(catalog, good, catalog[:0]) == 0.0
