"""``mailbox-audit crosscheck FILE.evtx``: compare evtx with python-evtx record by record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forensics.evtx.crosscheck import crosscheck, format_report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "crosscheck",
        help="parse an .evtx with evtx and python-evtx and report per-record agreement",
        description="Independent second-tool check. Exit 0 when both agree on every record both read.",
    )
    p.add_argument("file", type=Path, metavar="FILE.evtx")
    p.add_argument("--limit", type=int, metavar="N", help="compare only the first N records (python-evtx is slow)")
    p.add_argument("--show", type=int, default=20, metavar="N", help="disagreements to list (default 20)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = crosscheck(args.file, limit=args.limit, progress=lambda m: print(m, file=sys.stderr))
    print(format_report(result, show=args.show))
    return 0 if result.ok else 1
