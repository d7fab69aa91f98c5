"""The H3-like survey selection function: one definition for the mock and the forward model.

A star of absolute magnitude ``M`` (Pan-STARRS r, dereddened) at heliocentric distance
``D`` in tile ``t`` enters the catalogue with a good fit and ``SNR > 3`` with probability
(SPEC sections 3 and 6.2)::

    P(M, D, t) = sum_k f_{t,k} W_k(M, m, t) P_plx(m, D) P_snr(m, t) p_good,  m = M + mu(D)

with ``W_k`` the rank-k magnitude window (rank 1: luminous giants, ``M < M_rank1``, in
``13.5 < m < min(17.5, r_lim)`` on tiles that have rank-1 targets; rank 2: everything
else in ``15 < m < min(18, r_lim)``), ``f_{t,k}`` the fibre sampling fraction,
``P_plx`` the probability that the observed parallax passes ``plx < 0.5 + 2 sigma_plx``
given the Gaussian parallax error, ``P_snr`` the probability that the log-normally
scattered S/N exceeds 3, and ``p_good`` the probability of a good spectral fit
(``FLAG == 0``). The mock draws every one of these events star by star; the density
likelihood integrates the same functions over ``M`` and ``D``.

The error model (functions of r magnitude) lives here too, because the parallax error
enters the selection.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import astropy.units as u
from astropy.table import Table
from scipy.special import ndtr

from .catalog import read_table
from .validation import check_array, check_flags, check_generator, check_integer, check_real, check_table

__all__ = [
    "SNR_LIMIT",
    "GIANTS_PER_MSUN",
    "SelectionConfig",
    "LuminosityFunction",
    "giant_luminosity_function",
    "distance_modulus",
    "astrometric_error",
    "faintness",
    "median_rv_error",
    "abundance_errors",
    "parallax_pass_probability",
    "snr_pass_probability",
    "rank_windows",
    "selection_probability",
    "effective_selection",
    "dwarf_luminosity_function",
    "TILE_COLUMNS",
    "SELECTION_TILE_COLUMNS",
    "read_tiles",
    "validate_tiles",
]


#: The S/N a spectrum needs to enter any sample (S000, S001: S/N > 3).
SNR_LIMIT = 3.0

#: Red giants (-3 <= M_r <= 2.5) per solar mass of an old, metal-poor population: converts
#: the stellar mass of a halo component into the number of tracers the survey can see
#: (approximate; the density fit reports masses through it).
GIANTS_PER_MSUN = 1.5e-3


@dataclass(frozen=True)
class SelectionConfig:
    """Numbers that define the survey selection (SPEC section 3 defaults).

    Magnitudes are Pan-STARRS r (mag), parallaxes mas. Every value is checked on
    construction (finite, ``bright < faint`` for both windows, probabilities in (0, 1],
    positive scatters and limits); a misspelt field is refused by the constructor.
    """

    rank1_bright: float = 13.5
    rank1_faint: float = 17.5
    rank2_bright: float = 15.0
    rank2_faint: float = 18.0
    #: Giants brighter than this absolute magnitude are rank-1 targets (luminous giants).
    rank1_max_abs_mag: float = -1.5
    plx_limit: float = 0.5
    plx_nsigma: float = 2.0
    snr_limit: float = SNR_LIMIT
    #: Log-normal scatter (natural log) of S/N around 3 * 10**(-0.4 (m - r_lim)).
    snr_log_scatter: float = 0.15
    #: Probability that a spectrum gets a good fit (FLAG == 0), independent of the star.
    p_good_fit: float = 0.97
    n_fibres: int = 200

    def __post_init__(self):
        limits = {"plx_limit": dict(low=0, low_open=True), "plx_nsigma": dict(low=0),
                  "snr_limit": dict(low=0, low_open=True), "snr_log_scatter": dict(low=0, low_open=True),
                  "p_good_fit": dict(low=0, high=1, low_open=True)}
        for f in fields(self):
            if f.name == "n_fibres":
                check_integer("SelectionConfig.n_fibres", self.n_fibres, low=1)
            else:
                check_real(f"SelectionConfig.{f.name}", getattr(self, f.name), **limits.get(f.name, {}))
        for rank in (1, 2):
            bright, faint = getattr(self, f"rank{rank}_bright"), getattr(self, f"rank{rank}_faint")
            if not bright < faint:
                raise ValueError(f"SelectionConfig.rank{rank}_bright must be brighter (smaller) than "
                                 f"rank{rank}_faint, got {bright:g} and {faint:g} mag")


def _check_config(config) -> "SelectionConfig":
    if not isinstance(config, SelectionConfig):
        raise TypeError(f"config must be a SelectionConfig, got {type(config).__name__}")
    return config


def _broadcast(**arrays):
    """The arrays broadcast together; ValueError naming their shapes when they do not."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"the arrays do not broadcast together: {shapes}") from None


