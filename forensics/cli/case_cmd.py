"""``mailbox-audit case``: create a case, add evidence, tag rows, keep notes and queries,
mark findings pairs as expected access, and show what a case holds (with a quick look at
its evidence) — all without a display."""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.cli.common import add_load_options, add_outside_option, apply_outside_option, load_options
from forensics.errors import EvidenceError, QueryError
from forensics.ingest import check_readable


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("case", help="create and edit a case: evidence, bookmarks, notes, saved queries")
    actions = p.add_subparsers(dest="case_action", metavar="ACTION")
    actions.required = True

    new = actions.add_parser("new", help="create a case folder")
    new.add_argument("case", type=Path, metavar="DIR")
    new.add_argument("--name", default="", help="case name (default: the folder name)")
    new.add_argument("--number", default="", help="case number")
    new.add_argument("--examiner", default="", metavar="NAME")
    new.add_argument("--tz", default="UTC", metavar="ZONE", help="display time zone of the case")

    add = actions.add_parser("add", help="add evidence to a case (hashed, logged, never loaded twice)")
    add.add_argument("case", type=Path, metavar="DIR")
    add.add_argument("evidence", nargs="+", type=Path, metavar="EVIDENCE")
    add.add_argument("--examiner", default="", metavar="NAME")
    add_load_options(add)
    add_outside_option(add)

    remove = actions.add_parser(
        "remove-evidence", help="take evidence out of a case (logged in custody; its rows no longer load)")
    remove.add_argument("case", type=Path, metavar="DIR")
    remove.add_argument("evidence", nargs="+", metavar="EVIDENCE", help="a file's path, evidence id or SHA-256")
    remove.add_argument("--reason", default="", metavar="TEXT", help="why it is removed (kept in the custody entry)")
    remove.add_argument("--examiner", default="", metavar="NAME")

    show = actions.add_parser("show", help="print the case: evidence (quick check), bookmarks, queries, notes")
    show.add_argument("case", type=Path, metavar="DIR")
    add_outside_option(show)

    tag = actions.add_parser("tag", help="bookmark every row matching a query with a tag and comment")
    tag.add_argument("case", type=Path, metavar="DIR")
    tag.add_argument("--filter", required=True, metavar="QUERY")
    tag.add_argument("--tag", required=True, metavar="NAME")
    tag.add_argument("--comment", default="", metavar="TEXT")
    tag.add_argument("--examiner", default="", metavar="NAME")
    add_outside_option(tag)

    untag = actions.add_parser("untag", help="remove every bookmark with a tag")
    untag.add_argument("case", type=Path, metavar="DIR")
    untag.add_argument("--tag", required=True, metavar="NAME")

    note = actions.add_parser("note", help="append a paragraph to the case notes")
    note.add_argument("case", type=Path, metavar="DIR")
    note.add_argument("text", metavar="TEXT")

    expect = actions.add_parser(
        "expect", help="mark an actor's access (to one mailbox, or to any) as expected, with the reason")
    expect.add_argument("case", type=Path, metavar="DIR")
    expect.add_argument("--actor", required=True, metavar="NAME", help="the actor as the findings name it")
    expect.add_argument("--mailbox", default="", metavar="NAME", help="one mailbox (default: every mailbox)")
    expect.add_argument("--reason", default="", metavar="TEXT", help="why the access is expected (required)")
    expect.add_argument("--remove", action="store_true", help="remove the mark instead")
    expect.add_argument("--examiner", default="", metavar="NAME")

    hours = actions.add_parser("hours", help="set the work hours the case's findings count after-hours access by")
    hours.add_argument("case", type=Path, metavar="DIR")
    hours.add_argument("spec", metavar="HOURS", help="START-END [DAYS] [ZONE], e.g. '08:00-18:00 Mon-Fri Europe/Berlin'")

    ack = actions.add_parser(
        "acknowledge", help="acknowledge an evidence mismatch entry of the custody log (logged, signed, "
                            "printed in reports); verify then accepts that entry's hash for that file")
    ack.add_argument("case", type=Path, metavar="DIR")
    ack.add_argument("--entry", type=int, required=True, metavar="N", help="the custody entry verify names")
    ack.add_argument("--reason", required=True, metavar="TEXT",
                     help="what happened to the evidence and why the change is accepted")
    ack.add_argument("--examiner", default="", metavar="NAME")

    query = actions.add_parser("query", help="save a named query in the case")
    query.add_argument("case", type=Path, metavar="DIR")
    query.add_argument("name", metavar="NAME")
    query.add_argument("text", metavar="QUERY")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from forensics.case import Case, CaseError

    action = args.case_action
    if action == "new":
        case = Case.create(args.case, args.name, number=args.number, examiner=args.examiner, display_tz=args.tz)
        print(f"created case '{case.name}' in {case.folder}")
        return 0
    if action == "acknowledge":
        return _acknowledge(args)
    case = Case.open(args.case, examiner=getattr(args, "examiner", "") or "")
    for problem in case.integrity_problems:
        print(f"CUSTODY LOG: {problem}")
    apply_outside_option(case, args)
    if action == "add":
        for path in args.evidence:
            if not path.is_dir():
                check_readable(path)
        ids = {c.entry.evidence_id for c in case.quick_checks() if not c.problem}
        result = case.add_evidence(args.evidence, load_options(args), already_loaded=ids)
        for report in result.files:
            print(f"{report.path}: {report.status}, {report.rows} rows, sha256 {report.hashes.sha256 if report.hashes else '-'}")
        case.save()
        return 1 if result.failed else 0
    if action == "remove-evidence":
        from forensics.case.membership import matching_entries, remove_evidence

        removed = remove_evidence(case, matching_entries(case, args.evidence), args.reason.strip())
        case.save()
        for entry in removed:
            print(f"removed {entry.path}  (evidence {entry.evidence_id}, sha256 {entry.sha256})")
        print(f"{len(removed)} file(s) removed; {len(case.evidence)} remain; logged in the custody log")
        return 0
    if action == "show":
        print(f"case: {case.name}  number: {case.number or '-'}  examiner: {case.examiner or '-'}  zone: {case.display_tz}")
        print(f"evidence ({len(case.evidence)}):")
        for check in case.quick_checks():
            print(f"  [{check.status}] {check.path}  sha256 {check.entry.sha256}  {check.message}".rstrip())
        print(f"bookmarks ({len(case.bookmarks)}):")
        for b in case.bookmarks:
            what = " ".join(b.summary.get(k, "") for k in ("time", "operation", "mailbox", "actor"))
            print(f"  {b.tag}: {what}  (evidence {b.evidence} record {b.record_id})  {b.comment}")
        print(f"saved queries ({len(case.queries)}):")
        for q in case.queries:
            print(f"  {q.name}: {q.text}")
        hours = case.work_hours
        print(f"work hours: {hours.describe(case.display_tz) if hours else 'not set (08:00–18:00 Mon–Fri in the display zone)'}")
        print(f"expected access ({len(case.expected)}):")
        for m in case.expected:
            print(f"  {m.scope}: {m.reason}  ({m.examiner or '-'}, {m.created})")
        print("notes:" + ("\n" + case.notes if case.notes else " -"))
        case.save()
        return 1 if case.integrity_problems else 0
    if action == "tag":
        from forensics.query import compile_query

        query = compile_query(args.filter, tz=case.display_tz)
        loaded = case.load()
        if not len(loaded.frame):
            raise EvidenceError(f"{args.case}: no rows loaded from the case's evidence")
        frame = case.with_review_columns(loaded.frame)
        try:
            positions = query.mask(frame).nonzero()[0].tolist()
        except QueryError:
            raise
        added = case.bookmarks.add(loaded.frame, positions, args.tag, args.comment, examiner=case.custody.examiner)
        case.custody.append("bookmarks-added", tag=args.tag, query=args.filter, rows=len(added))
        case.save()
        print(f"tagged {len(added)} rows '{args.tag}'")
        for check in loaded.problems:
            print(f"EVIDENCE {check.status}: {check.path}: {check.message}")
        for warning in loaded.warnings:
            print(warning)
        return 1 if loaded.cache_tampered else 0
    if action == "untag":
        removed = case.bookmarks.remove([b for b in case.bookmarks if b.tag == args.tag])
        case.custody.append("bookmarks-removed", tag=args.tag, rows=removed)
        case.save()
        print(f"removed {removed} bookmarks '{args.tag}'")
        return 0
    if action == "note":
        case.notes = (case.notes + "\n\n" if case.notes else "") + args.text
        case.save()
        print("note added")
        return 0
    if action == "expect":
        scope = f"{args.actor} → {args.mailbox or 'every mailbox'}"
        if args.remove:
            if not case.unmark_expected(args.actor, args.mailbox):
                raise CaseError(f"no expected-access mark for {scope}")
            case.save()
            print(f"removed the expected mark of {scope}")
            return 0
        if not args.reason.strip():
            raise CaseError("--reason is required: a mark states why the access is expected")
        case.mark_expected(args.actor, args.mailbox, args.reason.strip(), examiner=args.examiner)
        case.save()
        print(f"marked {scope} as expected access")
        return 0
    if action == "hours":
        from forensics.aggregate.work_hours import WorkHours

        hours = WorkHours.parse(args.spec)
        case.set_work_hours(hours)
        case.save()
        print(f"work hours: {hours.describe(case.display_tz)}")
        return 0
    if action == "query":
        from forensics.query import compile_query

        compile_query(args.text, tz=case.display_tz)  # refuse a query that does not parse
        case.save_query(args.name, args.text)
        case.save()
        print(f"saved query '{args.name}'")
        return 0
    return 2  # pragma: no cover - argparse restricts the actions


def _acknowledge(args: argparse.Namespace) -> int:
    """Works on a case, and on a ``load --case`` folder that holds only a custody log."""
    from forensics.case import Case
    from forensics.custody.log import LOG_NAME, CustodyLog
    from forensics.errors import CustodyError

    if Case.is_case(args.case):
        case = Case.open(args.case, examiner=args.examiner or "")
        for problem in case.integrity_problems:  # an acknowledgement never mends the log itself
            print(f"CUSTODY LOG: {problem}")
        entry = case.acknowledge_mismatch(args.entry, args.reason)
        case.save()
    elif (args.case / LOG_NAME).is_file():
        entry = CustodyLog(args.case, examiner=args.examiner or None).acknowledge(args.entry, args.reason)
    else:
        raise CustodyError(f"{args.case}: no case and no custody log ({LOG_NAME}) in this folder")
    accepted = f"SHA-256 {entry['sha256']}" if entry.get("sha256") else "no hash (file was unreadable or missing)"
    print(f"custody entry {entry['seq']}: acknowledged entry {args.entry} ({entry['path']}, {accepted})")
    return 0
