"""Write the normalized table to CSV, Parquet or JSON lines (column names = the contract).

CSV cells are written as in the report CSV (``reports.csv_report.csv_frame``): formula
injection neutralized, and CRLF line ends so that a value holding a bare carriage return
is quoted (with ``\\n`` line ends the csv module leaves it bare and the row splits when read
back). The file is written under a temporary name and renamed when complete: a write that
fails leaves no partial table behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from forensics.errors import ReportError
from forensics.safe_io import evidence_identities, refuse_evidence_output
from forensics.reports.csv_report import csv_frame

SUFFIXES = (".csv", ".parquet", ".jsonl")


def write_table(frame: pd.DataFrame, path: Path, evidence: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write ``frame`` to ``path``, refusing when ``path`` is one of the ``evidence`` files
    (compared by device and inode, so a hard link or another name is caught too)."""
    refuse_evidence_output(path, evidence_identities(evidence), ReportError)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"{path}: unsupported output type (use .csv, .parquet or .jsonl)")
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            csv_frame(frame).to_csv(partial, index=False, encoding="utf-8", lineterminator="\r\n")
        elif suffix == ".parquet":
            frame.to_parquet(partial, index=False)
        else:
            frame.to_json(partial, orient="records", lines=True, date_format="iso", date_unit="us")
        os.replace(partial, path)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