def distance_modulus(distance_kpc):
    """mu = 5 log10(D / 10 pc) for D in kpc (finite, > 0)."""
    return _distance_modulus(check_array("distance_kpc", distance_kpc, low=0, low_open=True, unit="kpc"))


def _distance_modulus(distance_kpc):
    return 5.0 * np.log10(distance_kpc) + 10.0


def astrometric_error(r_mag):
    """Gaia-like parallax (mas) and proper-motion (mas/yr) error at r magnitude ``r_mag``.

    sigma = 0.015 + 0.11 * 10**(0.4 (r - 18)) (SPEC section 3).
    """
    return _astrometric_error(check_array("r_mag", r_mag, unit="mag"))


def _astrometric_error(r_mag):
    return 0.015 + 0.11 * 10.0 ** (0.4 * (r_mag - 18.0))


def faintness(r_mag):
    """Where a star sits between bright (r = 13.5, 0) and faint (r = 18.5, 1), clipped to [0, 1].

    The spectroscopic errors of the mock grow with it (`median_rv_error`, `abundance_errors`).
    """
    return _faintness(check_array("r_mag", r_mag, unit="mag"))


def _faintness(r_mag):
    return np.clip((r_mag - 13.5) / 5.0, 0.0, 1.0)


def median_rv_error(r_mag):
    """Typical radial-velocity error (km/s) at r magnitude ``r_mag``: 0.5 + 2 faintness^2.

    The mock scatters each star's error log-normally about it (0.2 dex in e) and clips it to
    0.5-2.5 km/s; the forward-model mock uses it as it is.
    """
    return 0.5 + 2.0 * faintness(r_mag) ** 2


def abundance_errors(r_mag):
    """``([Fe/H] error, [a/Fe] error)`` in dex at r magnitude ``r_mag``.

    [Fe/H]: 0.05 + 0.07 faintness; [a/Fe]: 0.03 + 0.03 faintness.
    """
    faint = faintness(r_mag)
    return 0.05 + 0.07 * faint, 0.03 + 0.03 * faint


def parallax_pass_probability(r_mag, distance_kpc, config: SelectionConfig = SelectionConfig()):
    """P(observed parallax < plx_limit + nsigma * sigma_plx) for a Gaussian parallax error.

    ``r_mag`` (mag) and ``distance_kpc`` (kpc, > 0) broadcast together.
    """
    r_mag, dist = _broadcast(r_mag=check_array("r_mag", r_mag, unit="mag"),
                             distance_kpc=check_array("distance_kpc", distance_kpc, low=0, low_open=True,
                                                      unit="kpc"))
    return _parallax_pass_probability(r_mag, dist, _check_config(config))


def _parallax_pass_probability(r_mag, distance_kpc, config):
    sigma = _astrometric_error(r_mag)
    return ndtr((config.plx_limit - 1.0 / distance_kpc) / sigma + config.plx_nsigma)


