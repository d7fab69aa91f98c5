"""halo_utils.mock.__main__: the command line writes both mocks, with config overrides."""

import json
import subprocess
import sys

from halo_utils.mock.__main__ import _main


def test_cli_help():
    out = subprocess.run([sys.executable, "-m", "halo_utils.mock", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "python -m halo_utils.mock" in out and "--overwrite" in out


def test_cli_writes_both_mocks_with_overrides(tmp_path, capsys):
    overrides = tmp_path / "over.json"
    overrides.write_text(json.dumps({"n_tiles": 30, "gse": {"log10_mass": 9.0}}))
    out = tmp_path / "data"
    _main(["--outdir", str(out), "--seed", "3", "--config", str(overrides)])
    manifest = json.loads((out / "h3_mock_manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["config"]["n_tiles"] == 30
    assert manifest["config"]["gse"]["log10_mass"] == 9.0 and manifest["config"]["gse"]["alpha1"] == 1.7
    assert json.loads((out / "outer_halo_manifest.json").read_text())["seed"] == 3
    assert "outer_halo_catalog" in capsys.readouterr().out
