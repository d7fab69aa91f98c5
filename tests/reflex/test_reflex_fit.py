"""Reflex fits: MLE and dynesty (with checkpoints), the outlier mixture against wrong distances,
clipping, slim catalogues, bad settings."""

import numpy as np
import pytest

from halo_utils import mock, reflex as rf
from halo_utils.mock.outer_halo import default_outer_surveys
from halo_utils.catalog import CatalogError, read_catalog
from halo_utils.frames import solar_frame
from halo_utils.reflex.fit import _cartesian_from_natural

TRUTH = mock.reflex_truth_vector()
LINEAR = rf.ReflexModel("linear", outliers=None)
THETA18 = np.array([10.0, -26.0, 6.0, -8.0, 14.0, -1.0, np.log(106), np.log(78), np.log(56),
                    47.0, -20.0, 2.0, -25.0, -14.0, -3.0, np.log(69), np.log(20), np.log(33)])


def _big_mock(factor, exact_distances=False, seed=11):
    sv = default_outer_surveys()
    for k in sv:
        sv[k]["n"] *= factor
        if exact_distances:
            sv[k]["frac_dist_err"] = (1e-6, 1e-6)
        sv[k].update(dist_scale=1.0, rv_offset=0.0)  # no zero points: the model is exactly right
    cfg = mock.OuterHaloConfig(surveys=sv, f_bad_errors=0.0, f_outlier=0.0, f_wrong_distance=0.0, n_sgr=0)
    cat, truth = mock.generate_outer_halo(seed, cfg)
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120), sgr_cut=False, clip=False))
    return cat[mask]


@pytest.mark.slow
def test_likelihood_maximised_at_truth_on_a_large_mock():
    """Exact distances, so the model is exactly right: every MLE within 4 Laplace sigma of the
    truth (18 parameters: chance of a > 4 sigma excursion ~1e-3)."""
    sel = _big_mock(4, exact_distances=True)
    fit = rf.fit_reflex(sel, LINEAR, "mle", rng=1, distance_term="none", start=TRUTH, n_starts=0)
    cart = _cartesian_from_natural(TRUTH, LINEAR)
    pulls = (_cartesian_from_natural(fit.best, LINEAR) - cart) / _cartesian_from_natural(
        fit.samples, LINEAR).std(axis=0)
    assert np.all(np.abs(pulls) < 4), pulls
    stars = rf.ReflexStars.from_table(sel, distance_term="none")
    assert fit.max_log_likelihood >= rf.log_likelihood(TRUTH, stars, LINEAR)
    # and the truth is a good fit: 2 (lnL_max - lnL_truth) ~ chi2(18), 99.9 % point 42
    assert 2 * (fit.max_log_likelihood - rf.log_likelihood(TRUTH, stars, LINEAR)) < 42.3


@pytest.mark.slow
def test_distance_marginalisation_recovers_the_truth_at_100_kpc():
    """10-18 % distance errors, 4x the default sample: the 100-kpc quantities within 4 sigma."""
    sel = _big_mock(4, seed=12)
    fit = rf.fit_reflex(sel, LINEAR, "mle", rng=2, start=TRUTH, n_starts=0)
    truth = rf.ReflexFit(LINEAR, TRUTH[None], TRUTH, 0.0, "truth", 0, {}).at(100.0)
    at = fit.at(100.0)
    for q in ("v_travel", "b_apex", "vr_mean", "vphi_mean", "vtheta_mean", "sigma_los", "sigma_l", "sigma_b"):
        pull = (at[q][0] - truth[q][0]) / (0.5 * (at[q][2] - at[q][1]))
        assert abs(pull) < 4, (q, at[q], truth[q][0])


def test_mle_result_api(outer):
    cat, _ = outer
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120)))
    fit = rf.fit_reflex(cat[mask], "constant", "mle", rng=3, n_starts=2)
    assert fit.samples.shape == (4000, 10) and fit.n_stars == mask.sum()  # 9 + f_out (mixture by default)
    assert fit.outlier_probability.shape == (mask.sum(),) and np.all((fit.outlier_probability >= 0)
                                                                     & (fit.outlier_probability <= 1))
    at = fit.at(80.0)
    assert set(at) == set(rf.AT_NAMES) | {"f_out"}
    for name, (p50, p16, p84) in at.items():
        assert p16 <= p50 <= p84, name
    # the Cartesian components are the amplitude along the apex
    vec = np.array([at[f"v_travel_{a}"][0] for a in "xyz"])
    assert np.linalg.norm(vec) == pytest.approx(at["v_travel"][0], rel=0.1)
    assert 0 < at["v_travel"][0] < 60