def snr_model(r_mag, r_lim, config: SelectionConfig = SelectionConfig()):
    """Expected S/N per pixel: ``snr_limit`` at r = r_lim, scaling as flux."""
    r_mag, r_lim = _broadcast(r_mag=check_array("r_mag", r_mag, unit="mag"),
                              r_lim=check_array("r_lim", r_lim, unit="mag"))
    return _check_config(config).snr_limit * 10.0 ** (-0.4 * (r_mag - r_lim))


def snr_pass_probability(r_mag, r_lim, config: SelectionConfig = SelectionConfig()):
    """P(S/N > snr_limit) given the log-normal S/N scatter (``r_mag``, ``r_lim`` in mag)."""
    r_mag, r_lim = _broadcast(r_mag=check_array("r_mag", r_mag, unit="mag"),
                              r_lim=check_array("r_lim", r_lim, unit="mag"))
    return _snr_pass_probability(r_mag, r_lim, _check_config(config))


def _snr_pass_probability(r_mag, r_lim, config):
    return ndtr(0.4 * np.log(10.0) * (r_lim - r_mag) / config.snr_log_scatter)


def rank_windows(abs_mag, r_mag, r_lim, has_rank1, config: SelectionConfig = SelectionConfig()):
    """Indicators of the rank-1 and rank-2 target windows (broadcasting arrays of bool).

    Rank 1: luminous giants (``abs_mag < rank1_max_abs_mag``) on tiles with rank-1
    targeting, ``rank1_bright < r < min(rank1_faint, r_lim)``. Rank 2: every star not
    in the rank-1 window with ``rank2_bright < r < min(rank2_faint, r_lim)``.
    ``abs_mag``, ``r_mag`` and ``r_lim`` are finite magnitudes; ``has_rank1`` booleans.
    """
    arrays = _broadcast(abs_mag=check_array("abs_mag", abs_mag, unit="mag"),
                        r_mag=check_array("r_mag", r_mag, unit="mag"),
                        r_lim=check_array("r_lim", r_lim, unit="mag"), has_rank1=check_flags("has_rank1", has_rank1))
    return _rank_windows(*arrays, _check_config(config))


def _rank_windows(abs_mag, r_mag, r_lim, has_rank1, config):
    in1 = (
        has_rank1
        & (abs_mag < config.rank1_max_abs_mag)
        & (r_mag > config.rank1_bright)
        & (r_mag < np.minimum(config.rank1_faint, r_lim))
    )
    in2 = ~in1 & (r_mag > config.rank2_bright) & (r_mag < np.minimum(config.rank2_faint, r_lim))
    return in1, in2


def selection_probability(abs_mag, distance_kpc, r_lim, has_rank1, f_rank1, f_rank2,
                          config: SelectionConfig = SelectionConfig()):
    """Probability that a star enters the catalogue with FLAG == 0 and S/N > 3.

    All arguments broadcast: e.g. ``abs_mag`` of shape (nM, 1, 1), ``distance_kpc`` of
    shape (1, nD, 1) and tile properties of shape (1, 1, nT).

    Parameters
    ----------
    abs_mag : array_like
        Absolute magnitude M_r, mag.
    distance_kpc : array_like
        Heliocentric distance, kpc (> 0).
    r_lim : array_like
        Tile limiting magnitude at S/N = 3, mag.
    has_rank1 : array_like of bool
        Whether the tile targets rank-1 stars.
    f_rank1, f_rank2 : array_like
        Fibre sampling fractions of the tile's rank-1 and rank-2 candidates, in [0, 1].

    Returns
    -------
    ndarray
        Selection probability in [0, 1].

    Raises
    ------
    ValueError, TypeError
        A non-finite or out-of-range value, arrays that do not broadcast, a non-boolean
        ``has_rank1`` or a ``config`` that is not a `SelectionConfig` (the message names it).
    """
    checked = dict(abs_mag=check_array("abs_mag", abs_mag, unit="mag"),
                   distance_kpc=check_array("distance_kpc", distance_kpc, low=0, low_open=True, unit="kpc"),
                   r_lim=check_array("r_lim", r_lim, unit="mag"), has_rank1=check_flags("has_rank1", has_rank1),
                   f_rank1=check_array("f_rank1", f_rank1, low=0, high=1),
                   f_rank2=check_array("f_rank2", f_rank2, low=0, high=1))
    _broadcast(**checked)
    return _selection_probability(*checked.values(), _check_config(config))


