"""Write the normalized table to CSV, Parquet or JSON lines (column names = the contract)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from forensics.errors import ReportError
from forensics.safe_io import evidence_identities, refuse_evidence_output


def write_table(frame: pd.DataFrame, path: Path, evidence: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write ``frame`` to ``path``, refusing when ``path`` is one of the ``evidence`` files
    (compared by device and inode, so a hard link or another name is caught too)."""
    refuse_evidence_output(path, evidence_identities(evidence), ReportError)
    suffix = path.suffix.lower()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            out = frame.copy()
            out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            out.to_csv(path, index=False, encoding="utf-8")
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        elif suffix == ".jsonl":
            frame.to_json(path, orient="records", lines=True, date_format="iso", date_unit="us")
        else:
            raise ReportError(f"{path}: unsupported output type (use .csv, .parquet or .jsonl)")
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from exc
