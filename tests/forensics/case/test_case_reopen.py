"""A CLI-made case reopens to the same rows and findings with and without its row cache:
every file is re-read with the source zone and directory export recorded for it (issue 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forensics.case import Case
from forensics.cli.main import main
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from helpers.case_reopen import canonical_pairs, canonical_rows, synth_case


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    return synth_case(tmp_path_factory.mktemp("contoso"))


def test_the_options_matter_for_this_corpus(corpus: tuple[Path, dict]) -> None:
    """Guard: without either option the answer differs, so the reopen tests can fail."""
    root, truth = corpus
    full = load_evidence([root / "evidence"], options=LoadOptions(
        source_tz=truth["timezones"]["export"], identities=root / truth["identities_csv"])).frame
    no_zone = load_evidence([root / "evidence"], options=LoadOptions(identities=root / truth["identities_csv"])).frame
    no_export = load_evidence([root / "evidence"], options=LoadOptions(source_tz=truth["timezones"]["export"])).frame
    assert canonical_rows(no_zone) != canonical_rows(full)
    assert canonical_pairs(no_export) != canonical_pairs(full)


def test_cli_case_reopens_identically_without_its_cache(corpus: tuple[Path, dict], tmp_path: Path) -> None:
    root, truth = corpus
    folder = tmp_path / "case"
    assert main(["case", "new", str(folder)]) == 0
    assert main(["case", "add", str(folder), str(root / "evidence"), "--source-tz", truth["timezones"]["export"],
                 "--identities", str(root / truth["identities_csv"])]) == 0
    # what `case add` showed: the same load, run here to keep its frame
    first = load_evidence([root / "evidence"], options=LoadOptions(
        source_tz=truth["timezones"]["export"], identities=root / truth["identities_csv"])).frame
    assert len(first) == sum(f["rows"] for f in truth["formats"].values())
    case = Case.open(folder)
    cached = case.load()
    assert _from_cache(case) == len(cached.files)  # this reopen read every file's rows from the cache
    assert canonical_rows(cached.frame) == canonical_rows(first)
    assert canonical_pairs(cached.frame) == canonical_pairs(first)
    shutil.rmtree(folder / "cache")
    case = Case.open(folder)
    again = case.load()
    assert not again.problems and _from_cache(case) == 0  # every file parsed again
    assert canonical_rows(again.frame) == canonical_rows(first)
    assert canonical_pairs(again.frame) == canonical_pairs(first)


def _from_cache(case: Case) -> int:
    """Files of the last reopen (entries after the last case-opened) whose rows came from the cache."""
    entries = case.custody.entries()
    start = max(i for i, e in enumerate(entries) if e["kind"] == "case-opened")
    return sum(1 for e in entries[start:] if e["kind"] == "evidence-opened" and e.get("rows_from_cache"))
