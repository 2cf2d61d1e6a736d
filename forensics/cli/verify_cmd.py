"""``mailbox-audit verify``: check the custody chain, its signatures and heads, and re-hash
every evidence file against the hash first recorded for it.

Exit codes: 0 VERIFIED; 1 VERIFICATION FAILED; 4 UNSIGNED (legacy): no problem found, but
the log carries no signature, so nothing rules out a consistently recomputed chain.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.case.case_verify import verify_case
from forensics.custody.verify import FAILED, UNSIGNED

EXIT_UNSIGNED = 4


#: what verify says when the custody log lists no evidence file (nothing was re-hashed)
NOTHING_VERIFIED = "NOT VERIFIED: the custody log records no evidence file, so no file was checked"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help="verify the custody log (chain, signatures, heads) and the evidence hashes of a case",
        description="Exit 0 VERIFIED, 1 VERIFICATION FAILED, 4 UNSIGNED (legacy log: no problem found, "
                    "but no signature vouches for it).")
    p.add_argument("--case", type=Path, required=True, metavar="DIR")
    p.add_argument("--expect-head", metavar="HASH",
                   help="custody head SHA-256 a report handed out states: fails unless an entry of the log has it")
    p.add_argument("--expect-key", action="append", default=[], metavar="FPR",
                   help="examiner key fingerprint a report states (repeat for several examiners): fails when an "
                        "entry is signed by another key or the key signed nothing")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = verify_case(args.case, expect_head=args.expect_head, expect_keys=list(args.expect_key))
    if result.status != FAILED and not (result.files_ok or result.file_problems):  # zero files checked is never a pass
        print(result.describe().rsplit("\n", 1)[0])
        print(NOTHING_VERIFIED)
        return 1
    print(result.describe())
    if result.status == FAILED:
        return 1
    return EXIT_UNSIGNED if result.status == UNSIGNED else 0
