"""Plain reference implementations of the hot paths, slow by design, for `halo_utils.bench.pairs`.

Each does the same work as a fast path of the package the plain way (one star at a time,
finite differences, derivative-free search, one task after another), so a benchmark can
report the fast path's speed-up as a ratio measured on the machine at hand, and check that
the two agree.
"""

from __future__ import annotations

import numpy as np
from dynesty.internal_samplers import RWalkSampler

from ..density import get_model, log_probability, profiled_log10_mass
from ..density.mle import start_guess
from ..frames import K_KMS, frame_vectors, icrs_to_galactocentric
from ..lmc.bodies import KMS_TO_KPC_MYR, lmc_potential
from ..lmc.suite import initial_conditions
from ..maximization import maximize
from ..reflex.sky import MS_TO_GAL, galactic_basis, galactic_to_galactocentric_axes, unit_vector
from ..reflex.likelihood import log_likelihood as rf_log_likelihood
from ..reflex.stars import observed_galactic
from ..studies import task_seeds

__all__ = ["reference_reflex_log_likelihood", "finite_difference_gradient", "derivative_free_fit",
           "serial_study", "level_by_level_particles", "plain_suite_simulation", "walks_one_by_one"]


def reference_reflex_log_likelihood(theta, table, model, distance_prior):
    """A plain reference implementation of the default reflex likelihood (continuity model,
    outlier mixture, distance marginalisation with the distance prior): one star and one
    quadrature node at a time, with astropy-free but textbook 3x3 algebra. Slow by design;
    `halo_utils.bench.pairs` checks it agrees with `halo_utils.reflex.log_likelihood`."""
    col, l, b, c, s, _ = observed_galactic(table)
    x_gh, w_gh = np.polynomial.hermite_e.hermegauss(5)
    v_sun = frame_vectors()[2]
    to_gc = galactic_to_galactocentric_axes()
    f_out, sigma_out = model.f_out(theta), model.outliers.sigma
    total = 0.0
    for i in range(len(table)):
        basis = np.stack(galactic_basis(l[i], b[i])) @ to_gc.T  # rows n, e_l, e_b
        rot = np.array([[c[i], s[i]], [-s[i], c[i]]])
        mu = rot @ np.array([col["GAIAEDR3_PMRA"][i], col["GAIAEDR3_PMDEC"][i]])
        sra, sdec, rho = (col[k][i] for k in ("GAIAEDR3_PMRA_ERROR", "GAIAEDR3_PMDEC_ERROR", "GAIAEDR3_PMRA_PMDEC_CORR"))
        cov_pm = rot @ np.array([[sra**2, rho * sra * sdec], [rho * sra * sdec, sdec**2]]) @ rot.T
        obs = np.array([col["Vrad"][i], *mu])
        frac = col["dist_adpt_err"][i] / col["dist_adpt"][i]
        halo, outl, weights = [], [], []
        for x, w in zip(x_gh, w_gh):
            d = col["dist_adpt"][i] * np.exp(distance_prior.centre_shift(frac) + frac * x)
            pos, _ = icrs_to_galactocentric(col["RA"][i], col["DEC"][i], d, 0.0, 0.0, 0.0)
            r = np.linalg.norm(pos)
            weights.append(np.log(w) + distance_prior.log_weight(d, r))
            v = model.values_at(theta, r)
            th, ph = np.arccos(pos[2] / r), np.arctan2(pos[1], pos[0])
            e_r = pos / r
            e_th = np.array([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)])
            e_ph = np.array([-np.sin(ph), np.cos(ph), 0.0])
            mean = -v[0] * (MS_TO_GAL @ unit_vector(v[1], v[2])) + v[3] * e_r + v[5] * e_th + v[4] * e_ph
            kd = K_KMS * d
            scale = np.array([1.0, 1.0 / kd, 1.0 / kd])
            for target, m, sig in ((halo, mean, np.exp(v[6:9])), (outl, np.zeros(3), np.full(3, sigma_out))):
                pred = scale * (basis @ (m - v_sun))
                cov = np.diag((sig * scale) ** 2)
                cov[0, 0] += col["Vrad_err"][i] ** 2
                cov[1:, 1:] += cov_pm
                resid = obs - pred
                target.append(-0.5 * (resid @ np.linalg.solve(cov, resid) + np.log(np.linalg.det(cov))
                                      + 3 * np.log(2 * np.pi)))
        weights = np.asarray(weights) - np.log(np.sum(np.exp(weights)))
        lh = np.log(np.sum(np.exp(weights + halo)))
        lo = np.log(np.sum(np.exp(weights + outl)))
        total += np.log((1 - f_out) * np.exp(lh) + f_out * np.exp(lo))
    return total


def walks_one_by_one(queue) -> list:
    """dynesty's random walks of a queue (its ``SamplerArgument`` list) one after another, one
    likelihood call per step: what `halo_utils.lockstep.LockstepPool` does in lockstep."""
    return [RWalkSampler.sample(args) for args in queue]


