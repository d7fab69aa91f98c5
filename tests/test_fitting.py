"""Generic fitting helpers: chain summaries and the intervals they define."""

import numpy as np

from halo_utils.fitting import chain_summary, summary_contains


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
