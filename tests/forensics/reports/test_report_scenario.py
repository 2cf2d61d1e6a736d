"""Reports of a synthetic scenario (real EVTX written by forensics.synth, with ground truth):
the incident of truth.json is in the findings of every format, with its counts."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from forensics.cli.main import main
from forensics.custody.hashing import hash_file
from forensics.reports.csv_report import read_csv


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    root = tmp_path_factory.mktemp("after-hours")
    out = root / "synth"
    assert main(["synth", "--scenario", "after-hours", "--out", str(out), "--formats", "evtx", "--events", "200"]) == 0
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    case = root / "case"
    reports = root / "reports"
    common = [str(out / "evidence"), "--case", str(case), "--identities", str(out / "identities.csv"),
              "--filter", "is:nonowner"]
    for fmt in ("html", "pdf", "xlsx", "csv"):
        assert main(["report", *common, "--out", str(reports / f"report.{fmt}")]) == 0
    return out, truth, reports


def _incident(truth: dict) -> dict:
    (incident,) = truth["incidents"]
    return incident


def test_every_format_names_the_evidence_and_the_incident(scenario) -> None:  # type: ignore[no-untyped-def]
    out, truth, reports = scenario
    incident = _incident(truth)
    evidence = sorted((out / "evidence").rglob("*.evtx"))
    digests = [hash_file(p) for p in evidence]
    html = (reports / "report.html").read_text(encoding="utf-8")
    pdf = "".join("".join(page.extract_text().split()) for page in PdfReader(str(reports / "report.pdf")).pages)
    for d in digests:
        for value in (d.sha256, d.sha1, d.md5):
            assert value in html and value in pdf
    assert incident["actor_account"] in html
    assert incident["client_ip"] in html and incident["client_ip"] in pdf
    for heading in ("Findings", "Methodology", "Administrative"):
        assert heading in html and heading in pdf


def test_xlsx_findings_count_the_incident(scenario) -> None:  # type: ignore[no-untyped-def]
    out, truth, reports = scenario
    incident = _incident(truth)
    book = openpyxl.load_workbook(reports / "report.xlsx")
    sheet = book["Findings"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in row])) for row in sheet.iter_rows(min_row=2)]
    ip = incident["client_ip"]
    hits = [r for r in rows if r["actor"] and incident["actor_account"].lower() in (r["actor_forms"] or "").lower()
            and ip in (r.get("client_ips") or "")]
    assert hits, rows[:3]
    for op, count in incident["operations"].items():
        assert sum(int(r.get(op) or 0) for r in hits) >= count
    events = read_csv(reports / "report.csv")
    assert book["Events"].max_row - 1 == len(events)
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Rows in view"] == len(events) and summary["Query"] == "is:nonowner"
    # administrative changes come from everything loaded (not only the rows in view)
    header = [c.value for c in book["Summary"][1]]
    assert header == ["Item", "Value"]
    html = (reports / "report.html").read_text(encoding="utf-8")
    for change in truth["admin_changes"]:
        assert change["operation"] in html
    if any(c["operation"] == "AuditConfigChange" for c in truth["admin_changes"]):
        assert "Audit settings changed" in html
