"""The .evt reader on a real public log (plaso's SysEvent.Evt, tests/data/evt/README.md): a
dirty, wrapped Windows XP System log copied from a running system."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from forensics.evt.walk import walk
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.evt_parser import EvtParser
from helpers.run_parser import run_parser

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "evt" / "SysEvent.Evt.gz"


@pytest.fixture(scope="module")
def sysevent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evt") / "SysEvent.Evt"
    path.write_bytes(gzip.decompress(SAMPLE.read_bytes()))
    return path


def test_live_log_and_slack(sysevent: Path) -> None:
    found = walk(sysevent.read_bytes())
    assert found.header.flag_names() == ["DIRTY", "WRAPPED", "ARCHIVE"] and found.wrapped
    assert (found.eof.next_record, found.header.next_record) == (7455, 7430)
    numbers = [r.number for r in found.records]
    assert numbers == list(range(1392, 7455)) and not found.damage and not found.field_problems
    new, copies, conflicts = found.slack_split()
    assert sorted(r.number for _, r in new) == list(range(1135, 1392))
    assert len(copies) == 180 and not conflicts
    # record 1392 as plaso's test states it
    first = found.records[0]
    assert (first.generated, first.event_type, first.category, first.computer, first.source) == (
        1311748907, 2, 3, "WKS-WINXP32BIT", "LSASRV")
    assert (first.code, first.event_id) == (0x8000A001, 40961) and first.strings[0] == "cifs/CONTROLLER"


def test_parser_accounts_for_every_record(sysevent: Path) -> None:
    frame, report = run_parser(EvtParser, sysevent, LoadOptions(all_events=True))
    assert (report.records, report.accepted, report.bad) == (6500, 6320, 0) and report.balanced
    assert report.skipped == {"slack copy of a record read already": 180}
    assert len(frame) == 6320
    notes = " ".join(report.notes)
    assert "DIRTY LOG" in notes and "Not a sign of tampering" in notes and "WRAPPED" in notes
    assert "RECORDS FROM SLACK: 257 record(s) (1135-1391)" in notes and "RECORDS MISSING" not in notes
    from_slack = frame["details"].astype("string").str.contains("read from slack", na=False)
    assert from_slack.sum() == 257 and set(frame.loc[from_slack, "record_id"]) == set(range(1135, 1392))


def test_libevt_agrees(sysevent: Path) -> None:
    pytest.importorskip("pyevt")
    from forensics.evt.crosscheck import crosscheck, format_report

    result = crosscheck(sysevent)
    assert result.ok and result.agreed == 6320 and result.theirs_recovered == 257, format_report(result)
