"""Options shared by subcommands (case folder, examiner, parser options)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from forensics.custody.log import CustodyLog
from forensics.parsers.base import LoadOptions
from forensics.parsers.w3c.iis_layouts import parse_field_list

if TYPE_CHECKING:
    from forensics.case import Case


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
    parser.add_argument(
        "--w3c-fields", metavar="FIELDS",
        help='W3C field names of IIS lines without a #Fields: header (grep or SIEM excerpts), in order, e.g. '
             '"date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status"',
    )
    parser.add_argument(
        "--workers", type=_workers, default=1, metavar="N",
        help="processes to parse in: several files in parallel, and a large .evtx by chunk range "
             "(default 1: this process); the rows and custody entries are the same either way",
    )


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers takes a whole number, not {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"--workers must be between 1 and 64, not {value}")
    return value


def add_outside_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-outside-evidence", action="store_true",
        help="open case evidence outside the folders its custody log recorded evidence in "
             "(a case folder from elsewhere may name any file; the confirmation is logged)",
    )


def apply_outside_option(case: "Case", args: argparse.Namespace) -> None:
    """Let the case open evidence outside its evidence folders when the examiner said so,
    recording the folders they confirmed in custody."""
    if getattr(args, "allow_outside_evidence", False):
        outside = case.outside_evidence()
        if outside:
            case.confirm_outside_evidence(outside)
        case.allow_outside_evidence = True


def load_options(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(
        all_events=getattr(args, "all_events", False),
        source_tz=getattr(args, "source_tz", None),
        identities=getattr(args, "identities", None),
        maps_dir=getattr(args, "maps", None),
        parser=getattr(args, "parser", None),
        w3c_fields=_w3c_fields(getattr(args, "w3c_fields", None)),
        select=tuple(getattr(args, "select", None) or ()) or None,
        workers=getattr(args, "workers", 0) or 0,
    )


def _w3c_fields(text: str | None) -> str | None:
    """The ``--w3c-fields`` list as given, checked now so a mistake is reported before loading."""
    if not text:
        return None
    parse_field_list(text)
    return text


def custody_log(args: argparse.Namespace) -> CustodyLog:
    return CustodyLog(getattr(args, "case", None), examiner=getattr(args, "examiner", None))
