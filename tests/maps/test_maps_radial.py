"""Radial profiles: the anisotropy of known velocity ellipsoids."""

import numpy as np

from halo_utils import maps


def test_anisotropy_recovers_beta(rng):
    n = 40000
    r = rng.uniform(10, 50, n)
    s_r = 150.0
    for beta in (0.0, 0.7):
        s_t = s_r * np.sqrt(1 - beta)
        vr, vt, vp = rng.normal(0, s_r, n), rng.normal(0, s_t, n), rng.normal(0, s_t, n)
        e = np.full(n, 2.0)
        res = maps.anisotropy(r, vr, vt, vp, e, e, e, edges=[10, 30, 50], n_mc=100, rng=rng, deconvolve=True)
        # beta from ~20000 stars per shell: error ~ (1 - beta) * sqrt(2 / N) ~ 0.01
        np.testing.assert_allclose(res["median"], beta, atol=0.04)
