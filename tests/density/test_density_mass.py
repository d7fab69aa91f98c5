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
    log_m, inner = dens.stellar_mass_posterior(samples, m.free, m, inner=(1.0, 6.0), n_keep=2000,
                                               radius="ellipsoidal")
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
    with pytest.raises(ValueError, match="radius must be one of"):
        dens.stellar_mass_posterior(samples[:10], m.free, m, radius="cylindrical")


@pytest.mark.parametrize("r_min, r_max", [(1.0, 100.0), (1.0, 6.0), (10.0, 40.0)])
def test_spherical_shell_mass_against_monte_carlo(rng, gse_truth, r_min, r_max):
    """The quadrature against a Monte Carlo integral of the tilted density itself
    (`density`, through the rotation and r_q): points uniform in ln r and in direction give
    M = 4 pi ln(r_max / r_min) < r^3 rho >; the tolerance is 5 standard errors of that mean."""
    n = 400_000
    ln_r = rng.uniform(np.log(r_min), np.log(r_max), n)
    u = rng.standard_normal((3, n))
    pos = np.exp(ln_r) * u / np.linalg.norm(u, axis=0)
    shape = {k: gse_truth[k] for k in ("p", "q", "pitch", "yaw")}
    rho = dens.density(pos, total=10 ** gse_truth["log10_mass"], alphas=(gse_truth["alpha1"], gse_truth["alpha2"],
                       gse_truth["alpha3"]), breaks=(gse_truth["r1"], gse_truth["r2"]), **shape)
    integrand = 4 * np.pi * np.log(r_max / r_min) * np.exp(3 * ln_r) * rho
    expected, error = integrand.mean(), integrand.std() / np.sqrt(n)
    assert dens.spherical_shell_mass(gse_truth, r_min=r_min, r_max=r_max) == pytest.approx(expected, abs=5 * error)
    assert error / expected < 0.01  # the check can fail for a wrong answer


def test_spherical_shell_mass_limits(gse_truth):
    """A sphere's spherical and ellipsoidal masses agree; the spherical mass does not depend on
    the orientation; and it converges in the number of quadrature nodes."""
    sphere = {**gse_truth, "p": 1.0, "q": 1.0}
    assert dens.spherical_shell_mass(sphere, r_min=2.0, r_max=30.0) == pytest.approx(
        dens.stellar_mass(sphere, r_min=2.0, r_max=30.0), rel=1e-12)
    turned = {**gse_truth, "pitch": -60.0, "yaw": 10.0}
    assert dens.spherical_shell_mass(turned) == pytest.approx(dens.spherical_shell_mass(gse_truth), rel=1e-12)
    fine = dens.spherical_shell_mass(gse_truth, r_min=10.0, r_max=40.0, n_nodes=96)
    assert dens.spherical_shell_mass(gse_truth, r_min=10.0, r_max=40.0) == pytest.approx(fine, rel=1e-6)
    # r_q >= r (p, q <= 1): the sphere r < 100 kpc holds the whole ellipsoid r_q < 100 kpc and more
    assert dens.spherical_shell_mass(gse_truth, r_min=0.01) > dens.stellar_mass(gse_truth, r_min=0.01) * 1.001


def test_stellar_mass_posterior_spherical(gse_truth):
    """With radius="spherical" the posterior is `spherical_shell_mass` of each sample."""
    m = dens.get_model("triaxial_double_break")
    samples = np.array([m.vector(gse_truth), m.vector({**gse_truth, "q": 0.5})])
    log_m, inner = dens.stellar_mass_posterior(samples, m.free, m)
    for row, lm, f in zip(samples, log_m, inner):
        params = dict(zip(m.free, row))
        assert lm == pytest.approx(np.log10(dens.spherical_shell_mass(params)), rel=1e-12)
        assert f == pytest.approx(dens.spherical_shell_mass(params, r_min=1.0, r_max=6.0)
                                  / dens.spherical_shell_mass(params), rel=1e-12)


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
