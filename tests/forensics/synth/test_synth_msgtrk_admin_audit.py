"""Message tracking and admin audit exports from the generator: our rows equal truth.json.

Message tracking: the 2013+ layout (``MSGTRKMS`` SUBMIT, ``MSGTRK`` STOREDRIVER RECEIVE and
SMTP RECEIVE, ``MSGTRKMD`` DELIVER; header and field list of Microsoft's "Message tracking in
Exchange Server" and the real 15.x lines ``tests/forensics/parsers/w3c/test_msgtrk.py`` cites).
The file check re-reads the lines with the csv module (not our parser). Admin audit: the
``Search-AdminAuditLog | Export-Csv`` layout of ``test_admin_audit.py``, RunDate in the export
zone. The round trip parses each file, resolves logon types with the case's directory export
(ExchangeGuid ties the submitting mailbox GUID to a person) and tallies the rows like truth.json.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from forensics.parsers.base import LoadOptions
from forensics.parsers.m365.admin_audit import AdminAuditParser
from forensics.parsers.w3c.msgtrk import MessageTrackingParser
from forensics.synth.generate import DEFAULT_FORMATS, generate
from helpers.roundtrip import expected, load_format, tally


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("msgtrk")
    generate("contoso", out, seed=7, events=1500, formats=("msgtrk", "admin-audit"), command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


def prefix(rel: str) -> str:
    """MSGTRK, MSGTRKMS or MSGTRKMD: the log kind of ``<prefix><yyyymmddhh>-<n>.LOG``."""
    return Path(rel).name.split("20", 1)[0]


def test_optional_not_written_by_default() -> None:
    assert "msgtrk" not in DEFAULT_FORMATS and "admin-audit" not in DEFAULT_FORMATS


def test_tracking_files_are_message_tracking_logs(case: tuple[Path, dict]) -> None:
    root, truth = case
    fmt = truth["formats"]["msgtrk"]
    prefixes = Counter(prefix(f) for f in fmt["files"])
    assert set(prefixes) == {"MSGTRK", "MSGTRKMS", "MSGTRKMD"}
    lines = 0
    events: Counter[tuple[str, str, str]] = Counter()
    for rel in fmt["files"]:
        text = (root / rel).read_text(encoding="utf-8")
        head = [x for x in text.splitlines() if x.startswith("#")]
        assert head[:3] == ["#Software: Microsoft Exchange Server", "#Version: 15.0.0.0",
                            "#Log-type: Message Tracking Log"]
        names = head[4].removeprefix("#Fields: ").split(",")
        assert names[:6] == ["date-time", "client-ip", "client-hostname", "server-ip", "server-hostname",
                             "source-context"] and len(names) == 30
        for row in csv.reader(x for x in text.splitlines() if not x.startswith("#")):
            assert len(row) == len(names)
            record = dict(zip(names, row))
            events[(prefix(rel), record["source"], record["event-id"])] += 1
            lines += 1
    assert lines == fmt["records"]
    sends = fmt["by_source_operation"]["SUBMIT"]
    assert sends == truth["accesses"]["by_operation"]["SendAs"] > 0
    assert events[("MSGTRKMS", "STOREDRIVER", "SUBMIT")] == sends
    assert events[("MSGTRK", "STOREDRIVER", "RECEIVE")] == sends
    assert events[("MSGTRK", "SMTP", "RECEIVE")] > 0  # inbound mail: noise, no row
    assert fmt["rows"] + fmt["noise_records"] == fmt["records"]


def test_tracking_round_trip(case: tuple[Path, dict]) -> None:
    root, truth = case
    fmt = truth["formats"]["msgtrk"]
    options = LoadOptions(identities=root / truth["identities_csv"])
    frame, reports = load_format(root, truth, "msgtrk", MessageTrackingParser, options)
    assert tally(frame) == expected(truth, "msgtrk")
    assert sum(r.records for r in reports) == fmt["records"]
    assert all(r.balanced and not r.bad for r in reports)
    assert sum(r.skipped.total() for r in reports) == fmt["noise_records"]
    # the submitting mailbox GUID resolved through ExchangeGuid: a person sending as another
    assert set(frame["logon_type"].astype(str)) == {"Delegate"}
    incident = next(i for i in truth["incidents"] if i["kind"] == "delegate-send"
                    and "SendAs" in i["operations"])
    assert incident["rows"]["msgtrk"] == 2  # SUBMIT + RECEIVE, in two logs
    hits = frame[frame["item"] == incident["items"][0]]
    assert len(hits) == 2 and set(hits["mailbox"].astype(str)) == {
        next(p["smtp"] for p in truth["people"] if p["key"] == incident["mailboxes"][0])}


def test_admin_audit_round_trip(case: tuple[Path, dict]) -> None:
    root, truth = case
    fmt = truth["formats"]["admin-audit"]
    options = LoadOptions(source_tz=truth["timezones"]["export"], identities=root / truth["identities_csv"])
    frame, reports = load_format(root, truth, "admin-audit", AdminAuditParser, options)
    assert tally(frame) == expected(truth, "admin-audit")
    assert sum(r.records for r in reports) == fmt["records"] == fmt["rows"] == len(truth["admin_changes"])
    assert all(r.balanced and not r.bad for r in reports)
    by_op = Counter(frame["operation"].astype(str))
    assert dict(by_op) == fmt["by_operation"]
    failed = frame[frame["outcome"].astype(str) == "Failure"]
    assert failed["item"].astype(str).tolist() == [c["cmdlet"] for c in truth["admin_changes"]
                                                    if c["outcome"] == "Failure"]
