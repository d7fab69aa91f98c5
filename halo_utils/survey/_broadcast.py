"""A broadcast that names the arrays in its error (shared by the survey modules)."""

from __future__ import annotations

import numpy as np


def broadcast(**arrays):
    """The arrays broadcast together; ValueError naming their shapes when they do not."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"the arrays do not broadcast together: {shapes}") from None
