"""Plain-text per-file summaries (CLI output; reused by reports)."""

from __future__ import annotations

from forensics.parsers.base import FileReport


def format_file_summary(report: FileReport) -> str:
    lines = [f"{report.path}"]
    if report.status == "failed":
        lines.append(f"  FAILED: {report.error}")
    lines.append(
        f"  format: {report.source_format or '?'} (parser {report.parser or '?'}), status: {report.status}"
    )
    if report.hashes is not None:
        lines.append(f"  sha256: {report.hashes.sha256}  size: {report.hashes.size} bytes")
    lines.append(
        f"  records read: {report.records}, rows: {report.rows}, bad records: {report.bad}, "
        f"warnings: {report.warning_count}"
    )
    if report.first_time:
        lines.append(f"  rows from {report.first_time} to {report.last_time} (UTC)")
    for reason, count in sorted(report.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  skipped {count:>8}  {reason}")
    for note in report.notes:
        lines.append(f"  NOTE: {note}")
    for warning in report.warnings[:10]:
        lines.append(f"  warning: {warning}")
    if report.warning_count > 10:
        lines.append(f"  ... {report.warning_count - 10} more warnings")
    return "\n".join(lines)
