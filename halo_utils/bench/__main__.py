"""``python -m halo_utils.bench``: run the benchmarks, print them, write the medians to JSON."""

from __future__ import annotations

import os

# single-threaded BLAS: the likelihood targets are per core, and the pools of the chapters
# must not oversubscribe the cores (set before numpy is imported)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

from ..chapter import REPO_ROOT  # noqa: E402
from ..outputs import write_text_atomic  # noqa: E402
from ..provenance import package_versions  # noqa: E402
from . import format_pairs, run_benchmarks  # noqa: E402


def main(argv=None):
    """Parse the command line, run `run_benchmarks`, print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m halo_utils.bench", description="halo_utils benchmarks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(REPO_ROOT / "_build" / "bench" / "bench.json"))
    parser.add_argument("--no-chapters", action="store_true", help="skip the notebook timings")
    parser.add_argument("--no-reflex-fit", action="store_true", help="skip the dynesty fit timing")
    parser.add_argument("--no-fits", action="store_true", help="skip the maximum-likelihood fit pairs")
    parser.add_argument("--study-mocks", type=int, default=4, help="mocks of the coverage-study pair (0: skip)")
    args = parser.parse_args(argv)
    results = run_benchmarks(args.repeat, chapters=not args.no_chapters, fit_reflex=not args.no_reflex_fit,
                             fits=not args.no_fits, study_mocks=args.study_mocks)
    print(format_pairs(results["pairs"]))
    print()
    single = results["single"]
    width = max(map(len, single))
    for name, r in single.items():
        print(f"{name:<{width}}  median {r['median_s']:8.3f} s  (min {r['min_s']:.3f}, max {r['max_s']:.3f}, n={r['n']})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps({**results, "versions": package_versions()}, indent=2, default=float) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
