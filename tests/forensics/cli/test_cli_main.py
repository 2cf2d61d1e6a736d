"""CLI: summaries, outputs, and one clear line (never a traceback) for user errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.fake_parser import SAMPLE
from forensics.cli.main import main


def test_load_writes_table_and_custody(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "a.testlog"
    evidence.write_text(SAMPLE)
    out = tmp_path / "out.csv"
    case = tmp_path / "case"
    code = main(["load", str(evidence), "--case", str(case), "--examiner", "E", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "records read: 5, rows: 3, bad records: 1" in printed
    assert "sha256:" in printed and "skipped" in printed
    table = pd.read_csv(out)
    assert len(table) == 3 and list(table.columns)[:3] == ["time", "operation", "mailbox"]
    assert main(["verify", "--case", str(case)]) == 0
    evidence.write_text("#TESTLOG\n")
    assert main(["verify", "--case", str(case)]) == 1
    assert "EVIDENCE MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize(
    "setup, expected",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "folder is empty"),
        (lambda p: p.write_bytes(b""), "file is empty"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, expected: str) -> None:
    target = tmp_path / "evidence"
    setup(target)
    code = main(["load", str(target)])
    err = capsys.readouterr().err
    assert code != 0
    assert expected in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unsupported_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.dat"
    junk.write_bytes(b"\x00\x01\x02 nothing we know")
    code = main(["load", str(junk)])
    captured = capsys.readouterr()
    assert code != 0
    assert "not a supported evidence format" in captured.err
    assert "Traceback" not in captured.err


def test_bad_output_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "a.testlog"
    evidence.write_text(SAMPLE)
    assert main(["load", str(evidence), "--out", str(tmp_path / "x.xls")]) == 2
    assert "must end in" in capsys.readouterr().err


def test_verify_without_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--case", str(tmp_path)]) == 2
    assert "no custody log" in capsys.readouterr().err


def test_verify_detects_entries_cut_from_the_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "evidence").mkdir()
    evidence = tmp_path / "evidence" / "a.testlog"
    evidence.write_text(SAMPLE)
    case = tmp_path / "case"
    assert main(["case", "new", str(case), "--name", "Cut tail"]) == 0
    assert main(["report", str(evidence), "--case", str(case), "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 0
    assert main(["verify", "--case", str(case)]) == 0
    log = case / "custody.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:-1]) + "\n")  # a perfectly chained, shorter log
    capsys.readouterr()
    assert main(["verify", "--case", str(case)]) == 1
    assert "removed from its end" in capsys.readouterr().out
