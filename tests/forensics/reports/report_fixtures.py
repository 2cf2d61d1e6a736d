"""Shared builders for report tests: a case with real evidence (test-only #TESTLOG format)
plus rows carrying injection payloads in subjects, folders and user names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.fake_parser import SAMPLE  # registers the test-only parser
from forensics import schema
from forensics.case import Case

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTAB-led",
    "\rCR-led",
    "<font color=red>f</font> & <b>b</b> &amp;",
]


def make_case(tmp_path: Path, *, name: str = "Operation <Quill>") -> tuple[Case, Path]:
    folder = tmp_path / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    evidence = folder / "a.testlog"
    evidence.write_text(SAMPLE)
    case = Case.create(tmp_path / "case", name, number="2024-017", examiner="E. Xam", display_tz="Europe/Berlin")
    case.add_evidence([evidence])
    case.save()
    return case, evidence


def hostile_rows(evidence_id: str, n: int = 60) -> pd.DataFrame:
    """Rows whose subjects, folders, actors and mailboxes are injection payloads."""
    rows = []
    base = pd.Timestamp("2024-03-04T06:30:00.123456Z")
    for i in range(n):
        payload = PAYLOADS[i % len(PAYLOADS)]
        rows.append({
            "time": base + pd.Timedelta(minutes=97 * i),
            "operation": ["MessageOpen", "FolderOpen", "SendAs"][i % 3],
            "mailbox": payload if i % 4 == 0 else "ceo@contoso.com",
            "actor": payload if i % 5 == 0 else ("CONTOSO\\pat" if i % 2 else "CONTOSO\\ceo"),
            "logon_type": "Owner" if i % 2 == 0 and i % 5 else "Delegate",
            "admin_rights": i % 7 == 0,
            "folder": payload, "item": payload,
            "client_ip": "10.0.0.5", "outcome": "Success", "server": "EXMBX01",
            "event_id": 10102, "record_id": 1000 + i, "raw_ref": 5000 + i,
            "evidence": evidence_id, "source_format": "evtx", "provider": "MSExchangeIS Auditing",
            "mapping": "rendered", "time_basis": "utc", "details": f"row {i} {payload}",
        })
    rows.append({"time": base, "operation": "AuditConfigChange", "actor": "CONTOSO\\admin",
                 "mailbox": "ceo@contoso.com", "item": "Add-ADPermission ms-Exch-Store-Bypass-Access-Auditing",
                 "record_id": 9999, "evidence": evidence_id, "source_format": "evtx", "mapping": "native"})
    frame = schema.conform(rows)
    frame["evidence"] = pd.Categorical([evidence_id] * len(frame))  # as ingest builds it
    return frame
