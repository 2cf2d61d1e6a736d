"""Shared timing helpers for the ingest benchmarks (median of repeats, side by side)."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from forensics import schema
from forensics.custody.hashing import HashingReader
from forensics.ingest import PARSE_SWITCH_INTERVAL
from forensics.parsers.base import FileReport, LoadOptions, ParseContext, Parser

CORPUS = Path(__file__).resolve().parent / "corpus"


def median_seconds(func: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Run ``func`` ``repeats`` times; return the median wall time and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ingest_file(parser_cls: type[Parser], path: Path) -> tuple[pd.DataFrame, FileReport]:
    """What ``load_evidence`` pays per file: hashing reader, parse, conform to the schema
    (with the thread switch interval ``ingest`` sets while it parses)."""
    report = FileReport(path=path)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, PARSE_SWITCH_INTERVAL))
    try:
        with HashingReader(path) as reader:
            ctx = ParseContext(reader=reader, path=path, options=LoadOptions(), report=report)
            frames = [schema.conform(b, defaults={"source_format": parser_cls.source_format}) for b in parser_cls().parse(ctx)]
            report.hashes = reader.finish()
    finally:
        sys.setswitchinterval(switch)
    return schema.concat(frames), report


def print_table(unit: str, n: int, ours: float, base: float, label: str) -> None:
    print(f"{'':28}{'seconds':>10}{unit + '/s':>16}")
    print(f"{'pandas.read_csv (baseline)':28}{base:>10.2f}{n / base:>16,.0f}")
    print(f"{label:28}{ours:>10.2f}{n / ours:>16,.0f}")
    print(f"ratio ours/baseline (speed): {base / ours:.2f}x")
