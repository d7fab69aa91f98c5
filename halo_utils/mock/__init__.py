"""The embedded mocks: the H3-like survey, the forward-model mock and the outer-halo mock.

The book runs on mocks defined by code, seed and config (conventions §4):

* `generate_survey` (module `h3`): the mock H3-like survey of chapters 1-4. Its components
  (`components`: GSE, in-situ halo, flared thick disk, Aleph, Sagittarius, foreground
  dwarfs and cold satellites) are small classes composed into the survey, each with its
  density, luminosity function, velocities (`kinematics`) and chemistry (`populations`);
  the stars are sampled along the tiles' lines of sight (`tiles`) and observed through the
  selection function and error model of `halo_utils.survey` (conventions §3).
* `forward_mock` (module `forward`): a catalogue drawn from the density model through the
  selection grid, for mock recovery (conventions §10).
* `generate_outer_halo` (module `outer_halo`): the all-sky outer-halo mock of the reflex
  chapter (conventions §11).
* `generate_simulated_outer_halo` (module `simulated_halo`): the same surveys and
  imperfections with the halo stars drawn from the Milky Way + LMC simulation (conventions §14).
* `files`: writers with manifests, and the ``ensure_*`` functions that keep ``data/``
  current; ``python -m halo_utils.mock`` writes the default data.

Layer: above the models it draws from (density, reflex, lmc, survey, frames, reference).
"""

from .config import DEFAULT_SEED, GSE_TRUTH, MockConfig, config_from_dict, config_to_dict
from .tiles import make_tiles, positions_in_tiles
from .kinematics import gse_sigma_r, gse_velocities
from .h3 import generate_survey
from .forward import forward_mock
from .outer_halo import (REFLEX_TRUTH, OuterHaloConfig, constant_reflex_truth, generate_outer_halo, outer_footprint,
                         reflex_truth_vector)
from .simulated_halo import generate_simulated_outer_halo, particles_of_mass
from .files import (DEFAULT_DATA_DIR, DEFAULT_FILES, MANIFEST, OUTER_FILES, OUTER_MANIFEST, SIMULATED_MOCK_SEED,
                    SIMULATED_OUTER_HALO_FILES, SIMULATION_FILES, SimulatedOuterHaloConfig, ensure_default_data,
                    ensure_lmc_simulations, ensure_outer_halo, ensure_simulated_outer_halo, ensure_survey,
                    write_survey)

__all__ = [
    # the H3-like survey
    "DEFAULT_SEED", "GSE_TRUTH", "MockConfig", "config_to_dict", "config_from_dict", "make_tiles",
    "positions_in_tiles", "gse_sigma_r", "gse_velocities", "generate_survey",
    # the forward-model mock
    "forward_mock",
    # the outer-halo mock
    "REFLEX_TRUTH", "OuterHaloConfig", "generate_outer_halo", "outer_footprint", "reflex_truth_vector",
    "constant_reflex_truth",
    # the outer-halo mock drawn from the Milky Way + LMC simulation
    "generate_simulated_outer_halo", "particles_of_mass",
    # files
    "DEFAULT_DATA_DIR", "DEFAULT_FILES", "MANIFEST", "OUTER_FILES", "OUTER_MANIFEST", "write_survey",
    "ensure_survey", "ensure_outer_halo", "ensure_default_data", "SIMULATION_FILES", "ensure_lmc_simulations",
    "SIMULATED_OUTER_HALO_FILES", "SimulatedOuterHaloConfig", "SIMULATED_MOCK_SEED", "ensure_simulated_outer_halo",
]

