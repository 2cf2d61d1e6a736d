"""``mailbox-audit report``: load (or reload) evidence, filter, and export a court-ready report.

With ``--case DIR`` the case's recorded evidence is reloaded and verified against its
hashes first, new EVIDENCE is added to the case, bookmarks, notes and the examiner's
expected-access marks go into the report,
and the report is logged in the case's custody log. Exit code 1 when evidence is modified
or missing (the report is still written and says so loudly).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from forensics import schema
from forensics.aggregate.findings import COUNT_MODES
from forensics.aggregate.work_hours import WorkHours, work_zone
from forensics.cli.common import add_load_options, add_outside_option, apply_outside_option, load_options
from forensics.correlate import correlate_files
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, ReportError
from forensics.ingest import check_readable, expand_paths, load_evidence
from forensics.parsers.setchecks import refresh_checks
from forensics.reports import DEFAULT_EVENT_CAP, FORMATS, build_report, export_report
from forensics.safe_io import evidence_identities, refuse_evidence_output


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="export a report (html, pdf, xlsx, csv) of evidence or a case")
    p.add_argument("evidence", nargs="*", type=Path, metavar="EVIDENCE",
                   help="files or folders (optional with --case: its recorded evidence is reloaded)")
    p.add_argument("--case", type=Path, metavar="DIR", help="case folder (created if it does not exist)")
    p.add_argument("--examiner", metavar="NAME", help="examiner named in the report and custody entries")
    p.add_argument("--format", choices=FORMATS, help="report format (default: from --out's extension)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="report file to write")
    p.add_argument("--filter", metavar="QUERY", default="", help="report only rows matching a query")
    p.add_argument("--tz", metavar="ZONE", help="display time zone (default: the case's, else UTC)")
    p.add_argument("--max-events", type=int, default=DEFAULT_EVENT_CAP, metavar="N",
                   help=f"events listed in HTML/PDF (default {DEFAULT_EVENT_CAP}; the CSV alongside has all)")
    p.add_argument("--work-hours", metavar="HOURS", help="after-hours means outside these, e.g. "
                   "'08:00-18:00 Mon-Fri Europe/Berlin' (default: the case's, else 08:00-18:00 Mon-Fri)")
    p.add_argument("--count", choices=COUNT_MODES, default="accesses",
                   help="what findings count: distinct accesses (default; one access recorded by several sources "
                        "counts once) or raw rows")
    p.add_argument("--name", metavar="TEXT", help="case name (for a new case, or a report without a case)")
    p.add_argument("--number", metavar="TEXT", default="", help="case number (new case or no case)")
    add_load_options(p)
    add_outside_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for path in args.evidence:
        if not path.is_dir():
            check_readable(path)
    if not args.evidence and args.case is None:
        raise EvidenceError("give EVIDENCE files, or --case DIR with recorded evidence")
    if args.max_events < 0:
        raise ReportError("--max-events must be 0 or more")
    _refuse_evidence_outputs(args)  # before any load or custody entry: a refused output writes nothing
    options = load_options(args)
    work_hours = WorkHours.parse(args.work_hours) if args.work_hours else None  # a typo fails before any load
    case = None
    cache_warnings: list[str] = []
    cache_tampered = False
    checks = []
    files = []
    if args.case is not None:
        from forensics.case import Case

        case = Case.open_or_create(args.case, name=args.name or "", examiner=args.examiner or "", number=args.number)
        custody = case.custody
        apply_outside_option(case, args)
        loaded = case.load()
        cache_warnings = loaded.warnings
        cache_tampered = loaded.cache_tampered
        checks, files, frames, sources = loaded.checks, list(loaded.files), [loaded.frame], dict(loaded.sources)
        recorded = {e.path for e in case.evidence}
        new = [p for p in expand_paths(args.evidence) if str(p.resolve()) not in recorded]
        if new:
            added = case.add_evidence(new, options, already_loaded=sources)
            files += added.files
            frames.append(added.frame)
            sources.update(added.sources)
            refresh_checks(files)
        frame, _ = correlate_files(schema.concat(frames), files)  # rows of the case and of new files together
        frame = case.with_review_columns(frame)
        display_tz = args.tz or case.display_tz
    else:
        custody = CustodyLog(None, examiner=args.examiner)
        result = load_evidence(args.evidence, options=options, custody=custody)
        files, frame, sources = result.files, result.frame, result.sources
        display_tz = args.tz or "UTC"
        print("note: no --case given; custody entries (and this report's hash) are not saved", file=sys.stderr)
    if not files and not checks:
        raise EvidenceError("no supported evidence files found")

    hours = work_hours or (case.work_hours if case else None) or WorkHours()
    stated = [options.source_tz] + ([e.load_options().source_tz for e in case.evidence] if case else [])
    zone_choice = work_zone(hours, stated, display_tz)
    hours = replace(hours, tz=zone_choice.zone)  # the organisation's zone when the case or evidence states it
    view = frame
    if args.filter:
        from forensics.query import compile_query

        view = frame[compile_query(args.filter, tz=display_tz).mask(frame)]
    toggles = {f"load option {k}": v for k, v in options.as_dict().items()}
    data = build_report(
        frame=frame,
        view=view,
        files=files,
        checks=checks,
        custody=custody,
        case_name=case.name if case else (args.name or ""),
        case_number=case.number if case else args.number,
        examiner=args.examiner or (case.examiner if case else ""),
        display_tz=display_tz,
        query=args.filter,
        toggles=toggles,
        bookmarks=case.bookmarks if case else None,
        notes=case.notes if case else "",
        integrity_problems=case.integrity_problems if case else None,
        event_cap=args.max_events,
        expected=case.expected if case else (),
        work_hours=hours,
        work_hours_note=zone_choice.why,
        count=args.count,
    )
    evidence_paths = [str(s.path) for s in sources.values()] + [c.entry.path for c in checks]
    exported = export_report(data, args.out, fmt=args.format, custody=custody, evidence_paths=evidence_paths)
    if case is not None:
        case.save()
    print(f"wrote {exported.path} ({exported.format}, sha256 {exported.sha256})")
    if exported.companion is not None:
        print(f"wrote {exported.companion} (all {len(view)} events, sha256 {exported.companion_sha256})")
    if exported.context is not None:
        print(f"wrote {exported.context} (the CSV's case, query, zone and tool; sha256 {exported.context_sha256})")
    print(f"rows in view: {len(view)} of {len(frame)}, listed in {data.events_order}; custody entry {exported.custody_seq}")
    print(f"work hours: {hours.describe(display_tz)}: {zone_choice.why}")
    problems = data.evidence_problems
    for e in problems:
        print(f"mailbox-audit: EVIDENCE {e.verification}: {e.path}: {e.verification_detail}", file=sys.stderr)
    for problem in data.integrity_problems:
        print(f"mailbox-audit: CUSTODY LOG: {problem}", file=sys.stderr)
    for warning in cache_warnings:
        print(f"mailbox-audit: {warning}", file=sys.stderr)
    return 1 if problems or data.integrity_problems or cache_tampered else 0


def _refuse_evidence_outputs(args: argparse.Namespace) -> None:
    """Refuse ``--out`` (and the CSV beside an HTML/PDF report) when it is any evidence file
    named on the command line or recorded in the case, by device and inode (hard links too);
    files that would fail to parse are evidence as well."""
    from forensics.case.store import CASE_FILE, read_case_file
    from forensics.case.verification import locate
    from forensics.case.model import EvidenceEntry
    from forensics.reports.csv_context import context_path
    from forensics.reports.export import companion_path

    paths: list[Path] = list(expand_paths(args.evidence))
    if args.case is not None and (args.case / CASE_FILE).exists():
        for raw in read_case_file(args.case).get("evidence") or []:
            entry = EvidenceEntry.from_dict(raw)
            paths += [Path(entry.path), locate(entry, args.case.resolve())]
    evidence = evidence_identities(paths)
    for out in (args.out, companion_path(args.out), context_path(args.out)):
        refuse_evidence_output(out, evidence, ReportError)
