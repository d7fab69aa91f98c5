"""Benchmarks (``make bench``): per-operation medians, printed and written to JSON.

    python -m halo_utils.bench [--repeat N] [--out _build/bench/bench.json]

Operations: generating the default mock survey (target < 60 s), the Galactocentric
transform with 200 Monte Carlo draws on 10,000 stars, the orbit integrations of
chapter 1, and chapter 1 end to end (papermill, full profile and ci profile).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from .frames import galactocentric
from .mock import DEFAULT_SEED, generate_survey
from .pipeline import REPO_ROOT, run_chapter
from .provenance import package_versions

__all__ = ["time_it", "run_benchmarks"]


def time_it(func, repeat: int = 3) -> dict:
    """Wall-clock seconds of ``func()`` over ``repeat`` calls: median, min, max."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "n": repeat}


def run_benchmarks(repeat: int = 3, chapters: bool = True) -> dict:
    results = {}
    results["mock_generation_default"] = time_it(lambda: generate_survey(DEFAULT_SEED), repeat)
    _, cat, _ = generate_survey(DEFAULT_SEED)
    giants = cat[(cat["logg"] < 3.5)][:10000]
    rng = np.random.default_rng(0)
    results["galactocentric_mc200_10k_stars"] = time_it(lambda: galactocentric(giants, n_mc=200, rng=rng), repeat)
    from .dynamics import orbit_extent

    gc = galactocentric(giants[:2000], n_mc=0)
    pos = np.stack([gc["x"], gc["y"], gc["z"]])
    vel = np.stack([gc["vx"], gc["vy"], gc["vz"]])
    results["orbits_dopri853_2k_stars_3gyr"] = time_it(lambda: orbit_extent(pos, vel), repeat)
    if chapters:
        out = REPO_ROOT / "_build" / "bench"
        for profile in ("full", "ci"):
            results[f"chapter1_{profile}_profile"] = time_it(
                lambda p=profile: run_chapter("01_sample_construction", p, output_dir=out / "nb",
                                              overrides={"output_dir": str(out / f"ch1_{p}")}), 1)
    return results


def _main(argv=None):
    parser = argparse.ArgumentParser(description="halo_utils benchmarks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(REPO_ROOT / "_build" / "bench" / "bench.json"))
    parser.add_argument("--no-chapters", action="store_true", help="skip the notebook timings")
    args = parser.parse_args(argv)
    results = run_benchmarks(args.repeat, chapters=not args.no_chapters)
    width = max(map(len, results))
    for name, r in results.items():
        print(f"{name:<{width}}  median {r['median_s']:8.3f} s  (min {r['min_s']:.3f}, max {r['max_s']:.3f}, n={r['n']})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "versions": package_versions()}, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    _main()
