"""halo_utils.mock.files: one manifest logic (MockFiles) for the survey and the outer halo."""

import dataclasses
import json
from dataclasses import dataclass

import pytest
from astropy.table import Table

from halo_utils.fingerprint import file_sha256
from halo_utils.mock import DEFAULT_FILES, MANIFEST, OUTER_FILES, OUTER_MANIFEST, MockConfig, OuterHaloConfig
from halo_utils.mock.files import OUTER_HALO_FILES, SURVEY_FILES, MockFiles


@dataclass(frozen=True)
class _Config:
    n: int = 3


def _toy_files(calls):
    def generate(seed, config):
        calls.append(seed)
        return {"a": Table({"x": list(range(config.n))}), "b": Table({"y": [float(seed)]})}
    return MockFiles({"a": "toy_a.fits", "b": "toy_b.fits"}, "toy_manifest.json", generate, _Config)


def test_survey_and_outer_halo_file_sets():
    assert DEFAULT_FILES == {"tiles": "h3_mock_tiles.fits", "catalog": "h3_mock_catalog.fits",
                             "truth": "h3_mock_truth.fits"} and MANIFEST == "h3_mock_manifest.json"
    assert OUTER_FILES == {"catalog": "outer_halo_catalog.fits", "truth": "outer_halo_truth.fits"}
    assert OUTER_MANIFEST == "outer_halo_manifest.json"
    assert SURVEY_FILES.config_type is MockConfig and OUTER_HALO_FILES.config_type is OuterHaloConfig


def test_write_ensure_and_manifest(tmp_path):
    calls = []
    files = _toy_files(calls)
    paths = files.write(tmp_path, 5, _Config())
    assert set(paths) == {"a", "b"} and all(p.is_file() for p in paths.values())
    manifest = json.loads((tmp_path / "toy_manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["config"] == {"n": 3}
    assert manifest["sha256"] == {name: file_sha256(tmp_path / name) for name in ("toy_a.fits", "toy_b.fits")}
    assert files.is_current(tmp_path, 5, _Config())
    assert not files.is_current(tmp_path, 6, _Config()) and not files.is_current(tmp_path, 5, _Config(n=4))
    files.ensure(tmp_path, 5, _Config())
    assert calls == [5]  # current: not regenerated
    with open(paths["a"], "ab") as fh:  # a file changed after its manifest
        fh.write(b"x")
    assert not files.is_current(tmp_path, 5, _Config())
    files.ensure(tmp_path, 5, _Config())
    assert calls == [5, 5] and files.is_current(tmp_path, 5, _Config())
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        files.write(tmp_path, 5, _Config())
    assert calls == [5, 5]  # refused before generating


def test_files_of_an_older_generator_are_made_again(tmp_path):
    """A change of the code that changes the files raises the generator's version: files
    written by the older version are not current, and ensure makes them again."""
    calls = []
    old = _toy_files(calls)
    old.write(tmp_path, 5, _Config())
    assert json.loads((tmp_path / "toy_manifest.json").read_text())["version"] == 1
    new = dataclasses.replace(old, version=2)
    assert old.is_current(tmp_path, 5, _Config()) and not new.is_current(tmp_path, 5, _Config())
    new.ensure(tmp_path, 5, _Config())
    assert calls == [5, 5] and new.is_current(tmp_path, 5, _Config())


def test_files_without_manifest_are_never_replaced(tmp_path):
    calls = []
    files = _toy_files(calls)
    (tmp_path / "toy_b.fits").write_text("someone's file")
    with pytest.raises(FileExistsError, match="exist without"):
        files.ensure(tmp_path, 5, _Config())
    assert calls == [] and (tmp_path / "toy_b.fits").read_text() == "someone's file"
