"""Issue 11: every public function refuses bad input early with an exception that names the
offending parameter, column or file and says what was expected.

`CASES` is the inventory: one entry per bad input, ``(id, exception type, regex the message
must match, call)``; each call gets the shared `Data` (tiny tables, built once). The last test
counts the inventory so that it cannot shrink unnoticed. Positive tests at the end check
that the checks do not change what good input gives.
"""

from functools import cached_property

import astropy.units as u
import numpy as np
import pytest
import scipy.sparse as sp
from astropy.table import MaskedColumn, Table

from halo_utils import cuts, maps, mock, reflex as rf, survey
from halo_utils.catalog import CatalogError, read_catalog, validate_catalog, write_catalog
from halo_utils.dynamics import energy, orbit_extent
from halo_utils.fitting import run_emcee
from halo_utils.frames import (frame_vectors, galactic_lb, galactocentric, galactocentric_to_icrs,
                               icrs_to_galactocentric, solar_frame, spherical_components,
                               spherical_to_cartesian_velocity, wrap_longitude)
from halo_utils.mock import generate_outer_halo, reflex_truth_vector
from halo_utils.reflex import compare, sky
from halo_utils.reflex.maps import binned_mean, lmc_quadrant_masks as reflex_quadrants, smoothed_sky_mean
from halo_utils.pipeline import check_parameters, run_chapter
from halo_utils.samples import build_samples, selectable_component_mask, true_component_positions

LINEAR = rf.ReflexModel("linear")  # with the outlier mixture: 19 parameters, f_out last
THETA = LINEAR.with_f_out(reflex_truth_vector(), 0.01)
X = np.linspace(1.0, 5.0, 20)
ONES = np.ones(20)


class Data:
    """Tiny inputs shared by the cases (each method returns a fresh copy where a case edits it)."""

    def __init__(self, tmp):
        self.tmp = tmp

    @cached_property
    def _outer(self):
        return generate_outer_halo(5)

    def cat(self, n=40):
        """The first ``n`` stars of the outer-halo mock (every schema column)."""
        return self._outer[0][:n].copy()

    @cached_property
    def truth(self):
        return self._outer[1][:40].copy()

    @cached_property
    def stars(self):
        return rf.ReflexStars.from_table(self.cat(), distance_term="none")

    def tiles(self):
        """Five tiles with the columns and units of `halo_utils.mock.make_tiles`."""
        t = Table()
        t["tileID"] = np.arange(1, 6)
        t["RA"] = np.array([10.0, 80.0, 150.0, 220.0, 300.0]) * u.deg
        t["DEC"] = np.array([30.0, 45.0, 10.0, 60.0, -5.0]) * u.deg
        t["solid_angle"] = np.full(5, 9.6e-4) * u.sr
        t["r_lim"] = np.array([18.0, 17.5, 18.2, 17.9, 18.4]) * u.mag
        t["has_rank1"] = np.array([True, False, True, False, True])
        t["f_rank1"] = np.full(5, 1.0)
        t["f_rank2"] = np.full(5, 0.4)
        return t

    def edit(self, table, column, index, value):
        table[column][index] = value
        return table

    def path(self, name, content=None):
        path = self.tmp / name
        if content is not None:
            path.write_bytes(content)
        return path

    @cached_property
    def fits_bytes(self):
        path = self.tmp / "good.fits"
        self.cat(10).write(path, overwrite=True)
        return path.read_bytes()

    @cached_property
    def lf(self):
        return survey.giant_luminosity_function(n_nodes=201)

    @cached_property
    def fit(self):
        return rf.ReflexFit.point(LINEAR, THETA)


def _with_unit(table, column, unit):
    table[column].unit = unit
    return table


def _masked(table, column, index):
    table[column] = MaskedColumn(table[column], mask=np.arange(len(table)) == index)
    return table


def _replace(table, column, values):
    table.replace_column(column, values)
    return table


def _drop(table, column):
    table.remove_column(column)
    return table


def _mkdir(path):
    path.mkdir(exist_ok=True)
    return path


def _theta(**changes):
    theta = THETA.copy()
    for name, value in changes.items():
        theta[LINEAR.names.index(name)] = value
    return theta


def _write(table, path, **kwargs):
    table.write(path, overwrite=True, **kwargs)
    return path


def _grid(**kw):
    return maps.grid_dispersion(X, X, X, ONES, **{"n_mc": 5, "rng": np.random.default_rng(0), **kw})


def _hp(**kw):
    return maps.healpix_dispersion(X, X, X, ONES, **{"n_mc": 5, "rng": np.random.default_rng(0), **kw})


def _radial(**kw):
    return maps.radial_profile(X, X, ONES, **{"edges": [0.0, 10.0], "n_mc": 5, "rng": np.random.default_rng(0),
                                               **kw})


def _samples(d, catalog=None, **kw):
    return build_samples(d.cat() if catalog is None else catalog,
                         **{"n_mc": 0, "rng": np.random.default_rng(0), "orbit_integrator": "leapfrog", **kw})


def _kinematic_table(**columns):
    """l, b, r and the three velocities of `halo_utils.reflex.kinematic_statistics`, 20 stars."""
    return Table({"l": X * 60.0, "b": X * 10.0 - 30.0, "r": X * 30.0, "v_gsr": X, "v_l": X, "v_b": X, **columns})


def _flow_emptied():
    flow = cuts.CutFlow(3)
    flow.keep("a", np.array([True, True, False]))
    flow.keep("b", np.array([False, False, True]))
    flow.require_stars("the test sample")


R = np.random.default_rng