def test_dynesty_checkpoint_resumes_an_interrupted_run(outer, tmp_path, monkeypatch):
    cat, _ = outer
    sel = cat[:150]
    ck = tmp_path / "run.save"
    calls = {"n": 0}
    real = rf.gradient._batch_log_likelihood  # what the random walks in lockstep call

    def flaky(nodes, f_out, data):
        calls["n"] += 1
        if calls["n"] == 1000:
            raise KeyboardInterrupt("simulated interruption")
        return real(nodes, f_out, data)

    monkeypatch.setattr(rf.gradient, "_batch_log_likelihood", flaky)
    with pytest.raises(KeyboardInterrupt):
        rf.fit_reflex(sel, "constant", "dynesty", rng=5, nlive=30, dlogz=1.0, checkpoint_file=ck,
                      checkpoint_every=0.0)
    assert ck.exists()
    monkeypatch.setattr(rf.gradient, "_batch_log_likelihood", real)
    fit = rf.fit_reflex(sel, "constant", "dynesty", rng=5, nlive=30, dlogz=1.0, checkpoint_file=ck)
    assert fit.info["resumed"] and fit.info["niter"] > 0 and fit.info["lockstep"]
    assert np.all(np.isfinite(fit.samples)) and fit.samples.shape[1] == fit.model.ndim == 10
    assert fit.samples[:, 0].std() > 0


def test_dynesty_queue_sizes():
    """Random walks in lockstep: nlive / 8 proposals per refill (at least one, at most
    MAX_QUEUE) for any number of processes. Otherwise one without a pool, and with one
    nlive / 8 but at least one per process."""
    from halo_utils.reflex.fit import MAX_QUEUE, dynesty_queue_size
    assert dynesty_queue_size(500, 1, lockstep=True) == dynesty_queue_size(500, 2, lockstep=True) == 62
    assert dynesty_queue_size(8, 2, lockstep=True) == 1 and dynesty_queue_size(5000, 1, lockstep=True) == MAX_QUEUE
    assert dynesty_queue_size(500, 1) == 1
    assert dynesty_queue_size(500, 2) == 62 and dynesty_queue_size(50, 2) == 6 and dynesty_queue_size(8, 2) == 2
    assert dynesty_queue_size(5000, 2) == MAX_QUEUE


def test_dynesty_gives_the_same_fit_with_one_or_two_processes(outer):
    """The random walks of each refill run in lockstep, split between the processes: one or
    two processes give the same posterior draws (to the rounding of the compiled likelihood,
    which the walks' accept/reject decisions never meet here: the same draws exactly)."""
    cat, _ = outer
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40, 120)))
    sel = cat[mask][:300]
    runs = [rf.fit_reflex(sel, "constant", "dynesty", rng=7, nlive=80, dlogz=0.5, n_procs=n, report_progress=False)
            for n in (1, 2)]
    assert runs[0].info["queue_size"] == runs[1].info["queue_size"] == 10
    assert runs[0].info["lockstep"] and runs[1].info["lockstep"]
    assert runs[0].info["niter"] == runs[1].info["niter"]
    np.testing.assert_allclose(runs[1].samples, runs[0].samples, rtol=0, atol=1e-9)
    assert runs[0].info["logz"] == pytest.approx(runs[1].info["logz"], abs=1e-8)


def test_mixture_flags_the_wrong_distances_and_recovers_their_fraction(messy):
    sample, truth = messy
    wrong = np.asarray(truth["component"] == "wrong_distance")
    fit = rf.fit_reflex(sample, "constant", "mle", rng=1, n_starts=2)
    p = fit.outlier_probability
    far = wrong & (np.asarray(truth["dist_factor"]) > 4)  # factors near 2 can pass for halo stars
    assert p[far].mean() > 0.9 and p[wrong].mean() > 0.6 and p[~wrong].mean() < 0.02, (p[far].mean(), p[wrong].mean())
    f50, f16, f84 = fit.at(100.0)["f_out"]
    injected = wrong.mean()
    # f_out within 3 sigma (its Laplace band plus the binomial scatter of the draw is in the band)
    assert abs(f50 - injected) < 3 * 0.5 * (f84 - f16), (f50, injected)


