"""Benchmarks (``make bench``): per-operation medians, printed and written to JSON.

    python -m halo_utils.bench [--repeat N] [--out _build/bench/bench.json]

Operations: generating the default mock survey (target < 60 s), the Galactocentric
transform with 200 Monte Carlo draws on 10,000 stars, the orbit integrations of
chapter 1, the sigma_r maps of chapter 2 (XY + XZ for three samples at n_mc = 1000 on the
~10,000 geometric-halo giants of the default mock; target <= 6 s in total), the density
likelihood of chapter 3 (target <= 5 ms), the reflex likelihood of chapter 5 on 800 stars
(continuity model, outlier mixture and distance marginalisation: target <= 0.6 ms
single-threaded, beside a plain one-star-at-a-time reference implementation as a ratio)
and its default dynesty continuity fit (target <= 10 min on 2 cores), and the chapters end
to end (papermill, full and ci profiles).
"""

from __future__ import annotations

import os

# single-threaded BLAS: the likelihood target is per core, and the thread pools of the
# chapters must not oversubscribe the two cores (set before numpy is imported)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json
import statistics
import time
from pathlib import Path

import numpy as np  # noqa: E402

from . import density as dens
from . import reflex as rf
from .cuts import CutConfig, chemistry_class
from .dynamics import orbit_extent
from .frames import K_KMS, frame_vectors, galactocentric, icrs_to_galactocentric
from .maps import grid_dispersion
from .mock import DEFAULT_SEED, GSE_TRUTH, forward_mock, generate_outer_halo, generate_survey, reflex_truth_vector
from .outputs import write_text_atomic
from .pipeline import CHAPTERS, REPO_ROOT, run_chapter
from .provenance import package_versions
from .reflex.sky import MS_TO_GAL, galactic_basis, galactic_to_galactocentric_axes, unit_vector
from .reflex.stars import observed_galactic
from .survey import SNR_LIMIT

__all__ = ["time_it", "run_benchmarks"]

#: The chapter-1 cuts whose thresholds the benchmarks reuse (giants, geometric halo).
CUTS = CutConfig()


def time_it(func, repeat: int = 3) -> dict:
    """Wall-clock seconds of ``func()`` over ``repeat`` calls: median, min, max."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "n": repeat}


def run_benchmarks(repeat: int = 3, chapters: bool = True, fit_reflex: bool = True) -> dict:
    """Run every benchmark; returns ``{operation: timing}`` (seconds, see `time_it`).

    Parameters
    ----------
    repeat : int
        Calls per operation (the chapters and the dynesty fit run once).
    chapters : bool
        Also time every chapter end to end at the ci and full profiles (tens of minutes).
    fit_reflex : bool
        Also time the default dynesty continuity fit of chapter 5 (minutes).
    """
    results = {}
    results["mock_generation_default"] = time_it(lambda: generate_survey(DEFAULT_SEED), repeat)
    _, cat, _ = generate_survey(DEFAULT_SEED)
    giants = cat[(cat["logg"] < CUTS.logg_max)][:10000]
    rng = np.random.default_rng(0)
    results["galactocentric_mc200_10k_stars"] = time_it(lambda: galactocentric(giants, n_mc=200, rng=rng), repeat)
    gc = galactocentric(giants[:2000], n_mc=0)
    pos = np.stack([gc["x"], gc["y"], gc["z"]])
    vel = np.stack([gc["vx"], gc["vy"], gc["vz"]])
    results["orbits_dopri853_2k_stars_3gyr"] = time_it(lambda: orbit_extent(pos, vel), repeat)
    results.update(_bench_maps(cat, repeat))
    results.update(_bench_density_likelihood())
    results.update(_bench_reflex(fit=fit_reflex))
    if chapters:
        results.update(_bench_chapters())
    return results


def _bench_maps(cat, repeat):
    """Chapter-2 maps on the default mock's geometric-halo giants (no orbit cuts)."""
    good = (cat["logg"] < CUTS.logg_max) & (cat["FLAG"] == 0) & (cat["SNR"] > SNR_LIMIT)
    gc = galactocentric(cat[good], n_mc=200, rng=np.random.default_rng(1))
    halo = (np.abs(gc["z"]) > CUTS.halo_z_min) & (gc["r"] > CUTS.halo_r_min)
    gc = gc[halo]
    chem = chemistry_class(cat["FeH"][good][halo], cat["aFe"][good][halo])
    samples = {"all": np.ones(len(gc), bool), "accreted": chem == "accreted",
               "insitu": chem != "accreted"}
    rng = np.random.default_rng(2)
    per_map = []

    def all_maps():
        for m in samples.values():
            for a, b in (("x", "y"), ("x", "z")):
                start = time.perf_counter()
                grid_dispersion(np.asarray(gc[a][m]), np.asarray(gc[b][m]), np.asarray(gc["V_r"][m]),
                                np.asarray(gc["V_r_err"][m]), n_mc=1000, rng=rng)
                per_map.append(time.perf_counter() - start)

    total = time_it(all_maps, repeat)
    total["n_stars"] = int(len(gc))
    single = {"median_s": statistics.median(per_map), "min_s": min(per_map), "max_s": max(per_map),
              "n": len(per_map)}
    return {"maps_xy_xz_3samples_nmc1000_total": total, "maps_per_map_nmc1000": single}


