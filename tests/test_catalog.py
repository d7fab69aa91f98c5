"""Schema validation of catalogues (conventions §2): one clear error per kind of bad input."""

import numpy as np
import pytest
from astropy.table import Table

from halo_utils.catalog import (REQUIRED_COLUMNS, CatalogError, match_truth, read_catalog, validate_catalog,
                                write_catalog)


@pytest.fixture
def good(small_survey):
    return small_survey[1][:500].copy()


def test_mock_catalogue_is_valid(good):
    assert validate_catalog(good) is good


def test_missing_column_named(good):
    good.remove_column("Vrad_err")
    with pytest.raises(CatalogError, match="missing required column: 'Vrad_err'"):
        validate_catalog(good)


@pytest.mark.parametrize("column", ["Vrad", "dist_adpt", "GAIAEDR3_PMRA", "FeH"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_counted(good, column, bad):
    good[column][[3, 7, 11]] = bad
    with pytest.raises(CatalogError, match=rf"column '{column}': 3 rows are NaN, inf or masked"):
        validate_catalog(good)


@pytest.mark.parametrize("column", ["dist_adpt", "dist_adpt_err", "Vrad_err", "GAIAEDR3_PMRA_ERROR",
                                    "GAIAEDR3_PARALLAX_ERROR", "FeH_err"])
def test_non_positive_distance_or_error(good, column):
    good[column][0] = 0.0
    good[column][1] = -1.0
    with pytest.raises(CatalogError, match=rf"column '{column}': 2 rows are <= 0"):
        validate_catalog(good)


def test_declination_out_of_range(good):
    good["DEC"][5] = 90.5
    good["DEC"][6] = -91.0
    with pytest.raises(CatalogError, match=r"column 'DEC': 2 rows have \|DEC\| > 90"):
        validate_catalog(good)


def test_correlation_out_of_range(good):
    good["GAIAEDR3_PMRA_PMDEC_CORR"][:4] = 1.2
    with pytest.raises(CatalogError, match=r"GAIAEDR3_PMRA_PMDEC_CORR': 4 rows lie outside \[-1, 1\]"):
        validate_catalog(good)


def test_wrong_dtype_string(good):
    good.replace_column("RA", np.asarray(good["RA"]).astype(str))
    with pytest.raises(CatalogError, match=r"column 'RA' has dtype <U\d+, expected a real number"):
        validate_catalog(good)


def test_wrong_dtype_float_id(good):
    good.replace_column("star_id", np.asarray(good["star_id"], float))
    with pytest.raises(CatalogError, match="column 'star_id' has dtype float64, expected an integer"):
        validate_catalog(good)


def test_duplicate_ids(good):
    good["star_id"][1] = good["star_id"][0]
    with pytest.raises(CatalogError, match="column 'star_id': 1 row repeat"):
        validate_catalog(good)


def test_error_is_a_value_error():
    assert issubclass(CatalogError, ValueError)
    with pytest.raises(ValueError):
        validate_catalog(Table({"star_id": [1]}))


def test_rcat_with_extra_columns_reads_unchanged(good, tmp_path):
    """A real rcat file carries many more columns and no `survey`: kept as they are."""
    rcat = good.copy()
    rcat.remove_column("survey")
    rcat["Teff"] = np.linspace(4000, 5000, len(rcat))
    rcat["MINESweeper_flags"] = np.arange(len(rcat), dtype=np.int16)
    rcat["GAIAEDR3_ID"] = np.arange(len(rcat), dtype=np.int64) + 10**18
    path = tmp_path / "rcat_like.fits"
    rcat.write(path)
    back = read_catalog(path)
    assert back.colnames == rcat.colnames
    for name in rcat.colnames:
        np.testing.assert_array_equal(np.asarray(back[name]), np.asarray(rcat[name]))


def test_roundtrip_and_missing_file(good, tmp_path):
    path = tmp_path / "cat.fits"
    write_catalog(good, path)
    with pytest.raises(FileExistsError, match="refusing to overwrite .*cat.fits"):
        write_catalog(good, path)  # an existing file is never replaced by default
    write_catalog(good, path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.fits"]  # no temporary left behind
    back = read_catalog(path)
    assert set(REQUIRED_COLUMNS) <= set(back.colnames)
    with pytest.raises(FileNotFoundError, match="catalogue file not found"):
        read_catalog(tmp_path / "nope.fits")


# ------------------------------------------------------------------ matching truth rows

def test_match_truth_reorders_and_refuses_missing_or_repeated_ids():
    cat = Table({"star_id": [3, 1, 2]})
    truth = Table({"star_id": [1, 2, 3, 4], "x": [10.0, 20.0, 30.0, 40.0]})
    assert list(match_truth(cat, truth, required=("x",))["x"]) == [30.0, 10.0, 20.0]
    with pytest.raises(CatalogError, match=r"1 catalogue star\(s\) have no row.*\[5\]"):
        match_truth(Table({"star_id": [1, 5]}), truth)
    with pytest.raises(CatalogError, match="repeated star_id"):
        match_truth(cat, Table({"star_id": [1, 1, 2, 3]}))
    with pytest.raises(CatalogError, match=r"lacks column\(s\) \['y'\]"):
        match_truth(cat, truth, required=("y",))
