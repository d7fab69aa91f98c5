"""dynesty's proposals in lockstep (halo_utils.lockstep): each walk and each unit-cube
proposer exactly as dynesty runs it alone, a whole run the same as dynesty's own, for any
number of processes, and the right evidence on a Gaussian."""

import dynesty
import numpy as np
import pytest
from dynesty.internal_samplers import RWalkSampler, SamplerArgument, UnitCubeSampler
from scipy.special import ndtr

from halo_utils.lockstep import LockstepPool, random_walks_in_lockstep, uniform_draws_in_lockstep

NDIM = 4
MEAN = np.array([0.3, -0.2, 0.1, 0.0])
SIGMA = np.array([0.05, 0.1, 0.02, 0.2])
BOX = 2.0  # uniform prior on [-1, 1] in every dimension


def prior_transform(u):
    return BOX * np.asarray(u) - BOX / 2


def log_likelihood(theta):
    return float(-0.5 * np.sum(((theta - MEAN) / SIGMA) ** 2) - np.sum(np.log(np.sqrt(2 * np.pi) * SIGMA)))


def batch_log_likelihood(thetas, pad_to=None):
    """The scalar likelihood row by row: the lockstep runs must then be dynesty's bit for bit."""
    return np.array([log_likelihood(t) for t in thetas])


def _walk_args(n, loglstar, walks=20, scale=0.8, seed=1):
    rng = np.random.default_rng(seed)
    starts = [np.clip(0.5 + MEAN / BOX + SIGMA / BOX * rng.standard_normal(NDIM), 0.01, 0.99) for _ in range(n)]
    axes = [np.diag(SIGMA / BOX) * (1 + 0.5 * i) for i in range(n)]  # the widest walks leave the cube
    kwargs = {"walks": walks, "ncdim": NDIM, "nonbounded": None, "periodic": None, "reflective": None}
    return [SamplerArgument(u=s, loglstar=loglstar, axes=a, scale=scale, prior_transform=prior_transform,
                            loglikelihood=log_likelihood, rseed=seed, kwargs=kwargs)
            for s, a, seed in zip(starts, axes, np.random.SeedSequence(seed).spawn(n))]


def _same(a, b):
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v) and a.logl == b.logl and a.ncalls == b.ncalls
    assert a.tuning_info == b.tuning_info and a.proposal_stats == b.proposal_stats
    assert [h.logl for h in a.evaluation_history] == [h.logl for h in b.evaluation_history]


def test_random_walks_in_lockstep_are_dynestys_walks():
    """Eight walks, some accepting every step, some stuck (a bound above the peak), some
    proposing outside the cube: each the same as dynesty's walk alone, bit for bit."""
    for loglstar in (0.0, 20.0):  # a bound most steps beat, and one above the maximum (~8.5)
        args = _walk_args(8, loglstar)
        alone = [RWalkSampler.sample(a) for a in args]
        together = random_walks_in_lockstep([a.u for a in args], loglstar, [a.axes for a in args], args[0].scale,
                                            [a.rseed for a in args], args[0].kwargs, prior_transform,
                                            batch_log_likelihood)
        for a, b in zip(alone, together):
            _same(a, b)
        accepts = [r.tuning_info["accept"] for r in alone]
        if loglstar > 10:
            assert max(accepts) == 0
        else:
            assert max(accepts) > 0 and max(r.tuning_info["reject"] for r in alone) > 0


def test_uniform_draws_in_lockstep_are_dynestys_draws():
    loglstar = -5.0  # a few draws each (the prior volume above it is ~1e-2)
    args = [a._replace(loglstar=loglstar, kwargs={"ndim": NDIM}) for a in _walk_args(6, loglstar, seed=3)]
    alone = [UnitCubeSampler.sample(a) for a in args]
    together = uniform_draws_in_lockstep([a.rseed for a in args], loglstar, NDIM, prior_transform,
                                         batch_log_likelihood)
    for a, b in zip(alone, together):
        _same(a, b)
    assert max(r.ncalls for r in alone) > 1


class SerialPool:
    """dynesty's own proposals, one by one in this process: the reference for `LockstepPool`."""

    size = 1

    def map(self, func, iterable):
        return list(map(func, iterable))


def _run(pool, queue_size=6):
    sampler = dynesty.NestedSampler(log_likelihood, prior_transform, NDIM, nlive=60, sample="rwalk",
                                    bound="multi", rstate=np.random.default_rng(4), pool=pool, queue_size=queue_size)
    sampler.run_nested(dlogz=0.5, print_progress=False)
    return sampler.results


@pytest.mark.parametrize("n_processes", [1, 2])
def test_a_lockstep_run_is_dynestys_run(n_processes):
    """A whole nested-sampling run through `LockstepPool` (in this process, or split between
    two workers) is the run dynesty makes with the same queue one proposal at a time."""
    reference = _run(SerialPool())
    with LockstepPool(prior_transform, batch_log_likelihood, n_processes) as pool:
        lockstep = _run(pool)
    assert np.array_equal(lockstep.samples, reference.samples)
    assert np.array_equal(lockstep.logl, reference.logl) and lockstep.logz[-1] == reference.logz[-1]
    # and the evidence is right: Z = prod_i [Phi((1 - m_i) / s_i) - Phi((-1 - m_i) / s_i)] / 2^ndim
    truth = np.sum(np.log(ndtr((1 - MEAN) / SIGMA) - ndtr((-1 - MEAN) / SIGMA))) - NDIM * np.log(BOX)
    # within 3 of dynesty's error, plus the bias of stopping at dlogz = 0.5 with 60 live points
    # (the remaining evidence is estimated, not integrated): 0.1
    assert abs(reference.logz[-1] - truth) < 3 * reference.logzerr[-1] + 0.1, (reference.logz[-1], truth)


def test_lockstep_pool_maps_anything_else_here():
    with LockstepPool(prior_transform, batch_log_likelihood, 1) as pool:
        assert pool.map(abs, [-1, 2, -3]) == [1, 2, 3] and pool.size == 1
    with pytest.raises(ValueError, match="n_processes"):
        LockstepPool(prior_transform, batch_log_likelihood, 0)
