"""Write a report in one of the four formats, hash it, and log it in custody.

The report states the custody log's head (last entry hash) as it was just before the
export; the export itself is then appended as a ``report-exported`` entry carrying the
report's SHA-256, so the two vouch for each other.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.errors import ReportError
from forensics.reports.content import ReportData
from forensics.reports.csv_context import context_path, write_context
from forensics.reports.custody_summary import summarize
from forensics.safe_io import evidence_identities, refuse_evidence_output

FORMATS = ("html", "pdf", "xlsx", "csv")
SUFFIX = {"html": ".html", "pdf": ".pdf", "xlsx": ".xlsx", "csv": ".csv"}


@dataclass
class ExportResult:
    path: Path
    format: str
    sha256: str
    companion: Path | None = None  # the all-events CSV written beside an HTML/PDF report
    companion_sha256: str | None = None
    custody_seq: int | None = None
    context: Path | None = None  # the CSV report's context file (case, query, zone, generated, tool)
    context_sha256: str | None = None


def format_for(path: Path, requested: str | None) -> str:
    """The format the file name's extension says; ``requested`` (a dialog filter, ``--format``)
    only decides for a name without a report extension. A name whose extension says another
    format is refused: ``case1.pdf`` holding HTML would mislead whoever opens it, and custody
    would log it under the wrong format."""
    named = _known(path.suffix.lstrip("."))
    wanted = _known(requested) if requested else None
    if requested and wanted is None:
        raise ReportError(f"unknown report format '{requested}' (use {', '.join(FORMATS)})")
    if named is not None and wanted is not None and named != wanted:
        raise ReportError(f"{path.name}: the name ends in {path.suffix} but the {wanted.upper()} format was "
                          f"chosen; name it {path.stem}{SUFFIX[wanted]} or choose {named.upper()}")
    fmt = named or wanted
    if fmt is None:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise ReportError(f"unknown report format: {path.name} has {shown} (name it .html, .pdf, .xlsx or .csv)")
    return fmt


def _known(text: str | None) -> str | None:
    fmt = (text or "").lower()
    fmt = "html" if fmt == "htm" else fmt
    return fmt if fmt in FORMATS else None


def companion_path(out: Path) -> Path:
    return out.with_name(out.stem + ".events.csv")


def check_destination(out: Path, evidence_paths: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse to write over, or next to, evidence (reports belong in the case folder or elsewhere)."""
    evidence_paths = list(evidence_paths)
    # by device and inode first: a hard link (or any other name) to evidence is evidence
    refuse_evidence_output(out, evidence_identities(evidence_paths), ReportError)
    target = out.resolve()
    for raw in evidence_paths:
        evidence = Path(raw).resolve()
        if target == evidence:
            raise ReportError(f"{out}: is an evidence file; refusing to overwrite evidence")
        if target.parent == evidence.parent:
            raise ReportError(f"{out}: would be written next to evidence in {evidence.parent}; choose another folder")
    if out.exists() and out.is_dir():
        raise ReportError(f"{out}: is a folder; give a file name")


def _render(data: ReportData, fmt: str, path: Path) -> None:
    if fmt == "html":
        from forensics.reports.html_report import write_html

        write_html(data, path)
    elif fmt == "pdf":
        from forensics.reports.pdf_report import write_pdf

        write_pdf(data, path)
    elif fmt == "xlsx":
        from forensics.reports.xlsx_report import write_xlsx

        write_xlsx(data, path)
    else:
        from forensics.reports.csv_report import write_csv

        write_csv(data.events, path)


def export_report(
    data: ReportData,
    out: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    custody: CustodyLog | None = None,
    evidence_paths: Iterable[str | os.PathLike[str]] = (),
) -> ExportResult:
    """Write ``data`` to ``out``; HTML/PDF get the all-events CSV alongside, a CSV report its
    context file (``csv_context``); every file written is hashed into the custody entry."""
    out = Path(out)
    fmt = format_for(out, fmt)
    custody = custody or CustodyLog(None)
    evidence_paths = list(evidence_paths)
    check_destination(out, evidence_paths)
    data.custody_head = custody.head()
    data.custody_entries = len(custody.lines())
    data.custody_summary = summarize(custody)
    companion = companion_path(out) if fmt in ("html", "pdf") else None
    context = context_path(out) if fmt == "csv" else None
    if context is not None:
        check_destination(context, evidence_paths)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if companion is not None:
            check_destination(companion, evidence_paths)
            data.events_csv_name = companion.name
            _render(data, "csv", companion)
        _render(data, fmt, out)
    except OSError as exc:
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    result = ExportResult(out.resolve(), fmt, hash_file(out).sha256)
    if companion is not None:
        result.companion, result.companion_sha256 = companion.resolve(), hash_file(companion).sha256
    if context is not None:  # after the CSV: it states the CSV's hash
        try:
            written = write_context(data, out, result.sha256)
        except OSError as exc:
            raise ReportError(f"cannot write {context}: {exc.strerror or exc}") from exc
        result.context, result.context_sha256 = written.resolve(), hash_file(written).sha256
    entry = custody.append(
        "report-exported",
        path=str(result.path),
        format=fmt,
        sha256=result.sha256,
        companion_csv=str(result.companion) if result.companion else None,
        companion_sha256=result.companion_sha256,
        context_file=str(result.context) if result.context else None,
        context_sha256=result.context_sha256,
        rows_in_view=data.summary.rows,
        query=data.query,
        toggles=data.toggles or None,
        custody_head_stated=data.custody_head,
        key_fingerprints_stated=[f for f, _ in data.custody_summary.keys] or None,
    )
    result.custody_seq = entry["seq"]
    return result
