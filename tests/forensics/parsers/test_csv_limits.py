"""Degenerate CSV input keeps memory bounded and is refused with a clear per-file error.

Measured before the limits: a 706 KB UAL-looking CSV whose header names 100,000 columns took
2.9 GB in pyarrow; 2 GB with no line break was held whole (over 3 GB). Real exports have
4-10 (UAL: Purview, ``Search-UnifiedAuditLog | Export-Csv``) or some 40 columns
(``Search-MailboxAuditLog | Export-Csv``), and records of kilobytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.errors import ParseError
from forensics.parsers import csvtable
from forensics.parsers.eventlog import eventviewer_csv
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.eventviewer_csv import EventViewerCsvParser
from forensics.parsers.m365.mailbox_audit import MailboxAuditParser
from forensics.parsers.m365.ual import UalParser
from helpers.run_parser import run_parser
from tests.forensics.parsers.m365.test_ual import COMPOSITE_SEND_AS, purview_csv

CLASSIC = "CreationDate,UserIds,Operations,AuditData"


def test_a_header_of_100000_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(CLASSIC + "," + ",".join(f"c{i}" for i in range(100_000)) + "\r\na,b,c,d\r\n", encoding="utf-8")
    assert 600_000 < path.stat().st_size < 800_000
    with pytest.raises(ParseError, match="header row has no line end in its first 65,536 bytes"):
        run_parser(UalParser, path)


def test_a_short_header_of_too_many_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(CLASSIC + "," + ",".join("x" * 3 for _ in range(5000)) + "\r\n", encoding="utf-8")
    with pytest.raises(ParseError, match="names 5,004 columns, more than the 1,024"):
        run_parser(UalParser, path)
    # the whole-file readers (UTF-16 exports, mailbox audit CSV) refuse it the same way
    path.write_bytes(b"\xff\xfe" + path.read_text(encoding="utf-8").encode("utf-16-le"))
    with pytest.raises(ParseError, match="names 5,004 columns"):
        run_parser(UalParser, path)
    audit = tmp_path / "audit.csv"
    audit.write_text("Operation,LogonType,MailboxOwnerUPN," + ",".join("y" * 3 for _ in range(2000)) + "\r\n", encoding="utf-8")
    with pytest.raises(ParseError, match="names 2,003 columns"):
        run_parser(MailboxAuditParser, audit)


def test_a_record_without_line_breaks_is_refused_before_it_is_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvtable, "MAX_RECORD", 4096)
    monkeypatch.setattr(csvtable, "BLOCK", 1024)
    good = purview_csv([COMPOSITE_SEND_AS])
    path = tmp_path / "audit.csv"
    path.write_bytes(good.encode("utf-8") + b"x" * 50_000)
    held: list[int] = []
    original = csvtable._refuse_line

    def spy(ctx, limit):
        held.append(limit)
        original(ctx, limit)

    monkeypatch.setattr(csvtable, "_refuse_line", spy)
    with pytest.raises(ParseError, match="more than 4,096 bytes without a line break"):
        run_parser(UalParser, path)
    assert held == [4096]
    # after a record the quick reader cannot take (a value with a line break), the careful
    # reader's whole-file join is bounded the same way
    pretty = json.dumps({**COMPOSITE_SEND_AS, "Id": "p1"}, indent=1)
    text = purview_csv([COMPOSITE_SEND_AS], extra_rows=[["p1", "x", "2", "SendAs", "u", pretty, "", ""]])
    path.write_bytes(text.encode("utf-8") + b"x" * 50_000)
    with pytest.raises(ParseError, match="without a line break"):
        run_parser(UalParser, path)
    # an ordinary export still loads under the same limits
    path.write_bytes(text.encode("utf-8"))
    frame, report = run_parser(UalParser, path)
    assert len(frame) == 2 and report.bad == 0


def test_event_viewer_csv_without_line_breaks_is_bad_records_in_bounded_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventviewer_csv, "MAX_LINE", 2048)
    monkeypatch.setattr(eventviewer_csv, "BLOCK", 512)
    path = tmp_path / "export.csv"
    path.write_bytes(b"Level,Date and Time,Source,Event ID,Task Category\r\n"
                     b'Information,3/14/2010 3:22:41 PM,MSExchangeIS Auditing,10100,Folder Access,"' + b"x" * 20_000)
    pieces: list[int] = []
    original = eventviewer_csv.lines

    def spy(blocks):
        for line in original(blocks):
            pieces.append(len(line))
            yield line

    monkeypatch.setattr(eventviewer_csv, "lines", spy)
    frame, report = run_parser(EventViewerCsvParser, path, LoadOptions(source_tz="+00:00"))
    assert max(pieces) <= 2048 + 512 and frame.empty
    assert report.bad >= 1 and report.balanced
    assert any("longer than 2,048 characters" in w.message for w in report.warnings)
