"""Distance errors folded into the density likelihood (conventions §8): each star integrated
over its true distance, and the radial cut of the selection applied to observed distances."""

import numpy as np
import pytest
from scipy import stats

from halo_utils import density as dens
from halo_utils.density.kernel import CompiledLogProbability
from halo_utils.frames import icrs_to_galactocentric
from halo_utils.mock import forward_mock
from halo_utils.survey import distance_modulus, giant_luminosity_function, selection_probability

MODEL = "triaxial_double_break"


@pytest.fixture(scope="module")
def observed_mock(survey_small, small_survey, gse_truth):
    """A forward mock with 20 % distance errors whose radial cut, 6 < r < 60 kpc, is on the
    observed distances (as chapter 1 cuts): drawn through a grid of true radii 2-140 kpc."""
    tiles = small_survey[0]
    wide = dens.SelectionGrid.from_tiles(survey_small.tiles, distance=np.geomspace(1, 150, 200), r_range=(2.0, 140.0))
    truth = {**gse_truth, "log10_mass": 10.1}
    mock = forward_mock(truth, wide, np.random.default_rng(5), distance_error=0.2)
    r = np.sqrt(mock["x"] ** 2 + mock["y"] ** 2 + mock["z"] ** 2)
    assert len(tiles) > len(survey_small.tiles)  # the satellite fields are out of the grid
    return mock[(r > 6) & (r < 60)], truth


@pytest.fixture(scope="module")
def folded_grid(survey_small):
    return dens.SelectionGrid.from_tiles(survey_small.tiles, distance=survey_small.distance, distance_error=0.2)


def test_tiny_errors_give_the_plain_likelihood(observed_mock, survey_small, gse_truth):
    """With distance errors of 1e-7 every node sits at the observed distance, so the folded star
    term is the plain one: equal ln L at two parameter points (the stars at their true distances,
    where each is selectable)."""
    mock, _ = observed_mock
    exact = mock.copy()
    exact["dist_adpt"] = exact["true_distance"]
    exact["dist_adpt_err"] = 1e-7 * exact["dist_adpt"]
    n = len(exact)
    pos, _ = icrs_to_galactocentric(exact["RA"], exact["DEC"], exact["dist_adpt"], *np.zeros((3, n)))
    exact["x"], exact["y"], exact["z"] = pos
    folded = dens.fold_distance_errors(exact, survey_small)
    plain = dens.Stars.from_table(exact)
    for params in (gse_truth, {**gse_truth, "r1": 10.5, "q": 0.62, "pitch": 10.0}):
        assert dens.log_likelihood(params, folded, survey_small) == pytest.approx(
            dens.log_likelihood(params, plain, survey_small), abs=1e-3)


def test_star_term_against_a_brute_force_integral(observed_mock, folded_grid, gse_truth):
    """Each star's folded term against the integral of its definition (module docstring of
    `halo_utils.density.distance_errors`) on 400,000 evenly spaced points in ln D (the integrand
    jumps at the magnitude edges, so evenly spaced points converge only as their spacing). The
    segments end at those jumps, but not at the kinks of the density at the break radii, which
    move with the parameters: a kink inside a segment limits a star's term to ~1e-3 (the
    differences of ln L that the fit sees converge much better: `test_quadrature_converges`)."""
    mock, _ = observed_mock
    rows = mock[:12]
    folded = dens.fold_distance_errors(rows, folded_grid)
    m = dens.get_model(MODEL)
    ln_n = dens.log_number_density(folded.mono, gse_truth, m)
    term = np.log(np.sum(np.exp(ln_n.reshape(folded.ln_weight.shape) + folded.ln_weight), axis=1))
    tiles = folded_grid.tiles
    lf = giant_luminosity_function()
    for i, row in enumerate(rows):
        t = tiles[list(tiles["tileID"]).index(row["tileID"])]
        sigma = row["dist_adpt_err"] / row["dist_adpt"]
        z = np.linspace(-5, 5, 400_001)
        d = row["dist_adpt"] * np.exp(sigma * z)
        n = d.size
        pos, _ = icrs_to_galactocentric(np.full(n, row["RA"]), np.full(n, row["DEC"]), d, *np.zeros((3, n)))
        abs_mag = row["PS_R"] - distance_modulus(d)
        prior = d**3 * np.exp(-0.5 * z**2) * lf.pdf(abs_mag) * selection_probability(
            abs_mag, d, t["r_lim"], t["has_rank1"], t["f_rank1"], t["f_rank2"])
        density = np.exp(dens.log_number_density(dens.monomials(pos), gse_truth, m))
        assert term[i] == pytest.approx(np.log(np.sum(prior * density) / np.sum(prior)), abs=2e-3)


def test_quadrature_converges(observed_mock, folded_grid, gse_truth):
    """Differences of ln L, which the fit sees, with 12 nodes per segment against 48."""
    mock, _ = observed_mock
    other = {**gse_truth, "r1": 11.0, "alpha2": 3.0, "q": 0.69}

    def delta(k):
        stars = dens.fold_distance_errors(mock, folded_grid, nodes_per_segment=k)
        return dens.log_likelihood(gse_truth, stars, folded_grid) - dens.log_likelihood(other, stars, folded_grid)
    assert delta(12) == pytest.approx(delta(48), abs=0.01)