def _selection_probability(abs_mag, distance_kpc, r_lim, has_rank1, f_rank1, f_rank2, config):
    r_mag = abs_mag + _distance_modulus(distance_kpc)
    in1, in2 = _rank_windows(abs_mag, r_mag, r_lim, has_rank1, config)
    fibre = np.where(in1, f_rank1, 0.0) + np.where(in2, f_rank2, 0.0)
    return (fibre * _parallax_pass_probability(r_mag, distance_kpc, config)
            * _snr_pass_probability(r_mag, r_lim, config) * config.p_good_fit)


#: Tile-table columns and their units (None: dimensionless): what the selection function
#: (`SELECTION_TILE_COLUMNS`) and the density model's tile geometry read.
TILE_COLUMNS = {"RA": "deg", "DEC": "deg", "solid_angle": "sr", "r_lim": "mag", "has_rank1": None,
                "f_rank1": None, "f_rank2": None}
#: The tile columns `effective_selection` reads.
SELECTION_TILE_COLUMNS = ("r_lim", "has_rank1", "f_rank1", "f_rank2")


def read_tiles(path) -> Table:
    """Read a tile table (any astropy format) and check it with `validate_tiles`.

    Every error names the file: FileNotFoundError, `~halo_utils.catalog.CatalogError` for a
    file that is not a table, ValueError/TypeError for bad tiles.
    """
    tiles = read_table(path, what="tile table")
    try:
        return validate_tiles(tiles)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"tile table {path}: {exc}") from exc


def validate_tiles(tiles, *, required=tuple(TILE_COLUMNS)) -> Table:
    """Check a tile table and return it unchanged (O(n_tiles)).

    Every column of `TILE_COLUMNS` that is present is checked, the ``required`` ones must
    be there: finite values; RA in [0, 360) and DEC in [-90, 90] deg; ``solid_angle`` > 0
    sr; ``f_rank1``, ``f_rank2`` in [0, 1]; ``has_rank1`` booleans; a unit, where a column
    carries one, equal to the one in `TILE_COLUMNS` (a solid angle in deg^2 would be off
    by 3283); and, with a ``tileID`` column, no repeated tile.

    Parameters
    ----------
    tiles : `~astropy.table.Table`
        Tile table (e.g. `halo_utils.mock.make_tiles` plus the fibre fractions).
    required : iterable of str
        Columns that must be present (default: all of `TILE_COLUMNS`).

    Raises
    ------
    ValueError
        A missing column, an empty table, or bad values; the message names the column and
        counts the bad tiles.
    TypeError
        ``tiles`` is not a Table, or a column has the wrong dtype.
    """
    unknown = [c for c in required if c not in TILE_COLUMNS]
    if unknown:
        raise ValueError(f"required names column(s) {unknown} outside the tile schema {list(TILE_COLUMNS)}")
    check_table("tiles", tiles, required, min_rows=1)
    ranges = {"RA": dict(low=0, high=360, high_open=True), "DEC": dict(low=-90, high=90),
              "solid_angle": dict(low=0, low_open=True), "f_rank1": dict(low=0, high=1),
              "f_rank2": dict(low=0, high=1)}
    for name, unit in TILE_COLUMNS.items():
        if name not in tiles.colnames:
            continue
        col = tiles[name]
        if col.unit is not None and unit is not None and col.unit != u.Unit(unit):
            raise ValueError(f"tile column {name!r} is in {col.unit}, expected {unit}")
        if name == "has_rank1":
            check_flags("tile column 'has_rank1'", col)
            continue
        check_array(f"tile column {name!r}", col, unit=unit, noun="tile", **ranges.get(name, {}))
    if "tileID" in tiles.colnames:
        n_dup = len(tiles) - np.unique(np.asarray(tiles["tileID"])).size
        if n_dup:
            raise ValueError(f"tile column 'tileID': {n_dup} tile{'s repeat' if n_dup > 1 else ' repeats'} "
                             "an earlier tileID")
    return tiles


