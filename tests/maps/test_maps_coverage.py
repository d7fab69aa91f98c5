"""How often a map's bands cover the truth."""

import numpy as np

from halo_utils import maps


def test_band_coverage():
    res = {"median": np.array([1.0, 1.0, np.nan]), "p16": np.array([0.5, 0.5, 0]),
           "p84": np.array([1.5, 1.5, 0]), "p2_5": np.array([0.0, 0.0, 0]), "p97_5": np.array([2.0, 2.0, 0])}
    assert maps.band_coverage(np.array([1.2, 1.8, 1.0]), res) == {"n_cells": 2, "in_68": 0.5, "in_95": 1.0}
