"""Round trip: generate, load with our parsers, and the normalized rows equal truth.json.

Covers every format the generator writes: .evtx, Event Viewer XML and CSV exports (Vista+
and Windows 2003), IIS 2003 and 2013+, the mailbox-audit CSV and XML, the UAL CSV in its three layouts (each loaded on its own, with the
case's ``--source-tz`` and ``--identities``). ``assert_rows_match_truth`` can be reused.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions

PARSED_NOW = ["evtx-exchangeauditing", "evtx-application", "evtx-msexchangemanagement",
              "xml-exchangeauditing", "xml-application",
              "csv-exchangeauditing", "csv-application", "csv2003-exchangeauditing", "csv2003-application",
              "iis", "iis-2003", "mailbox-audit", "mailbox-audit-xml", "ual", "ual-classic", "ual-powershell"]
COMPARED = {"operation": "by_operation", "mailbox": "by_mailbox", "actor": "by_actor",
            "logon_type": "by_logon_type", "client_ip": "by_client_ip"}


def _counts(series: pd.Series) -> dict[str, int]:
    values = series.astype(object).where(series.notna(), "").tolist()
    return {str(k): n for k, n in Counter(values).items() if n}


def assert_rows_match_truth(frame: pd.DataFrame, fmt: dict, skip: tuple[str, ...] = ()) -> None:
    """The frame's rows agree with one ``formats`` entry of truth.json."""
    assert len(frame) == fmt["rows"]
    for column, key in COMPARED.items():
        if column not in skip:
            assert _counts(frame[column]) == fmt[key], column
    seconds = frame["time"].astype("int64") // 10**9
    assert int(seconds.sum()) == fmt["epoch_seconds_sum"]
    assert frame["time"].min().strftime("%Y-%m-%dT%H:%M:%SZ") == fmt["first"]
    assert frame["time"].max().strftime("%Y-%m-%dT%H:%M:%SZ") == fmt["last"]
    days = _counts(frame["time"].dt.strftime("%Y-%m-%d"))
    assert days == fmt["by_day"]


def load_format(root: Path, truth: dict, name: str) -> pd.DataFrame:
    fmt = truth["formats"][name]
    options = LoadOptions(source_tz=truth["timezones"]["export"], identities=root / truth["identities_csv"])
    result = load_evidence([root / f for f in fmt["files"]], options=options)
    problems = [f"{r.path.name}: {r.status} {r.error}" for r in result.files if r.status != "loaded"]
    assert not problems, problems
    return result.frame


@pytest.mark.parametrize("name", PARSED_NOW)
def test_round_trip(contoso_case: tuple[Path, dict], name: str) -> None:
    root, truth = contoso_case
    # cmdlet rows: logon type checked apart (below)
    skip = ("logon_type",) if name == "evtx-msexchangemanagement" else ()
    assert_rows_match_truth(load_format(root, truth, name), truth["formats"][name], skip)


def test_cmdlet_rows_are_admin(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case
    fmt = truth["formats"]["evtx-msexchangemanagement"]
    frame = load_format(root, truth, "evtx-msexchangemanagement")
    assert _counts(frame["logon_type"]) == fmt["by_logon_type"]


@pytest.mark.parametrize("name", ["evtx-exchangeauditing", "iis", "iis-2003", "ual"])
def test_incident_rows_are_found(contoso_case: tuple[Path, dict], name: str) -> None:
    """The compromised-account story is visible with its external address in both sources."""
    root, truth = contoso_case
    frame = load_format(root, truth, name)
    incident = next(i for i in truth["incidents"] if i["id"] == "compromised-owa")
    hits = frame[frame["client_ip"] == incident["client_ip"]]
    sign_ins = hits["mailbox"].isna()  # UAL: the Entra ID sign-ins from the same address (no mailbox)
    assert int((~sign_ins).sum()) == incident["rows"][name]
    assert set(hits.loc[~sign_ins, "logon_type"].astype(str)) == {"Delegate"}
    assert (name == "ual") == bool(sign_ins.any())
    assert set(hits.loc[sign_ins, "operation"].astype(str)) <= {"Logon"}
    first = hits.loc[~sign_ins, "time"].min().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first == incident["first"]
