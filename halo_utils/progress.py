"""Progress reports with an ETA for long steps (chains, studies, simulations).

One line per report, flushed at once, so that it appears live in a terminal and in a
papermill-echoed chapter (``python -m halo_utils.pipeline`` echoes the chapters' output)::

    emcee: 1,500/11,000 steps (14 %), 2 min 3 s elapsed, at most 13 min 0 s to go

The remaining time is extrapolated linearly from the work done so far.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``seconds`` as "1 h 2 min", "3 min 4 s" or "5.6 s"."""
    if seconds != seconds or seconds == float("inf"):
        return "unknown"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class Progress:
    """Report how far a step of ``total`` units has come and how long the rest should take.

    Parameters
    ----------
    label : str
        What runs, e.g. ``"emcee"`` or ``"coverage mocks"``.
    total : int
        Units of work in all (steps, tasks); the ETA assumes each costs the same.
    unit : str
        Name of a unit in the report.
    upper_bound : bool
        ``total`` is a maximum (a chain that may stop early once converged): the report says
        "at most ... to go".
    stream : file-like, optional
        Where the lines go (default: ``sys.stdout`` at the time of each report).
    enabled : bool
        False makes every report a no-op.
    """

    def __init__(self, label: str, total: int, *, unit: str = "", upper_bound: bool = False, stream=None,
                 enabled: bool = True):
        self.label, self.total, self.unit = label, int(total), unit
        self.upper_bound, self.stream, self.enabled = upper_bound, stream, enabled
        self.start = time.perf_counter()
        self.lines = []

    def eta(self, done: int) -> float:
        """Seconds still to go after ``done`` units, extrapolated linearly (inf before any)."""
        elapsed = time.perf_counter() - self.start
        return float("inf") if done <= 0 else elapsed * (self.total - done) / done

    def update(self, done: int, note: str = "") -> str:
        """Report that ``done`` of the units are finished; returns (and prints) the line."""
        elapsed = time.perf_counter() - self.start
        unit = f" {self.unit}" if self.unit else ""
        share = 100.0 * done / self.total if self.total else 100.0
        rest = "done" if done >= self.total else (
            f"{'at most ' if self.upper_bound else ''}{format_seconds(self.eta(done))} to go")
        line = (f"{self.label}: {done:,}/{self.total:,}{unit} ({share:.0f} %), "
                f"{format_seconds(elapsed)} elapsed, {rest}" + (f"; {note}" if note else ""))
        self.lines.append(line)
        if self.enabled:
            print(line, file=self.stream or sys.stdout, flush=True)
        return line
