"""``mailbox-audit learn-map EXPORT.xml [--out DIR]``: derive the ``<Data>`` positions of
the Exchange events from an Event Viewer XML export that carries both raw strings and
rendered messages, and write event-map files for ``load --maps DIR``."""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.cli.common import add_case_options, custody_log
from forensics.custody.hashing import HashingReader
from forensics.errors import EvidenceError, ParseError
from forensics.evtx.learn import events_from_export, learn, write_maps
from forensics.evtx.maps import load_maps
from forensics.ingest import check_readable
from forensics.parsers.base import SNIFF_BYTES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "learn-map",
        help="learn event-map field positions from an Event Viewer XML export (data + rendered text)",
    )
    p.add_argument("export", type=Path, metavar="EXPORT.xml", help="Event Viewer XML export saved with messages")
    p.add_argument("--out", type=Path, default=Path("learned-maps"), metavar="DIR",
                   help="folder for the learned map files (default: ./learned-maps)")
    p.add_argument("--maps", type=Path, metavar="DIR", help="start from these maps instead of the bundled ones")
    add_case_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    export: Path = args.export
    check_readable(export)
    out: Path = args.out
    evidence_dir = export.resolve().parent
    target = out.resolve()
    if target == evidence_dir or evidence_dir in target.parents:
        raise EvidenceError(f"--out {out}: refusing to write next to evidence ({evidence_dir}); choose another folder")
    maps = load_maps(args.maps)
    log = custody_log(args)
    bad: list[str] = []
    with HashingReader(export) as reader:
        head = reader.peek(SNIFF_BYTES)
        events = events_from_export(reader.read, head, export.name, lambda off, why: bad.append(f"offset {off}: {why}"))
        results = learn(events, maps)
        hashes = reader.finish()
        mtime = reader.mtime
    print(f"{export}: sha256 {hashes.sha256}")
    for line in bad[:10]:
        print(f"  warning: {line}")
    if len(bad) > 10:
        print(f"  … and {len(bad) - 10} more damaged records")
    usable = [r for r in results if r.records and r.positions]
    if not usable:
        raise ParseError(
            f"{export.name}: no Exchange event with both <Data> strings and a rendered message that matches "
            "a map's template (save the export from Event Viewer with display information, on the Exchange server)"
        )
    origin = f"{export.name} (sha256 {hashes.sha256[:16]})"
    for learned in results:
        print(
            f"{learned.base.providers[0]} {learned.event_id}: {learned.records} record(s) used"
            + (f", {learned.partial} partly matched" if learned.partial else "")
            + (f", {learned.unmatched} not matching the template" if learned.unmatched else "")
            + (f", {learned.no_data} without data strings" if learned.no_data else "")
        )
        if not learned.records:
            continue
        for slot, index in sorted(learned.positions.items(), key=lambda item: item[1]):
            print(f"  <Data> {index + 1:>2} = {learned.slot_label(slot)}  [{learned.how[slot]}]")
        print("  layout differs from the map it started from" if learned.differs else "  layout confirms the map")
        for conflict in learned.conflicts:
            print(f"  CONFLICT: {conflict}")
    written = write_maps(results, out, origin)
    for path in written:
        print(f"wrote {path}")
    log.record_open(
        export, hashes, mtime or 0.0, evidence_id=hashes.sha256[:16], parser="learn-map",
        purpose="learn event-map field positions", records=sum(r.records for r in results),
        bad_records=len(bad), maps_written=[str(p.resolve()) for p in written],
    )
    if log.path is None:
        print("note: no --case given; custody entries were not saved")
    print(f"use them with: mailbox-audit load --maps {out} EVIDENCE…")
    return 0
