"""``mailbox-audit verify``: check the custody chain and re-hash every evidence file."""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.custody.log import LOG_NAME, CustodyLog
from forensics.errors import CustodyError


#: what verify says when the custody log lists no evidence file (nothing was re-hashed)
NOTHING_VERIFIED = "NOT VERIFIED: the custody log records no evidence file, so no file was checked"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="verify the custody log and the evidence hashes of a case")
    p.add_argument("--case", type=Path, required=True, metavar="DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not (args.case / LOG_NAME).is_file():
        raise CustodyError(f"{args.case}: no custody log ({LOG_NAME}) in this folder")
    result = CustodyLog(args.case).verify()
    if not (result.files_ok or result.file_problems):  # zero files checked is never a pass
        print(result.describe().rsplit("\n", 1)[0])
        print(NOTHING_VERIFIED)
        return 1
    print(result.describe())
    return 0 if result.ok else 1
