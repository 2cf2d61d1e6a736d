"""``mailbox-audit verify``: check the custody chain and re-hash every evidence file."""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.case.cache import verify_caches
from forensics.custody.log import LOG_NAME, CustodyLog
from forensics.errors import CustodyError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="verify the custody log and the evidence hashes of a case")
    p.add_argument("--case", type=Path, required=True, metavar="DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not (args.case / LOG_NAME).is_file():
        raise CustodyError(f"{args.case}: no custody log ({LOG_NAME}) in this folder")
    log = CustodyLog(args.case)
    result = log.verify()
    caches = verify_caches(args.case, log.entries())  # derived rows are checked like evidence
    for line in caches.lines():
        print(line)
    result.ok = result.ok and caches.ok
    print(result.describe())
    return 0 if result.ok else 1
