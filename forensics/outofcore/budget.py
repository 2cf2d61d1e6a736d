"""Which engine a case opens with: the in-memory pandas frame or DuckDB over Parquet.

Below the memory budget the pandas frame stays the default (fastest, every feature);
above it, a frame would not fit, so the out-of-core engine is chosen. The estimate is rows
x bytes per row measured on the Exchange Auditing frame (issue 21: 299.5 bytes/row; a load
peaks near twice the frame), taken from the Parquet footers without reading any rows. The
decision is returned with its reason, for the status bar and the report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

#: measured frame bytes per row (Exchange Auditing, 5M records) and the load's peak factor
BYTES_PER_ROW = 300
PEAK_FACTOR = 2.0
#: default budget: this share of physical memory (the rest is the OS, the GUI, other programs)
DEFAULT_SHARE = 0.5
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def physical_memory() -> int | None:
    """Bytes of physical memory (None when the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def parse_budget(text: str | int | None) -> int:
    """``--memory-budget`` value: bytes, ``8G``, ``512M``, ``40%`` of physical memory, or None
    for the default share. Raises ValueError with a clear message."""
    total = physical_memory()
    if text is None or text == "":
        if total is None:
            raise ValueError("physical memory is unknown here: give --memory-budget explicitly (e.g. 8G)")
        return int(total * DEFAULT_SHARE)
    if isinstance(text, int):
        return text
    value = str(text).strip()
    if value.endswith("%"):
        if total is None:
            raise ValueError("physical memory is unknown here: give --memory-budget in bytes (e.g. 8G)")
        share = float(value[:-1])
        if not 0 < share <= 100:
            raise ValueError(f"memory budget share must be in (0, 100]%, not {value}")
        return int(total * share / 100)
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"memory budget {value!r}: use bytes, 512M, 8G or a share like 40%")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # "pandas" | "duckdb"
    rows: int
    estimated_bytes: int
    budget: int
    reason: str


def parquet_rows(paths: Iterable[Path]) -> int:
    """Rows of the Parquet files from their footers (no row is read)."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path in paths)


def choose_engine(rows: int, budget: int | str | None = None, bytes_per_row: int = BYTES_PER_ROW) -> EngineChoice:
    """pandas when ``rows`` loaded in memory (at the load's peak) fit ``budget``, else duckdb."""
    limit = parse_budget(budget)
    estimate = int(rows * bytes_per_row * PEAK_FACTOR)
    if estimate <= limit:
        return EngineChoice("pandas", rows, estimate, limit,
                            f"{rows:,} rows need about {human(estimate)} in memory, within the "
                            f"{human(limit)} budget: in-memory frame")
    return EngineChoice("duckdb", rows, estimate, limit,
                        f"{rows:,} rows would need about {human(estimate)} in memory, over the "
                        f"{human(limit)} budget: out-of-core engine (DuckDB over the case's Parquet files)")


def human(size: int) -> str:
    """``8.00 GiB``, ``12.0 MiB``: a size as the examiner reads it."""
    if size >= 2**30:
        return f"{size / 2**30:.2f} GiB"
    return f"{size / 2**20:.1f} MiB"
