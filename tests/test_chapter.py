"""What every chapter does first and last (halo_utils.chapter)."""

import json

import numpy as np
from astropy.table import Table
import papermill as pm
import pytest

from halo_utils.chapter import CHAPTERS, REPO_ROOT, ChapterRun, parameter_defaults, run_from_repository_root
from halo_utils.outputs import MARKER, table_rows


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_parameter_defaults_agree_with_papermill(chapter):
    """Our reading of the parameters cell against papermill's own (names, order, values)."""
    found = pm.inspect_notebook(str(REPO_ROOT / "notebooks" / f"{chapter}.ipynb"))
    ours = parameter_defaults(chapter)
    assert list(ours) == list(found)
    for name, info in found.items():
        assert repr(ours[name]) == repr(eval(info["default"])), name  # papermill gives the source text


def test_a_chapter_opened_from_notebooks_runs_from_the_repository_root(tmp_path, monkeypatch):
    """Jupyter (and Binder) start the kernel in notebooks/: the chapters' relative default paths
    must still resolve; from any other folder the working directory is the user's."""
    monkeypatch.chdir(REPO_ROOT / "notebooks")
    assert run_from_repository_root() == REPO_ROOT
    assert (REPO_ROOT / parameter_defaults("01_sample_construction")["catalog_path"]).parent.name == "data"
    monkeypatch.chdir(tmp_path)
    assert run_from_repository_root() == tmp_path
    (tmp_path / "notebooks").mkdir()  # a folder of the same name elsewhere is not the repository's
    monkeypatch.chdir(tmp_path / "notebooks")
    assert run_from_repository_root() == tmp_path / "notebooks"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_moves_to_the_repository_root_before_reading_a_file(chapter):
    """The call comes in the setup cell before the first use of a path."""
    setup = [c for c in json.loads((REPO_ROOT / "notebooks" / f"{chapter}.ipynb").read_text())["cells"]
             if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])][0]
    source = "".join(setup["source"])
    call = source.index("run_from_repository_root()")
    for use in ("ensure_default_data(", "read_upstream(", "ChapterRun("):
        if use in source:
            assert call < source.index(use), use


def test_parameter_defaults_refuses_an_unknown_chapter():
    with pytest.raises(ValueError, match="unknown chapter '06_nothing'"):
        parameter_defaults("06_nothing")


def test_chapter_run_records_every_parameter_and_seeds_its_generator(tmp_path):
    namespace = dict(parameter_defaults("04_mock_recovery"), output_dir=str(tmp_path / "out"), seed=5)
    run = ChapterRun("04_mock_recovery", namespace, inputs={})
    assert run.parameters == {k: namespace[k] for k in parameter_defaults("04_mock_recovery")}
    assert run.rng.standard_normal() == np.random.default_rng(5).standard_normal()
    written = run.finish({"n": 3})
    marker = json.loads((tmp_path / "out" / MARKER).read_text())
    assert marker["n"] == 3 and marker["complete"] and marker["parameters"]["seed"] == 5
    assert marker["runtime_s"] == written["runtime_s"] >= 0 and "versions" in marker


def test_chapter_run_names_a_missing_parameter(tmp_path):
    namespace = dict(parameter_defaults("02_sigma_maps"), output_dir=str(tmp_path))
    del namespace["n_mc"]
    with pytest.raises(NameError, match=r"\['n_mc'\]"):
        ChapterRun("02_sigma_maps", namespace, inputs={})


def test_table_rows_are_plain_python_for_the_summary():
    t = Table({"mass": np.array([1e11, 2e11]), "n": np.array([3, 4], np.int32), "ok": np.array([True, False]),
               "name": ["a", "b"]})
    rows = table_rows(t)
    assert rows == [{"mass": 1e11, "n": 3, "ok": True, "name": "a"}, {"mass": 2e11, "n": 4, "ok": False, "name": "b"}]
    assert all(type(v) in (float, int, bool, str) for r in rows for v in r.values())
