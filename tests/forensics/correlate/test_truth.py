"""Every synthetic scenario, every evidence format at once: the correlation counts exactly the
accesses the generator made (``truth.json``), and never folds two of them into one.

The generator writes each underlying access into every format that would record it (the
Exchange Auditing log records every store access of audited accounts, the Application log
every logon; IIS, mailbox-audit and the UAL a documented subset, see each format's
``carries``), so the number of distinct accesses must equal the truth's tally whatever
other formats are loaded beside the event log, and each incident's pair must show exactly
the incident's operations.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forensics.aggregate import findings
from forensics.aggregate.findings import ACCESS_PREFIX
from forensics.correlate import correlate
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from forensics.synth.generate import generate
from forensics.synth.scenarios import SCENARIOS

STORE = ("FolderOpen", "MessageOpen", "SendAs", "SendOnBehalf")
#: the event-log formats every other one is checked against (they see every access)
BASE = ("evtx-exchangeauditing", "evtx-application")


#: contoso holds every incident over four weeks (the slowest); the others one incident each
SCENARIO_PARAMS = [pytest.param(name, marks=pytest.mark.slow) if name == "contoso" else name for name in sorted(SCENARIOS)]


@pytest.fixture(scope="module", params=SCENARIO_PARAMS)
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, pd.DataFrame, dict]:
    name = request.param
    out = tmp_path_factory.mktemp(name)
    truth = generate(name, out, seed=3, events=1200 if name == "contoso" else None, command="test").truth
    result = load_evidence([out / "evidence"], options=LoadOptions(identities=out / "identities.csv",
                                                                    source_tz=truth["timezones"]["export"]))
    assert not result.failed
    by_path = {r.path.resolve(): r.evidence_id for r in result.files}
    evidence = {fmt: {by_path[(out / f).resolve()] for f in spec["files"] if (out / f).resolve() in by_path}
                for fmt, spec in truth["formats"].items()}
    return truth, result.frame, evidence


def distinct(frame: pd.DataFrame) -> dict[str, int]:
    """Distinct accesses per operation, of the accesses the truth tallies (store and logon;
    not IIS requests that open nothing, nor admin cmdlets)."""
    counts = frame.groupby("access_operation", observed=True)["access_id"].nunique()
    return {op: int(n) for op, n in counts.items() if n and op in (*STORE, "Logon")}


def expected(truth: dict) -> dict[str, int]:
    return {op: n for op, n in truth["accesses"]["by_operation"].items() if n}


def test_the_event_log_sees_every_access(case) -> None:
    """The premise of the checks below, from the truth itself."""
    truth, _, _ = case
    ops = truth["accesses"]["by_operation"]
    assert truth["formats"]["evtx-exchangeauditing"]["rows"] == sum(ops.get(op, 0) for op in STORE)
    assert truth["formats"]["evtx-application"]["rows"] == ops["Logon"]


def test_all_formats_together_count_each_access_once(case) -> None:
    truth, frame, _ = case
    assert distinct(frame) == expected(truth)
    # no access holds two rows of one file: two accesses of the truth are never one
    assert frame.groupby(["access_id", "evidence"], observed=True).size().max() == 1
    # rows of one access name one pair and one kind of access
    per_access = frame.groupby("access_id").agg(a=("actor_key", "nunique"), m=("mailbox_key", "nunique"),
                                                o=("access_operation", "nunique"))
    assert (per_access <= 1).all().all()


def test_each_format_beside_the_event_log_counts_each_access_once(case) -> None:
    truth, frame, evidence = case
    base = set().union(*(evidence[f] for f in BASE))
    checked = 0
    for fmt, ids in evidence.items():
        if fmt in BASE or not ids or not truth["formats"][fmt]["rows"]:
            continue
        subset = frame[frame["evidence"].astype(str).isin(base | ids).to_numpy()].reset_index(drop=True)
        correlated, _ = correlate(subset)
        assert distinct(correlated) == expected(truth), fmt
        checked += 1
    assert checked >= 5


def test_each_incident_pair_shows_the_truths_distinct_operations(case) -> None:
    truth, frame, _ = case
    people = {p["key"]: p["display_name"] for p in truth["people"]}
    for incident in truth["incidents"]:
        start = pd.Timestamp(incident["first"]) - pd.Timedelta(seconds=10)  # the logon precedes the first open
        end = pd.Timestamp(incident["last"]) + pd.Timedelta(seconds=5)
        window = frame[((frame["time"] >= start) & (frame["time"] <= end)).to_numpy()]
        pairs = findings(window).pairs
        mine = pairs[(pairs["actor"] == people[incident["actor"]])
                     & pairs["mailbox"].isin([people[m] for m in incident["mailboxes"]])]
        assert len(mine) == len(incident["mailboxes"]), incident["id"]
        got = {op: int(mine[ACCESS_PREFIX + op].sum()) for op in STORE if ACCESS_PREFIX + op in mine.columns}
        assert {op: n for op, n in got.items() if n} == incident["operations"], incident["id"]
        if f"{ACCESS_PREFIX}Logon" in mine.columns:
            assert int(mine[f"{ACCESS_PREFIX}Logon"].sum()) == incident["logons"], incident["id"]
        # raw rows are all still there: every format's rows of the incident
        assert int(mine["events"].sum()) == sum(n for f, n in incident["rows"].items()
                                                if f != "evtx-msexchangemanagement"), incident["id"]
