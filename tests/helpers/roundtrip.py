"""Load one format of a generated case with its parser and tally the rows like truth.json.

Shared by the round-trip tests of the IIS, mailbox-audit and UAL parsers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from forensics import schema
from forensics.identity.directory import load_directory
from forensics.identity.resolve import resolve_logon_types
from forensics.parsers.base import FileReport, LoadOptions, Parser

from helpers.run_parser import run_parser


def load_format(case: Path, truth: dict[str, Any], name: str, parser: type[Parser],
                options: LoadOptions | None = None) -> tuple[pd.DataFrame, list[FileReport]]:
    spec = truth["formats"][name]
    frames, reports = [], []
    for rel in spec["files"]:
        frame, report = run_parser(parser, case / rel, options)
        frames.append(frame)
        reports.append(report)
    frame = schema.concat(frames)
    directory = load_directory(case / truth.get("identities_csv", "identities.csv"))
    return resolve_logon_types(frame, directory=directory), reports


def tally(frame: pd.DataFrame) -> dict[str, Any]:
    def counts(column: str) -> dict[str, int]:
        values = frame[column].astype("string").fillna("")
        return dict(sorted(Counter(values.tolist()).items()))

    return {
        "rows": len(frame),
        "by_operation": counts("operation"),
        "by_mailbox": counts("mailbox"),
        "by_actor": counts("actor"),
        "by_logon_type": counts("logon_type"),
        "by_client_ip": counts("client_ip"),
        "epoch_seconds_sum": int((frame["time"].astype("int64") // 10**9).sum()),
    }


def expected(truth: dict[str, Any], name: str) -> dict[str, Any]:
    spec = truth["formats"][name]
    return {key: spec[key] for key in ("rows", "by_operation", "by_mailbox", "by_actor", "by_logon_type",
                                        "by_client_ip", "epoch_seconds_sum")}
