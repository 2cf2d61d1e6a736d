"""``mailbox-audit load``: hash, parse and normalize evidence; print a summary; write the table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forensics.cli.common import add_case_options, add_load_options, custody_log, load_options
from forensics.errors import EvidenceError
from forensics.export import write_table
from forensics.ingest import check_readable, expand_paths, load_evidence
from forensics.safe_io import evidence_identities, refuse_evidence_output
from forensics.summary import format_file_summary


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="load evidence (files, folders, disk images, triage collections) and write the table")
    p.add_argument("evidence", nargs="+", type=Path, metavar="EVIDENCE",
                   help="files, folders, disk images (E01, raw/dd, VHD, VHDX, VMDK) or collections (zip, tar)")
    p.add_argument("--list", action="store_true",
                   help="list the evidence found inside images and collections (size, inner path), then stop")
    p.add_argument("--select", action="append", default=[], metavar="GLOB",
                   help="load only the files inside an image or collection matching GLOB (repeatable; "
                        "matched case-insensitively against the inner and the server path, e.g. '*Auditing*')")
    add_case_options(p)
    add_load_options(p)
    p.add_argument("--extract", action="store_true",
                   help="also copy each file loaded from an image or collection into CASE/extracted/ (needs --case; "
                        "each copy hashed against the inner file and logged)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the table (.csv, .parquet or .jsonl)")
    p.add_argument("--filter", metavar="QUERY", help="keep only rows matching a query")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for path in args.evidence:
        if not path.is_dir():
            check_readable(path)
        elif not any(path.iterdir()):
            raise EvidenceError(f"{path}: folder is empty")
    if args.list:
        from forensics.cli.container_list import list_containers

        return list_containers(list(args.evidence), list(args.select))
    if args.out is not None:  # before anything is read or logged: a refused output writes nothing
        refuse_evidence_output(args.out, evidence_identities(expand_paths(args.evidence)), EvidenceError)
    if args.out is not None and args.out.suffix.lower() not in (".csv", ".parquet", ".jsonl"):
        raise EvidenceError(f"{args.out}: output must end in .csv, .parquet or .jsonl")
    if args.extract and args.case is None:
        raise EvidenceError("--extract needs --case DIR: copies go into the case folder, nowhere else")
    log = custody_log(args)
    result = load_evidence(args.evidence, options=load_options(args), custody=log, select=list(args.select))
    if not result.files:
        raise EvidenceError("no supported evidence files found")
    for report in result.files:
        print(format_file_summary(report))
    if args.extract:
        from forensics.containers.extract import extract_loaded

        for line in extract_loaded(args.case, log, result.files):
            print(line)
    frame = result.frame
    if args.filter:
        from forensics.query import compile_query

        frame = frame[compile_query(args.filter).mask(frame)]
    print(f"total: {len(frame)} rows from {len(result.sources)} file(s)")
    found = result.correlation
    if found is not None and found.rows:  # one access recorded by several sources (forensics.correlate)
        print(f"accesses: {found.accesses:,} distinct in {found.rows:,} rows ({found.merged_rows:,} rows share "
              "their access with another source's row)")
        for evidence, notes in sorted(found.notes().items()):
            source = result.sources.get(evidence)
            for note in notes:
                print(f"  {source.path.name if source else evidence}: {note}")
    if log.path is None:
        print("note: no --case given; custody entries were not saved", file=sys.stderr)
    failed = result.failed
    if args.out is not None and failed:  # a table missing a file's rows must not pass for the whole
        print(f"mailbox-audit: {args.out} not written: {len(failed)} file(s) failed to load", file=sys.stderr)
    elif args.out is not None:
        write_table(frame, args.out, evidence=[s.path for s in result.sources.values()])
        print(f"wrote {args.out}")
    for report in failed:
        print(f"mailbox-audit: error: {report.error}", file=sys.stderr)
    return 1 if failed else 0
