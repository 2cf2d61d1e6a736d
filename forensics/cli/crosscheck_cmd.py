"""``mailbox-audit crosscheck FILE.evtx|FILE.evt``: compare evtx with python-evtx (or, for a
legacy ``.evt``, our reader with libevt) record by record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forensics.evtx.crosscheck import crosscheck, format_report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "crosscheck",
        help="parse an .evtx with evtx and python-evtx (an .evt with our reader and libevt) and report per-record agreement",
        description="Independent second-tool check. Exit 0 when both agree on every record both read.",
    )
    p.add_argument("file", type=Path, metavar="FILE.evtx|FILE.evt")
    p.add_argument("--limit", type=int, metavar="N", help="compare only the first N records (python-evtx is slow)")
    p.add_argument("--show", type=int, default=20, metavar="N", help="disagreements to list (default 20)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if _is_evt(args.file):
        from forensics.evt.crosscheck import crosscheck as evt_crosscheck, format_report as evt_report

        evt_result = evt_crosscheck(args.file)
        print(evt_report(evt_result, show=args.show))
        return 0 if evt_result.ok else 1
    result = crosscheck(args.file, limit=args.limit, progress=lambda m: print(m, file=sys.stderr))
    print(format_report(result, show=args.show))
    return 0 if result.ok else 1


def _is_evt(path: Path) -> bool:
    """A legacy .evt by its header (content, not extension), as detection decides."""
    from forensics.evt.structure import HEADER_SIZE, FileHeader

    try:
        with open(path, "rb") as handle:
            return FileHeader.parse(handle.read(HEADER_SIZE)) is not None
    except OSError:
        return False  # the .evtx path reports why the file cannot be read
