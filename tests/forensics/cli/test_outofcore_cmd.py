"""``mailbox-audit outofcore``: the engine choice and its reason, and a refused cache said loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.case import Case
from forensics.cli.main import main

# IIS 10 W3C log with the default Exchange field set and Exchange 2003-form OWA lines
# (reference/evidence-formats.md §3.1-3.2), as tests/forensics/case/test_cache_integrity.py
HEADER = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-01 09:00:00\n"
          "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
LINE = ("2024-03-01 09:{m:02d}:00 10.0.0.2 GET /exchange/ceo@contoso.com/Inbox/Board+minutes+{m}.EML "
        "Cmd=open 443 {actor} 10.0.0.5 Mozilla/5.0 - 200 0 0 15\n")


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "W3SVC2"
    folder.mkdir()
    actors = ["CONTOSO\\pat" if m % 2 else "CONTOSO\\ceo" for m in range(10)]
    (folder / "u_ex240301.log").write_text(HEADER + "".join(LINE.format(m=m, actor=a) for m, a in enumerate(actors)))
    case = Case.create(tmp_path / "case", "ooc cli", examiner="E. Xam")
    case.add_evidence([folder / "u_ex240301.log"])
    case.save()
    return tmp_path / "case"


def test_reports_the_choice_and_the_matching_rows(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outofcore", "--case", str(case_dir), "--memory-budget", "8G", "--filter", "actor:pat"]) == 0
    out = capsys.readouterr().out
    assert "engine: pandas (10 rows need about" in out and "within the 8.00 GiB budget" in out
    assert "matching rows (DuckDB over the verified files): 5" in out
    assert main(["outofcore", "--case", str(case_dir), "--memory-budget", "1"]) == 0
    assert "engine: duckdb" in capsys.readouterr().out


def test_a_tampered_cache_is_refused_and_the_exit_code_says_so(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (parquet,) = (case_dir / "cache").glob("*.parquet")
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 1
    parquet.write_bytes(bytes(data))
    assert main(["outofcore", "--case", str(case_dir)]) == 1
    out = capsys.readouterr().out
    assert "REFUSED" in out and "differs from" in out and "no verified rows" in out


def test_a_bad_budget_is_one_clear_line(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outofcore", "--case", str(case_dir), "--memory-budget", "lots"]) == 2
    assert "memory budget 'lots'" in capsys.readouterr().err
