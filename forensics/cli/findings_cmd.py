"""``mailbox-audit findings``: who accessed whose mailbox, without a GUI, as JSON or CSV.

The same definition as the GUI's Findings dock and the reports (``forensics.aggregate``):
one entry per (actor, mailbox) pair with non-owner access, counted by distinct access (rows
of several sources recording one access count once, ``forensics.correlate``) with the raw
rows beside, plus the administrative changes. The output file is hashed into custody.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from forensics import schema
from forensics.aggregate.findings import ACCESS_PREFIX, COUNT_MODES, Findings, findings
from forensics.aggregate.work_hours import WorkHours
from forensics.cli.common import add_load_options, load_options
from forensics.correlate import correlate_files
from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, ReportError
from forensics.ingest import check_readable, expand_paths, load_evidence
from forensics.parsers.setchecks import refresh_checks

#: the CSV's columns, in order (lists joined with " | "; per-operation counts as op=n; ...)
CSV_COLUMNS = ["actor", "mailbox", "expected", "accesses", "rows_total", "seen_in", "operations", "rows", "sources",
               "first", "last", "after_hours", "admin", "logon_types", "client_ips", "client_hosts",
               "actor_forms", "mailbox_forms", "evidence", "query"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("findings", help="write who accessed whose mailbox (the findings) as JSON or CSV")
    p.add_argument("evidence", nargs="*", type=Path, metavar="EVIDENCE", help="files or folders")
    p.add_argument("--case", type=Path, metavar="DIR", help="case folder: its evidence, marks and work hours")
    p.add_argument("--examiner", metavar="NAME", help="examiner recorded in custody entries")
    add_load_options(p)
    p.add_argument("--filter", metavar="QUERY", default="", help="only rows matching a query")
    p.add_argument("--tz", metavar="ZONE", help="zone of after-hours and of --filter times (default: the case's, else UTC)")
    p.add_argument("--work-hours", metavar="HOURS", help="after hours means outside these, e.g. 'Mon-Fri 08:00-18:00'")
    p.add_argument("--count", choices=COUNT_MODES, default="accesses",
                   help="order pairs by distinct accesses (default) or raw rows; both are always written")
    p.add_argument("--format", choices=("json", "csv"), help="output format (default: from --out's extension)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="file to write")
    p.set_defaults(run=run)


def _format(args: argparse.Namespace) -> str:
    fmt = args.format or args.out.suffix.lower().lstrip(".")
    if fmt not in ("json", "csv"):
        raise ReportError(f"{args.out}: give --format json|csv, or an --out ending in .json or .csv")
    return fmt


def _load(args: argparse.Namespace) -> tuple[pd.DataFrame, Any, CustodyLog, str]:
    """(frame, case or None, custody, zone): the case's evidence plus any new files, correlated together."""
    for path in args.evidence:
        if not path.is_dir():
            check_readable(path)
    options = load_options(args)
    if args.case is not None:
        from forensics.case import Case

        case = Case.open_or_create(args.case, examiner=args.examiner or "")
        loaded = case.load()
        files, frames, sources = list(loaded.files), [loaded.frame], dict(loaded.sources)
        recorded = {e.path for e in case.evidence}
        new = [p for p in expand_paths(args.evidence) if str(p.resolve()) not in recorded]
        if new:
            added = case.add_evidence(new, options, already_loaded=sources)
            files += added.files
            frames.append(added.frame)
            refresh_checks(files)
        frame, _ = correlate_files(schema.concat(frames), files)
        if not files and not len(frame):
            raise EvidenceError(f"{args.case}: the case holds no evidence; give EVIDENCE files")
        return case.with_review_columns(frame), case, case.custody, args.tz or case.display_tz
    if not args.evidence:
        raise EvidenceError("give EVIDENCE files, or --case DIR with recorded evidence")
    custody = CustodyLog(None, examiner=args.examiner)
    result = load_evidence(args.evidence, options=options, custody=custody)
    if not result.files:
        raise EvidenceError("no supported evidence files found")
    for report in result.failed:
        print(f"mailbox-audit: warning: {report.path}: {report.error}", file=sys.stderr)
    print("note: no --case given; custody entries (and this file's hash) are not saved", file=sys.stderr)
    return result.frame, None, custody, args.tz or "UTC"


def _iso(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def pairs_json(result: Findings) -> list[dict[str, Any]]:
    """One object per pair (the fields the issue lists, and the pair's query)."""
    out = []
    for row in result.pairs.to_dict("records"):  # pairs: thousands at most
        out.append({
            "actor": row["actor"],
            "mailbox": row["mailbox"],
            "actor_forms": list(row["actor_forms"]),
            "mailbox_forms": list(row["mailbox_forms"]),
            "accesses": int(row["accesses"]),
            "rows_total": int(row["events"]),
            "seen_in": row["seen_in"],
            "operations": {op: int(row[ACCESS_PREFIX + op]) for op in result.access_operations
                           if int(row[ACCESS_PREFIX + op])},
            "rows": {op: int(row[op]) for op in result.operations if int(row[op])},
            "sources": list(row["sources"]),
            "first": _iso(row["first_seen"]),
            "last": _iso(row["last_seen"]),
            "after_hours": int(row["after_hours"]),
            "client_ips": list(row["client_ips"]),
            "client_hosts": list(row["client_hosts"]),
            "admin": bool(row["admin"]),
            "logon_types": list(row["logon_types"]),
            "expected": row.get("expected", "") or "",
            "evidence": list(row["evidence"]),
            "query": row["query"],
        })
    return out


def changes_json(result: Findings) -> list[dict[str, Any]]:
    return [{"marked": bool(r["marked"]), "time": _iso(r["time"]), "operation": r["operation"], "actor": r["actor"],
             "mailbox": r["mailbox"], "outcome": r["outcome"], "what": r["what"], "evidence": r["evidence"],
             "query": r["query"]} for r in result.changes.to_dict("records")]


def _csv_rows(pairs: list[dict[str, Any]]) -> list[list[str]]:
    def joined(value: Any) -> str:
        if isinstance(value, dict):
            return "; ".join(f"{k}={v}" for k, v in value.items())
        if isinstance(value, list):
            return " | ".join(str(v) for v in value)
        return "" if value is None else str(value)

    return [[joined(p[c]) for c in CSV_COLUMNS] for p in pairs]


def run(args: argparse.Namespace) -> int:
    fmt = _format(args)
    work_hours = WorkHours.parse(args.work_hours) if args.work_hours else None  # a typo fails before any load
    frame, case, custody, zone = _load(args)
    view = frame
    if args.filter:
        from forensics.query import compile_query

        view = frame[compile_query(args.filter, tz=zone).mask(frame)]
    result = findings(view, zone, work_hours or (case.work_hours if case else None),
                      case.expected if case else (), count=args.count, lists=True)
    pairs = pairs_json(result)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "json":
            document = {"count": args.count, "filter": args.filter, "time_zone": str(zone),
                        "pairs": pairs, "admin_changes": changes_json(result)}
            args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            with open(args.out, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_COLUMNS)
                writer.writerows(_csv_rows(pairs))
    except OSError as exc:
        raise ReportError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    custody.append("findings-exported", path=str(args.out.resolve()), format=fmt, sha256=hash_file(args.out).sha256,
                   pairs=len(pairs), count=args.count, query=args.filter or None)
    print(f"wrote {args.out}: {len(pairs)} pair(s), {len(result.changes)} admin change(s), counted by {args.count}")
    return 0