def _bench_density_likelihood(n_calls: int = 300):
    """One Poisson log-likelihood call at H3 scale: 1300 tiles x 240 nodes, ~5,500 stars."""
    tiles, _, _ = generate_survey(DEFAULT_SEED)
    start = time.perf_counter()
    survey = dens.SelectionGrid.from_tiles(tiles)
    setup = time.perf_counter() - start
    params = {**GSE_TRUTH, "log10_mass": 9.05}
    stars = dens.Stars.from_table(forward_mock(params, survey, np.random.default_rng(3)))
    times = []
    for _ in range(n_calls):
        t0 = time.perf_counter()
        dens.log_likelihood(params, stars, survey)
        times.append(time.perf_counter() - t0)
    return {
        "density_survey_precompute_1300_tiles": {"median_s": setup, "min_s": setup, "max_s": setup, "n": 1},
        "density_log_likelihood_single_thread": {
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "n": n_calls,
            "n_tiles": len(tiles), "n_distance_nodes": int(survey.distance.size),
            "n_weighted_nodes": survey.n_nodes, "n_stars": len(stars)},
    }


def _reference_reflex_log_likelihood(theta, table, model, distance_prior):
    """A plain reference implementation of the default reflex likelihood (continuity model,
    outlier mixture, distance marginalisation with the distance prior): one star and one
    quadrature node at a time, with astropy-free but textbook 3x3 algebra. Slow by design;
    `_bench_reflex` checks it agrees with `halo_utils.reflex.log_likelihood`."""
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


def _bench_reflex(n_calls: int = 2000, fit: bool = True):
    """Chapter 5: one reflex log-likelihood on 800 stars, single-threaded: the default
    (continuity model, outlier mixture, distance marginalisation with 5 nodes and the
    distance prior; target <= 0.6 ms), the first-order distance term for comparison, and a
    plain one-star-at-a-time reference implementation of the default (the ratio is the
    speed-up of the vectorised code; the two must agree); and the default-profile dynesty
    continuity fit on the default outer-halo mock (nlive 500, rwalk, 2 processes)."""
    cat, _ = generate_outer_halo(DEFAULT_SEED)
    model = rf.ReflexModel("linear")
    theta = model.with_f_out(reflex_truth_vector(), 0.015)
    results = {}
    for term in ("marginal", "model"):
        stars = rf.ReflexStars.from_table(cat[:800], distance_term=term)
        times = []
        for _ in range(n_calls):
            t0 = time.perf_counter()
            rf.log_likelihood(theta, stars, model)
            times.append(time.perf_counter() - t0)
        results[f"reflex_log_likelihood_800_stars_{term}_mixture"] = {
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "n": n_calls}
    fast = rf.log_likelihood(theta, rf.ReflexStars.from_table(cat[:800]), model)
    ref_times, ref = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        ref = _reference_reflex_log_likelihood(theta, cat[:800], model, rf.DistancePrior())
        ref_times.append(time.perf_counter() - t0)
    ref_median = statistics.median(ref_times)
    results["reflex_log_likelihood_800_stars_reference_loop"] = {
        "median_s": ref_median, "min_s": min(ref_times), "max_s": max(ref_times), "n": 3,
        "ratio_to_vectorised": ref_median / results["reflex_log_likelihood_800_stars_marginal_mixture"]["median_s"],
        "abs_difference_lnL": abs(ref - fast)}
    if fit:
        mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40.0, 120.0), clip=False))
        t0 = time.perf_counter()
        res = rf.fit_reflex(cat[mask], model, "dynesty", rng=5, nlive=500, n_procs=2)
        dt = time.perf_counter() - t0
        results["reflex_dynesty_continuity_fit_2_procs"] = {
            "median_s": dt, "min_s": dt, "max_s": dt, "n": 1, "n_stars": res.n_stars, **res.info}
    return results


def _bench_chapters():
    out = REPO_ROOT / "_build" / "bench"
    results = {}
    for profile in ("ci", "full"):  # full last, so the default outputs end as the book's
        for chapter in CHAPTERS:
            # each chapter reads its predecessor's outputs from the default locations,
            # so the benchmark runs write there (as `make book` does)
            results[f"{chapter}_{profile}_profile"] = time_it(
                lambda c=chapter, p=profile: run_chapter(c, p, output_dir=out / "nb"), 1)
    return results


def _main(argv=None):
    parser = argparse.ArgumentParser(description="halo_utils benchmarks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(REPO_ROOT / "_build" / "bench" / "bench.json"))
    parser.add_argument("--no-chapters", action="store_true", help="skip the notebook timings")
    parser.add_argument("--no-reflex-fit", action="store_true", help="skip the dynesty fit timing")
    args = parser.parse_args(argv)
    results = run_benchmarks(args.repeat, chapters=not args.no_chapters, fit_reflex=not args.no_reflex_fit)
    width = max(map(len, results))
    for name, r in results.items():
        print(f"{name:<{width}}  median {r['median_s']:8.3f} s  (min {r['min_s']:.3f}, max {r['max_s']:.3f}, n={r['n']})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps({"results": results, "versions": package_versions()}, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    _main()
