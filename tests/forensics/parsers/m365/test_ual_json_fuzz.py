"""Hostile input: random damage to UAL JSON (lines, arrays, ConvertTo-Json) and to admin audit
exports never crashes a parser, and every input record is accounted for (rows + skipped + bad)."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics import schema
from forensics.errors import ParseError
from forensics.parsers.m365.admin_audit import AdminAuditParser
from forensics.parsers.m365.ual_json import UalJsonParser
from helpers.run_parser import run_parser

GOOD = {"CreationTime": "2024-03-05T10:00:00", "Id": "1", "Operation": "SendAs", "RecordType": 2, "Workload": "Exchange",
        "UserId": "u@x", "LogonType": 2, "SendAsUserSmtp": "ceo@x", "Item": {"Subject": "a \"quoted\" } ] { subject"}}
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
SHAPES = {
    "lines": lambda rs: "".join(json.dumps(r) + "\n" for r in rs),
    "array": lambda rs: json.dumps(rs, indent=2),
    "wrapped": lambda rs: json.dumps([{"CreationDate": "/Date(1709632800000)/", "AuditData": json.dumps(r),
                                       "ResultIndex": i + 1, "ResultCount": len(rs)} for i, r in enumerate(rs)]),
}


@SETTINGS
@given(shape=st.sampled_from(sorted(SHAPES)), damage=st.lists(st.tuples(st.integers(0, 2000), TEXT), max_size=5),
       cut=st.integers(0, 300))
def test_ual_json_random_damage(tmp_path_factory, shape, damage, cut) -> None:
    text = SHAPES[shape]([dict(GOOD, Id=str(i)) for i in range(8)])
    for where, junk in damage:
        text = text[:where] + junk + text[where:]
    data = text.encode("utf-8")
    data = data[: len(data) - cut] if cut < len(data) else data
    path = tmp_path_factory.mktemp("uj") / "audit.json"
    path.write_bytes(data)
    frame, report = run_parser(UalJsonParser, path)
    assert report.balanced and schema.validate(frame) == []
    assert report.accepted <= report.records


ADMIN = ('<?xml version="1.0" encoding="utf-8"?>\n<SearchResults>\n' + "".join(
    f'  <Event Caller="c/Users/Administrator" Cmdlet="Add-MailboxPermission" ObjectModified="c/Users/u{i}" '
    f'RunDate="2024-03-05T10:00:0{i}Z" Succeeded="true" Error="None" OriginatingServer="EX01 (15.01)">\n'
    f'    <CmdletParameters><Parameter Name="Identity" Value="u{i}" /><Parameter Name="User" Value="eve" />'
    f"</CmdletParameters>\n  </Event>\n" for i in range(6)) + "</SearchResults>\n")


@SETTINGS
@given(damage=st.lists(st.tuples(st.integers(0, len(ADMIN)), TEXT), max_size=5), cut=st.integers(0, 300))
def test_admin_audit_random_damage(tmp_path_factory, damage, cut) -> None:
    text = ADMIN
    for where, junk in damage:
        text = text[:where] + junk + text[where:]
    data = text.encode("utf-8")[: max(1, len(text.encode("utf-8")) - cut)]
    path = tmp_path_factory.mktemp("aa") / "admin.xml"
    path.write_bytes(data)
    try:
        frame, report = run_parser(AdminAuditParser, path)
    except ParseError:
        return  # refused with a message (e.g. no <Event> left)
    assert report.balanced and schema.validate(frame) == []
