"""Round trip: the synthetic generator's Event Viewer XML and CSV exports, loaded with our
parsers, give exactly the rows its ``truth.json`` says (issue 3's generator, issue 4's parsers)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from forensics.ingest import load_evidence
from forensics.localtime import UNKNOWN_BASIS
from forensics.parsers.base import LoadOptions
from forensics.synth.generate import generate

FORMATS = ["xml-exchangeauditing", "csv-exchangeauditing", "csv2003-exchangeauditing",
           "xml-application", "csv-application", "csv2003-application"]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("eventviewer-case")
    generate("contoso", out, seed=11, events=1500, formats=("xml", "csv", "csv2003"), command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


def counts(series: pd.Series) -> dict[str, int]:
    return dict(Counter(series.astype(object).where(series.notna(), "").astype(str)))


@pytest.mark.parametrize("name", FORMATS)
def test_rows_equal_the_truth(case: tuple[Path, dict], name: str) -> None:
    root, truth = case
    fmt = truth["formats"][name]
    options = LoadOptions(source_tz=fmt.get("timezone"), identities=root / truth["identities_csv"])
    result = load_evidence([root / f for f in fmt["files"]], options=options)
    (report,) = result.files
    frame = result.frame
    assert report.status == "loaded" and report.source_format == fmt["source_format"]
    assert report.records == fmt["records"] and report.bad == 0 and report.warning_count == 0
    assert sum(report.skipped.values()) == fmt["noise_records"] and report.balanced
    assert len(frame) == fmt["rows"]
    assert counts(frame.operation) == fmt["by_operation"]
    assert counts(frame.mailbox) == fmt["by_mailbox"]
    assert counts(frame.actor) == fmt["by_actor"]
    assert counts(frame.logon_type) == fmt["by_logon_type"]
    assert counts(frame.client_ip) == fmt["by_client_ip"]
    assert counts(frame.event_id) == fmt["by_event_id"]
    assert counts(frame.time.dt.strftime("%Y-%m-%d")) == fmt["by_day"]
    assert int((frame.time.astype("int64") // 10**9).sum()) == fmt["epoch_seconds_sum"]
    assert frame.time.min() == pd.Timestamp(fmt["first"]) and frame.time.max() == pd.Timestamp(fmt["last"])
    assert (frame.mapping == "rendered").all()
    server = truth["organization"]["mailbox_server"]
    if name.startswith("xml"):
        assert (frame.server == server).all()
    elif name.startswith("csv2003"):  # the 2003 layout has a Computer column (short name)
        assert (frame.server == server.split(".")[0]).all()
    expected_basis = "utc" if fmt["time_basis"] == "utc" else f"converted from {fmt['timezone']}"
    assert (frame.time_basis == expected_basis).all()


@pytest.mark.parametrize("name", ["csv-exchangeauditing"])
def test_incident_rows(case: tuple[Path, dict], name: str) -> None:
    root, truth = case
    fmt = truth["formats"][name]
    frame = load_evidence([root / f for f in fmt["files"]], options=LoadOptions(source_tz=fmt["timezone"])).frame
    for incident in truth["incidents"]:
        expected = incident["rows"].get(name, 0)
        if not expected:
            continue
        mine = frame[(frame.actor == incident["actor_account"]) & frame.mailbox.isin(incident["mailbox_aliases"])
                     & (frame.client_ip == incident["client_ip"])]
        mine = mine[(mine.time >= pd.Timestamp(incident["first"])) & (mine.time <= pd.Timestamp(incident["last"]))]
        assert len(mine) >= expected, incident["id"]


def test_csv_without_zone_is_flagged(case: tuple[Path, dict]) -> None:
    root, truth = case
    fmt = truth["formats"]["csv-application"]
    result = load_evidence([root / f for f in fmt["files"]])
    (report,) = result.files
    assert (result.frame.time_basis == UNKNOWN_BASIS).all()
    assert any("ZONE UNKNOWN" in note for note in report.notes)
    # New York is behind UTC: times taken as UTC are earlier than the truth
    assert int((result.frame.time.astype("int64") // 10**9).sum()) < fmt["epoch_seconds_sum"]
