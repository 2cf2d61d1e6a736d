"""``mailbox-audit outofcore``: which engine a case would open with (``--memory-budget``), and
a query run by the out-of-core engine over the case's verified Parquet caches.

Says which engine was chosen and why, every cache file refused (and why), the number of
matching rows and their first page. Exit 1 when a cache file was refused (its rows are not
in the answer), 0 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.errors import ForensicsError


class BudgetError(ForensicsError):
    """A ``--memory-budget`` the user typed cannot be read."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outofcore", help="engine choice by memory budget, and a query over a case's Parquet rows "
                                         "with the out-of-core (DuckDB) engine")
    p.add_argument("--case", type=Path, required=True, metavar="DIR")
    p.add_argument("--memory-budget", default=None, metavar="SIZE",
                   help="memory the in-memory frame may use: bytes, 512M, 8G or a share like 40%% "
                        "(default: half of physical memory)")
    p.add_argument("--filter", default="", metavar="QUERY", help="query-language filter")
    p.add_argument("--tz", default="UTC", help="display zone of typed times (default UTC)")
    p.add_argument("--rows", type=int, default=20, metavar="N", help="rows of the first page to print (default 20)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from forensics.case import Case
    from forensics.outofcore.budget import choose_engine, parquet_rows
    from forensics.outofcore.engine import OutOfCoreEngine
    from forensics.outofcore.pages import page

    case = Case.open(args.case)
    engine = OutOfCoreEngine.open_case(case)
    with engine:
        try:
            choice = choose_engine(parquet_rows(f.path for f in engine.files), args.memory_budget)
        except ValueError as exc:
            raise BudgetError(str(exc)) from exc
        print(f"engine: {choice.engine} ({choice.reason})")
        print(f"verified Parquet files: {len(engine.files)}")
        for refused in engine.report.refused:
            print(f"REFUSED: {refused.path.name}: {refused.reason}")
        if not engine.files:
            print("no verified rows to query")
            return 1 if engine.report.refused else 0
        result = page(engine, args.filter, 0, args.rows, tz=args.tz)
        print(f"matching rows (DuckDB over the verified files): {result.total:,}")
        shown = [c for c in ("time", "operation", "actor", "mailbox", "logon_type") if c in result.rows.columns]
        if len(result.rows):
            print(result.rows[shown].to_string(index=False))
    return 1 if engine.report.refused else 0
