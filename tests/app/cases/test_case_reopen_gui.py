"""A GUI-made case reopens to the same rows and findings with and without its row cache
(issue 16, point 8: the GUI used to record ``options: {}``, so a reopen without the cache
moved local-time rows and re-keyed actors). Part of the evidence is open before File > New
case (adopted), part is opened into the case afterwards; the reopening window has default
load options, so only what the case recorded per file can give the same answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forensics.parsers.base import LoadOptions
from helpers.case_reopen import canonical_pairs, canonical_rows, synth_case

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    return synth_case(tmp_path_factory.mktemp("contoso"))


def _wait(qtbot, task) -> None:  # type: ignore[no-untyped-def]
    assert task is not None
    qtbot.waitUntil(lambda: not task.is_running(), timeout=60000)
    qtbot.wait(50)


def _load(qtbot, window, paths) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.session.loader.idle, timeout=60000):
        assert window.open_paths(paths)


def test_gui_case_reopens_identically_with_and_without_its_cache(  # type: ignore[no-untyped-def]
        qtbot, make_window, corpus, tmp_path) -> None:
    root, truth = corpus
    window = make_window()
    window.session.load_options = LoadOptions(source_tz=truth["timezones"]["export"],
                                              identities=root / truth["identities_csv"])
    _load(qtbot, window, [root / "evidence" / "exports"])  # local-time CSV exports, before the case
    case = window.cases.new_case(tmp_path / "case", "Quill", adopt_open=True)
    _wait(qtbot, window.cases.task)
    _load(qtbot, window, [root / "evidence" / "evtx", root / "evidence" / "ual"])  # into the open case
    first = window.session.frame
    assert len(first) == sum(f["rows"] for f in truth["formats"].values())
    assert len(case.evidence) == 6
    rows, pairs = canonical_rows(first), canonical_pairs(first)

    cached = make_window()  # default load options: only the case's records can restore them
    _wait(qtbot, cached.cases.open_case(case.folder))
    assert canonical_rows(cached.session.frame) == rows
    assert canonical_pairs(cached.session.frame) == pairs
    # each reopened file keeps its recorded options (a New case from here adopts it with them)
    assert {str(cached.session.options_of(f).source_tz) for f in cached.session.files} == {truth["timezones"]["export"]}

    shutil.rmtree(case.folder / "cache")
    parsed = make_window()
    _wait(qtbot, parsed.cases.open_case(case.folder))
    entries = parsed.cases.case.custody.entries()
    start = max(i for i, e in enumerate(entries) if e["kind"] == "case-opened")
    reopened = [e for e in entries[start:] if e["kind"] == "evidence-opened"]
    assert len(reopened) == 6 and not any(e.get("rows_from_cache") for e in reopened)  # all parsed again
    assert canonical_rows(parsed.session.frame) == rows
    assert canonical_pairs(parsed.session.frame) == pairs


def test_gui_reopens_a_cli_made_case_without_its_cache(qtbot, make_window, corpus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from forensics.cli.main import main
    from forensics.ingest import load_evidence

    root, truth = corpus
    folder = tmp_path / "case"
    assert main(["case", "new", str(folder)]) == 0
    assert main(["case", "add", str(folder), str(root / "evidence"), "--source-tz", truth["timezones"]["export"],
                 "--identities", str(root / truth["identities_csv"])]) == 0
    first = load_evidence([root / "evidence"], options=LoadOptions(
        source_tz=truth["timezones"]["export"], identities=root / truth["identities_csv"])).frame
    shutil.rmtree(folder / "cache")
    window = make_window()
    _wait(qtbot, window.cases.open_case(folder))
    assert canonical_rows(window.session.frame) == canonical_rows(first)
    assert canonical_pairs(window.session.frame) == canonical_pairs(first)
