"""Benchmarks (``make bench``): hot paths beside plain reference implementations, and single timings.

    python -m halo_utils.bench [--repeat N] [--out _build/bench/bench.json] [--no-chapters] ...

One run prints, side by side, each hot path against a plain implementation of the same work
with their ratio (`halo_utils.bench.pairs`), then the timings of single operations and of
the chapters (`halo_utils.bench.cases`), and writes every median to a JSON file with the
package versions.
"""

from .cases import run_single_timings, time_it
from .pairs import format_pairs, pair, run_pairs

__all__ = ["run_pairs", "pair", "format_pairs", "run_single_timings", "time_it", "run_benchmarks"]


def run_benchmarks(repeat: int = 3, chapters: bool = True, fit_reflex: bool = True, fits: bool = True,
                   study_mocks: int = 4) -> dict:
    """Run every benchmark: ``{"pairs": run_pairs(...), "single": run_single_timings(...)}``.

    Parameters
    ----------
    repeat : int
        Calls per single operation; the likelihood pairs use ``20 * repeat`` calls or more.
    chapters, fit_reflex : bool
        As for `run_single_timings` (the chapters end to end; the dynesty fit of chapter 5).
    fits, study_mocks
        As for `run_pairs`.
    """
    return {"pairs": run_pairs(20 * repeat, fits=fits, study_mocks=study_mocks),
            "single": run_single_timings(repeat, chapters=chapters, fit_reflex=fit_reflex)}
