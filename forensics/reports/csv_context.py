"""The context a CSV report cannot carry in its rows: which case, which query, which zone,
when, by which tool, from which evidence, written beside it as ``<name>.csv.context.json``.

A CSV holds only the table (the contract's columns, UTC times), so a CSV handed on alone
would not say what it is. The companion names the CSV and its SHA-256, so the two vouch for
each other, and both are logged in custody with the export. Written with
``safe_io.atomic_write`` (never through a planted link or into an existing inode).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forensics.reports.content import ReportData
from forensics.reports.formatting import fmt_utc
from forensics.safe_io import atomic_write

CONTEXT_SUFFIX = ".context.json"
FORMAT = "mailbox-audit-csv-context"
VERSION = 1


def context_path(csv_path: Path) -> Path:
    """``report.csv`` -> ``report.csv.context.json`` (the full name kept, so it sorts beside it)."""
    return csv_path.with_name(csv_path.name + CONTEXT_SUFFIX)


def context(data: ReportData, csv_path: Path, csv_sha256: str) -> dict[str, Any]:
    """What the companion states (plain JSON: strings, numbers, lists)."""
    s = data.summary
    return {
        "format": FORMAT,
        "version": VERSION,
        "report": data.title,
        "csv_file": csv_path.name,
        "csv_sha256": csv_sha256,
        "case_name": data.case_name,
        "case_number": data.case_number,
        "examiner": data.examiner,
        "generated_utc": fmt_utc(data.generated_utc),
        "tool": data.tool,
        "query": data.query,
        "toggles": {str(k): str(v) for k, v in sorted(data.toggles.items())},
        "display_time_zone": data.display_tz,
        "csv_times": "UTC, ISO 8601 (the time column); the display zone applies to the HTML/PDF/XLSX reports",
        "rows": s.rows,
        "events_order": data.events_order,
        "columns": [str(c) for c in data.events.columns],
        "formula_neutralisation": ("text cells that a spreadsheet could run as a formula start with an added "
                                   "apostrophe; a cell that began with one has a second (read_csv removes one)"),
        "custody_head_stated": data.custody_head,
        "custody_entries_at_export": data.custody_entries,
        "evidence": [{"file": e.name, "path": e.path, "evidence_id": e.evidence_id, "sha256": e.sha256,
                      "verification": e.verification} for e in data.evidence],
    }


def write_context(data: ReportData, csv_path: Path, csv_sha256: str) -> Path:
    """Write the companion of ``csv_path`` and return its path."""
    path = context_path(csv_path)
    text = json.dumps(context(data, csv_path, csv_sha256), ensure_ascii=False, indent=2) + "\n"
    atomic_write(path, text.encode("utf-8"), "the CSV report's context file")
    return path
