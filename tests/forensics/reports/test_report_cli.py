"""`mailbox-audit report` and `mailbox-audit case` end to end (headless), with a case."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.fake_parser import SAMPLE  # registers the test-only parser
from forensics.case import Case
from forensics.cli.main import main
from forensics.custody.hashing import hash_file


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    path = folder / "a.testlog"
    path.write_text(SAMPLE.replace("CONTOSO\\pat", "<script>alert(1)</script>"))
    return path


def test_case_workflow_and_report(tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    assert main(["case", "new", str(case), "--name", "Quill", "--number", "17", "--examiner", "E", "--tz", "+02:00"]) == 0
    assert main(["case", "add", str(case), str(evidence), "--examiner", "E"]) == 0
    assert main(["case", "tag", str(case), "--filter", "is:nonowner", "--tag", "suspicious", "--comment", "night reads"]) == 0
    assert main(["case", "note", str(case), "Called the CEO."]) == 0
    assert main(["case", "query", str(case), "night", "is:nonowner after:2024-03-05"]) == 0
    assert main(["case", "show", str(case)]) == 0
    shown = capsys.readouterr().out
    assert "tagged 2 rows 'suspicious'" in shown and "[size/mtime unchanged" in shown and "Called the CEO." in shown

    out = tmp_path / "reports" / "quill.html"
    code = main(["report", "--case", str(case), "--format", "html", "--out", str(out), "--filter", "tag:suspicious"])
    printed = capsys.readouterr().out
    assert code == 0
    html = out.read_text(encoding="utf-8")
    assert hash_file(evidence).sha256 in html and "night reads" in html and "Called the CEO." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "tag:suspicious" in html and "2 rows in view" in html
    assert "UTC+02:00" in html or "+02:00" in html
    assert f"sha256 {hash_file(out).sha256}" in printed
    reopened = Case.open(case)
    assert reopened.integrity_problems == []
    exported = [e for e in reopened.custody.entries() if e["kind"] == "report-exported"]
    assert exported[-1]["sha256"] == hash_file(out).sha256
    assert main(["verify", "--case", str(case)]) == 0


def test_report_without_case_and_every_format(tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / "out" / f"r.{fmt}"
        assert main(["report", str(evidence), "--out", str(out), "--name", "Ad hoc"]) == 0
        assert out.stat().st_size > 0
    assert "no --case given" in capsys.readouterr().err


def test_modified_evidence_fails_loudly(tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    out = tmp_path / "out" / "r.html"
    assert main(["report", str(evidence), "--case", str(case), "--out", str(out)]) == 0
    evidence.write_text(SAMPLE + "2024-03-06T09:00:00Z,CONTOSO\\pat,cfo@contoso.com,MessageOpen\n")
    capsys.readouterr()
    assert main(["report", "--case", str(case), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "EVIDENCE MODIFIED" in err and "Traceback" not in err
    html = out.read_text(encoding="utf-8")
    assert "EVIDENCE MODIFIED" in html and hash_file(evidence).sha256 in html


def test_user_errors_are_one_line(tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--out", str(tmp_path / "r.html")]) == 2
    assert main(["report", str(evidence), "--out", str(evidence.parent / "r.html")]) == 2
    assert main(["report", str(evidence), "--out", str(tmp_path / "r.docx")]) == 2
    assert main(["report", str(evidence), "--out", str(tmp_path / "r.html"), "--filter", '"unterminated']) == 2
    assert main(["case", "show", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "next to evidence" in err and "unknown report format" in err and "not a case folder" in err


def test_load_then_report_on_the_same_case_lists_each_file_once(tmp_path: Path, evidence: Path) -> None:
    case = tmp_path / "case"
    assert main(["load", str(evidence.parent), "--case", str(case)]) == 0
    out = tmp_path / "out" / "r.xlsx"
    assert main(["report", str(evidence.parent), "--case", str(case), "--out", str(out)]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(out)["Evidence"]
    assert sheet.max_row == 2 and sheet["I2"].value == "verified"
    assert len(Case.open(case).evidence) == 1


def _case_with(tmp_path: Path, evidence: Path) -> Path:
    """A new case (examiner "E") holding ``evidence``, made with the CLI."""
    case = tmp_path / "case"
    assert main(["case", "new", str(case), "--examiner", "E"]) == 0
    assert main(["case", "add", str(case), str(evidence)]) == 0
    return case


def test_expected_access_marks_from_the_cli_reach_the_report(
    tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _case_with(tmp_path, evidence)
    capsys.readouterr()
    assert main(["case", "expect", str(case), "--actor", "nobody"]) == 2  # a mark needs its reason
    assert "--reason is required" in capsys.readouterr().err
    assert main(["case", "expect", str(case), "--actor", "<script>alert(1)</script>", "--reason",
                 "migration <b>tool</b>"]) == 0
    assert main(["case", "expect", str(case), "--actor", "ghost", "--mailbox", "ceo", "--reason", "left"]) == 0
    assert main(["case", "show", str(case)]) == 0
    shown = capsys.readouterr().out
    assert "expected access (2):" in shown and "<script>alert(1)</script> → every mailbox: migration <b>tool</b>" in shown
    out = tmp_path / "reports" / "r.html"
    assert main(["report", "--case", str(case), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "migration &lt;b&gt;tool&lt;/b&gt;" in html and "<b>tool</b>" not in html
    assert "marked as expected access are listed after the others" in html
    assert "1 expected-access mark(s) match no pair in the loaded evidence: ghost → ceo." in html
    assert "After hours means outside 08:00–18:00 on Mon, Tue, Wed, Thu, Fri" in html
    assert main(["case", "expect", str(case), "--actor", "ghost", "--mailbox", "CEO", "--remove"]) == 0
    assert main(["case", "expect", str(case), "--actor", "ghost", "--mailbox", "ceo", "--remove"]) == 2
    kinds = [e["kind"] for e in Case.open(case).custody.entries()]
    assert kinds.count("finding-marked-expected") == 2 and kinds.count("finding-mark-removed") == 1
    assert [m.actor for m in Case.open(case).expected] == ["<script>alert(1)</script>"]


def test_cli_filters_see_the_rows_of_marked_pairs(tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = _case_with(tmp_path, evidence)
    assert main(["case", "tag", str(case), "--filter", "is:expected", "--tag", "none"]) == 0
    assert "tagged 0 rows" in capsys.readouterr().out  # no marks yet: nothing is explained
    assert main(["case", "expect", str(case), "--actor", "<script>alert(1)</script>", "--reason", "assistant"]) == 0
    assert main(["case", "tag", str(case), "--filter", "is:expected", "--tag", "reviewed"]) == 0
    assert "tagged 2 rows 'reviewed'" in capsys.readouterr().out  # the actor's two reads of the CEO's mailbox
    out = tmp_path / "rows.csv"
    assert main(["report", "--case", str(case), "--filter", "is:nonowner", "--out", str(out)]) == 0
    assert "rows in view: 2 of 3" in capsys.readouterr().out
    assert main(["report", "--case", str(case), "--filter", "is:nonowner -is:expected", "--out", str(out)]) == 0
    assert "rows in view: 0 of 3" in capsys.readouterr().out  # every non-owner row is explained


def test_work_hours_kept_with_the_case_count_in_cli_reports(
    tmp_path: Path, evidence: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case"
    assert main(["case", "new", str(case), "--tz", "Europe/Berlin"]) == 0
    assert main(["case", "add", str(case), str(evidence)]) == 0
    assert main(["case", "hours", str(case), "07:00-15:30 Mon-Thu"]) == 0
    assert main(["case", "hours", str(case), "07:00-15:30 Someday"]) == 2
    assert "'Someday' is not a weekday" in capsys.readouterr().err
    assert main(["case", "show", str(case)]) == 0
    assert "work hours: 07:00–15:30 on Mon, Tue, Wed, Thu (Europe/Berlin)" in capsys.readouterr().out
    out = tmp_path / "r.html"
    assert main(["report", "--case", str(case), "--out", str(out)]) == 0
    assert "After hours means outside 07:00–15:30 on Mon, Tue, Wed, Thu (Europe/Berlin)." in out.read_text(encoding="utf-8")
    assert main(["report", "--case", str(case), "--out", str(out), "--work-hours", "00:00-23:59 Mon-Sun UTC"]) == 0
    assert "outside 00:00–23:59 on Mon, Tue, Wed, Thu, Fri, Sat, Sun (UTC)" in out.read_text(encoding="utf-8")
    assert main(["report", "--case", str(case), "--out", str(out), "--work-hours", "9-5"]) == 2
    assert "expected START-END" in capsys.readouterr().err
    sets = [e for e in Case.open(case).custody.entries() if e["kind"] == "work-hours-set"]
    assert [e["work_hours"] for e in sets] == ["07:00;15:30;0,1,2,3;"]