CASES = [
    # ---------------------------------------------------------------- catalog.py
    ("catalog/not-a-table", CatalogError, "expected an astropy Table, got dict",
     lambda d: validate_catalog({"RA": [1.0]})),
    ("catalog/missing-column", CatalogError, "missing required column: 'Vrad_err'",
     lambda d: validate_catalog(d.cat()[[c for c in d.cat().colnames if c != "Vrad_err"]])),
    ("catalog/required-is-a-str", TypeError, "required must be a collection of column names",
     lambda d: validate_catalog(d.cat(), required="RA")),
    ("catalog/required-unknown-name", ValueError, r"required names column\(s\) \['foo'\]",
     lambda d: validate_catalog(d.cat(), required=("RA", "foo"))),
    ("catalog/distance-in-km/s", CatalogError, r"column 'dist_adpt' is in km / s, which does not convert to "
     "the schema unit kpc", lambda d: validate_catalog(_with_unit(d.cat(), "dist_adpt", "km/s"))),
    ("catalog/pm-in-deg", CatalogError, "column 'GAIAEDR3_PMRA' is in deg",
     lambda d: validate_catalog(_with_unit(d.cat(), "GAIAEDR3_PMRA", "deg"))),
    ("catalog/feh-in-mag", CatalogError, "column 'FeH' is in mag, expected the schema unit dex",
     lambda d: validate_catalog(_with_unit(d.cat(), "FeH", "mag"))),
    ("catalog/unrecognised-unit", CatalogError, "column 'Vrad' has the unrecognised unit 'kmps'",
     lambda d: validate_catalog(_with_unit(d.cat(), "Vrad", u.Unit("kmps", parse_strict="silent")))),
    ("catalog/star_id-with-unit", CatalogError, "column 'star_id' is in pc, which does not convert",
     lambda d: validate_catalog(_with_unit(d.cat(), "star_id", "pc"))),
    ("catalog/RA-400", CatalogError, r"column 'RA': 1 row lies outside \[0, 360\) deg",
     lambda d: validate_catalog(d.edit(d.cat(), "RA", 3, 400.0))),
    ("catalog/RA-negative", CatalogError, r"column 'RA': 1 row lies outside \[0, 360\)",
     lambda d: validate_catalog(d.edit(d.cat(), "RA", 0, -10.0))),
    ("catalog/RA-in-rad-out-of-range", CatalogError, r"column 'RA': \d+ rows? lies? outside",
     lambda d: validate_catalog(d.edit(_with_unit(d.cat(), "RA", "rad"), "RA", 0, 7.0))),
    ("catalog/DEC-95", CatalogError, r"column 'DEC': 1 row has \|DEC\| > 90",
     lambda d: validate_catalog(d.edit(d.cat(), "DEC", 1, 95.0))),
    ("catalog/correlation-1.5", CatalogError, r"GAIAEDR3_PMRA_PMDEC_CORR': 1 row lies outside \[-1, 1\]",
     lambda d: validate_catalog(d.edit(d.cat(), "GAIAEDR3_PMRA_PMDEC_CORR", 2, 1.5))),
    ("catalog/NaN-velocity", CatalogError, "column 'Vrad': 1 row is NaN, inf or masked",
     lambda d: validate_catalog(d.edit(d.cat(), "Vrad", 2, np.nan))),
    ("catalog/masked-integer-flag", CatalogError, "column 'FLAG': 1 row is NaN, inf or masked",
     lambda d: validate_catalog(_masked(d.cat(), "FLAG", 4))),
    ("catalog/zero-distance", CatalogError, "column 'dist_adpt': 1 row is <= 0, expected > 0",
     lambda d: validate_catalog(d.edit(d.cat(), "dist_adpt", 0, 0.0))),
    ("catalog/negative-error", CatalogError, "column 'Vrad_err': 1 row is <= 0",
     lambda d: validate_catalog(d.edit(d.cat(), "Vrad_err", 0, -2.0))),
    ("catalog/float-star_id", CatalogError, "column 'star_id' has dtype float64, expected an integer",
     lambda d: validate_catalog(_replace(d.cat(), "star_id", np.arange(40.0)))),
    ("catalog/string-RA", CatalogError, r"column 'RA' has dtype <U\d+, expected a real number",
     lambda d: validate_catalog(_replace(d.cat(), "RA", np.full(40, "12.5")))),
    ("catalog/duplicate-star_id", CatalogError, "column 'star_id': 1 row repeats an earlier star_id",
     lambda d: validate_catalog(d.edit(d.cat(), "star_id", 1, d.cat()["star_id"][0]))),
    ("catalog/integer-survey", CatalogError, "column 'survey' has dtype int64, expected strings",
     lambda d: validate_catalog(_replace(d.cat(), "survey", np.zeros(40, int)))),
    ("catalog/read-missing-file", FileNotFoundError, "catalogue file not found: .*nope.fits",
     lambda d: read_catalog(d.path("nope.fits"))),
    ("catalog/read-path-not-a-path", TypeError, "path must be a str or os.PathLike",
     lambda d: read_catalog(42)),
    ("catalog/read-junk-file", CatalogError, r"junk\.fits: could not be read as a table",
     lambda d: read_catalog(d.path("junk.fits", b"not a table at all\n" * 50))),
    ("catalog/read-truncated-fits", CatalogError, r"trunc\.fits: could not be read as a table",
     lambda d: read_catalog(d.path("trunc.fits", d.fits_bytes[:len(d.fits_bytes) // 2]))),
    ("catalog/read-a-directory", CatalogError, r"adir: could not be read as a table",
     lambda d: read_catalog(_mkdir(d.path("adir")))),
    ("catalog/read-csv-missing-columns", CatalogError, r"slim\.csv: missing required column",
     lambda d: read_catalog(_write(d.cat()[["star_id", "RA", "DEC"]], d.path("slim.csv")))),
    ("catalog/read-fits-with-wrong-unit", CatalogError, r"kms\.fits: column 'dist_adpt' is in km / s",
     lambda d: read_catalog(_write(_with_unit(d.cat(), "dist_adpt", "km/s"), d.path("kms.fits")))),
    ("catalog/read-required-is-a-str", TypeError, "required must be a collection",
     lambda d: read_catalog(d.path("nope.fits"), required="RA")),
    ("catalog/write-overwrite-not-bool", TypeError, "overwrite must be True or False, got 'yes'",
     lambda d: write_catalog(d.cat(), d.path("w.fits"), overwrite="yes")),
    ("catalog/write-invalid-table", CatalogError, "column 'RA'",
     lambda d: write_catalog(d.edit(d.cat(), "RA", 0, 400.0), d.path("w.fits"))),

    # ---------------------------------------------------------------- survey.py
    ("survey/config-n_fibres-str", TypeError, "SelectionConfig.n_fibres must be an integer, got '200'",
     lambda d: survey.SelectionConfig(n_fibres="200")),
    ("survey/config-p_good_fit-1.5", ValueError, r"SelectionConfig.p_good_fit must be in \(0, 1\]",
     lambda d: survey.SelectionConfig(p_good_fit=1.5)),
    ("survey/config-window-reversed", ValueError, "rank1_bright must be brighter .* than rank1_faint",
     lambda d: survey.SelectionConfig(rank1_bright=18.0)),
    ("survey/config-scatter-NaN", ValueError, "SelectionConfig.snr_log_scatter must be a finite number",
     lambda d: survey.SelectionConfig(snr_log_scatter=np.nan)),
    ("survey/config-plx_limit-negative", ValueError, "SelectionConfig.plx_limit must be positive",
     lambda d: survey.SelectionConfig(plx_limit=-0.5)),
    ("survey/config-misspelt-field", TypeError, "snr_limt",
     lambda d: survey.SelectionConfig(snr_limt=3.0)),
    ("survey/distance_modulus-zero", ValueError, "distance_kpc: 1 value is <= 0, expected positive",
     lambda d: survey.distance_modulus([10.0, 0.0])),
    ("survey/distance_modulus-str", TypeError, "distance_kpc must hold real numbers",
     lambda d: survey.distance_modulus("10")),
    ("survey/distance_modulus-NaN", ValueError, "distance_kpc: 1 value is NaN or inf",
     lambda d: survey.distance_modulus(np.nan)),
    ("survey/astrometric_error-NaN", ValueError, "r_mag: 1 value is NaN or inf",
     lambda d: survey.astrometric_error([17.0, np.nan])),
    ("survey/parallax-negative-distance", ValueError, "distance_kpc: 1 value is <= 0",
     lambda d: survey.parallax_pass_probability(17.0, -1.0)),
    ("survey/snr-shapes", ValueError, r"do not broadcast together: r_mag \(3,\), r_lim \(2,\)",
     lambda d: survey.snr_pass_probability(np.ones(3), np.ones(2))),
    ("survey/rank_windows-has_rank1-str", TypeError, "has_rank1 must hold booleans",
     lambda d: survey.rank_windows(0.0, 16.0, 18.0, "yes")),
    ("survey/selection-f_rank1-1.5", ValueError, r"f_rank1: 1 value is outside \[0, 1\]",
     lambda d: survey.selection_probability(0.0, 10.0, 18.0, True, 1.5, 0.5)),
    ("survey/selection-config-dict", TypeError, "config must be a SelectionConfig, got dict",
     lambda d: survey.selection_probability(0.0, 10.0, 18.0, True, 0.5, 0.5, {"snr_limit": 3})),
    ("survey/lf-NaN-node", ValueError, "abs_mag: 1 value is NaN or inf",
     lambda d: survey.LuminosityFunction([0.0, np.nan, 2.0], [1.0, 1.0, 1.0])),
    ("survey/lf-shape-mismatch", ValueError, r"density must have shape \(3,\)",
     lambda d: survey.LuminosityFunction([0.0, 1.0, 2.0], [1.0, 1.0])),
    ("survey/lf-one-node", ValueError, "abs_mag must hold at least 2 values",
     lambda d: survey.LuminosityFunction([0.0], [1.0])),
    ("survey/lf-ppf-1.5", ValueError, r"q: 1 value is outside \[0, 1\]",
     lambda d: d.lf.ppf(1.5)),
    ("survey/lf-sample-lo-above-hi", ValueError, "lo > hi for 1 element",
     lambda d: d.lf.sample_between(1.0, -1.0, R(0))),
    ("survey/lf-sample-rng-int", TypeError, "rng must be a numpy.random.Generator",
     lambda d: d.lf.sample_between(-1.0, 1.0, 1)),
    ("survey/giant-lf-bright-after-faint", ValueError, "faint must be > 3",
     lambda d: survey.giant_luminosity_function(bright=3.0, faint=2.0)),
    ("survey/giant-lf-one-node", ValueError, "n_nodes must be >= 2, got 1",
     lambda d: survey.giant_luminosity_function(n_nodes=1)),
    ("survey/dwarf-lf-float-nodes", TypeError, "n_nodes must be an integer, got 2.5",
     lambda d: survey.dwarf_luminosity_function(n_nodes=2.5)),
    ("survey/tiles-NaN-r_lim", ValueError, "tile column 'r_lim': 1 tile is NaN or inf",
     lambda d: survey.validate_tiles(d.edit(d.tiles(), "r_lim", 2, np.nan))),
    ("survey/tiles-negative-solid-angle", ValueError, "tile column 'solid_angle': 1 tile is <= 0",
     lambda d: survey.validate_tiles(d.edit(d.tiles(), "solid_angle", 0, -1e-3))),
    ("survey/tiles-fraction-1.2", ValueError, r"tile column 'f_rank2': 1 tile is outside \[0, 1\]",
     lambda d: survey.validate_tiles(d.edit(d.tiles(), "f_rank2", 4, 1.2))),
    ("survey/tiles-missing-column", ValueError, "tiles lacks column 'f_rank1'",
     lambda d: survey.validate_tiles(_drop(d.tiles(), "f_rank1"))),
    ("survey/tiles-duplicate-id", ValueError, "tile column 'tileID': 1 tile repeats an earlier tileID",
     lambda d: survey.validate_tiles(d.edit(d.tiles(), "tileID", 1, 1))),
    ("survey/tiles-solid-angle-deg2", ValueError, "tile column 'solid_angle' is in deg2, expected sr",
     lambda d: survey.validate_tiles(_replace(d.tiles(), "solid_angle", np.full(5, 3.14) * u.deg**2))),
    ("survey/tiles-float-has_rank1", TypeError, "tile column 'has_rank1' must hold booleans",
     lambda d: survey.validate_tiles(_replace(d.tiles(), "has_rank1", np.full(5, 0.5)))),
    ("survey/tiles-empty", ValueError, "tiles has 0 rows, expected at least 1",
     lambda d: survey.validate_tiles(d.tiles()[:0])),
    ("survey/tiles-not-a-table", TypeError, "tiles must be an astropy Table, got list",
     lambda d: survey.validate_tiles([1, 2])),
    ("survey/tiles-RA-400", ValueError, r"tile column 'RA': 1 tile is outside \[0, 360\)",
     lambda d: survey.validate_tiles(d.edit(d.tiles(), "RA", 0, 400.0))),
    ("survey/effective-NaN-r_lim", ValueError, "tile column 'r_lim': 1 tile is NaN",
     lambda d: survey.effective_selection(d.edit(d.tiles(), "r_lim", 1, np.nan), [10.0], d.lf)),
    ("survey/effective-negative-solid-angle", ValueError, "tile column 'solid_angle'",
     lambda d: survey.effective_selection(d.edit(d.tiles(), "solid_angle", 1, -1.0), [10.0], d.lf)),
    ("survey/effective-negative-distance", ValueError, "distance_kpc: 1 value is <= 0",
     lambda d: survey.effective_selection(d.tiles(), [10.0, -1.0], d.lf)),
    ("survey/effective-2d-distance", ValueError, "distance_kpc must be 1-dimensional",
     lambda d: survey.effective_selection(d.tiles(), [[10.0]], d.lf)),
    ("survey/effective-mag_step-0", ValueError, "mag_step must be in \\(0, ",
     lambda d: survey.effective_selection(d.tiles(), [10.0], d.lf, mag_step=0.0)),
    ("survey/effective-tile_chunk-0", ValueError, "tile_chunk must be >= 1, got 0",
     lambda d: survey.effective_selection(d.tiles(), [10.0], d.lf, tile_chunk=0)),
    ("survey/effective-lf-wrong-type", TypeError, "lf must be a LuminosityFunction",
     lambda d: survey.effective_selection(d.tiles(), [10.0], "giants")),

    # ---------------------------------------------------------------- maps.py
    ("maps/n_mc-str", TypeError, "n_mc must be an integer, got '50'", lambda d: _grid(n_mc="50")),
    ("maps/n_mc-negative", ValueError, "n_mc must be >= 0, got -1", lambda d: _radial(n_mc=-1)),
    ("maps/n_mc-bool", TypeError, "n_mc must be an integer, got True", lambda d: _hp(n_mc=True)),
    ("maps/min_stars-float", TypeError, "min_stars must be an integer, got 2.5", lambda d: _grid(min_stars=2.5)),
    ("maps/drop_frac-NaN", ValueError, "drop_frac must be a finite number", lambda d: _grid(drop_frac=np.nan)),
    ("maps/drop_frac-str", TypeError, "drop_frac must be a real number", lambda d: _radial(drop_frac="0.1")),
    ("maps/grid-single-cell", ValueError, "single point per axis", lambda d: _grid(extent=(0.0, 0.5))),
    ("maps/grid-extent-reversed", ValueError, r"extent\[1\] must be > 5", lambda d: _grid(extent=(5.0, -5.0))),
    ("maps/grid-extent-three-numbers", ValueError, "extent must be two numbers",
     lambda d: _grid(extent=(0.0, 1.0, 2.0))),
    ("maps/grid-step-zero", ValueError, r"step must be positive \(kpc\), got 0", lambda d: _grid(step=0.0)),
    ("maps/grid-too-many-cells", ValueError, "grid points, expected at most", lambda d: _grid(step=1e-3)),
    ("maps/grid-radius-negative", ValueError, "radius must be positive", lambda d: _grid(radius=-1.0)),
    ("maps/grid-radius-NaN", ValueError, "radius must be a finite number", lambda d: _grid(radius=np.nan)),
    ("maps/grid-radius-too-large", ValueError, "too large to map",
     lambda d: _grid(step=0.02, extent=(-30.0, 30.0), radius=60.0)),
    ("maps/deconvolve-str", TypeError, "deconvolve must be True or False", lambda d: _grid(deconvolve="no")),
    ("maps/rng-missing", TypeError, "rng must be a numpy.random.Generator", lambda d: _radial(rng=None)),
    ("maps/nside-3", ValueError, "nside must be a power of 2", lambda d: _hp(nside=3)),
    ("maps/nside-str", TypeError, "nside must be an integer", lambda d: _hp(nside="4")),
    ("maps/nside-huge", ValueError, "pixels, expected at most", lambda d: _hp(nside=1024)),
    ("maps/healpix-b-95", ValueError, r"b: 1 value is outside \[-90, 90\]",
     lambda d: maps.healpix_dispersion(X, np.r_[95.0, X[1:]], X, ONES, n_mc=0)),
    ("maps/healpix-anisotropy-missing-errors", ValueError, r"missing \['err_theta', 'err_phi'\]",
     lambda d: _hp(v_theta=X, v_phi=X)),
    ("maps/radial-edges-NaN", ValueError, "edges: 1 value is NaN", lambda d: _radial(edges=[0.0, np.nan])),
    ("maps/radial-edges-decreasing", ValueError, "edges must be a strictly increasing",
     lambda d: _radial(edges=[10.0, 0.0])),
    ("maps/anisotropy-negative-error", ValueError, "err_phi: 1 value is negative",
     lambda d: maps.anisotropy(X, X, X, X, ONES, ONES, np.r_[-1.0, ONES[1:]], edges=[0, 10], n_mc=0)),
    ("maps/binned-dense-member", TypeError, "member must be a scipy.sparse matrix",
     lambda d: maps.binned_dispersion(np.ones((2, 20)), X, ONES, n_mc=0)),
    ("maps/binned-member-star-count", ValueError, "v has 20 stars, but member has 19 star columns",
     lambda d: maps.binned_dispersion(sp.csr_matrix(np.ones((2, 19))), X, ONES, n_mc=0)),
    ("maps/labels-float", TypeError, "labels must be a 1-d array of integer cell labels",
     lambda d: maps.membership_from_labels([0.5, 1.0], 2)),
    ("maps/labels-out-of-range", ValueError, r"labels: 1 value lies outside \[-1, 2\)",
     lambda d: maps.membership_from_labels([0, 1, 2], 2)),
    ("maps/labels-n_cells-0", ValueError, r"n_cells must be in \[1, ", lambda d: maps.membership_from_labels([], 0)),
    ("maps/keep_mask-drop_frac-1", ValueError, r"drop_frac must be in \[0, 1\)",
     lambda d: maps.keep_mask(10, 3, 1.0, R(0))),
    ("maps/keep_mask-n_real-negative", ValueError, "n_real must be >= 0", lambda d: maps.keep_mask(10, -1, 0.1, R(0))),
    ("maps/band_coverage-missing-band", ValueError, r"result lacks the band\(s\) \['p2_5', 'p16', 'p84', 'p97_5'\]",
     lambda d: maps.band_coverage(np.ones(2), {"median": np.ones(2)})),
    ("maps/band_coverage-shape", ValueError, r"truth has shape \(3,\), expected the shape of the map \(2,\)",
     lambda d: maps.band_coverage(np.ones(3), {k: np.ones(2) for k in ("median", "p16", "p84", "p2_5", "p97_5")})),
    ("maps/quadrants-shapes", ValueError, "l and b must have one shape",
     lambda d: maps.sky_quadrant_masks(np.ones(3), np.ones(2))),
    ("maps/grid_membership-uneven-centres", ValueError, "centres_u must be uniformly spaced",
     lambda d: maps.grid_membership(X, X, [0.0, 1.0, 3.0], [0.0, 1.0], 1.0)),
    ("maps/grid_centres-step-larger-than-extent", ValueError, "larger than the extent",
     lambda d: maps.grid_centres((0.0, 1.0), 2.0)),
    ("maps/healpix_pixels-NaN", ValueError, "l: 1 value is NaN", lambda d: maps.healpix_pixels([np.nan], [0.0])),

    # ---------------------------------------------------------------- cuts.py
    ("cuts/config-snr_min-str", TypeError, "CutConfig.snr_min must be a real number",
     lambda d: cuts.CutConfig(snr_min="3")),
    ("cuts/config-ecc-1.5", ValueError, r"CutConfig.gse_ecc_min must be in \[0, 1\]",
     lambda d: cuts.CutConfig(gse_ecc_min=1.5)),
    ("cuts/config-range-reversed", ValueError, r"CutConfig.gse_r_range\[1\] must be > 60",
     lambda d: cuts.CutConfig(gse_r_range=(60.0, 6.0))),
    ("cuts/config-misspelt-field", TypeError, "logg_mx", lambda d: cuts.CutConfig(logg_mx=3.0)),
    ("cuts/config-NaN", ValueError, "CutConfig.halo_z_min must be a finite number",
     lambda d: cuts.CutConfig(halo_z_min=np.nan)),
    ("cuts/quality-float-flag", TypeError, "flag must hold integer FLAG values",
     lambda d: cuts.quality_mask([0.0, 1.0], [5.0, 5.0])),
    ("cuts/quality-NaN-snr", ValueError, "snr: 1 value is NaN", lambda d: cuts.quality_mask([0, 1], [5.0, np.nan])),
    ("cuts/quality-shapes", ValueError, r"one shape .*flag \(2,\), snr \(3,\)",
     lambda d: cuts.quality_mask([0, 1], [5.0, 5.0, 5.0])),
    ("cuts/giant-str-logg", TypeError, "logg must hold real numbers", lambda d: cuts.giant_mask(["2.5"])),
    ("cuts/satellite-radius-negative", ValueError, r"radius_deg must be in \[0, 180\]",
     lambda d: cuts.satellite_mask([10.0], [10.0], -1.0)),
    ("cuts/satellite-dec-95", ValueError, r"dec: 1 value is outside \[-90, 90\]",
     lambda d: cuts.satellite_mask([10.0], [95.0])),
    ("cuts/sgr-b_max-0", ValueError, r"b_max must be in \(0, 90\]",
     lambda d: cuts.sgr_member_mask([10.0], [10.0], [0.0], [0.0], b_max=0.0)),
    ("cuts/chemistry-NaN", ValueError, "feh: 1 value is NaN", lambda d: cuts.chemistry_class([np.nan], [0.1])),
    ("cuts/aleph-unknown-class", ValueError, r"chem_class holds unknown class\(es\) \['acreted'\]",
     lambda d: cuts.aleph_mask(["acreted"], [-10.0], [0.2])),
    ("cuts/aleph-ecc-1.5", ValueError, r"ecc: 1 value lies outside \[0, 1\]",
     lambda d: cuts.aleph_mask(["accreted"], [-10.0], [1.5])),
    ("cuts/gse-r_range-scalar", ValueError, "r_range must be two numbers",
     lambda d: cuts.gse_mask(["accreted"], [0.8], [20.0], r_range=60.0)),
    ("cuts/halo-z_min-negative", ValueError, "z_min must be >= 0",
     lambda d: cuts.geometric_halo_mask([10.0], [20.0], z_min=-1.0)),
    ("cuts/unbound-NaN", ValueError, "energy: 1 value is NaN", lambda d: cuts.unbound_mask([np.nan])),
    ("cuts/purity-str-classes", TypeError, r"classes\['accreted'\] must be a collection of true labels",
     lambda d: cuts.class_purity_completeness(["accreted"], ["accreted"], {"accreted": "accreted"})),
    ("cuts/purity-length", ValueError, "predicted and truth must have one label per star",
     lambda d: cuts.class_purity_completeness(["a", "b"], ["a"], {"a": {"a"}})),
    ("cuts/cutflow-negative", ValueError, "n_stars must be >= 0", lambda d: cuts.CutFlow(-1)),
    ("cuts/cutflow-float-mask", TypeError, "cut 'x' must hold booleans",
     lambda d: cuts.CutFlow(2).keep("x", [0.5, np.nan])),
    ("cuts/cutflow-shape", ValueError, r"cut 'bad': mask has shape \(3,\)",
     lambda d: cuts.CutFlow(2).keep("bad", [True, False, True])),
    ("cuts/cutflow-emptied", ValueError, r"the test sample is empty: the cut 'b' removed the last 2 stars\. "
     r"Cut flow: catalogue: 3; a: 2 \(-1\); b: 0 \(-2\)", lambda d: _flow_emptied()),

    # ---------------------------------------------------------------- frames.py
    ("frames/solar-distance-str", ValueError, "solar frame 'galcen_distance' must be a number in kpc",
     lambda d: solar_frame({"galcen_distance": "eight"})),
    ("frames/solar-distance-in-km/s", ValueError, "solar frame 'galcen_distance' must be a number in kpc",
     lambda d: solar_frame({"galcen_distance": 8.0 * u.km / u.s})),
    ("frames/solar-misspelt-key", ValueError, r"unknown solar frame key\(s\) \['galcen_vsun'\]",
     lambda d: solar_frame({"galcen_vsun": (11.1, 244.24, 7.25)})),
    ("frames/solar-number", TypeError, "solar frame must be None, a name, a dict", lambda d: solar_frame(8.3)),
    ("frames/solar-unknown-name", ValueError, "unknown solar frame 'pp22'", lambda d: solar_frame("pp22")),
    ("frames/solar-v_sun-two-numbers", ValueError, "solar frame 'galcen_v_sun' must be three numbers",
     lambda d: solar_frame({"galcen_v_sun": (11.1, 244.24)})),
    ("frames/icrs-dec-100", ValueError, r"dec: 1 value is outside \[-90, 90\]",
     lambda d: icrs_to_galactocentric(10.0, 100.0, 5.0, 0.0, 0.0, 0.0)),
    ("frames/icrs-negative-distance", ValueError, "distance: 1 value is negative",
     lambda d: icrs_to_galactocentric(10.0, 10.0, -5.0, 0.0, 0.0, 0.0)),
    ("frames/icrs-shapes", ValueError, r"must broadcast together, got ra \(3,\), dec \(2,\)",
     lambda d: icrs_to_galactocentric(np.ones(3), np.ones(2), 5.0, 0.0, 0.0, 0.0)),
    ("frames/icrs-NaN-pm", ValueError, "pmra: 1 value is NaN", lambda d: icrs_to_galactocentric(1, 1, 5, np.nan, 0, 0)),
    ("frames/to-icrs-pos-shape", ValueError, r"pos must have shape \(3, ...\)",
     lambda d: galactocentric_to_icrs(np.ones((2, 4)), np.ones((2, 4)))),
    ("frames/to-icrs-at-the-sun", ValueError, "coincides with the Sun",
     lambda d: galactocentric_to_icrs(frame_vectors()[1][:, None], np.zeros((3, 1)))),
    ("frames/to-icrs-vel-shape", ValueError, "vel must have the shape of pos",
     lambda d: galactocentric_to_icrs(np.ones((3, 4)), np.ones((3, 5)))),
    ("frames/spherical-on-axis", ValueError, r"1 position lies on the z axis \(R = 0\)",
     lambda d: spherical_components([[0.0], [0.0], [5.0]], np.ones((3, 1)))),
    ("frames/sph-to-cart-NaN", ValueError, "v_r: 1 value is NaN",
     lambda d: spherical_to_cartesian_velocity(np.ones((3, 2)), [np.nan, 1.0], 0.0, 0.0)),
    ("frames/wrap-str", TypeError, "angle_deg must hold real numbers", lambda d: wrap_longitude("ten")),
    ("frames/galactic_lb-NaN", ValueError, "dec: 1 value is NaN", lambda d: galactic_lb([1.0], [np.nan])),
    ("frames/galactocentric-n_mc-str", TypeError, "n_mc must be an integer, got '50'",
     lambda d: galactocentric(d.cat(), n_mc="50", rng=R(0))),
    ("frames/galactocentric-chunk-0", ValueError, "chunk_size must be >= 1",
     lambda d: galactocentric(d.cat(), n_mc=0, chunk_size=0)),
    ("frames/galactocentric-missing-column", CatalogError, "missing required column: 'Vrad'",
     lambda d: galactocentric(_drop(d.cat(), "Vrad"), n_mc=0)),
    ("frames/galactocentric-rng-missing", TypeError, r"rng must be a numpy.random.Generator .*n_mc > 0",
     lambda d: galactocentric(d.cat(), n_mc=10, rng=None)),

    # ---------------------------------------------------------------- dynamics.py
    ("dynamics/energy-pos-shape", ValueError, r"pos must have shape \(3, ...\)",
     lambda d: energy(np.ones((2, 3)), np.ones((2, 3)))),
    ("dynamics/energy-NaN-vel", ValueError, "vel: 1 value is NaN",
     lambda d: energy(np.ones((3, 1)), [[np.nan], [0], [0]])),
    ("dynamics/orbit-dt-str", TypeError, "dt_myr must be a real number",
     lambda d: orbit_extent(np.ones((3, 1)) * 10, np.zeros((3, 1)), dt_myr="1")),
    ("dynamics/orbit-dt-0", ValueError, "dt_myr must be positive",
     lambda d: orbit_extent(np.ones((3, 1)) * 10, np.zeros((3, 1)), dt_myr=0.0)),
    ("dynamics/orbit-short", ValueError, "duration_myr must be >= 3000 .*3 Gyr",
     lambda d: orbit_extent(np.ones((3, 1)) * 10, np.zeros((3, 1)), duration_myr=1000.0)),
    ("dynamics/orbit-integrator", ValueError, r"integrator must be one of \('dopri853', 'leapfrog'\), got 'rk4'",
     lambda d: orbit_extent(np.ones((3, 1)) * 10, np.zeros((3, 1)), integrator="rk4")),
    ("dynamics/orbit-chunk-0", ValueError, "chunk_size must be >= 1",
     lambda d: orbit_extent(np.ones((3, 1)) * 10, np.zeros((3, 1)), chunk_size=0)),
    ("dynamics/orbit-too-many-steps", ValueError, "steps, expected at most",
     lambda d: orbit_extent(np.ones((3, 1)) * 10, np.zeros((3, 1)), dt_myr=1e-4)),

    # ---------------------------------------------------------------- samples.py
    ("samples/rng-int", TypeError, "rng must be a numpy.random.Generator", lambda d: _samples(d, rng=1)),
    ("samples/n_mc-str", TypeError, "n_mc must be an integer, got '50'", lambda d: _samples(d, n_mc="50")),
    ("samples/n_mc-negative", ValueError, "n_mc must be >= 0, got -5", lambda d: _samples(d, n_mc=-5)),
    ("samples/integrator", ValueError, "orbit_integrator must be one of",
     lambda d: _samples(d, orbit_integrator="rk4")),
    ("samples/orbit-duration", ValueError, "orbit_duration_myr must be >= 3000",
     lambda d: _samples(d, orbit_duration_myr=100.0)),
    ("samples/config-dict", TypeError, "config must be a halo_utils.cuts.CutConfig, got dict",
     lambda d: _samples(d, config={"logg_max": 3.5})),
    ("samples/missing-column", CatalogError, "missing required column: 'logg'",
     lambda d: _samples(d, _drop(d.cat(), "logg"))),
    ("samples/every-star-cut", ValueError, r"the halo sample is empty: the cut 'giants \(logg < -10\)' removed the "
     r"last \d+ stars\. Cut flow: catalogue: 40; good fits .*giants \(logg < -10\): 0",
     lambda d: _samples(d, config=cuts.CutConfig(logg_max=-10.0))),
    ("samples/empty-catalog", CatalogError, "catalog has no stars", lambda d: _samples(d, d.cat()[:0])),
    ("samples/RA-400", CatalogError, "column 'RA'", lambda d: _samples(d, d.edit(d.cat(), "RA", 0, 400.0))),
    ("samples/component-misspelt", ValueError, "component must be one of the truth components .*got 'gsee'",
     lambda d: selectable_component_mask(d.cat(), d.truth, "gsee")),
    ("samples/truth-missing-column", ValueError, "truth table lacks column 'component'",
     lambda d: selectable_component_mask(d.cat(), _drop(d.truth.copy(), "component"), "halo")),
    ("samples/r_range-reversed", ValueError, r"r_range\[1\] must be > 60",
     lambda d: true_component_positions(d.cat(), d.truth, "halo", r_range=(60.0, 6.0))),
    ("samples/exclude-not-per-row", ValueError, r"exclude must hold one boolean per catalogue row \(40\)",
     lambda d: true_component_positions(d.cat(), d.truth, "halo", exclude=np.zeros(3, bool))),
    ("samples/satellite-radius-NaN", ValueError, "satellite_radius_deg must be a finite number",
     lambda d: selectable_component_mask(d.cat(), d.truth, "halo", satellite_radius_deg=np.nan)),

    # ---------------------------------------------------------------- reflex/model.py
    ("reflex-model/kind", ValueError, "model must be 'constant' or 'linear'", lambda d: rf.ReflexModel("quadratic")),
    ("reflex-model/r_nodes-one", ValueError, "r_nodes must be two numbers",
     lambda d: rf.ReflexModel("linear", (40.0,))),
    ("reflex-model/r_nodes-reversed", ValueError, r"r_nodes\[1\] must be > 120",
     lambda d: rf.ReflexModel("linear", (120.0, 40.0))),
    ("reflex-model/r_nodes-str", TypeError, r"r_nodes\[0\] must be a real number",
     lambda d: rf.ReflexModel("linear", ("40", "120"))),
    ("reflex-model/outliers-str", TypeError, "outliers must be an OutlierMixture or None",
     lambda d: rf.ReflexModel("linear", outliers="yes")),
    ("reflex-model/mixture-sigma-str", TypeError, "OutlierMixture.sigma must be a real number",
     lambda d: rf.OutlierMixture(sigma="500")),
    ("reflex-model/mixture-f_max", ValueError, r"OutlierMixture.f_max must be in \(0, 0.5\]",
     lambda d: rf.OutlierMixture(f_max=0.7)),
    ("reflex-model/mixture-sigma-NaN", ValueError, "OutlierMixture.sigma must be a finite number",
     lambda d: rf.OutlierMixture(sigma=np.nan)),
    ("reflex-model/theta-length", ValueError, "linear model takes 19 parameters .*length 18",
     lambda d: LINEAR.check(THETA[:18])),
    ("reflex-model/theta-scalar", ValueError, "linear model takes 19 parameters .*a scalar",
     lambda d: LINEAR.check(1.0)),
    ("reflex-model/theta-str", TypeError, "theta must hold real numbers", lambda d: LINEAR.check(["a"] * 19)),
    ("reflex-model/validate-NaN", ValueError, r"parameter vector lies outside the prior: vr_mean_40 = nan",
     lambda d: LINEAR.validate(_theta(vr_mean_40=np.nan))),
    ("reflex-model/from_dict-unknown", KeyError, r"unknown parameter\(s\) \['vr_men'\]",
     lambda d: rf.ReflexModel("constant").from_dict({**dict(zip(rf.BASE_NAMES, THETA[:9])), "f_out": 0.0,
                                                     "vr_men": 1.0})),
    ("reflex-model/from_dict-str-value", TypeError, "vr_mean must be a real number",
     lambda d: rf.ReflexModel("constant").from_dict({**dict(zip(rf.BASE_NAMES, THETA[:9])), "f_out": 0.0,
                                                     "vr_mean": "5"})),
    ("reflex-model/from_dict-negative-sigma", ValueError, r"sigma_los must be positive \(km/s\)",
     lambda d: rf.ReflexModel("constant", outliers=None).from_dict(
         {**dict(zip(rf.BASE_NAMES[:6], THETA[:6])), "sigma_los": -1.0, "sigma_l": 50.0, "sigma_b": 50.0})),
    ("reflex-model/from_dict-missing", KeyError, "parameter 'f_out' missing",
     lambda d: rf.ReflexModel("constant").from_dict(dict(zip(rf.BASE_NAMES, THETA[:9])))),
    ("reflex-model/with_f_out-above-f_max", ValueError, r"f_out must be in \[0, 0.2\]",
     lambda d: LINEAR.with_f_out(THETA[:18], 0.5)),
    ("reflex-model/with_f_out-length", ValueError, "theta_base must be one vector of the 18 halo parameters",
     lambda d: LINEAR.with_f_out(THETA[:9], 0.01)),
    ("reflex-model/prior_transform-1.5", ValueError, r"cube: 1 value is outside \[0, 1\]",
     lambda d: LINEAR.prior_transform(np.r_[1.5, np.full(18, 0.5)])),
    ("reflex-model/prior_transform-length", ValueError, r"cube must have shape \(19,\)",
     lambda d: LINEAR.prior_transform(np.full(9, 0.5))),
    ("reflex-model/values_at-negative-r", ValueError, "r: 1 value is negative",
     lambda d: LINEAR.values_at(THETA, [-5.0])),

    # ---------------------------------------------------------------- reflex/stars.py
    ("reflex-stars/prior-slope-negative", ValueError, "DistancePrior.slope must be >= 0",
     lambda d: rf.DistancePrior(slope=-1.0)),
    ("reflex-stars/prior-slope-str", TypeError, "DistancePrior.slope must be a real number",
     lambda d: rf.DistancePrior(slope="3.5")),
    ("reflex-stars/prior-volume-str", TypeError, "DistancePrior.volume must be True or False",
     lambda d: rf.DistancePrior(volume="yes")),
    ("reflex-stars/from_radii-zero-start", ValueError, "r_range must start above 0 kpc",
     lambda d: rf.DistancePrior.from_radii(np.linspace(10, 90, 50), (0.0, 100.0))),
    ("reflex-stars/from_radii-unknown-kwarg", TypeError, r"unknown setting\(s\) \['volumes'\]",
     lambda d: rf.DistancePrior.from_radii(np.linspace(10, 90, 50), (5.0, 100.0), volumes=False)),
    ("reflex-stars/from_radii-few", ValueError, "needs >= 10 radii",
     lambda d: rf.DistancePrior.from_radii([50.0, 60.0], (40.0, 100.0))),
    ("reflex-stars/centre_shift-negative", ValueError, "frac: 1 value is negative",
     lambda d: rf.DistancePrior().centre_shift([0.1, -0.1])),
    ("reflex-stars/log_weight-zero-radius", ValueError, "r: 1 value is <= 0",
     lambda d: rf.DistancePrior().log_weight([50.0], [0.0])),
    ("reflex-stars/nodes-str", TypeError, "n_distance_nodes must be an integer, got '5'",
     lambda d: rf.ReflexStars.from_table(d.cat(), n_distance_nodes="5")),
    ("reflex-stars/nodes-0", ValueError, r"n_distance_nodes must be in \[1, 50\]",
     lambda d: rf.ReflexStars.from_table(d.cat(), n_distance_nodes=0)),
    ("reflex-stars/nodes-huge", ValueError, r"n_distance_nodes must be in \[1, 50\]",
     lambda d: rf.ReflexStars.from_table(d.cat(), n_distance_nodes=10**6)),
    ("reflex-stars/distance_term", ValueError, "distance_term must be one of .*got 'marginalised'",
     lambda d: rf.ReflexStars.from_table(d.cat(), distance_term="marginalised")),
    ("reflex-stars/distance_prior-dict", TypeError, "distance_prior must be a DistancePrior",
     lambda d: rf.ReflexStars.from_table(d.cat(), distance_prior={"slope": 3.5})),
    ("reflex-stars/not-a-table", CatalogError, "expected an astropy Table, got list",
     lambda d: rf.ReflexStars.from_table([1, 2])),
    ("reflex-stars/empty", CatalogError, "empty table", lambda d: rf.ReflexStars.from_table(d.cat()[:0])),
    ("reflex-stars/frame-typo", ValueError, "unknown solar frame 'v4'",
     lambda d: rf.ReflexStars.from_table(d.cat(), frame="v4")),

    # ---------------------------------------------------------------- reflex/likelihood.py
    ("reflex-likelihood/out-of-prior", ValueError,
     r"theta lies outside the prior: v_travel_40 = -5 \(prior \[0, 150\]\)",
     lambda d: rf.log_likelihood(_theta(v_travel_40=-5.0), d.stars, LINEAR)),
    ("reflex-likelihood/NaN-parameter", ValueError, "theta lies outside the prior: vr_mean_120 = nan",
     lambda d: rf.log_likelihood(_theta(vr_mean_120=np.nan), d.stars, LINEAR)),
    ("reflex-likelihood/f_out-above-f_max", ValueError, r"f_out = 0.5 \(prior \[0, 0.2\]\)",
     lambda d: rf.log_likelihood(_theta(f_out=0.5), d.stars, LINEAR)),
    ("reflex-likelihood/several-out-of-prior", ValueError, "B_MS_40 = 95 .*ln_sigma_b_120 = 7",
     lambda d: rf.log_likelihood(_theta(B_MS_40=95.0, ln_sigma_b_120=7.0), d.stars, LINEAR)),
    ("reflex-likelihood/stars-a-table", TypeError, "stars must be a ReflexStars",
     lambda d: rf.log_likelihood(THETA, d.cat(), LINEAR)),
    ("reflex-likelihood/model-a-str", TypeError, "model must be a ReflexModel, got str",
     lambda d: rf.log_likelihood(THETA, d.stars, "linear")),
    ("reflex-likelihood/batch-theta", ValueError,
     r"theta must be one parameter vector of length 19, got shape \(2, 19\)",
     lambda d: rf.log_likelihood(np.stack([THETA, THETA]), d.stars, LINEAR)),
    ("reflex-likelihood/halo-out-of-prior", ValueError, "ln_sigma_los_40 = -1",
     lambda d: rf.halo_log_likelihoods(_theta(ln_sigma_los_40=-1.0), d.stars, LINEAR)),
    ("reflex-likelihood/predict-length", ValueError, "takes 19 parameters",
     lambda d: rf.predict_observables(THETA[:9], d.stars, LINEAR)),
    ("reflex-likelihood/outlier-draws-out-of-prior", ValueError, "f_out = 1 draws",
     lambda d: rf.outlier_probabilities(np.stack([THETA, _theta(f_out=0.9)]), d.stars, LINEAR)),
    ("reflex-likelihood/residuals-out-of-prior", ValueError, "L_MS_40 = 200",
     lambda d: rf.standardized_residuals(_theta(L_MS_40=200.0), d.cat(), LINEAR)),
    ("reflex-likelihood/model-velocities-not-a-table", TypeError, "table must be an astropy Table",
     lambda d: rf.model_galactic_velocities(THETA, d.stars, LINEAR)),
    ("reflex-likelihood/residual_fractions-missing", ValueError, "residuals lacks column 'z_mu_b'",
     lambda d: rf.residual_fractions(Table({"z_vlos": [1.0], "z_mu_l": [1.0]}))),
    ("reflex-likelihood/residual_fractions-thresholds", ValueError, "thresholds: 1 value is <= 0",
     lambda d: rf.residual_fractions(Table({k: [1.0] for k in ("z_vlos", "z_mu_l", "z_mu_b")}), (3.0, -1.0))),
    ("reflex-likelihood/callable-stars-a-table", TypeError, "stars must be a ReflexStars",
     lambda d: rf.LogLikelihood(d.cat(), LINEAR)),
    ("reflex-likelihood/callable-length", ValueError, "takes 19 parameters",
     lambda d: rf.LogLikelihood(d.stars, LINEAR)(THETA[:5])),

    # ---------------------------------------------------------------- reflex/selection.py
    ("reflex-selection/r_range-reversed", ValueError, r"OuterHaloCuts.r_range\[1\] must be > 160",
     lambda d: rf.OuterHaloCuts(r_range=(160.0, 40.0))),
    ("reflex-selection/clip_sigma-0", ValueError, "OuterHaloCuts.clip_sigma must be positive",
     lambda d: rf.OuterHaloCuts(clip_sigma=0.0)),
    ("reflex-selection/clip_bins-unsorted", ValueError, "OuterHaloCuts.clip_bins must be strictly increasing",
     lambda d: rf.OuterHaloCuts(clip_bins=(40.0, 30.0, 90.0))),
    ("reflex-selection/clip-str", TypeError, "OuterHaloCuts.clip must be True or False",
     lambda d: rf.OuterHaloCuts(clip="yes")),
    ("reflex-selection/vrad_err_max-str", TypeError, "OuterHaloCuts.vrad_err_max must be a real number",
     lambda d: rf.OuterHaloCuts(vrad_err_max="15")),
    ("reflex-selection/sky-half-width-100", ValueError, r"OuterHaloCuts.sgr_sky_half_width must be in \(0, 90\]",
     lambda d: rf.OuterHaloCuts(sgr_sky_half_width=100.0)),
    ("reflex-selection/sgr_cut", ValueError, "OuterHaloCuts.sgr_cut must be one of",
     lambda d: rf.OuterHaloCuts(sgr_cut="stream_model")),
    ("reflex-selection/misspelt-field", TypeError, "r_rnge", lambda d: rf.OuterHaloCuts(r_rnge=(40.0, 160.0))),
    ("reflex-selection/config-dict", TypeError, "cuts_config must be an OuterHaloCuts, got dict",
     lambda d: rf.select_outer_halo(d.cat(), {"clip": False})),
    ("reflex-selection/every-star-cut", ValueError, r"outer-halo sample is empty: the cut '500 < r_gal < 600 kpc' "
     r"removed the last 40 stars\. Cut flow: catalogue: 40; 500 < r_gal < 600 kpc: 0 \(-40\)",
     lambda d: rf.select_outer_halo(d.cat(), rf.OuterHaloCuts(r_range=(500.0, 600.0)))),
    ("reflex-selection/distance-in-km/s", CatalogError, "column 'dist_adpt' is in km / s",
     lambda d: rf.select_outer_halo(_with_unit(d.cat(), "dist_adpt", "km/s"))),
    ("reflex-selection/survey-int", CatalogError, "column 'survey' has dtype int64",
     lambda d: rf.sky_subsamples(_replace(d.cat(), "survey", np.zeros(40, int)))),
    ("reflex-selection/DEC-NaN", CatalogError, "column 'DEC': 1 row is NaN",
     lambda d: rf.sky_subsamples(d.edit(d.cat(), "DEC", 0, np.nan))),
    ("reflex-selection/velocities-missing-column", CatalogError, "missing required column: 'GAIAEDR3_PMDEC'",
     lambda d: rf.galactic_velocities(_drop(d.cat(), "GAIAEDR3_PMDEC"))),

    # ---------------------------------------------------------------- reflex/maps.py
    ("reflex-maps/kernel-0", ValueError, r"kernel_deg must be in \(0, 180\]",
     lambda d: smoothed_sky_mean(X, X, X, kernel_deg=0.0)),
    ("reflex-maps/nside-5", ValueError, r"nside must be a power of 2 \(HEALPix\), got 5",
     lambda d: smoothed_sky_mean(X, X, X, nside=5)),
    ("reflex-maps/sizes", ValueError, "arrays must have one value per star, got sizes l 20, b 20, values 19",
     lambda d: smoothed_sky_mean(X, X, X[:19])),
    ("reflex-maps/no-stars", ValueError, "l must hold at least 1 value", lambda d: smoothed_sky_mean([], [], [])),
    ("reflex-maps/n_boot-0", ValueError, "n_boot must be >= 1, got 0", lambda d: binned_mean(X, X, [0, 10], n_boot=0)),
    ("reflex-maps/bins-decreasing", ValueError, "bins must be strictly increasing",
     lambda d: binned_mean(X, X, [10, 0])),
    ("reflex-maps/rng-str", TypeError, "rng must be a non-negative integer seed or a numpy.random.Generator",
     lambda d: binned_mean(X, X, [0, 10], rng="seed")),
    ("reflex-maps/values-NaN", ValueError, "values: 1 value is NaN",
     lambda d: binned_mean(X, np.r_[np.nan, X[1:]], [0, 10])),
    ("reflex-maps/quadrant-b-100", ValueError, r"b: 1 value is outside \[-90, 90\]",
     lambda d: reflex_quadrants([1.0], [100.0])),

    # ---------------------------------------------------------------- reflex/statistics.py
    ("reflex-statistics/no-v_b", ValueError, "table lacks column 'v_b'",
     lambda d: rf.kinematic_statistics(Table({"l": X, "b": X, "r": X, "v_gsr": X, "v_l": X}))),
    ("reflex-statistics/edges-flat", ValueError, "edges must be strictly increasing distances",
     lambda d: rf.kinematic_statistics(_kinematic_table(), (40.0, 40.0))),
    ("reflex-statistics/min_count-1", ValueError, "min_count must be >= 2, got 1",
     lambda d: rf.kinematic_statistics(_kinematic_table(), min_count=1)),
    ("reflex-statistics/r-negative", ValueError, r"r: 1 value is negative, expected >= 0 \(kpc\)",
     lambda d: rf.kinematic_statistics(_kinematic_table(r=np.r_[-1.0, X[1:]]))),

    # ---------------------------------------------------------------- reflex/sky.py
    ("reflex-sky/unit_vector-NaN", ValueError, "lat_deg: 1 value is NaN", lambda d: sky.unit_vector(10.0, np.nan)),
    ("reflex-sky/angles-zero-vector", ValueError, "vec: 1 vector has zero length",
     lambda d: sky.angles([0.0, 0.0, 0.0])),
    ("reflex-sky/angles-shape", ValueError, r"vec must have shape \(..., 3\)", lambda d: sky.angles([1.0, 0.0])),
    ("reflex-sky/basis-b-95", ValueError, r"b_deg: 1 value is outside \[-90, 90\]",
     lambda d: sky.galactic_basis(0.0, 95.0)),
    ("reflex-sky/to-ms-b-100", ValueError, r"b: 1 value is outside \[-90, 90\]",
     lambda d: rf.galactic_to_ms(0.0, 100.0)),
    ("reflex-sky/apex-str", TypeError, "v_travel must hold real numbers", lambda d: rf.apex_vector("fast", 0.0, 0.0)),

    # ---------------------------------------------------------------- reflex/compare.py
    ("reflex-compare/fit-wrong-type", TypeError, "fit must be a ReflexFit, got dict",
     lambda d: compare.summary_row({}, "x")),
    ("reflex-compare/unknown-quantity", ValueError, r"unknown quantities \['v_travl'\]",
     lambda d: compare.summary_row(d.fit, "x", quantities=("v_travl",))),
    ("reflex-compare/r_kpc-negative", ValueError, r"r_kpc must be positive \(kpc\)",
     lambda d: compare.summary_row(d.fit, "x", r_kpc=-1.0)),
    ("reflex-compare/unknown-fit-setting", TypeError, r"unknown fit setting\(s\) \['nstarts'\]",
     lambda d: compare.compare_outlier_treatments(d.cat(), np.ones(40, bool), nstarts=1)),
    ("reflex-compare/prefit-length", ValueError, "prefit_clipped must hold one boolean per row of table",
     lambda d: compare.compare_outlier_treatments(d.cat(), np.ones(39, bool))),
    ("reflex-compare/outliers-None", TypeError, "outliers must be an OutlierMixture",
     lambda d: compare.compare_outlier_treatments(d.cat(), np.ones(40, bool), outliers=None)),
    ("reflex-compare/n_sigma-0", ValueError, "n_sigma must be positive",
     lambda d: compare.compare_outlier_treatments(d.cat(), np.ones(40, bool), n_sigma=0.0)),
    ("reflex-maps/rng-None", TypeError, r"rng must be .* \(every random draw is seeded\), got None",
     lambda d: binned_mean(X, X, [0, 10])),

    # ---------------------------------------------------------------- reflex/fit.py
    ("reflex-fit/unknown-setting", TypeError, r"fit_reflex\(sampler='mle'\) got unknown setting\(s\) \['nlive'\]",
     lambda d: rf.fit_reflex(d.cat(), "constant", "mle", rng=1, nlive=50)),
    ("reflex-fit/misspelt-dynesty-setting", TypeError, r"unknown setting\(s\) \['dlog_z'\]",
     lambda d: rf.fit_reflex(d.cat(), "constant", "dynesty", rng=1, dlog_z=0.5)),
    ("reflex-fit/rng-None", TypeError, r"rng must be a non-negative integer seed .* got None",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "mle")),
    ("reflex-fit/rng-negative", TypeError, r"rng must be a non-negative integer seed .* got -1",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "mle", rng=-1)),
    ("reflex-fit/too-few-stars", ValueError, "40 stars cannot constrain the 10 parameters of the constant reflex "
     "model with the outlier mixture: it needs at least 50", lambda d: rf.fit_reflex(d.cat(), "constant", rng=1)),
    ("reflex-fit/n_starts-str", TypeError, "n_starts must be an integer, got '2'",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "mle", rng=1, n_starts="2")),
    ("reflex-fit/n_starts-0-without-start", ValueError, "n_starts must be >= 1",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "mle", rng=1, n_starts=0)),
    ("reflex-fit/n_draws-1", ValueError, "n_draws must be >= 2, got 1",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "mle", rng=1, n_draws=1)),
    ("reflex-fit/nlive-too-few", ValueError, "nlive must be >= 11",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "dynesty", rng=1, nlive=5)),
    ("reflex-fit/bound-unknown", ValueError, "bound",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "dynesty", rng=1, bound="ellipsoid")),
    ("reflex-fit/dlogz-NaN", ValueError, "dlogz",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "dynesty", rng=1, dlogz=float("nan"))),
    ("reflex-fit/maxiter-0", ValueError, "maxiter must be >= 1, got 0",
     lambda d: rf.fit_reflex(d.cat(200), "constant", "dynesty", rng=1, maxiter=0)),
    ("reflex-fit/clipped-n_sigma-str", TypeError, "n_sigma",
     lambda d: rf.fit_reflex_clipped(d.cat(200), "constant", rng=1, n_sigma="3")),
    ("reflex-fit/clipped-max_iter-float", TypeError, "max_iter must be an integer, got 2.7",
     lambda d: rf.fit_reflex_clipped(d.cat(200), "constant", rng=1, max_iter=2.7)),

    # ---------------------------------------------------------------- fitting.py, density.py fits
    ("fitting/emcee-walker-outside-prior", ValueError, r"1 of 4 initial walkers have ln posterior = -inf",
     lambda d: run_emcee(lambda x: 0.0 if x[0] < 1 else -np.inf, np.r_[[[0.0], [0.1], [0.2], [5.0]]],
                         n_steps_max=5, seed=1)),
    ("fitting/emcee-seed-None", TypeError, "seed must be an integer, got None",
     lambda d: run_emcee(lambda x: 0.0, np.zeros((4, 1)), n_steps_max=5, seed=None)),
    ("fitting/emcee-check_every-0", ValueError, "check_every must be >= 1, got 0",
     lambda d: run_emcee(lambda x: 0.0, np.zeros((4, 1)), n_steps_max=5, seed=1, check_every=0)),
    ("fitting/emcee-p0-1d", ValueError, r"p0 must have shape \(n_walkers, ndim\)",
     lambda d: run_emcee(lambda x: 0.0, np.zeros(4), n_steps_max=5, seed=1)),
    ("fitting/emcee-p0-NaN", ValueError, "p0 holds NaN or inf",
     lambda d: run_emcee(lambda x: 0.0, np.full((4, 1), np.nan), n_steps_max=5, seed=1)),
    ("fitting/emcee-backend-junk", ValueError, "junk.h5 is not a readable HDF5 file",
     lambda d: run_emcee(lambda x: 0.0, np.zeros((4, 1)), n_steps_max=5, seed=1, backend_path=d.path("junk.h5", b"not an HDF5 file"))),

    # ---------------------------------------------------------------- pipeline.py, mock/files.py
    ("pipeline/unknown-parameter", ValueError, r"05_reflex_fit has no parameter\(s\) \['nlive_const'\]",
     lambda d: check_parameters("05_reflex_fit", {"nlive_const": 30})),
    ("pipeline/str-for-float", TypeError, "parameter 'dlogz' = '0.5' is a str; expected float",
     lambda d: check_parameters("05_reflex_fit", {"dlogz": "0.5"})),
    ("pipeline/unknown-chapter", ValueError, "unknown chapter '06_masses'",
     lambda d: run_chapter("06_masses", "ci")),
    ("mock/default-data-mistyped", FileNotFoundError, "tiles_path = .*tilse.fits.*: no such file",
     lambda d: mock.ensure_default_data({"tiles_path": d.path("data/h3_mock_tilse.fits")}, generate=True,
                                        data_dir=d.path("data"))),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return Data(tmp_path_factory.mktemp("bad_inputs"))


