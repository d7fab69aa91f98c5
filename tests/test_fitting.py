"""Generic fitting helpers: chain summaries and the intervals they define."""

import io
from types import SimpleNamespace

import numpy as np
import pytest

from halo_utils.fitting import NestedProgress, chain_summary, summary_contains


def test_summary_contains_the_central_interval(rng):
    """A value inside a 95 % interval of the samples is contained, one outside is not; the
    interval's own end points are inside (closed interval)."""
    samples = rng.normal([0.0, 10.0], [1.0, 2.0], size=(20000, 2))
    summary = chain_summary(samples, ("a", "b"))
    np.testing.assert_allclose([summary["a"]["p2.5"], summary["a"]["p97.5"]], [-1.96, 1.96], atol=0.06)
    inside = summary_contains(summary, {"a": 1.9, "b": 14.5, "c": 0.0})
    assert inside == {"a": True, "b": False}  # "c" is not a summarised parameter
    assert summary_contains(summary, {"a": summary["a"]["p16"]}, lo="p16", hi="p84") == {"a": True}
    assert summary_contains(summary, {"a": 1.5}, lo="p16", hi="p84") == {"a": False}


def test_nested_progress_estimates_the_iterations_left_from_dlogz():
    """Each nlive iterations shrink expm1(dlogz) by e: from dlogz with expm1 = e^3 expm1(target),
    three nlive are left; none once below the target; the report line says so."""
    stream = io.StringIO()
    report = NestedProgress(200, 0.5, label="dynesty", every=0.0)
    report.progress.stream = stream
    dlogz = np.log1p(np.e**3 * np.expm1(0.5))
    assert report.remaining_iterations(dlogz) == pytest.approx(600)
    assert report.remaining_iterations(0.4) == 0.0
    assert report.remaining_iterations(1000.0) == pytest.approx(200 * (1000 - np.log(np.expm1(0.5))))
    report(SimpleNamespace(delta_logz=dlogz), 1200, 5000)
    line = stream.getvalue()
    assert line.startswith("dynesty: 1,200/1,800 iterations (67 %)") and "5,000 calls" in line
