"""Bookmark matching and report export times on a synthetic frame.

Usage: .venv/bin/python benchmarks/case_reports.py [--rows 5000000] [--report-rows 100000] [--repeats 3]

Bookmarks: 100 tagged rows spread over ``--rows``; times ``BookmarkBook.tag_column`` (the
Tag column / ``tag:`` query after every Ctrl+B and load) and ``add``. Reports: builds one
report of ``--report-rows`` rows (300 mailboxes x 300 actors) and times each format's
export (HTML/PDF capped at 1000 events with the CSV alongside; XLSX and CSV carry all).
Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forensics import schema  # noqa: E402
from forensics.case import BookmarkBook  # noqa: E402
from forensics.reports import build_report, export_report  # noqa: E402


def synthetic(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return schema.conform({
        "time": pd.Timestamp("2024-03-01T00:00Z") + pd.to_timedelta(rng.integers(0, 28 * 86400, rows), unit="s"),
        "operation": pd.Categorical(rng.choice(["FolderOpen", "MessageOpen", "SendAs"], rows)),
        "mailbox": pd.Categorical(rng.choice([f"user{i}@contoso.com" for i in range(300)], rows)),
        "actor": pd.Categorical(rng.choice([f"CONTOSO\\user{i}" for i in range(300)], rows)),
        "logon_type": pd.Categorical(rng.choice(["Owner", "Delegate", "Admin"], rows)),
        "item": pd.Categorical(rng.choice(["Re: budget", "Q1 results", "hello"], rows)).astype(str),
        "folder": "/Inbox",
        "record_id": np.arange(rows), "raw_ref": np.arange(rows),
        "evidence": pd.Categorical(rng.choice(["e1", "e2", "e3"], rows)),
    })


def timed(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--report-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    frame = synthetic(args.rows)
    book = BookmarkBook()
    positions = list(range(0, args.rows, max(1, args.rows // 100)))
    print(f"bookmarks on {args.rows:,} rows: add {len(positions)} rows "
          f"{timed(lambda: BookmarkBook().add(frame, positions, 't', 'c'), args.repeats):.3f} s")
    book.add(frame, positions, "t", "c")
    print(f"bookmarks on {args.rows:,} rows: tag_column {timed(lambda: book.tag_column(frame), args.repeats):.3f} s")

    rows = synthetic(args.report_rows)
    start = time.perf_counter()
    data = build_report(frame=rows, case_name="benchmark")
    print(f"report of {args.report_rows:,} rows: gather {time.perf_counter() - start:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("csv", "html", "pdf", "xlsx"):
            seconds = timed(lambda: export_report(data, Path(folder) / f"r.{fmt}"), 1)
            print(f"report of {args.report_rows:,} rows: {fmt} {seconds:.2f} s")


if __name__ == "__main__":
    main()