def finite_difference_gradient(vector, stars, grid, model):
    """Gradient of `~halo_utils.density.log_probability` by central differences (2 ndim calls), the model's steps."""
    m = get_model(model)
    x = np.asarray(vector, float)
    grad = np.empty(x.size)
    for i, name in enumerate(m.free):
        e = np.zeros(x.size)
        e[i] = m.steps[name]
        grad[i] = (log_probability(x + e, stars, grid, m) - log_probability(x - e, stars, grid, m)) / (2 * e[i])
    return grad


def reflex_finite_difference_gradient(theta, stars, model, steps):
    """Gradient of `~halo_utils.reflex.log_likelihood` by central differences (2 ndim calls)."""
    theta = np.asarray(theta, float)
    grad = np.empty(theta.size)
    for i, h in enumerate(steps):
        e = np.zeros(theta.size)
        e[i] = h
        grad[i] = (rf_log_likelihood(theta + e, stars, model) - rf_log_likelihood(theta - e, stars, model)) / (2 * h)
    return grad


def derivative_free_fit(stars, grid, model, n_starts, rng):
    """The maximum-likelihood fit without the gradient: L-BFGS-B on finite differences from the
    same random starts as `~halo_utils.density.fit_mle`, polished with Nelder-Mead
    (`~halo_utils.maximization.maximize`). Returns ``(profiled ln L at the best shape, calls)``."""
    m = get_model(model)
    calls = []

    def profiled(x):  # the profiled ln L by value only: the amplitude from Lambda = N
        calls.append(1)
        params = {**m.from_opt(x), "log10_mass": 9.0}
        if m.problems(params):
            return -np.inf
        params["log10_mass"] = profiled_log10_mass(params, stars, grid, m)
        return log_probability(m.vector(params), stars, grid, m)

    starts = [m.to_opt(start_guess(m, rng)) for _ in range(n_starts)]
    _, best, _ = maximize(profiled, starts, bounds=m.opt_bounds())
    return best, len(calls)


def serial_study(task, n_tasks, *, seed, args=()):
    """`~halo_utils.studies.run_study` without dask: the tasks one after another in this
    process, each with its seed of `~halo_utils.studies.task_seeds`."""
    return [task(i, np.random.default_rng(s), *args) for i, s in enumerate(task_seeds(seed, n_tasks))]


def level_by_level_particles(pos, vel, orbit, mw, *, dt=1.0, eta=0.02, max_level=6):
    """`~halo_utils.lmc.integrate_particles` stepped one level after another (2^k calls per
    level k and block: 2^(K+1) - 1 in all where the fast path makes 2^K), with gala's
    public-API composite gradient (its Python sum over the components, not the compiled one)."""
    lmc = lmc_potential(orbit.mass) if orbit.mass > 0 else None

    def accel(x, centre, t):
        tt = np.array([t])
        a = -mw._gradient(np.ascontiguousarray(x - centre[0:3, None]), tt)
        if lmc is not None:
            a -= lmc._gradient(np.ascontiguousarray(x - centre[6:9, None]), tt)
        return a

    t0 = float(orbit.times[0])
    edges = np.linspace(t0, 0.0, int(np.ceil(-t0 / dt)) + 1)
    step = edges[1] - edges[0]
    start = orbit.solution(t0)
    x, v = pos + start[0:3, None], vel * KMS_TO_KPC_MYR + start[3:6, None]
    a = accel(x, start, t0)
    for b in range(edges.size - 1):
        now = orbit.solution(edges[b])
        r = np.linalg.norm(x - now[0:3, None], axis=0)
        speed, acc = np.linalg.norm(v - now[3:6, None], axis=0), np.linalg.norm(a, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.ceil(np.log2(step / (eta * np.minimum(r / speed, np.sqrt(r / acc)))))
        levels = np.clip(np.nan_to_num(k, nan=max_level), 0, max_level).astype(int)
        for level in np.unique(levels):
            idx = np.flatnonzero(levels == level)
            xs, vs, acs = x[:, idx], v[:, idx], a[:, idx]
            h = step / 2**level
            times = edges[b] + h * np.arange(1, 2**level + 1)
            centres = orbit.solution(times)
            for j in range(2**level):
                vs += 0.5 * h * acs
                xs += h * vs
                acs = accel(xs, centres[:, j], times[j])
                vs += 0.5 * h * acs
            x[:, idx], v[:, idx], a[:, idx] = xs, vs, acs
    end = orbit.solution(0.0)
    return x - end[0:3, None], (v - end[3:6, None]) / KMS_TO_KPC_MYR


def plain_suite_simulation(parameters, seed, config):
    """`~halo_utils.lmc.simulate_draw` with the particles stepped by `level_by_level_particles`:
    the same halo, orbit and steps; returns the particles today (pos, vel)."""
    pos0, vel0, orbit, potential = initial_conditions(parameters, seed, config)
    return level_by_level_particles(pos0, vel0, orbit, potential, dt=config.dt_myr)
