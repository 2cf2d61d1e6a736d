"""The engine choice follows the memory budget and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.outofcore import budget
from forensics.outofcore.budget import choose_engine, parquet_rows, parse_budget

from .conftest import tricky_frame, write_parquet


@pytest.mark.parametrize("text, expected", [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5GiB", int(1.5 * 2**30)),
                                            ("1048576", 2**20), (4096, 4096)])
def test_budget_spellings(text: str | int, expected: int) -> None:
    assert parse_budget(text) == expected


def test_share_and_default_use_physical_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "physical_memory", lambda: 16 * 2**30)
    assert parse_budget("25%") == 4 * 2**30
    assert parse_budget(None) == 8 * 2**30  # default: half
    monkeypatch.setattr(budget, "physical_memory", lambda: None)
    with pytest.raises(ValueError, match="give --memory-budget"):
        parse_budget(None)


@pytest.mark.parametrize("text", ["lots", "-1G", "0%", "150%", "8X"])
def test_bad_budgets_are_refused_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="memory budget"):
        parse_budget(text)


def test_choice_switches_at_the_budget_and_gives_the_reason() -> None:
    small = choose_engine(1_000_000, "8G")
    assert small.engine == "pandas" and "within the 8.00 GiB budget" in small.reason
    large = choose_engine(50_000_000, "8G")  # 50M x 300 B x 2 = 28 GiB
    assert large.engine == "duckdb" and "over the 8.00 GiB budget" in large.reason
    edge = budget.BYTES_PER_ROW * budget.PEAK_FACTOR
    assert choose_engine(1000, int(1000 * edge)).engine == "pandas"
    assert choose_engine(1001, int(1000 * edge)).engine == "duckdb"


def test_rows_come_from_the_parquet_footers(tmp_path: Path) -> None:
    write_parquet(tmp_path / "a.parquet", tricky_frame())
    write_parquet(tmp_path / "b.parquet", tricky_frame().iloc[:3])
    assert parquet_rows([tmp_path / "a.parquet", tmp_path / "b.parquet"]) == 19
