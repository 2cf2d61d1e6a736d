"""Options shared by subcommands (case folder, examiner, parser options)."""

from __future__ import annotations

import argparse
from pathlib import Path

from forensics.custody.log import CustodyLog
from forensics.parsers.base import LoadOptions


def add_case_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case", type=Path, metavar="DIR", help="case folder (custody log, case.json)")
    parser.add_argument("--examiner", metavar="NAME", help="examiner name recorded in custody entries")


def add_load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all-events", action="store_true", help="also keep non-access events as generic rows")
    parser.add_argument(
        "--source-tz",
        metavar="ZONE",
        help="UTC offset or zone of the machine that exported local-time text (e.g. +02:00, Europe/Berlin)",
    )
    parser.add_argument("--identities", type=Path, metavar="CSV", help="directory export linking identities")
    parser.add_argument("--maps", type=Path, metavar="DIR", help="extra event-map folder (searched first)")
    parser.add_argument("--parser", metavar="NAME", help="force a parser instead of detecting the format")


def load_options(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(
        all_events=getattr(args, "all_events", False),
        source_tz=getattr(args, "source_tz", None),
        identities=getattr(args, "identities", None),
        maps_dir=getattr(args, "maps", None),
        parser=getattr(args, "parser", None),
    )


def custody_log(args: argparse.Namespace) -> CustodyLog:
    return CustodyLog(getattr(args, "case", None), examiner=getattr(args, "examiner", None))
