"""Hot paths timed side by side with a plain reference implementation of the same work.

Each pair runs a fast path of the package and a plain version of it
(`halo_utils.bench.reference`) in the same process, on the same inputs, and reports both
medians, their ratio (reference / fast: the speed-up on the machine at hand) and how far the
two answers differ, so the speed-up is a measured number and not a claim:

- the density ln posterior at H3 scale: the compiled kernel (`halo_utils.density.kernel`)
  against numpy's `~halo_utils.density.log_probability`;
- its exact gradient (`~halo_utils.density.log_probability_and_gradient`) against central
  finite differences;
- a maximum-likelihood fit of the fiducial model (`~halo_utils.density.fit_mle`, L-BFGS-B on
  the gradient) against the derivative-free search from the same starts (likelihood calls
  too);
- the Laplace errors (`~halo_utils.density.laplace_errors`) against the value-only Hessian;
- the reflex likelihood of chapter 5 on 800 stars against a one-star-at-a-time loop;
- its exact gradient (`~halo_utils.reflex.gradient`, JAX) against central finite differences,
  and the reflex maximum-likelihood fit on it against the derivative-free fit
  (``gradient=False``; likelihood calls too);
- a queue of 62 of dynesty's random walks on the chapter-5 problem (19 parameters), advanced
  in lockstep through the compiled batch likelihood (`halo_utils.lockstep`), against the same
  walks one by one with numpy's likelihood (dynesty's own ``RWalkSampler.sample``);
- the chapter-4 coverage study on a local dask cluster against the same tasks in a loop;
- the test particles of the Milky Way + LMC simulations (`~halo_utils.lmc.integrate_particles`,
  10^5 particles over 100 Myr with the 1.8e11 Msun LMC) against the same steps taken one level
  after another with gala's Python-level composite gradient;
- one simulation of the LMC-mass suite (`~halo_utils.lmc.simulate_draw`: the halo drawn in a
  scaled Milky Way, the orbit, 16,000 particles over 3 Gyr) against the same simulation with
  the particles stepped level by level: its ``simulations_per_core_s`` (and
  ``simulations_per_core_hour``) is what a suite costs (one simulation per core at a time); the two agree on the travel velocity at 100 kpc.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from dynesty.internal_samplers import RWalkSampler, SamplerArgument

from .. import density as dens
from .. import reflex as rf
from ..density.kernel import CompiledLogProbability
from ..density_coverage import coverage_fits, coverage_mock_fit
from ..lockstep import LockstepPool
from ..dynamics import POTENTIAL
from ..lmc import SuiteConfig, draw_halo, integrate_particles, integrate_two_body, simulate_draw, travel_at
from ..maximization import laplace_covariance
from ..reflex.gradient import BatchLogLikelihood
from ..reflex.gradient import log_likelihood_and_gradient as reflex_value_and_gradient
from ..mock import DEFAULT_SEED, GSE_TRUTH, forward_mock, generate_outer_halo, generate_survey, reflex_truth_vector
from .reference import (derivative_free_fit, finite_difference_gradient, level_by_level_particles,
                        plain_suite_simulation, reference_reflex_log_likelihood, reflex_finite_difference_gradient, serial_study,
                        walks_one_by_one)

__all__ = ["timed", "pair", "run_pairs", "format_pairs"]


def timed(func, repeat: int):
    """(median seconds, last result) of ``repeat`` calls of ``func()``."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def pair(fast, reference, repeat: int, difference, repeat_reference: int | None = None, **extra) -> dict:
    """Time ``fast()`` and ``reference()`` and compare their results.

    Parameters
    ----------
    fast, reference : callable
        The two implementations of the same work, called without arguments.
    repeat : int
        Calls of ``fast`` (and of ``reference`` unless ``repeat_reference``).
    difference : callable
        ``(fast result, reference result) -> float``: how far apart the answers are.
    repeat_reference : int, optional
        Calls of the (slow) reference.
    **extra
        Further numbers to report (e.g. sizes).

    Returns
    -------
    dict
        ``fast_median_s``, ``reference_median_s``, ``ratio`` (reference / fast),
        ``difference`` and ``extra``'s items.
    """
    t_fast, r_fast = timed(fast, repeat)
    t_ref, r_ref = timed(reference, repeat_reference or repeat)
    return {"fast_median_s": t_fast, "reference_median_s": t_ref, "ratio": t_ref / t_fast,
            "difference": float(difference(r_fast, r_ref)), **extra}


def _h3_density_problem():
    """The default survey's selection grid and a mock of the GSE truth through it (~5,500 stars)."""
    tiles, _, _ = generate_survey(DEFAULT_SEED)
    grid = dens.SelectionGrid.from_tiles(tiles)
    truth = {**GSE_TRUTH, "log10_mass": 9.05}
    stars = dens.Stars.from_table(forward_mock(truth, grid, np.random.default_rng(3)))
    return grid, stars, truth


