"""``load --out``: the table CSV is as inert as the report CSV, and only a whole load is written.

Evidence: a Purview UAL export (``test_ual`` COMPOSITE SendAs) whose subject is a formula
with a bare carriage return inside (OWASP "CSV injection"; a CR left unquoted splits the row
when read back with CRLF-aware readers).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from helpers.fake_parser import SAMPLE
from forensics.cli.main import main
from forensics.reports.csv_report import read_csv
from tests.forensics.parsers.m365.test_ual import COMPOSITE_SEND_AS, purview_csv

SUBJECT = '=HYPERLINK("http://evil.example","x")\rsecond line'


def _evidence(tmp_path: Path) -> Path:
    record = {**COMPOSITE_SEND_AS, "Item": {**COMPOSITE_SEND_AS["Item"], "Subject": SUBJECT}}
    path = tmp_path / "evidence" / "audit.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(purview_csv([record]), encoding="utf-8")
    return path


def test_out_csv_neutralizes_formulas_and_quotes_bare_cr(tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    assert main(["load", str(_evidence(tmp_path)), "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 2  # header + the one row: the CR stayed inside its quoted cell
    cells = [c for row in rows for c in row]
    assert "'" + SUBJECT in cells and SUBJECT not in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    back = read_csv(out)  # the report CSV's reader undoes the neutralization exactly
    assert back["item"].tolist() == [SUBJECT]


def test_a_failed_load_writes_no_out_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "evidence" / "a.testlog"
    good.parent.mkdir()
    good.write_text(SAMPLE)
    broken = tmp_path / "evidence" / "wide.csv"  # a UAL export header of 2,000 columns: refused
    broken.write_text("CreationDate,UserIds,Operations,AuditData," + ",".join("c" * 3 for _ in range(2000)) + "\r\n")
    out = tmp_path / "rows.csv"
    assert main(["load", str(good.parent), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists() and "not written: 1 file(s) failed to load" in err and "wide.csv" in err


def test_an_interrupted_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def broken(self, path, *args, **kwargs):
        Path(path).write_text("time,operation\r\n2024")  # part written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    out = tmp_path / "rows.csv"
    assert main(["load", str(_evidence(tmp_path)), "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.glob("*rows.csv*")) == []