class LuminosityFunction:
    """A tabulated luminosity function dN/dM on a magnitude grid (pluggable, e.g. MIST).

    Parameters
    ----------
    abs_mag : array_like
        Strictly increasing, finite absolute-magnitude nodes, mag (at least two).
    density : array_like
        Finite, non-negative dN/dM at the nodes, not all zero (any normalisation; linear
        between nodes).
    """

    def __init__(self, abs_mag, density):
        abs_mag = check_array("abs_mag", abs_mag, ndim=1, min_size=2, unit="mag")
        density = check_array("density", density, shape=abs_mag.shape)
        if np.any(np.diff(abs_mag) <= 0):
            raise ValueError("abs_mag nodes must be strictly increasing")
        if np.any(density < 0) or not np.any(density > 0):
            raise ValueError(f"density must be non-negative and not all zero, got {np.sum(density < 0)} "
                             f"negative and {np.sum(density > 0)} positive values")
        self.abs_mag = abs_mag
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(abs_mag))])
        self.norm = cum[-1]
        self.density = density / self.norm
        self._cdf = cum / self.norm

    @property
    def bright(self) -> float:
        return float(self.abs_mag[0])

    @property
    def faint(self) -> float:
        return float(self.abs_mag[-1])

    def pdf(self, abs_mag):
        """Normalised dN/dM (1/mag), zero outside the tabulated range (finite ``abs_mag``)."""
        return np.interp(check_array("abs_mag", abs_mag, unit="mag"), self.abs_mag, self.density,
                         left=0.0, right=0.0)

    def cdf(self, abs_mag):
        """Fraction of stars brighter than ``abs_mag`` (finite, mag)."""
        return np.interp(check_array("abs_mag", abs_mag, unit="mag"), self.abs_mag, self._cdf,
                         left=0.0, right=1.0)

    def ppf(self, q):
        """Inverse of `cdf` for ``q`` in [0, 1] (linear between nodes; use a fine grid)."""
        return np.interp(check_array("q", q, low=0, high=1), self._cdf, self.abs_mag)

    def sample_between(self, lo, hi, rng):
        """Draw one magnitude per element from the LF truncated to [lo, hi] (mag, ``lo <= hi``,
        broadcasting) with the `numpy.random.Generator` ``rng``."""
        lo, hi = _broadcast(lo=check_array("lo", lo, unit="mag"), hi=check_array("hi", hi, unit="mag"))
        n_bad = int(np.count_nonzero(lo > hi))
        if n_bad:
            raise ValueError(f"lo > hi for {n_bad} element{'s' if n_bad > 1 else ''}; expected lo <= hi")
        check_generator("rng", rng)
        c_lo, c_hi = self.cdf(lo), self.cdf(hi)
        return self.ppf(c_lo + (c_hi - c_lo) * rng.uniform(size=np.shape(c_lo)))


def _tabulated(bright, faint, n_nodes):
    bright = check_real("bright", bright, unit="mag")
    faint = check_real("faint", faint, low=bright, low_open=True, unit="mag", why="fainter than bright")
    return np.linspace(bright, faint, check_integer("n_nodes", n_nodes, low=2))


