"""The H3-like survey: its selection function and its one error model (conventions §2-3).

One definition serves the mocks (which draw every selection event star by star) and the
density likelihood (which integrates the same functions). Subpackage layout, bottom to top:

* `~halo_utils.survey.errors`: the error model (astrometric and spectroscopic errors
  against r magnitude);
* `~halo_utils.survey.selection`: `SelectionConfig` and the selection probability
  P(M, D, t) with its pieces (rank windows, parallax and S/N cuts), ``SNR_LIMIT``;
* `~halo_utils.survey.tiles`: the tile-table schema, `read_tiles`, `validate_tiles`;
* `~halo_utils.survey.targeting`: a survey's tile table from its fields and targeting,
  `build_tiles`, with each tile's depth from its spectra, `tile_depth_from_snr`;
* `~halo_utils.survey.luminosity`: tabulated luminosity functions, ``GIANTS_PER_MSUN``;
* `~halo_utils.survey.effective`: `effective_selection`, S_t(D) per tile and distance.
"""

from .errors import abundance_errors, astrometric_error, faintness, median_rv_error
from .selection import (SNR_LIMIT, SelectionConfig, distance_modulus, parallax_pass_probability, rank_windows,
                        selection_probability, snr_model, snr_pass_probability)
from .tiles import SELECTION_TILE_COLUMNS, TILE_COLUMNS, read_tiles, validate_tiles
from .targeting import build_tiles, tile_depth_from_snr
from .luminosity import GIANTS_PER_MSUN, LuminosityFunction, dwarf_luminosity_function, giant_luminosity_function
from .effective import effective_selection

__all__ = [
    "SNR_LIMIT",
    "GIANTS_PER_MSUN",
    "SelectionConfig",
    "LuminosityFunction",
    "giant_luminosity_function",
    "dwarf_luminosity_function",
    "distance_modulus",
    "astrometric_error",
    "faintness",
    "median_rv_error",
    "abundance_errors",
    "parallax_pass_probability",
    "snr_model",
    "snr_pass_probability",
    "rank_windows",
    "selection_probability",
    "effective_selection",
    "TILE_COLUMNS",
    "SELECTION_TILE_COLUMNS",
    "read_tiles",
    "validate_tiles",
    "build_tiles",
    "tile_depth_from_snr",
]
