"""Hostile input: random damage to IIS logs and UAL exports never crashes a parser, and every
input record is accounted for (rows + skipped + bad = records)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics import schema
from forensics.parsers.w3c.iis import IisParser
from forensics.parsers.m365.mailbox_audit import MailboxAuditParser
from forensics.parsers.m365.ual import UalParser
from helpers.run_parser import run_parser

IIS_HEAD = ("#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem "
            "cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status\r\n")
IIS_LINE = ("2024-03-05 10:00:{s:02d} 10.0.0.1 GET /owa/ceo@contoso.com/ ae=Item&id=A{s} 443 CONTOSO\\eve "
            "10.0.0.9 Mozilla {status}")
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
SETTINGS = settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(damage=st.lists(st.tuples(st.integers(0, 30), TEXT), max_size=6), cut=st.integers(0, 400))
def test_iis_random_damage(tmp_path_factory, damage, cut) -> None:
    lines = [IIS_LINE.format(s=i, status=401 if i % 5 == 0 else 200) for i in range(30)]
    for where, junk in damage:
        lines.insert(where, junk)
    text = (IIS_HEAD + "\r\n".join(lines)).encode("utf-8")
    text = text[: len(text) - cut]
    path = tmp_path_factory.mktemp("iis") / "u_ex.log"
    path.write_bytes(text)
    frame, report = run_parser(IisParser, path)
    assert report.balanced and schema.validate(frame) == []
    assert report.rows == len(frame) <= report.records


def _ual(audit: list[str]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["CreationDate", "UserIds", "Operations", "AuditData"])
    for text in audit:
        w.writerow(["2024-03-05T10:00:00", "u@x", "SendAs", text])
    return out.getvalue().encode("utf-8")


GOOD = json.dumps({"CreationTime": "2024-03-05T10:00:00", "Id": "1", "Operation": "SendAs", "RecordType": 2,
                   "Workload": "Exchange", "UserId": "u@x", "LogonType": 2, "SendAsUserSmtp": "ceo@x"})


@SETTINGS
@given(audit=st.lists(st.one_of(st.just(GOOD), TEXT, TEXT.map(lambda t: GOOD[:-1] + t)), min_size=1, max_size=8),
       cut=st.integers(0, 60))
def test_ual_random_audit_data(tmp_path_factory, audit, cut) -> None:
    data = _ual(audit)
    path = tmp_path_factory.mktemp("ual") / "audit.csv"
    path.write_bytes(data[: len(data) - cut])
    frame, report = run_parser(UalParser, path)
    assert report.balanced and schema.validate(frame) == []



@SETTINGS
@given(body=TEXT, attrs=st.lists(st.tuples(st.sampled_from(["Operation", "LogonType", "LastAccessed", "X"]), TEXT),
                                 max_size=5))
def test_mailbox_audit_xml_random_events(tmp_path_factory, body, attrs) -> None:
    attr_text = " ".join(f'{k}="{v.replace(chr(34), "")}"' for k, v in attrs)
    text = f"<SearchResults><Event MailboxGuid=\"1\" {attr_text}>{body}</Event><Event {body}</SearchResults>"
    path = tmp_path_factory.mktemp("mba") / "SearchResult.xml"
    path.write_text(text, encoding="utf-8")
    frame, report = run_parser(MailboxAuditParser, path)
    assert report.balanced and schema.validate(frame) == []


@SETTINGS
@given(rows=st.lists(st.lists(TEXT, min_size=0, max_size=6), min_size=1, max_size=6), cut=st.integers(0, 30))
def test_mailbox_audit_csv_random_cells(tmp_path_factory, rows, cut) -> None:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["LastAccessed", "Operation", "LogonType", "MailboxOwnerUPN", "LogonUserDisplayName", "ClientIPAddress"])
    for row in rows:
        w.writerow(row)
    data = out.getvalue().encode("utf-8")
    path = tmp_path_factory.mktemp("mbacsv") / "audit.csv"
    path.write_bytes(data[: max(len(data) - cut, data.index(b"\n") + 1)])
    frame, report = run_parser(MailboxAuditParser, path)
    assert report.balanced and schema.validate(frame) == []
