"""Findings on the synthetic demo case: every incident of truth.json is listed with the right
counts, and no owner reading their own mail ever appears."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forensics.aggregate import findings
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "resources" / "demo"
IDENTITIES = REPO / "resources" / "demo-identities.csv"


@pytest.fixture(scope="module")
def truth() -> dict:
    if not (DEMO / "truth.json").is_file():
        pytest.skip("demo case not generated")
    from forensics.synth.truth import load_truth

    return load_truth(DEMO)


def person_lookup(truth: dict) -> dict[str, str]:
    """Every identity form of every person (lower case) -> person key."""
    lookup: dict[str, str] = {}
    for person in truth["people"]:
        for key in ("display_name", "alias", "smtp", "upn", "account", "legacy_dn", "sid", "mailbox_guid"):
            value = person.get(key)
            if value:
                lookup[str(value).lower()] = person["key"]
    return lookup


def load_format(truth: dict, name: str) -> pd.DataFrame:
    spec = truth["formats"][name]
    paths = [DEMO / f for f in spec["files"]]
    source_tz = spec["time_basis"].split(":", 1)[1] if spec["time_basis"].startswith("local:") else None
    result = load_evidence(paths, options=LoadOptions(identities=IDENTITIES, source_tz=source_tz))
    assert not result.failed
    return result.frame


@pytest.mark.parametrize("fmt", ["evtx-exchangeauditing", "ual", "iis-2003", "mailbox-audit-xml"])
def test_every_incident_is_listed_with_its_counts(truth: dict, fmt: str) -> None:
    if fmt not in truth["formats"]:
        pytest.skip(f"{fmt} not in the demo case")
    frame = load_format(truth, fmt)
    people = person_lookup(truth)
    whole = findings(frame).pairs
    whole_keys = {(people.get(a.lower()), people.get(m.lower())) for a, m in zip(whole["actor"], whole["mailbox"])}
    checked = 0
    for incident in truth["incidents"]:
        if not incident["rows"].get(fmt):
            continue  # this format does not carry the incident (e.g. a send in IIS)
        for mailbox in incident["mailboxes"]:
            assert (incident["actor"], mailbox) in whole_keys, (incident["id"], mailbox)
        # within the incident's window, the pair lines add up to the incident's operations
        start, end = pd.Timestamp(incident["first"]), pd.Timestamp(incident["last"])
        window = frame[(frame["time"] >= start) & (frame["time"] <= end)]
        pairs = findings(window).pairs
        mine = pairs[[people.get(a.lower()) == incident["actor"] and people.get(m.lower()) in incident["mailboxes"]
                      for a, m in zip(pairs["actor"], pairs["mailbox"])]]
        # every format: the incident's rows in that format (UAL/mailbox-audit name operations their way)
        assert int(mine["events"].sum()) == incident["rows"][fmt], incident["id"]
        if fmt == "evtx-exchangeauditing":  # normalized operation names: per-operation counts
            got = {op: int(mine[op].sum()) if op in mine.columns else 0 for op in incident["operations"]}
            assert got == incident["operations"], incident["id"]
        assert bool(mine["admin"].any()) == bool(incident["admin_rights"]), incident["id"]
        if incident["client_ip"] and "client_ips" in mine and mine["client_ips"].str.len().sum():
            assert any(incident["client_ip"] in ips for ips in mine["client_ips"]), incident["id"]
        checked += 1
    assert checked >= 1


def test_no_owner_reading_own_mail(truth: dict) -> None:
    frame = load_format(truth, "evtx-exchangeauditing")
    people = person_lookup(truth)
    pairs = findings(frame).pairs
    resolved = 0
    for actor, mailbox in zip(pairs["actor"], pairs["mailbox"]):
        a, m = people.get(actor.lower()), people.get(mailbox.lower())
        if a is not None and m is not None:
            resolved += 1
            assert a != m, (actor, mailbox)
    assert resolved == len(pairs)
    # and the owners' own accesses are all in the frame, just not in the findings
    assert (frame["logon_type"] == "Owner").sum() > 0


def test_demo_counts_dana_whites_accesses_to_the_cfo_once_each(truth: dict) -> None:
    """The demo's compromised-OWA incident is recorded by four sources at once (event log, IIS,
    mailbox-audit export, UAL): by access it is the truth's 3 folder opens and 7 message opens,
    by row 12 and 14 (and the UAL's 7 MailItemsAccessed Bind rows)."""
    result = load_evidence([DEMO / "evidence"], options=LoadOptions(identities=IDENTITIES))
    incident = next(i for i in truth["incidents"] if i["id"] == "compromised-owa")
    people = {p["key"]: p["display_name"] for p in truth["people"]}
    found = findings(result.frame)
    pair = found.pairs[(found.pairs["actor"] == people[incident["actor"]])
                       & (found.pairs["mailbox"] == people[incident["mailboxes"][0]])].iloc[0]
    assert {op: int(pair[f"accesses:{op}"]) for op in incident["operations"]} == incident["operations"] \
        == {"FolderOpen": 3, "MessageOpen": 7}
    assert (int(pair["FolderOpen"]), int(pair["MessageOpen"]), int(pair["MailItemsAccessed"])) == (12, 14, 7)
    rows = result.frame[(result.frame["actor_key"] == pair["actor"]) & (result.frame["mailbox_key"] == pair["mailbox"])
                        & result.frame["access_operation"].isin(["FolderOpen", "MessageOpen"])]
    assert sorted(rows.groupby("access_id")["access_sources"].first().unique().tolist()) == [3, 4]