def test_the_mixture_removes_the_bias_of_wrong_distances(messy):
    """The plain Gaussian fit is dragged by 10 % wrong distances (sigma_l at 100 kpc inflates by
    several sigma); the mixture fit agrees with the fit of the clean stars alone to a fraction
    of a sigma in every quantity."""
    sample, truth = messy
    t100 = rf.ReflexFit.point(LINEAR, mock.reflex_truth_vector()).at(100.0)
    clean = np.asarray(truth["component"] != "wrong_distance")
    ref = rf.fit_reflex(sample[clean], "linear", "mle", rng=2, outliers=None, start=mock.reflex_truth_vector(),
                        n_starts=0).at(100.0)
    gauss = rf.fit_reflex(sample, "linear", "mle", rng=2, outliers=None, start=mock.reflex_truth_vector(),
                          n_starts=0).at(100.0)
    mix = rf.fit_reflex(sample, "linear", "mle", rng=2, start=mock.reflex_truth_vector(), n_starts=0).at(100.0)
    assert (gauss["sigma_l"][0] - ref["sigma_l"][0]) / (0.5 * (ref["sigma_l"][2] - ref["sigma_l"][1])) > 3
    for q in ("v_travel", "l_apex", "b_apex", "vr_mean", "vphi_mean", "vtheta_mean", "sigma_los", "sigma_l",
              "sigma_b"):
        half = 0.5 * (ref[q][2] - ref[q][1])
        assert abs(mix[q][0] - ref[q][0]) < 0.5 * half, (q, mix[q], ref[q])
        assert abs(ref[q][0] - t100[q][0]) < 4 * half, (q, ref[q], t100[q])  # and the clean fit is right


def test_iterative_clipping_removes_the_wrong_distances(messy):
    sample, truth = messy
    wrong = np.asarray(truth["component"] == "wrong_distance")
    fit, keep, n_iter = rf.fit_reflex_clipped(sample, "constant", rng=3, n_starts=1)
    assert fit.model.outliers is None and 1 < n_iter <= 10
    assert np.mean(~keep[wrong]) > 0.8 and np.mean(~keep[~wrong]) < 0.02
    assert fit.n_stars == keep.sum()


@pytest.mark.parametrize("suffix", ["csv", "ecsv", "fits"])
def test_a_twelve_column_catalogue_fits(tmp_path, suffix):
    cat, _ = mock.generate_outer_halo(9)
    slim = cat[list(rf.REFLEX_COLUMNS)]
    for name in slim.colnames:
        slim[name].unit = None
    path = tmp_path / f"slim.{suffix}"
    slim.write(path)
    table = read_catalog(path, required=rf.REFLEX_COLUMNS)
    assert table.colnames == list(rf.REFLEX_COLUMNS)
    mask, flow = rf.select_outer_halo(table, rf.OuterHaloCuts(r_range=(40, 120)))
    assert flow["remaining"][-1] == mask.sum() > 500
    assert rf.sky_subsamples(table).keys() == {"all", "north"}
    fit = rf.fit_reflex(table[mask], "constant", "mle", rng=1, n_starts=1)
    assert 0 < fit.at(100.0)["v_travel"][0] < 80
    with pytest.raises(CatalogError, match="FeH"):
        read_catalog(path)  # the full schema is still what chapter 1 asks for


def test_bad_reflex_settings_get_clear_errors(reference_catalogue):
    with pytest.raises(ValueError, match="f_max"):
        rf.OutlierMixture(f_max=0.7)
    with pytest.raises(ValueError, match="sigma"):
        rf.OutlierMixture(sigma=-1.0)
    with pytest.raises(ValueError, match="slope"):
        rf.DistancePrior(slope=-1.0)
    with pytest.raises(ValueError, match="unknown solar frame key.*galcen_vsun"):
        solar_frame({"galcen_vsun": (11.1, 244.24, 7.25)})
    with pytest.raises(ValueError, match="unknown solar frame 'pp22'"):
        solar_frame("pp22")
    with pytest.raises(ValueError, match="galcen_distance"):
        solar_frame({"galcen_distance": -8.0})
    table = reference_catalogue
    model = rf.ReflexModel("linear")
    stars = rf.ReflexStars.from_table(table)
    with pytest.raises(ValueError, match="f_out"):
        rf.log_likelihood(np.append(THETA18, 1.5), stars, model)
    with pytest.raises(ValueError, match="start lies outside the prior: f_out"):
        rf.fit_reflex(stars, model, "mle", start=np.append(THETA18, 0.5))
    with pytest.raises(ValueError, match="v_travel_40"):
        rf.fit_reflex(stars, model, "mle", start=np.append(np.r_[-5.0, THETA18[1:]], 0.01))
    with pytest.raises(ValueError, match="60 stars cannot constrain the 19 parameters of the linear reflex model.* at least 95"):
        rf.fit_reflex(table, "linear")
    with pytest.raises(ValueError, match="n_distance_nodes"):
        rf.ReflexStars.from_table(table, n_distance_nodes=0)
    with pytest.raises(KeyError, match="unknown parameter"):
        rf.ReflexModel("constant").from_dict({**dict(zip(rf.BASE_NAMES, THETA18[:9])), "f_out": 0.0, "vr_men": 1})
    with pytest.raises(ValueError, match="pm_errors"):
        mock.OuterHaloConfig(pm_errors="dr4")
