"""The book's page "Bring your own catalogue" (book/own_catalogue.md), held to what it says:
its column tables are the package's schemas, and its commands, run as written (with the
user's folder ``mine/`` put in a temporary directory), build a tile table from a survey's
records and run chapters 1, 2, 3 and 5 on CSV catalogues holding only the columns each
chapter needs, with no truth table."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from halo_utils.catalog import REQUIRED_COLUMNS
from halo_utils.mock import MockConfig, generate_outer_halo, write_survey
from halo_utils.outputs import MARKER
from halo_utils.reflex import REFLEX_COLUMNS
from halo_utils.survey import TILE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "own_catalogue.md"


def page_section(heading):
    """The text under a heading of the page, up to the next heading of any level."""
    text = PAGE.read_text()
    start = text.index(heading + "\n") + len(heading) + 1
    end = re.search(r"^#{1,6} ", text[start:], re.M)
    return text[start:start + end.start()] if end else text[start:]


def column_table(heading):
    """``{column: unit or None}`` of the ``| column | unit | meaning |`` table under a heading."""
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", page_section(heading), re.M)
    return {name: None if unit == "-" else unit for name, unit in rows}


def code_blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(), re.M | re.S)


@pytest.mark.parametrize("heading, schema", [
    ("### Chapter 1's catalogue", REQUIRED_COLUMNS),
    ("### Chapters 5, 6 and 7's catalogue", {name: REQUIRED_COLUMNS[name] for name in REFLEX_COLUMNS}),
    ("## The tile table", TILE_COLUMNS),
])
def test_the_pages_column_tables_are_the_packages_schemas(heading, schema):
    table = column_table(heading)
    assert list(table) == list(schema)
    assert table == dict(schema)


def test_the_page_counts_the_columns_it_lists():
    assert f"the catalogue ({len(REQUIRED_COLUMNS)} columns, below)" in PAGE.read_text()
    assert f"with {len(REFLEX_COLUMNS)} columns" in PAGE.read_text()


def _in(folder: Path, command: str) -> str:
    """A command of the page with its folder ``mine/`` moved to ``folder`` and the
    environment's Python in place of ``.venv/bin/python``."""
    return command.replace("mine/", f"{folder}/").replace(".venv/bin/python", shlex.quote(sys.executable))


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    """The user's folder: a survey's catalogue (CSV, the 24 columns only), its fields and
    targeting (from a small mock of 200 tiles), and an outer-halo catalogue (CSV, the 12
    reflex columns only); then the page's Python block, which writes mine/tiles.fits."""
    folder = tmp_path_factory.mktemp("user") / "mine"
    folder.mkdir()
    paths = write_survey(folder.parent / "survey", seed=7, config=MockConfig(n_tiles=200))
    catalog, tiles = Table.read(paths["catalog"]), Table.read(paths["tiles"])
    slim = catalog[list(REQUIRED_COLUMNS)]
    for name in slim.colnames:
        slim[name].unit = None
    slim.write(folder / "catalog.csv")
    tiles["tileID", "RA", "DEC", "radius"].write(folder / "fields.csv")
    rows = []
    for k in (1, 2):
        observed = np.bincount(np.searchsorted(tiles["tileID"], catalog["tileID"][catalog["XFIT_RANK"] == k]),
                               minlength=len(tiles))
        for tile_id, n_cand, n_obs in zip(tiles["tileID"], tiles[f"n_cand_rank{k}"], observed):
            rows += [(tile_id, k, i < n_obs) for i in range(n_cand)]
    Table(rows=rows, names=("tileID", "rank", "observed")).write(folder / "targets.csv")
    outer, _ = generate_outer_halo(3)
    outer = outer[list(REFLEX_COLUMNS)]
    for name in outer.colnames:
        outer[name].unit = None
    outer.write(folder / "outer_halo.csv")
    (python_block,) = code_blocks("python")
    subprocess.run([sys.executable, "-c", _in(folder, python_block)], cwd=ROOT, check=True)
    return folder, tiles


def test_the_pages_tile_table_matches_the_surveys(mine):
    folder, tiles = mine
    built = Table.read(folder / "tiles.fits")
    assert list(built["tileID"]) == list(tiles["tileID"])
    assert np.max(np.abs(np.asarray(built["r_lim"]) - np.asarray(tiles["r_lim"]))) < 0.1
    np.testing.assert_allclose(built["solid_angle"], tiles["solid_angle"], rtol=1e-12)


@pytest.mark.slow
def test_the_pages_commands_run_chapters_1_2_3_5_and_7_on_csv_catalogues(mine):
    folder, _ = mine
    commands = code_blocks("bash")
    assert len(commands) == 5
    for command in commands:
        chapter = re.search(r"--chapters (\S+)", command)[1]
        subprocess.run(["bash", "-c", _in(folder, command)], cwd=ROOT, check=True)
        summary = json.loads((folder / chapter / MARKER).read_text())
        assert summary["complete"] and summary["parameters"]["truth_path"] == ""
        assert (folder / "executed" / f"{chapter}.ipynb").is_file()
    ch1 = json.loads((folder / "01_sample_construction" / MARKER).read_text())
    assert ch1["n_catalogue"] == len(Table.read(folder / "catalog.csv")) and ch1["n_gse"] > 100
    ch3 = json.loads((folder / "03_density_model" / MARKER).read_text())
    assert 0 < ch3["n_stars"] <= ch1["n_gse"]
    ch5 = json.loads((folder / "05_reflex_fit" / MARKER).read_text())
    assert ch5["n_catalogue"] == len(Table.read(folder / "outer_halo.csv")) and ch5["n_fit"] > 500
    ch7 = json.loads((folder / "07_lmc_mw_masses" / MARKER).read_text())
    assert all("truth" not in post and post["interval_68"][0] < post["interval_68"][1]
               for post in ch7["posterior"].values())
    # nothing was written outside mine/ (the book's executed chapters are untouched)
    assert {p.name for p in folder.iterdir()} == {"catalog.csv", "fields.csv", "targets.csv", "outer_halo.csv",
                                                  "tiles.fits", "executed", "01_sample_construction",
                                                  "02_sigma_maps", "03_density_model", "05_reflex_fit",
                                                  "07_lmc_mw_masses"}
