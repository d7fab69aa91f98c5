"""halo_utils.mock.config: MockConfig's defaults, replace and its JSON round trip."""

import pytest

from halo_utils.mock import MockConfig, config_from_dict, config_to_dict


def test_config_roundtrip():
    cfg = MockConfig().replace(gse={"log10_mass": 9.0}, n_tiles=10)
    back = config_from_dict(config_to_dict(cfg))
    assert back == cfg and back.gse["alpha1"] == 1.7 and back.gse["log10_mass"] == 9.0
    with pytest.raises(ValueError, match="unknown MockConfig field"):
        config_from_dict({"n_tile": 3})


def test_replace_merges_component_dicts_and_keeps_defaults():
    cfg = MockConfig(n_tiles=200).replace(sgr={"sigma_B": 3.0})
    assert cfg.n_tiles == 200 and cfg.sgr["sigma_B"] == 3.0 and cfg.sgr["B_max"] == 10.0
    assert MockConfig().gse["alpha1"] == 1.7 and MockConfig().gse["log10_mass"] == 9.22
    with pytest.raises(ValueError, match="unknown MockConfig field"):
        config_from_dict({**config_to_dict(MockConfig()), "thin_disk": {}})
