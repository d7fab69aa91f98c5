"""A tile table built from a survey's records (halo_utils.survey.targeting), checked on the
embedded mock, whose tiles were made by the generator from the true fibre budget: the depths
measured from the catalogue's S/N and the fibre fractions counted from the targeting must
give back the generator's tiles within their statistical errors, and the selection function
computed from them the same expected numbers."""

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from halo_utils.survey import (SelectionConfig, build_tiles, effective_selection, giant_luminosity_function,
                               tile_depth_from_snr, validate_tiles)

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def mock_records():
    """The mock survey's tiles and its catalogue; the targeting file a survey would keep,
    rebuilt from the generator's candidate counts and the catalogue's observed stars."""
    tiles = Table.read(DATA / "h3_mock_tiles.fits")
    catalog = Table.read(DATA / "h3_mock_catalog.fits")
    rows = []
    for k in (1, 2):
        observed = np.bincount(np.searchsorted(tiles["tileID"], catalog["tileID"][catalog["XFIT_RANK"] == k]),
                               minlength=len(tiles))
        for tile_id, n_cand, n_obs in zip(tiles["tileID"], tiles[f"n_cand_rank{k}"], observed):
            assert n_obs <= n_cand
            rows += [(tile_id, k, i < n_obs) for i in range(n_cand)]
    targets = Table(rows=rows, names=("tileID", "rank", "observed"))
    return tiles, catalog, targets


def test_depths_from_the_spectra_match_the_generators_within_their_error(mock_records):
    tiles, catalog, _ = mock_records
    depth = tile_depth_from_snr(catalog["tileID"], catalog["PS_R"], catalog["SNR"])
    assert list(depth["tileID"]) == list(tiles["tileID"])
    residual = np.asarray(depth["r_lim"]) - np.asarray(tiles["r_lim"])
    # a median of n log-normal draws: error 1.25 x (2.5 s / ln 10) / sqrt(n), s = 0.15
    sigma = 1.2533 * 2.5 * SelectionConfig().snr_log_scatter / np.log(10) / np.sqrt(depth["n_spectra"])
    pulls = residual / sigma
    assert abs(np.mean(pulls)) < 4 / np.sqrt(len(pulls))   # no bias
    assert 0.8 < np.std(pulls) < 1.25                        # the stated error
    assert np.max(np.abs(pulls)) < 5


def test_fibre_fractions_counted_from_the_targeting_match_the_fibre_budget(mock_records):
    tiles, catalog, targets = mock_records
    fields = tiles["tileID", "RA", "DEC", "radius", "r_lim", "has_rank1"]
    built = build_tiles(fields, targets)
    np.testing.assert_allclose(built["solid_angle"], tiles["solid_angle"], rtol=1e-12)
    for k in (1, 2):
        n = np.asarray(built[f"n_cand_rank{k}"])
        f_true, f_hat = np.asarray(tiles[f"f_rank{k}"]), np.asarray(built[f"f_rank{k}"])
        assert list(n) == list(tiles[f"n_cand_rank{k}"])
        has = n > 0
        # each tile's observed count is binomial(n, f) about the generator's fraction
        sigma = np.sqrt(f_true[has] * (1 - f_true[has]) / n[has]) + 1e-12
        assert np.all(np.abs(f_hat[has] - f_true[has]) <= 5 * sigma + 1e-9)
        assert np.all(f_hat[~has] == 1.0)
    assert int(built["n_obs_rank1"].sum() + built["n_obs_rank2"].sum()) == len(catalog)


def test_the_selection_function_of_the_built_tiles_matches_the_generators(mock_records):
    tiles, catalog, targets = mock_records
    depth = tile_depth_from_snr(catalog["tileID"], catalog["PS_R"], catalog["SNR"])
    fields = tiles["tileID", "RA", "DEC", "radius", "has_rank1"]
    fields["r_lim"] = depth["r_lim"]
    built = build_tiles(fields, targets)
    distance = np.geomspace(5, 60, 12)
    lf = giant_luminosity_function()
    expected = [np.sum(np.asarray(effective_selection(t, distance, lf)) * np.asarray(t["solid_angle"])[:, None], 0)
                for t in (tiles, built)]
    np.testing.assert_allclose(expected[1], expected[0], rtol=0.01)


def test_booleans_written_as_words_in_a_csv_file_are_read(tmp_path):
    fields = Table({"tileID": [3, 1], "RA": [10.0, 20.0], "DEC": [0.0, 5.0], "radius": [1.0, 0.5],
                    "r_lim": [18.0, 17.5], "has_rank1": [True, False]})
    targets = Table({"tileID": [1, 1, 3], "rank": [1, 2, 2], "observed": [True, False, True]})
    fields.write(tmp_path / "fields.csv")
    targets.write(tmp_path / "targets.csv")
    from_csv = build_tiles(Table.read(tmp_path / "fields.csv"), Table.read(tmp_path / "targets.csv"))
    direct = build_tiles(fields, targets)
    for name in ("has_rank1", "f_rank1", "f_rank2"):
        assert list(from_csv[name]) == list(direct[name])


def test_has_rank1_defaults_to_tiles_with_rank1_candidates_and_radius_gives_the_solid_angle():
    fields = Table({"tileID": [3, 1], "RA": [10.0, 20.0], "DEC": [0.0, 5.0], "radius": [1.0, 0.5],
                    "r_lim": [18.0, 17.5]})
    targets = Table({"tileID": [1, 1, 3, 3, 3], "rank": [1, 2, 2, 2, 2],
                     "observed": [True, False, True, True, False]})
    built = build_tiles(fields, targets)
    validate_tiles(built)
    assert list(built["has_rank1"]) == [False, True]
    assert list(built["f_rank1"]) == [1.0, 1.0] and list(built["f_rank2"]) == [2 / 3, 0.0]
    np.testing.assert_allclose(built["solid_angle"][0], 2 * np.pi * (1 - np.cos(np.deg2rad(1.0))))


@pytest.mark.parametrize("change, message", [
    (lambda f, t: f.remove_column("r_lim"), "r_lim"),
    (lambda f, t: f.remove_column("radius"), "radius"),
    (lambda f, t: f.__setitem__("tileID", [1, 1]), "repeat"),
    (lambda f, t: f.__setitem__("r_lim", [np.nan, 18.0]), "finite depth"),
    (lambda f, t: t.__setitem__("tileID", [1, 9, 3, 3, 3]), "not in fields"),
    (lambda f, t: t.__setitem__("rank", [1, 2, 3, 2, 2]), "rank other than 1 or 2"),
    (lambda f, t: t.__setitem__("observed", [1, 0, 2, 1, 0]), "observed"),
    (lambda f, t: t.__setitem__("observed", ["True", "no", "True", "True", "False"]), "neither True nor False"),
])
def test_bad_records_are_refused_with_the_column_named(change, message):
    fields = Table({"tileID": [3, 1], "RA": [10.0, 20.0], "DEC": [0.0, 5.0], "radius": [1.0, 0.5],
                    "r_lim": [18.0, 17.5]})
    targets = Table({"tileID": [1, 1, 3, 3, 3], "rank": [1, 2, 2, 2, 2],
                     "observed": [True, False, True, True, False]})
    change(fields, targets)
    with pytest.raises((ValueError, TypeError), match=message):
        build_tiles(fields, targets)
