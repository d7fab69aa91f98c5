"""Timings of single operations and of the chapters (the part of ``make bench`` without a reference).

Operations: generating the default mock survey (target < 60 s), the Galactocentric
transform with 200 Monte Carlo draws on 10,000 stars, the orbit integrations of
chapter 1, the sigma_r maps of chapter 2 (XY + XZ for three samples at n_mc = 1000 on the
~10,000 geometric-halo giants of the default mock; target <= 6 s in total), the density
likelihood of chapter 3 (target <= 5 ms), the default dynesty continuity fit of chapter 5
(target <= 10 min on 2 cores), and the chapters end to end (papermill, full and ci
profiles). The hot paths timed beside a plain reference implementation of the same work are
in `halo_utils.bench.pairs`.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .. import density as dens
from .. import reflex as rf
from ..cuts import CutConfig, chemistry_class
from ..dynamics import orbit_extent
from ..frames import galactocentric
from ..maps import grid_dispersion
from ..mock import DEFAULT_SEED, GSE_TRUTH, forward_mock, generate_outer_halo, generate_survey
from ..pipeline import CHAPTERS, REPO_ROOT, run_chapter
from ..survey import SNR_LIMIT

__all__ = ["time_it", "run_single_timings"]

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


def run_single_timings(repeat: int = 3, chapters: bool = True, fit_reflex: bool = True) -> dict:
    """Time every single operation; returns ``{operation: timing}`` (seconds, see `time_it`).

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
    if fit_reflex:
        results.update(_bench_reflex_fit())
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


def _bench_reflex_fit():
    """The default-profile dynesty continuity fit of chapter 5 on the default outer-halo mock
    (nlive 500, rwalk, 2 processes; target <= 10 min on 2 cores)."""
    cat, _ = generate_outer_halo(DEFAULT_SEED)
    mask, _ = rf.select_outer_halo(cat, rf.OuterHaloCuts(r_range=(40.0, 120.0), clip=False))
    t0 = time.perf_counter()
    res = rf.fit_reflex(cat[mask], rf.ReflexModel("linear"), "dynesty", rng=5, nlive=500, n_procs=2)
    dt = time.perf_counter() - t0
    return {"reflex_dynesty_continuity_fit_2_procs": {"median_s": dt, "min_s": dt, "max_s": dt, "n": 1,
                                                      "n_stars": res.n_stars, **res.info}}


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
