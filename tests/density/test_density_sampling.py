"""Posterior sampling with emcee (conventions §9, §12): resumable, seeded, pooled, reported."""

import pickle
from multiprocessing.pool import ThreadPool

import numpy as np
import pytest

from halo_utils import density as dens
from halo_utils.density import sampling
from halo_utils.fingerprint import FingerprintMismatch
from halo_utils.fitting import run_emcee


def test_emcee_resumes_from_backend(tmp_path, rng, full_sky_nodes):
    """A backend extended to a longer run equals the longer run made in one go, sample for
    sample; the same seed gives the same chain; a different seed or data is refused."""
    pos, w = full_sky_nodes(6.0, 60.0, n_r=60, nside=4)
    survey = dens.SelectionGrid.from_nodes(pos, w)
    params = {"alpha1": 3.0, "log10_mass": 7.0}
    stars = dens.Stars(rng.normal(0, 15, (3, 300)) + np.array([[20.0], [0], [0]]))
    path = tmp_path / "chain.h5"

    def fit(n_steps_max, backend, seed=5, data=stars, **kw):
        return dens.fit_emcee(data, survey, "spherical_no_break", start=params, rng=np.random.default_rng(seed),
                              n_walkers=8, n_steps_max=n_steps_max, backend_path=backend, check_every=50, **kw)

    first = fit(100, path)
    assert first["n_steps"] == 100 and not first["resumed"]
    again = fit(250, path)
    assert again["n_steps"] == 250 and again["resumed"]  # continued, not restarted
    straight = fit(250, tmp_path / "straight.h5")
    np.testing.assert_array_equal(again["samples"], straight["samples"])
    # a finished backend comes back post-processed like the run that made it
    done = fit(250, path)
    np.testing.assert_array_equal(done["samples"], straight["samples"])
    assert done["tau"] == pytest.approx(straight["tau"]) and done["burn_in"] == straight["burn_in"]
    with pytest.raises(FingerprintMismatch, match="chain.h5"):
        fit(300, path, seed=6)
    other = dens.Stars(stars.pos[:, :200])
    with pytest.raises(FingerprintMismatch, match="other data or settings"):
        fit(300, path, data=other)
    assert fit(60, path, data=other, restart=True)["n_steps"] == 60
    with ThreadPool(2) as pool:  # any map-style pool, and the same chain as without one
        pooled = dens.fit_emcee(stars, survey, "spherical_no_break", start=params, rng=np.random.default_rng(5),
                                n_walkers=8, n_steps_max=100, pool=pool, check_every=50)
    np.testing.assert_array_equal(pooled["samples"], first["samples"])
    with pytest.raises(ValueError, match=r"n_walkers must be >= 6 \(3 x the number of parameters\), got 4"):
        dens.fit_emcee(stars, survey, "spherical_no_break", start=params, rng=rng, n_walkers=4)


@pytest.fixture
def small_problem(rng, full_sky_nodes):
    survey = dens.SelectionGrid.from_nodes(*full_sky_nodes(6.0, 60.0, n_r=60, nside=4))
    stars = dens.Stars(rng.normal(0, 15, (3, 300)) + np.array([[20.0], [0], [0]]))
    return stars, survey


def test_sample_posterior_is_fit_emcee_in_processes(small_problem):
    """The run in worker processes, timed, gives the chain of a plain `fit_emcee` call with the
    same seed, and its one-line report states the chain's numbers."""
    stars, survey = small_problem
    kw = dict(start={"alpha1": 3.0, "log10_mass": 7.0}, n_walkers=8, n_steps_max=100, check_every=50)
    plain = dens.fit_emcee(stars, survey, "spherical_no_break", rng=np.random.default_rng(5), **kw)
    threaded = dens.sample_posterior(stars, survey, "spherical_no_break", rng=np.random.default_rng(5),
                                     n_processes=2, **kw)
    np.testing.assert_array_equal(threaded["samples"], plain["samples"])
    assert threaded["summary"] == plain["summary"] and threaded["runtime_s"] > 0
    report = dens.chain_report(threaded)
    assert report.startswith("100 steps x 8 walkers in ")
    assert f"burn-in of {threaded['burn_in']}" in report and f"converged: {threaded['converged']}" in report
    assert f"max tau = {np.max(threaded['tau']):.0f} steps" in report
    assert "walkers;" in dens.chain_report(plain)  # no runtime without sample_posterior
    with pytest.raises(ValueError, match="n_processes must be >= 1"):
        dens.sample_posterior(stars, survey, "spherical_no_break", rng=np.random.default_rng(5), n_processes=0, **kw)
    assert not sampling._INSTALLED  # the posterior installed for the workers is not kept


def test_density_posterior_pickles(small_problem):
    """A process pool pickles the posterior: the copy returns the same values."""
    stars, survey = small_problem
    for model, x in (("spherical_no_break", [3.0, 7.0]), ("spherical_einasto", [0.5, 20.0, 7.0])):
        post = dens.DensityPosterior(stars, survey, model)
        assert pickle.loads(pickle.dumps(post))(np.array(x)) == post(np.array(x))


def test_vectorised_emcee_refuses_a_pool(small_problem):
    stars, survey = small_problem
    post = dens.DensityPosterior(stars, survey, "spherical_no_break")
    with ThreadPool(2) as pool, pytest.raises(ValueError, match="vectorize=True .* takes no pool"):
        run_emcee(post.batch, np.array([[3.0, 7.0]] * 4), n_steps_max=10, seed=1, pool=pool, vectorize=True)
