"""Bootstrap bands against S000's 10 % drop: the drop's bands are ~1/3 of the sampling error,
the bootstrap's cover the population dispersion at their nominal rate on repeated draws of a
population whose sigma(r) is known analytically."""

import numpy as np
import pytest

from halo_utils import maps

#: The test population: r uniform in [R_LO, R_HI] kpc, V_r ~ N(0, sigma(r)) with
#: sigma(r) = S15 (r / 15 kpc)^SLOPE, and heteroscedastic errors of 5-20 km/s.
R_LO, R_HI, S15, SLOPE = 5.0, 45.0, 140.0, -0.3
EDGES = np.array([5.0, 8.0, 12.0, 18.0, 28.0, 45.0])


def population_sigma(lo, hi):
    """sqrt of the mean of sigma(r)^2 over r uniform in [lo, hi] (the population value of the
    dispersion of every shell): the integral of (r / 15)^(2 SLOPE) in closed form."""
    k = 2 * SLOPE + 1
    mean = 15.0 * ((hi / 15.0) ** k - (lo / 15.0) ** k) / (k * (hi - lo))
    return S15 * np.sqrt(mean)


def draw_population(n, rng):
    r = rng.uniform(R_LO, R_HI, n)
    err = rng.uniform(5.0, 20.0, n)
    v = rng.normal(0.0, S15 * (r / 15.0) ** SLOPE) + rng.normal(0.0, err)
    return r, v, err


def test_bootstrap_counts_are_resamples_with_replacement(rng):
    counts = maps.bootstrap_counts(500, 300, rng)
    assert counts.shape == (500, 300) and counts.dtype == np.float32
    np.testing.assert_array_equal(counts.sum(axis=0), 500)
    assert np.all(counts == np.round(counts)) and counts.min() == 0
    # multinomial(n, 1/n): each count has mean 1 and variance 1 - 1/n; a star is left out e^-1 of the time
    assert counts.mean(dtype=np.float64) == pytest.approx(1.0)
    assert counts.var(dtype=np.float64) == pytest.approx(1 - 1 / 500, rel=0.02)
    assert np.mean(counts == 0) == pytest.approx(np.exp(-1), abs=0.01)
    assert maps.resample_weights(7, 3, rng, "drop", 0.0).sum() == 21
    with pytest.raises(ValueError, match="resampling"):
        maps.resample_weights(7, 3, rng, "jackknife")


def test_bootstrap_bands_are_three_times_the_drop_bands(rng):
    """One shell of 20,000 stars: the drop of f = 0.1 leaves realisations that differ by
    sqrt(f / (1 - f)) = 1/3 of the sampling error, which the bootstrap measures: the 68 %
    band widths differ by sqrt((1 - f) / f) = 3 (to the percentile noise of 1000 draws, ~5 %)."""
    n = 20000
    v = rng.normal(0.0, 100.0, n)
    kw = dict(edges=[0.0, 1.0], n_mc=1000, rng=rng)
    drop = maps.radial_profile(np.full(n, 0.5), v, np.zeros(n), **kw)
    boot = maps.radial_profile(np.full(n, 0.5), v, np.zeros(n), resampling="bootstrap", **kw)
    width = {name: res["p84"][0] - res["p16"][0] for name, res in (("drop", drop), ("boot", boot))}
    assert width["boot"] / width["drop"] == pytest.approx(3.0, rel=0.12)
    # the bootstrap band is the textbook sampling error of a dispersion, sigma / sqrt(2 (N - 1))
    assert width["boot"] / 2 == pytest.approx(100.0 / np.sqrt(2 * (n - 1)), rel=0.1)
    # both medians are the point dispersion to the percentile noise of the bootstrap's median,
    # 1.25 x 0.5 km/s / sqrt(1000) = 0.02 km/s: 5 of those
    assert boot["median"][0] == pytest.approx(drop["median"][0], abs=0.1)


