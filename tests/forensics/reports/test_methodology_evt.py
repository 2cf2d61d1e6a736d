"""The methodology explains the .evt notes, and only when a .evt was read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics.parsers.base import FileReport
from forensics.reports.methodology import EVT_CHECKED, EVT_NOTES, completeness_statement, sections


def test_evt_checks_and_notes_only_with_an_evt_file() -> None:
    evtx = FileReport(path=Path("Exchange Auditing.evtx"), parser="evtx")
    evt = FileReport(path=Path("AppEvent.Evt"), parser="evt")
    assert EVT_CHECKED not in completeness_statement([evtx])
    assert EVT_CHECKED in completeness_statement([evtx, evt])
    empty = pd.DataFrame({"operation": pd.Categorical([]), "time": pd.Series([], dtype="datetime64[ns, UTC]")})
    assert EVT_NOTES not in [text for _, text in sections(empty, [evtx], "UTC")]
    assert EVT_NOTES in [text for _, text in sections(empty, [evt], "UTC")]
    for note in ("RECORDS MISSING", "DIRTY LOG", "WRAPPED", "LOG FULL", "RECORDS FROM SLACK", "SLACK COPIES", "RECORD CONFLICT", "HEADER DISAGREES"):
        assert note in EVT_NOTES
