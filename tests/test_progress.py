"""Progress reports with an ETA."""

import io

import pytest

from halo_utils.progress import Progress, format_seconds


@pytest.mark.parametrize("seconds, text", [(5.64, "5.6 s"), (61.0, "1 min 1 s"), (3725.0, "1 h 2 min"),
                                           (float("inf"), "unknown")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_progress_extrapolates_linearly_and_says_when_done(monkeypatch):
    clock = iter([100.0, 130.0, 130.0, 160.0])  # start, then two reports
    monkeypatch.setattr("halo_utils.progress.time.perf_counter", lambda: next(clock))
    stream = io.StringIO()
    p = Progress("emcee", 400, unit="steps", upper_bound=True, stream=stream)
    line = p.update(100, "max tau 12")
    # 30 s for 100 steps: 300 steps to go take at most 90 s
    assert line == "emcee: 100/400 steps (25 %), 30.0 s elapsed, at most 1 min 30 s to go; max tau 12"
    assert p.update(400) == "emcee: 400/400 steps (100 %), 1 min 0 s elapsed, done"
    assert stream.getvalue().splitlines() == p.lines


def test_a_disabled_progress_prints_nothing(capsys):
    Progress("x", 2, enabled=False).update(1)
    assert capsys.readouterr().out == ""
