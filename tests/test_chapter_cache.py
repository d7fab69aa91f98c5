"""A chapter re-executes only when something it depends on changed (halo_utils.chapter_cache)."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from halo_utils import chapter_cache, pipeline
from halo_utils.chapter import REPO_ROOT
from halo_utils.fingerprint import file_sha256
from halo_utils.outputs import MARKER

CHAPTER = "02_sigma_maps"


@pytest.fixture
def work(tmp_path):
    """A working directory with the chapter's two input files."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "halo.fits").write_bytes(b"halo sample v1")
    (tmp_path / "in" / "truth.fits").write_bytes(b"truth v1")
    return tmp_path


def _params(**more):
    return {"halo_sample_path": "in/halo.fits", "truth_path": "in/truth.fits", "output_dir": "out", **more}


def test_the_key_depends_on_parameters_inputs_notebook_and_package(work, tmp_path, monkeypatch):
    key = chapter_cache.chapter_key(CHAPTER, _params(), cwd=work)
    assert key == chapter_cache.chapter_key(CHAPTER, _params(), cwd=work)  # deterministic
    assert key["components"]["inputs"]["halo_sample_path"] == file_sha256(work / "in" / "halo.fits")
    assert chapter_cache.chapter_key(CHAPTER, _params(n_mc=7), cwd=work)["key"] != key["key"]
    (work / "in" / "truth.fits").write_bytes(b"truth v2")
    assert chapter_cache.chapter_key(CHAPTER, _params(), cwd=work)["key"] != key["key"]
    (work / "in" / "truth.fits").write_bytes(b"truth v1")
    assert chapter_cache.chapter_key(CHAPTER, _params(), cwd=work)["key"] == key["key"]
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = json.loads((REPO_ROOT / "notebooks" / f"{CHAPTER}.ipynb").read_text())
    nb["cells"][-1]["source"] = ["print('edited')\n"]
    (notebooks / f"{CHAPTER}.ipynb").write_text(json.dumps(nb))
    assert chapter_cache.chapter_key(CHAPTER, _params(), cwd=work, notebooks=notebooks)["key"] != key["key"]
    monkeypatch.setattr(chapter_cache, "package_sha256", lambda: "another package")
    assert chapter_cache.chapter_key(CHAPTER, _params(), cwd=work)["key"] != key["key"]


def test_package_hash_sees_every_source_file(tmp_path):
    shutil.copytree(REPO_ROOT / "halo_utils", tmp_path / "pkg", ignore=shutil.ignore_patterns("__pycache__"))
    before = chapter_cache.package_sha256(tmp_path / "pkg")
    assert before == chapter_cache.package_sha256(REPO_ROOT / "halo_utils")
    (tmp_path / "pkg" / "density" / "profiles.py").write_text("# changed\n", encoding="utf-8")
    assert chapter_cache.package_sha256(tmp_path / "pkg") != before


@pytest.fixture
def fake_papermill(monkeypatch):
    """papermill replaced by a stand-in that writes the executed notebook and a complete
    output directory (one output file, hashed in the marker); records each execution."""
    calls = []

    def execute(source, executed, *, parameters, cwd, **_):
        calls.append(parameters)
        out = Path(cwd) / parameters["output_dir"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "table.ecsv").write_text("result\n")
        marker = {"complete": True, "outputs": {"table.ecsv": file_sha256(out / "table.ecsv")}}
        (out / MARKER).write_text(json.dumps(marker))
        nbformat.write(nbformat.v4.new_notebook(), str(executed))  # the pipeline reads it back (folding)

    monkeypatch.setattr(pipeline.pm, "execute_notebook", execute)
    return calls


def _run(work):
    return pipeline.run_chapter(CHAPTER, "ci", output_dir=work / "executed", cwd=work, overrides=_params(),
                                cache=True)


def test_an_unchanged_chapter_is_not_re_executed(work, fake_papermill):
    first = _run(work)
    assert first["ran"] and len(fake_papermill) == 1
    assert (work / "executed" / f"{CHAPTER}{chapter_cache.KEY_SUFFIX}").is_file()
    second = _run(work)
    assert not second["ran"] and second["key"] == first["key"] and len(fake_papermill) == 1


@pytest.mark.parametrize("change", ["input", "output edited", "output deleted", "marker deleted",
                                    "executed notebook deleted", "key deleted"])
def test_a_changed_input_or_damaged_output_re_executes(work, fake_papermill, change):
    _run(work)
    if change == "input":
        (work / "in" / "halo.fits").write_bytes(b"halo sample v2")  # e.g. chapter 1 re-ran
    elif change == "output edited":
        (work / "out" / "table.ecsv").write_text("edited\n")
    elif change == "output deleted":
        (work / "out" / "table.ecsv").unlink()
    elif change == "marker deleted":  # what an interrupted run leaves
        (work / "out" / MARKER).unlink()
    elif change == "executed notebook deleted":
        (work / "executed" / f"{CHAPTER}.ipynb").unlink()
    else:
        (work / "executed" / f"{CHAPTER}{chapter_cache.KEY_SUFFIX}").unlink()
    assert _run(work)["ran"] and len(fake_papermill) == 2


def test_a_forced_run_re_executes_and_records_its_key(work, fake_papermill):
    """make book FORCE=1 re-runs an up-to-date chapter, and the next plain make book knows that run."""
    first = _run(work)
    forced = pipeline.run_chapter(CHAPTER, "ci", output_dir=work / "executed", cwd=work, overrides=_params(),
                                  cache=True, force=True)
    assert forced["ran"] and forced["key"] == first["key"] and len(fake_papermill) == 2
    assert not _run(work)["ran"] and len(fake_papermill) == 2


def test_without_cache_a_chapter_always_runs(work, fake_papermill):
    for _ in range(2):
        assert pipeline.run_chapter(CHAPTER, "ci", output_dir=work / "executed", cwd=work,
                                    overrides=_params())["ran"]
    assert len(fake_papermill) == 2
