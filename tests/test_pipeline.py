"""The pipeline's schedule: which chapter reads which, and up to two chapters at a time."""

import os
import threading
import time

import nbformat
import pytest

from halo_utils import pipeline
from halo_utils.chapter import CHAPTERS


def test_chapter_dependencies_follow_the_input_paths():
    """Chapters 2 and 3 read chapter 1's samples; 4, 5 and 6 read only the data files."""
    for profile in ("full", "ci"):
        needs = pipeline.chapter_dependencies(profile)
        assert needs == {"01_sample_construction": set(), "02_sigma_maps": {"01_sample_construction"},
                         "03_density_model": {"01_sample_construction"}, "04_mock_recovery": set(),
                         "05_reflex_fit": set(), "06_lmc_mass": set(), "07_lmc_mw_masses": set()}
    # a run without chapter 1 takes its outputs as they are on disk
    assert pipeline.chapter_dependencies("ci", CHAPTERS[1:])["03_density_model"] == set()


def _fake_children(monkeypatch, durations, fail=()):
    """Replace the child processes by sleeps; record (chapter, start, end)."""
    events, lock = [], threading.Lock()

    def child(chapter, profile, force, quiet, print_lock):
        start = time.perf_counter()
        time.sleep(durations[chapter])
        with lock:
            events.append((chapter, start, time.perf_counter()))
        if chapter in fail:
            raise RuntimeError(f"{chapter} failed")
        return durations[chapter]
    monkeypatch.setattr(pipeline, "_run_in_child", child)
    return events


def test_two_jobs_start_each_chapter_after_what_it_reads(monkeypatch):
    durations = dict(zip(CHAPTERS, (0.3, 0.05, 0.2, 0.6, 0.2, 0.1, 0.1)))
    events = _fake_children(monkeypatch, durations)
    times = pipeline.run_all("ci", CHAPTERS, jobs=2)
    assert set(times) == set(CHAPTERS)
    span = {c: (s, e) for c, s, e in events}
    first_done = span["01_sample_construction"][1]
    assert span["02_sigma_maps"][0] >= first_done and span["03_density_model"][0] >= first_done
    # never more than two at once
    for c, s, _ in events:
        assert sum(1 for _, s2, e2 in events if s2 <= s < e2) <= 2, c
    # chapter 4 reads nothing, so it runs beside chapter 1 from the start
    assert span["04_mock_recovery"][0] < first_done


def test_a_failing_chapter_stops_the_run_after_the_running_ones_end(monkeypatch):
    durations = dict(zip(CHAPTERS, (0.1, 0.05, 0.05, 0.3, 0.05, 0.05, 0.05)))
    events = _fake_children(monkeypatch, durations, fail=("01_sample_construction",))
    with pytest.raises(RuntimeError, match="01_sample_construction failed"):
        pipeline.run_all("ci", CHAPTERS, jobs=2)
    ran = {c for c, _, _ in events}
    assert "04_mock_recovery" in ran  # it was running: it finished
    assert not ran & {"02_sigma_maps", "03_density_model"}  # they read the failed chapter: never started


def test_injected_parameters_are_folded_and_nothing_else_changes(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\nThe narrative."),
        nbformat.v4.new_code_cell("seed = 1", metadata={"tags": ["parameters", "hide-input"]}),
        nbformat.v4.new_code_cell("seed = 7", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("print(seed)")])
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, str(path))
    pipeline.fold_injected_parameters(path)
    pipeline.fold_injected_parameters(path)  # idempotent
    cells = nbformat.read(str(path), as_version=4).cells
    assert [c.metadata.get("tags") for c in cells] == [
        None, ["parameters", "hide-input"], ["injected-parameters", pipeline.FOLDED_TAG], None]
    assert [c.source for c in cells] == [c.source for c in nb.cells]


def test_the_kernel_draws_inline_whatever_the_caller_set(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    with pipeline._kernel_environment():
        assert os.environ["MPLBACKEND"] == pipeline.KERNEL_MPLBACKEND
    assert os.environ["MPLBACKEND"] == "Agg"
    monkeypatch.delenv("MPLBACKEND")
    with pipeline._kernel_environment():
        pass
    assert "MPLBACKEND" not in os.environ


@pytest.mark.parametrize("text, value", [("", ""), ("True", True), ("None", None), ("7", 7), ("2.5", 2.5),
                                         ("[15, 25]", [15, 25]), ("mine/a.csv", "mine/a.csv")])
def test_command_line_parameters_are_read_as_papermill_reads_them(text, value):
    assert pipeline.parameter_value(text) == value and type(pipeline.parameter_value(text)) is type(value)


def test_command_line_parameters_need_one_chapter_and_a_known_name(capsys):
    with pytest.raises(SystemExit):
        pipeline._main(["--chapters", CHAPTERS[0], CHAPTERS[1], "-p", "seed", "3"])
    assert "one chapter" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no_such_parameter"):
        pipeline._main(["--quiet", "--chapters", CHAPTERS[0], "-p", "no_such_parameter", "3"])
