"""The embedded mock H3-like survey (SPEC section 3).

`generate_survey(seed, config)` returns three tables:

* ``tiles``: one row per 1-deg tile (centre, radius, solid angle, limiting magnitude,
  rank windows, candidate counts and fibre sampling fractions);
* ``catalog``: every star that received a fibre, in the SPEC section 2 schema (bad fits
  and low-S/N spectra included, as in a real rcat file);
* ``truth``: the true component, 6D phase space, absolute magnitude and chemistry of
  each catalogue star, keyed by ``star_id``.

How the stars are made. Smooth components (GSE, in-situ halo, flared thick disk, Aleph,
Sagittarius, foreground dwarfs) are sampled tile by tile along the tile's central line
of sight: the expected number of stars with r in the widest target window is
Omega_t * int dD D^2 rho(D) [LF-CDF between the window's absolute-magnitude limits],
the realised number is Poisson, distances come from the inverse CDF on a fine log-D grid
and absolute magnitudes from the truncated luminosity function. Each star is then put at
a uniform random position inside the tile (the density is evaluated on the central line
of sight; it varies negligibly across 1 deg). Cold satellites are sampled directly as
Plummer spheres on the sky. Every star then goes through the survey: observed parallax
and the parallax cut, the rank windows, the fibre sampling (fraction = fibres /
candidates per tile and rank), the S/N and fit-flag outcome, and the error model. The
selection probabilities are those of `halo_utils.survey`, which the density forward
model integrates, so mock and likelihood share one definition of the selection.
"""

from . import outer_halo as _outer_halo
from .config import DEFAULT_SEED, GSE_TRUTH, MockConfig, config_from_dict, config_to_dict
from .tiles import make_tiles, positions_in_tiles
from .kinematics import gse_sigma_r, gse_velocities
from .h3 import generate_survey
from .forward import forward_mock
from .outer_halo import (REFLEX_TRUTH, OuterHaloConfig, constant_reflex_truth, generate_outer_halo, outer_footprint,
                         reflex_truth_vector)
from .files import (DEFAULT_DATA_DIR, DEFAULT_FILES, MANIFEST, OUTER_FILES, OUTER_MANIFEST, ensure_default_data,
                    ensure_outer_halo, ensure_survey, write_survey)

__all__ = [
    # the H3-like survey
    "DEFAULT_SEED", "GSE_TRUTH", "MockConfig", "config_to_dict", "config_from_dict", "make_tiles",
    "positions_in_tiles", "gse_sigma_r", "gse_velocities", "generate_survey",
    # the forward-model mock
    "forward_mock",
    # the outer-halo mock
    "REFLEX_TRUTH", "OuterHaloConfig", "generate_outer_halo", "outer_footprint", "reflex_truth_vector",
    "constant_reflex_truth",
    # files
    "DEFAULT_DATA_DIR", "DEFAULT_FILES", "MANIFEST", "OUTER_FILES", "OUTER_MANIFEST", "write_survey",
    "ensure_survey", "ensure_outer_halo", "ensure_default_data",
]

# Private helpers that tests/test_reflex.py reaches as ``mock._name`` (their home is `outer_halo`).
_default_outer_surveys = _outer_halo._default_outer_surveys
_reflex_velocities = _outer_halo._reflex_velocities