def test_bootstrap_bands_cover_the_population_dispersion():
    """40 draws of the population (3,000 stars each, new positions, velocities and errors),
    five shells each, errors deconvolved: the bootstrap's 68 % and 95 % bands contain the
    population sigma in 0.68 and 0.95 of the 200 shells within 3 binomial sigma; the 10 %-drop
    bands of the same draws contain it far less often (expected ~0.26: a band of a third of
    the sampling error)."""
    truth = np.array([population_sigma(lo, hi) for lo, hi in zip(EDGES[:-1], EDGES[1:])])
    rng = np.random.default_rng(2024)
    hits = {"drop": [], "bootstrap": []}
    for _ in range(40):
        r, v, err = draw_population(3000, rng)
        for resampling in hits:
            res = maps.radial_profile(r, v, err, edges=EDGES, n_mc=400, rng=rng, deconvolve=True,
                                      resampling=resampling)
            hits[resampling].append(maps.band_coverage(truth, res))
    n_cells = sum(h["n_cells"] for h in hits["bootstrap"])
    assert n_cells == 200
    cover = {name: {band: np.mean([h[band] for h in rows]) for band in ("in_68", "in_95")}
             for name, rows in hits.items()}
    for band, p in (("in_68", 0.68), ("in_95", 0.95)):
        assert abs(cover["bootstrap"][band] - p) < 3 * np.sqrt(p * (1 - p) / n_cells), (band, cover)
    assert cover["drop"]["in_68"] < 0.68 - 3 * np.sqrt(0.68 * 0.32 / n_cells), cover
    assert cover["drop"]["in_95"] < 0.95 - 3 * np.sqrt(0.95 * 0.05 / n_cells), cover


@pytest.mark.parametrize("func", ["grid", "healpix", "hemisphere"])
def test_every_map_takes_the_bootstrap(func, rng):
    """Grid, HEALPix and hemisphere maps: the bootstrap's bands are wider than the drop's in
    every measured cell; a misspelt resampling is refused by name."""
    n = 4000
    x = rng.uniform(-10, 10, n)
    v, e = rng.normal(0, 100.0, n), np.full(n, 10.0)

    def call(**kw):
        if func == "grid":
            return maps.grid_dispersion(x, x[::-1], v, e, extent=(-10, 10), step=10.0, radius=12.0, **kw)
        if func == "healpix":
            return maps.healpix_dispersion(x * 18 % 360, x * 4, v, e, nside=1, **kw)
        res = maps.hemisphere_dispersion(x, v, e, **kw)
        return {k: np.array([res[h][k] for h in ("below", "above")]) for k in ("median", "p16", "p84")}

    drop, boot = (call(n_mc=200, rng=np.random.default_rng(1), resampling=s) for s in ("drop", "bootstrap"))
    good = np.isfinite(drop["median"])
    assert good.any()
    assert np.all((boot["p84"] - boot["p16"])[good] > (drop["p84"] - drop["p16"])[good])
    with pytest.raises(ValueError, match="resampling must be one of"):
        call(n_mc=5, rng=rng, resampling="bootstap")


def test_population_coverage_at_fixed_positions():
    """`population_coverage` on 3,000 fixed stars, 40 velocity draws: the bootstrap covers the
    population value of every shell at the nominal rates (3 binomial sigma over the 200
    shells), the drop does not, and its bands are ~3x narrower; the population value is
    sqrt(mean sigma^2) of the shell's stars, close to the analytic shell average."""
    rng = np.random.default_rng(7)
    r, _, err = draw_population(3000, rng)
    sigma = S15 * (r / 15.0) ** SLOPE
    res = maps.population_coverage(r, sigma, err, edges=EDGES, n_draws=40, rng=rng, n_mc=400)
    analytic = np.array([population_sigma(lo, hi) for lo, hi in zip(EDGES[:-1], EDGES[1:])])
    np.testing.assert_allclose(res["truth"], analytic, rtol=0.01)
    boot, drop = res["bootstrap"], res["drop"]
    assert boot["n_cells"] == drop["n_cells"] == 200
    for band, p in (("in_68", 0.68), ("in_95", 0.95)):
        assert abs(boot[band] - p) < 3 * np.sqrt(p * (1 - p) / 200), (band, boot)
        assert drop[band] < p - 3 * np.sqrt(p * (1 - p) / 200), (band, drop)
    assert boot["band_width_68"] / drop["band_width_68"] == pytest.approx(3.0, rel=0.15)
    with pytest.raises(ValueError, match="sigma_true"):
        maps.population_coverage(r, -sigma, err, edges=EDGES, n_draws=2, rng=rng)
