"""Entry point of ``mailbox-audit``. Subcommands are listed explicitly (frozen builds).

Every error a user can cause ends in one clear line on stderr and a non-zero exit code;
a traceback is printed only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from forensics import __version__
from forensics.errors import ForensicsError


def _subcommands() -> list[ModuleType]:
    from forensics.cli import load_cmd, verify_cmd

    from forensics.cli import case_cmd, report_cmd  # cases and reports

    from forensics.cli import learn_map_cmd  # learned event maps (issue 4)

    from forensics.cli import synth_cmd  # synthetic evidence with ground truth (issue 3)

    from forensics.cli import crosscheck_cmd  # evtx vs python-evtx, record by record (issue 2)

    from forensics.cli import findings_cmd  # the findings without a GUI, by access (issue 18)

    from forensics.cli import outofcore_cmd  # cases larger than RAM: DuckDB over the Parquet rows (issue 21)

    return [load_cmd, verify_cmd, case_cmd, report_cmd, learn_map_cmd, synth_cmd, crosscheck_cmd, findings_cmd,
            outofcore_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailbox-audit",
        description="Offline forensic viewer for Exchange mailbox-access evidence.",
    )
    parser.add_argument("--version", action="version", version=f"mailbox-audit {__version__}")
    parser.add_argument("--debug", action="store_true", help="print tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _subcommands():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ForensicsError as exc:
        print(f"mailbox-audit: error: {exc.user_message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mailbox-audit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - a traceback is a bug, but never the user's problem
        print(f"mailbox-audit: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        else:
            print("(run again with --debug for details, and please report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