#: The simulation of the suite pair: a draw near the middle of the prior.
_SUITE_DRAW = {"lmc_mass": 1.5e11, "halo_mass_factor": 1.0, "beta_0": 0.5, "friction_strength": 1.0}


def run_pairs(repeat: int = 20, fits: bool = True, study_mocks: int = 4, suite_duration_myr: float = 3000.0) -> dict:
    """Every pair (see the module docstring); returns ``{name: pair result}``.

    Parameters
    ----------
    repeat : int
        Calls per likelihood timing (the fits and studies run once each).
    fits : bool
        Also time the maximum-likelihood fits (about a minute for the reference).
    study_mocks : int
        Mocks of the coverage-study pair (0: skip it).
    suite_duration_myr : float
        Duration of the suite simulation of the pair (the suite's is 3000 Myr; a test runs a
        shorter one).
    """
    grid, stars, truth = _h3_density_problem()
    model = dens.get_model("triaxial_double_break")
    x = model.vector(truth)
    kernel = CompiledLogProbability(stars, grid, model)
    sizes = {"n_stars": len(stars), "n_nodes": grid.n_nodes}
    out = {"density_log_posterior": pair(lambda: kernel(x), lambda: dens.log_probability(x, stars, grid, model),
                                         10 * repeat, lambda a, b: abs(a - b), **sizes)}
    # the difference leaves out the break radii: a central difference over the model's step in r1 or
    # r2 straddles the kinks of ln f at every star near the break, so it measures how many stars sit
    # there, not the gradient (tests/density/test_density_gradient checks those derivatives at steps
    # small enough to straddle none)
    smooth = np.array([n not in ("r1", "r2") for n in model.free])
    out["density_gradient"] = pair(
        lambda: dens.log_probability_and_gradient(x, stars, grid, model)[1],
        lambda: finite_difference_gradient(x, stars, grid, model), repeat,
        lambda a, b: np.max((np.abs(a - b) / np.maximum(np.abs(b), 1.0))[smooth]), **sizes)
    if fits:
        calls = {}

        def fast_fit():
            fit = dens.fit_mle(stars, grid, model, n_starts=2, rng=np.random.default_rng(8), n_agree=3)
            calls["fast"] = fit["n_calls"]
            return fit["log_likelihood"]

        def reference_fit():
            best, calls["reference"] = derivative_free_fit(stars, grid, model, 2, np.random.default_rng(8))
            return best

        out["density_mle_fit"] = pair(fast_fit, reference_fit, 1, lambda a, b: a - b, **sizes)
        out["density_mle_fit"].update(fast_calls=calls["fast"], reference_calls=calls["reference"],
                                      calls_ratio=calls["reference"] / calls["fast"])
        fit = dens.fit_mle(stars, grid, model, n_starts=0, rng=np.random.default_rng(8), start=truth)
        steps = [model.steps[n] for n in model.free]
        out["density_laplace"] = pair(
            lambda: dens.laplace_errors(fit, stars, grid)["cov"],
            lambda: laplace_covariance(lambda v: dens.log_probability(v, stars, grid, model),
                                       model.vector(fit["params"]), steps), 1,
            lambda a, b: np.max(np.abs(np.sqrt(np.diag(a) / np.diag(b)) - 1.0)), **sizes)
    cat, _ = generate_outer_halo(DEFAULT_SEED)
    reflex_model = rf.ReflexModel("linear")
    theta = reflex_model.with_f_out(reflex_truth_vector(), 0.015)
    reflex_stars = rf.ReflexStars.from_table(cat[:800])
    out["reflex_log_likelihood_800_stars"] = pair(
        lambda: rf.log_likelihood(theta, reflex_stars, reflex_model),
        lambda: reference_reflex_log_likelihood(theta, cat[:800], reflex_model, rf.DistancePrior()),
        50 * repeat, lambda a, b: abs(a - b), repeat_reference=3)
    steps = np.append(np.tile([1e-3] * 6 + [1e-4] * 3, 2), 1e-5)
    out["reflex_gradient_800_stars"] = pair(
        lambda: reflex_value_and_gradient(theta, reflex_stars, reflex_model)[1],
        lambda: reflex_finite_difference_gradient(theta, reflex_stars, reflex_model, steps), repeat,
        lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))
    if fits:
        reflex_fits = {}

        def reflex_fit(gradient):
            def run():
                fit = rf.fit_reflex(reflex_stars, reflex_model, "mle", rng=9, gradient=gradient)
                reflex_fits[gradient] = fit.info["n_calls"]
                return fit.max_log_likelihood
            return run

        reflex_fit(True)()  # compile the kernel outside the timing (once per process and star-count bucket)
        out["reflex_mle_fit_800_stars"] = pair(reflex_fit(True), reflex_fit(False), 1, lambda a, b: a - b)
        out["reflex_mle_fit_800_stars"].update(fast_calls=reflex_fits[True], reference_calls=reflex_fits[False],
                                               calls_ratio=reflex_fits[False] / reflex_fits[True])
    out["reflex_dynesty_queue_62_walks"] = _dynesty_queue_pair(cat, max(1, repeat // 10))
    if study_mocks:
        def same(table, rows):
            return float(max(abs(table[k][i] - row[k]) for i, row in enumerate(rows) for k in row
                             if np.isfinite(row[k])))

        out["density_coverage_study"] = pair(
            lambda: coverage_fits(study_mocks, truth, grid, model, seed=4, progress=False),
            lambda: serial_study(coverage_mock_fit, study_mocks, seed=4, args=(truth, grid, model)), 1, same,
            n_mocks=study_mocks)
    pos, vel = draw_halo(100_000, np.random.default_rng(DEFAULT_SEED))
    orbit = integrate_two_body(1.8e11, 100.0)
    out["lmc_test_particles"] = pair(
        lambda: integrate_particles(pos, vel, orbit)[0],
        lambda: level_by_level_particles(pos, vel, orbit, POTENTIAL)[0], 1,
        lambda a, b: np.max(np.abs(a - b)), n_particles=pos.shape[1], n_blocks=100)
    config = SuiteConfig(duration_myr=suite_duration_myr)
    shell = config.travel_shell
    result = pair(lambda: travel_at(*simulate_draw(_SUITE_DRAW, DEFAULT_SEED, config)[:2], shell)["v_travel"],
                  lambda: travel_at(*plain_suite_simulation(_SUITE_DRAW, DEFAULT_SEED, config), shell)["v_travel"], 1,
                  lambda a, b: abs(a - b), n_particles=config.n_particles, duration_myr=config.duration_myr)
    result["simulations_per_core_s"] = 1.0 / result["fast_median_s"]
    result["reference_simulations_per_core_s"] = 1.0 / result["reference_median_s"]
    result["simulations_per_core_hour"] = 3600.0 / result["fast_median_s"]
    result["reference_simulations_per_core_hour"] = 3600.0 / result["reference_median_s"]
    out["lmc_suite_simulation"] = result
    return out


def _dynesty_queue_pair(cat, repeat):
    """One refill of dynesty's queue on the chapter-5 problem: 62 random walks of dynesty's
    default length (ndim + 20 steps) from points above a likelihood bound, in lockstep (one
    process) against one by one; the difference is the largest gap between the walks' ends."""
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40.0, 120.0), clip=False))
    stars = rf.ReflexStars.from_table(cat[mask])
    model = rf.ReflexModel("linear")
    loglike = rf.LogLikelihood(stars, model)
    rng = np.random.default_rng(DEFAULT_SEED)
    cube = rng.uniform(0.3, 0.7, size=(124, model.ndim))
    logl = np.array([loglike(model.prior_transform(u)) for u in cube])
    loglstar = float(np.median(logl))
    starts = cube[logl > loglstar][:62]
    kwargs = {"walks": model.ndim + 20, "ncdim": model.ndim, "nonbounded": None, "periodic": None,
              "reflective": None}
    queue = [SamplerArgument(u=u, loglstar=loglstar, axes=0.02 * np.eye(model.ndim), scale=1.0,
                             prior_transform=model.prior_transform, loglikelihood=loglike, rseed=seed, kwargs=kwargs)
             for u, seed in zip(starts, np.random.SeedSequence(DEFAULT_SEED).spawn(len(starts)))]
    pool = LockstepPool(model.prior_transform, BatchLogLikelihood(stars, model), 1)
    pool.map(RWalkSampler.sample, queue)  # compile outside the timing
    return pair(lambda: pool.map(RWalkSampler.sample, queue), lambda: walks_one_by_one(queue), repeat,
                lambda a, b: float(max(np.max(np.abs(x.u - y.u)) for x, y in zip(a, b))),
                n_walks=len(queue), n_stars=len(stars), walk_length=kwargs["walks"])


def format_pairs(results: dict) -> str:
    """The pairs as a table: fast and reference medians, ratio and difference."""
    width = max(map(len, results)) if results else 0
    lines = [f"{'hot path':<{width}}  {'fast':>10}  {'reference':>10}  {'ratio':>7}  difference"]
    for name, r in results.items():
        lines.append(f"{name:<{width}}  {r['fast_median_s']:>9.4g}s  {r['reference_median_s']:>9.4g}s  "
                     f"{r['ratio']:>6.1f}x  {r['difference']:.2g}")
    return "\n".join(lines)
