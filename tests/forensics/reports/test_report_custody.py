"""Every report format states the custody head, the signing key fingerprints, the command
that checks the case against the report, and every acknowledged evidence mismatch."""

from __future__ import annotations

import html
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from report_fixtures import make_case
from forensics.custody.log import CustodyLog
from forensics.reports import build_report, export_report
from forensics.reports.custody_summary import summarize


@pytest.fixture
def acknowledged_case(tmp_path: Path):
    case, evidence = make_case(tmp_path)
    evidence.write_text(evidence.read_text() + "2024-03-09T10:00:00Z,CONTOSO\\pat,ceo@contoso.com,MessageOpen\n")
    loaded = case.load()  # logs the mismatch
    mismatch = next(e for e in case.custody.entries() if e["kind"] == "evidence-mismatch")
    case.acknowledge_mismatch(mismatch["seq"], "appended by the customer's export; accepted")
    loaded = case.load()
    return case, evidence, loaded


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "html"])
def test_report_states_key_head_and_acknowledgement(acknowledged_case, fmt: str, tmp_path: Path) -> None:
    case, evidence, loaded = acknowledged_case
    data = build_report(frame=loaded.frame, files=loaded.files, checks=loaded.checks, custody=case.custody,
                        case_name=case.name, heatmaps=False)
    head = case.custody.head()
    out = tmp_path / "out" / f"r.{fmt}"
    export_report(data, out, custody=case.custody, evidence_paths=[evidence])
    if fmt == "pdf":
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(out)).pages).split())
    elif fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        text = " ".join(f"{r[0].value} {r[1].value}" for r in book["Summary"].iter_rows(min_row=2))
    else:
        text = html.unescape(out.read_text(encoding="utf-8"))
    fpr = case.custody.key_fingerprint
    compact = text.replace(" ", "").replace("\n", "")
    assert fpr in compact and head in compact  # PDF cells may wrap long hashes
    assert f"--expect-head{head}--expect-key{fpr}" in compact
    assert "appended by the customer's export; accepted" in text
    assert "every entry signed (Ed25519)" in text
    assert data.evidence[0].verification == "changed, acknowledged"


def test_summary_of_a_legacy_log_and_of_no_case(tmp_path: Path) -> None:
    legacy = CustodyLog(tmp_path / "old", sign=False)
    legacy.append("case-created")
    # the reading log signs (this version): its key will sign the report entry
    summary = summarize(CustodyLog(tmp_path / "old", examiner="Dana"))
    assert summary.signing.startswith("UNSIGNED (legacy log)")
    assert len(summary.keys) == 1 and "signs this report's custody entry" in summary.keys[0][1]
    none = summarize(CustodyLog(None))
    assert none.signing == "not kept (no case folder)" and none.keys == [] and none.verify_command == ""