def giant_luminosity_function(slope: float = 0.3, bright: float = -3.0, faint: float = 2.5,
                              n_nodes: int = 2001) -> LuminosityFunction:
    """The RGB luminosity function of SPEC section 3: dN/dM_r ~ 10**(slope M_r) between
    ``bright`` and ``faint`` (mag, bright < faint) on ``n_nodes`` (>= 2) nodes."""
    slope = check_real("slope", slope)
    m = _tabulated(bright, faint, n_nodes)
    return LuminosityFunction(m, 10.0 ** (slope * m))


def dwarf_luminosity_function(bright: float = 3.5, faint: float = 7.5,
                              n_nodes: int = 401) -> LuminosityFunction:
    """Foreground main-sequence dwarfs: flat in M_r (only their number matters here)."""
    m = _tabulated(bright, faint, n_nodes)
    return LuminosityFunction(m, np.ones_like(m))


def effective_selection(tiles, distance_kpc, lf: LuminosityFunction,
                        config: SelectionConfig = SelectionConfig(), *, mag_step: float = 0.01,
                        tile_chunk: int = 64):
    """S_t(D) of SPEC 6.2: the LF-averaged selection probability per tile and distance.

    S_t(D) = int dM Phi(M) P(M, D, t), with ``Phi`` normalised to one over its range, so
    that the expected number of selected stars of a component with number density
    ``n(x)`` (stars of this LF per kpc^3) is ``sum_t Omega_t int dD D^2 n(x_t(D)) S_t(D)``.

    Parameters
    ----------
    tiles : Table
        Tile table with ``r_lim``, ``has_rank1``, ``f_rank1`` and ``f_rank2``, checked with
        `validate_tiles` (which also checks RA, DEC and solid_angle where present).
    distance_kpc : array_like
        Heliocentric distance nodes, kpc (1-d, finite, > 0).
    lf : LuminosityFunction
        Luminosity function of the tracer.
    mag_step : float
        Absolute-magnitude integration step, mag (> 0, at most the LF's range; trapezoid;
        the rank windows have sharp edges, so the step sets the accuracy, ~1e-3 relative
        at 0.01 mag).
    tile_chunk : int
        Tiles per vectorised block (>= 1; memory ~ 8 * tile_chunk * n_D * n_M bytes).

    Returns
    -------
    ndarray, shape (n_tiles, n_D)

    Raises
    ------
    ValueError, TypeError
        Bad tiles (see `validate_tiles`), distances or settings; the message names them.
    """
    validate_tiles(tiles, required=SELECTION_TILE_COLUMNS)
    dist = check_array("distance_kpc", distance_kpc, ndim=1, min_size=1, low=0, low_open=True, unit="kpc")
    if not isinstance(lf, LuminosityFunction):
        raise TypeError(f"lf must be a LuminosityFunction, got {type(lf).__name__}")
    config = _check_config(config)
    mag_step = check_real("mag_step", mag_step, low=0, high=lf.faint - lf.bright, low_open=True, unit="mag",
                          why="at most the luminosity function's range")
    tile_chunk = check_integer("tile_chunk", tile_chunk, low=1)
    n_mag = int(np.ceil((lf.faint - lf.bright) / mag_step)) + 1
    mags = np.linspace(lf.bright, lf.faint, n_mag)
    weights = lf.pdf(mags) * np.gradient(mags)
    weights[[0, -1]] *= 0.5  # trapezoid end points
    cols = {k: np.asarray(tiles[k]) for k in SELECTION_TILE_COLUMNS}
    cols["has_rank1"] = cols["has_rank1"].astype(bool)
    out = np.empty((len(tiles), dist.size))
    for start in range(0, len(tiles), tile_chunk):
        sl = slice(start, start + tile_chunk)
        p = _selection_probability(mags[:, None, None], dist[None, :, None],
                                   cols["r_lim"][sl][None, None, :], cols["has_rank1"][sl][None, None, :],
                                   cols["f_rank1"][sl][None, None, :], cols["f_rank2"][sl][None, None, :],
                                   config)
        out[sl] = np.tensordot(weights, p, axes=(0, 0)).T
    return out