def test_folded_gradient_and_compiled_kernel(observed_mock, folded_grid, gse_truth):
    """The exact gradient of the folded likelihood against central differences, and the compiled
    kernel (one value and a batch) against numpy."""
    mock, _ = observed_mock
    stars = dens.fold_distance_errors(mock[:400], folded_grid)
    m = dens.get_model(MODEL)
    x = m.vector({**gse_truth, "log10_mass": 10.1, "r1": 12.3})
    value, grad = dens.log_probability_and_gradient(x, stars, folded_grid, m)
    assert value == pytest.approx(dens.log_probability(x, stars, folded_grid, m), rel=1e-12)
    for i, name in enumerate(m.free):
        h = 1e-5 * max(1.0, abs(x[i]))
        e = np.zeros(x.size)
        e[i] = h
        fd = (dens.log_probability(x + e, stars, folded_grid, m) - dens.log_probability(x - e, stars, folded_grid, m))
        assert grad[i] == pytest.approx(fd / (2 * h), rel=1e-4, abs=1e-4), name
    kernel = CompiledLogProbability(stars, folded_grid, m)
    assert kernel(x) == pytest.approx(value, rel=1e-10)
    batch = np.array([x, x + 0.01, m.vector(gse_truth | {"log10_mass": 10.0})])
    np.testing.assert_allclose(kernel.batch(batch), [dens.log_probability(v, stars, folded_grid, m) for v in batch],
                               rtol=1e-10)


@pytest.mark.slow
def test_folding_removes_the_bias_of_distance_errors(observed_mock, survey_small, folded_grid):
    """Independent truth: the mock's stars were drawn at known parameters and their distances
    scattered by 20 %. Ignoring the errors, the truth is rejected (the likelihood ratio of the
    maximum against the truth, chi^2 with 10 dof, p < 1e-4); folded in, it is not (p > 1e-3)."""
    mock, truth = observed_mock
    m = dens.get_model(MODEL)
    for stars, grid, consistent in ((dens.Stars.from_table(mock), survey_small, False),
                                    (dens.fold_distance_errors(mock, folded_grid), folded_grid, True)):
        fit = dens.fit_mle(stars, grid, m, n_starts=0, rng=np.random.default_rng(1), start=truth)
        lr = 2 * (fit["log_likelihood"] - dens.log_likelihood(truth, stars, grid, m))
        p = stats.chi2.sf(lr, m.ndim)
        assert (p > 1e-3) if consistent else (p < 1e-4), (consistent, lr, p)


def test_radial_cut_on_observed_distances(small_survey):
    """`SelectionGrid(distance_error=s)`: each node's weight counts the chance that its observed
    distance D e^(s g) falls in the radial range, checked by Monte Carlo along one tile; zero
    error keeps the hard cut."""
    tiles = small_survey[0][:40]
    dist = np.geomspace(1, 150, 60)
    hard = dens.SelectionGrid.from_tiles(tiles, distance=dist)
    soft = dens.SelectionGrid.from_tiles(tiles, distance=dist, distance_error=0.2)
    assert soft.distance_error == 0.2 and dens.apply_completeness(soft, lambda p: np.ones(p.shape[1])).distance_error == 0.2
    np.testing.assert_array_equal(hard.inside, dens.SelectionGrid.from_tiles(tiles, distance=dist, distance_error=0.0).inside)
    rng = np.random.default_rng(4)
    t = 7
    ln_d = np.log(dist)
    edges = np.concatenate([[ln_d[0]], 0.5 * (ln_d[1:] + ln_d[:-1]), [ln_d[-1]]])
    n = 20_000
    for j in (5, 20, 33, 45, 52):  # inside, near 6 kpc, middle, near 60 kpc, beyond
        d_obs = np.exp(rng.uniform(edges[j], edges[j + 1], n) + 0.2 * rng.standard_normal(n))
        pos, _ = icrs_to_galactocentric(np.full(n, tiles["RA"][t]), np.full(n, tiles["DEC"][t]), d_obs,
                                        *np.zeros((3, n)))
        r = np.sqrt(np.sum(pos**2, axis=0))
        expected = np.mean((r > 6) & (r < 60))
        assert soft.inside[t, j] == pytest.approx(expected, abs=4 * np.sqrt(0.25 / n) + 2e-3), j
    with pytest.raises(ValueError, match="distance_error"):
        dens.SelectionGrid.from_tiles(tiles, distance=dist, distance_error=-0.1)


def test_bad_inputs_are_named(observed_mock, folded_grid):
    mock, _ = observed_mock
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['PS_R'\]"):
        dens.fold_distance_errors(mock[[c for c in mock.colnames if c != "PS_R"]], folded_grid)
    bad = mock[:5].copy()
    bad["dist_adpt_err"][2] = 0.0
    with pytest.raises(ValueError, match="1 stars have dist_adpt or dist_adpt_err"):
        dens.fold_distance_errors(bad, folded_grid)
    bad = mock[:5].copy()
    bad["tileID"][0] = -99
    with pytest.raises(ValueError, match="tiles not in the selection grid"):
        dens.fold_distance_errors(bad, folded_grid)
    bad = mock[:5].copy()
    bad["PS_R"][1] = 30.0  # no giant within 5 sigma of its distance is that faint
    with pytest.raises(ValueError, match="1 stars have zero probability at every distance node"):
        dens.fold_distance_errors(bad, folded_grid)
    with pytest.raises(ValueError, match="tile-based"):
        dens.fold_distance_errors(mock[:5], dens.SelectionGrid.from_nodes(np.ones((3, 4)), np.ones(4)))
    with pytest.raises(ValueError, match="weights must sum to one"):
        dens.Stars(np.ones((3, 2, 3)), ln_weight=np.zeros((2, 3)))
