"""Profile-likelihood ratios (conventions §9): quadratic near a smooth maximum, re-maximised over correlations."""

import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.density.profile_likelihood import _constrained


def test_profile_likelihood_ratio_matches_laplace_for_a_smooth_likelihood(rng, full_sky_nodes):
    """Near a smooth maximum 2 Delta lnL at MLE + k sigma is k^2 (a quadratic likelihood)."""
    pos, w = full_sky_nodes(6.0, 60.0, n_r=200, nside=4)
    survey = dens.SelectionGrid.from_nodes(pos, w)
    # a spherical r^-3 power law seen over the whole 6-60 kpc shell: dN/dr ~ r^-1
    n = 4000
    r = 6.0 * 10.0 ** rng.uniform(size=n)
    vec = rng.standard_normal((3, n))
    stars = dens.Stars(r * vec / np.linalg.norm(vec, axis=0))
    model = "spherical_no_break"
    fit = dens.fit_mle(stars, survey, model, n_starts=2, rng=rng, start={"alpha1": 3.0})
    assert fit["params"]["alpha1"] == pytest.approx(3.0, abs=0.1)
    sig = dens.laplace_errors(fit, stars, survey)["sigma"]
    assert dens.profile_likelihood_ratio(fit, stars, survey, "alpha1", fit["params"]["alpha1"]) < 0.01
    for name in ("alpha1", "log10_mass"):
        for k in (-2.0, 1.0, 2.0):
            lr = dens.profile_likelihood_ratio(fit, stars, survey, name, fit["params"][name] + k * sig[name])
            assert lr == pytest.approx(k**2, rel=0.15), (name, k, lr)
    with pytest.raises(ValueError, match="not a free parameter"):
        dens.profile_likelihood_ratio(fit, stars, survey, "pitch", 0.0)
    # a held value outside the prior leaves no valid start: NaN (a miss in `coverage_table`), not an error
    lo, hi = dens.get_model(model).bounds["alpha1"]
    assert np.isnan(dens.profile_likelihood_ratios(fit, stars, survey, {"alpha1": hi + 1.0})["alpha1"])


def test_profile_likelihood_re_maximises_correlated_parameters(rng, full_sky_nodes):
    """With p and q correlated, 2 Delta lnL at p = MLE + k sigma_p (marginal Laplace sigma) is
    k^2 only if q is re-maximised; holding q at its MLE would give k^2 / (1 - rho^2)."""
    pos, w = full_sky_nodes(6.0, 60.0, n_r=200, nside=8)
    survey = dens.SelectionGrid.from_nodes(pos, w)
    # an aligned triaxial r_q^-3 law (p = 0.8, q = 0.6) seen inside the spherical 6-60 kpc shell
    r_q = 3.0 * (80.0 / 3.0) ** rng.uniform(size=40000)
    vec = rng.standard_normal((3, r_q.size))
    xyz = r_q * vec / np.linalg.norm(vec, axis=0) * np.array([[1.0], [0.8], [0.6]])
    r = np.linalg.norm(xyz, axis=0)
    stars = dens.Stars(xyz[:, (r > 6.0) & (r < 60.0)][:, :4000])
    model = "triaxial_aligned_no_break"
    fit = dens.fit_mle(stars, survey, model, n_starts=2, rng=rng, start={"alpha1": 3.0, "p": 0.8, "q": 0.6})
    lap = dens.laplace_errors(fit, stars, survey)
    i, j = lap["names"].index("p"), lap["names"].index("q")
    rho2 = lap["cov"][i, j] ** 2 / (lap["cov"][i, i] * lap["cov"][j, j])
    assert rho2 > 0.2  # k^2 / (1 - rho^2) > 1.25 k^2: outside the 15 % tolerance below
    sig = lap["sigma"]
    values = {"p": fit["params"]["p"] + 1.5 * sig["p"], "q": fit["params"]["q"] - 1.5 * sig["q"]}
    lrs = dens.profile_likelihood_ratios(fit, stars, survey, values)
    for name in values:
        assert lrs[name] == pytest.approx(1.5**2, rel=0.15), (name, lrs[name], rho2)
        assert lrs[name] == pytest.approx(dens.profile_likelihood_ratio(fit, stars, survey, name, values[name]))
    # a start can only raise the constrained maximum: with the truth as a start the statistic
    # at the truth cannot exceed the full likelihood ratio of the truth
    truth = {"alpha1": 3.0, "p": 0.8, "q": 0.6, "log10_mass": 9.0}
    truth["log10_mass"] = dens.profiled_log10_mass(truth, stars, survey, model)
    full = 2 * (fit["log_likelihood"] - dens.log_likelihood(truth, stars, survey, model))
    at_truth = dens.profile_likelihood_ratios(fit, stars, survey, truth, starts=[truth])
    assert max(at_truth.values()) <= full + 1e-6


@pytest.mark.parametrize("name", ["r1", "p", "yaw", "log10_mass"])
def test_constrained_gradient_matches_finite_differences(name, full_sky_nodes, gse_truth):
    """The gradient the constrained maximisation follows, with ``name`` held: r1 and p are held
    in natural units while r2 and q sit in x relative to them, so only the held parameter's
    row of the Jacobian may be dropped. Central differences in the free coordinates agree to
    1e-4 relative (steps 1e-5 of each coordinate; ln L ~ 1e3 carries ~1e-10 of rounding)."""
    pos, w = full_sky_nodes(6.0, 60.0, n_r=60, nside=4)
    grid = dens.SelectionGrid.from_nodes(pos, w)
    m = dens.get_model("triaxial_double_break")
    params = {**gse_truth, "log10_mass": 8.5}
    stars = dens.Stars(np.random.default_rng(2).normal(0, 15, (3, 1500)) + np.array([[20.0], [5.0], [3.0]]))
    value = params[name] * (1.02 if name != "log10_mass" else 1.001)
    func = _constrained(m, stars, grid, name, value)
    x = m.to_opt({**params, **({} if name == "log10_mass" else {name: value})})
    _, grad = func(x)
    keep = [i for i, n in enumerate(m.free[:-1]) if n != name]
    for i in keep:
        h = 1e-5 * max(abs(x[i]), 1.0)
        e = np.zeros(x.size)
        e[i] = h
        numeric = (func(x + e)[0] - func(x - e)[0]) / (2 * h)
        assert grad[i] == pytest.approx(numeric, rel=1e-4, abs=1e-3), (name, m.free[i], grad[i], numeric)