@pytest.mark.parametrize("exc,match,call", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(data, exc, match, call):
    with pytest.raises(exc, match=match):
        call(data)


def test_the_inventory_does_not_shrink():
    assert len({c[0] for c in CASES}) == len(CASES), "case ids must be unique"
    assert len(CASES) == 296


# ------------------------------------------------------------------ good input is unchanged

def test_valid_catalogue_passes_unchanged(data):
    cat = data.cat()
    assert validate_catalog(cat) is cat


def test_distance_in_pc_is_converted_to_kpc(data, tmp_path):
    cat = data.cat()
    in_pc = cat.copy()
    in_pc["dist_adpt"] = np.asarray(cat["dist_adpt"]) * 1000.0
    in_pc["dist_adpt"].unit = "pc"
    in_pc["dist_adpt_err"] = np.asarray(cat["dist_adpt_err"]) * 1000.0
    in_pc["dist_adpt_err"].unit = u.pc
    out = validate_catalog(in_pc)
    assert out is not in_pc and in_pc["dist_adpt"].unit == u.pc  # the input is not modified
    assert out["dist_adpt"].unit == u.kpc and out["dist_adpt_err"].unit == u.kpc
    np.testing.assert_allclose(out["dist_adpt"], cat["dist_adpt"], rtol=1e-12)
    np.testing.assert_allclose(out["dist_adpt_err"], cat["dist_adpt_err"], rtol=1e-12)
    for name in cat.colnames:  # nothing else changes
        if name not in ("dist_adpt", "dist_adpt_err"):
            np.testing.assert_array_equal(np.asarray(out[name]), np.asarray(cat[name]))
    # the same through a FITS file (TUNIT = 'pc') and through the reflex selection
    path = tmp_path / "pc.fits"
    in_pc.write(path)
    back = read_catalog(path)
    np.testing.assert_allclose(back["dist_adpt"], cat["dist_adpt"], rtol=1e-12)
    np.testing.assert_allclose(rf.galactic_velocities(in_pc)["d"], rf.galactic_velocities(cat)["d"], rtol=1e-12)


def test_columns_without_units_are_taken_in_the_schema_units(data):
    cat = data.cat()
    bare = cat.copy()
    for name in bare.colnames:
        bare[name].unit = None
    assert validate_catalog(bare) is bare
    np.testing.assert_array_equal(galactocentric(bare, n_mc=0)["r"], galactocentric(cat, n_mc=0)["r"])


def test_other_convertible_units_are_converted(data):
    cat = data.cat()
    other = cat.copy()
    other["Vrad"] = np.asarray(cat["Vrad"]) * 1000.0
    other["Vrad"].unit = "m/s"
    other["RA"] = np.deg2rad(np.asarray(cat["RA"]))
    other["RA"].unit = "rad"
    out = validate_catalog(other)
    np.testing.assert_allclose(out["Vrad"], cat["Vrad"], rtol=1e-12)
    np.testing.assert_allclose(out["RA"], cat["RA"], rtol=1e-12)


def test_samplers_get_minus_infinity_outside_the_prior_never_nan(data):
    loglike = rf.LogLikelihood(data.stars, LINEAR)
    inside = loglike(THETA)
    assert np.isfinite(inside) and inside == rf.log_likelihood(THETA, data.stars, LINEAR)
    for bad in (_theta(v_travel_40=-5.0), _theta(f_out=0.5), _theta(vr_mean_40=np.nan), _theta(B_MS_120=91.0)):
        assert loglike(bad) == -np.inf
        assert LINEAR.log_prior(bad) == -np.inf


def test_good_tiles_pass_validation(data):
    tiles = data.tiles()
    assert survey.validate_tiles(tiles) is tiles
    selection = survey.effective_selection(tiles, [10.0, 30.0], data.lf)
    assert selection.shape == (5, 2) and np.all((selection >= 0) & (selection <= 1))
