"""HttpProxy from the generator: the files are what Exchange writes, and our rows equal truth.json.

The file check re-reads every line with the csv module (not our parser): each data line has
as many fields as its ``#Fields:`` header names, and truth.json's record counts are the
lines. The round trip parses the files, resolves logon types with the case's directory export and
tallies the rows like truth.json (``helpers.roundtrip``, as for IIS, UAL and mailbox audit).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from forensics.parsers.base import LoadOptions
from forensics.parsers.w3c.httpproxy import HttpProxyParser
from forensics.synth.generate import DEFAULT_FORMATS, generate
from helpers.roundtrip import expected, load_format, tally


@pytest.fixture(scope="module")
def proxy_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("httpproxy")
    generate("contoso", out, seed=7, events=1500, formats=("httpproxy",), command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_optional_not_written_by_default() -> None:
    assert "httpproxy" not in DEFAULT_FORMATS


def test_files_are_httpproxy_logs_and_counts_match(proxy_case: tuple[Path, dict]) -> None:
    root, truth = proxy_case
    fmt = truth["formats"]["httpproxy"]
    folders = Counter(Path(f).parent.name for f in fmt["files"])
    assert set(folders) == {"Owa", "Ews", "Eas", "Mapi", "RpcHttp"}
    lines = 0
    statuses: Counter[str] = Counter()
    for rel in fmt["files"]:
        text = (root / rel).read_text(encoding="utf-8")
        head = [x for x in text.splitlines() if x.startswith("#")]
        assert head[:3] == ["#Software: Microsoft Exchange Server", "#Version: 15.01.2375.007", "#Log-type: HttpProxy Logs"]
        names = head[4].removeprefix("#Fields: ").split(",")
        assert names[:2] == ["DateTime", "RequestId"] and len(names) == 74
        for row in csv.reader(x for x in text.splitlines() if not x.startswith("#")):
            assert len(row) == len(names)
            record = dict(zip(names, row))
            assert record["Protocol"] == Path(rel).parent.name
            statuses[record["HttpStatus"]] += 1
            lines += 1
    assert lines == fmt["records"]
    assert statuses["401"] == fmt["challenge_records"] > 0
    assert fmt["rows"] + fmt["noise_records"] + fmt["challenge_records"] == fmt["records"]


def test_round_trip_and_incident(proxy_case: tuple[Path, dict]) -> None:
    root, truth = proxy_case
    fmt = truth["formats"]["httpproxy"]
    options = LoadOptions(identities=root / truth["identities_csv"])  # as `load --identities` passes it
    frame, reports = load_format(root, truth, "httpproxy", HttpProxyParser, options)
    assert tally(frame) == expected(truth, "httpproxy")
    assert sum(r.records for r in reports) == fmt["records"] and all(r.balanced and not r.bad for r in reports)
    assert sum(r.skipped.total() for r in reports) == fmt["noise_records"] + fmt["challenge_records"]
    assert frame["time"].min().strftime("%Y-%m-%dT%H:%M:%SZ") == fmt["first"]
    assert frame["time"].max().strftime("%Y-%m-%dT%H:%M:%SZ") == fmt["last"]
    assert set(frame["source_format"].astype(str)) == {"httpproxy"}
    # the compromised-account story is visible with its external address (loaded once: 1,000+ hourly files)
    incident = next(i for i in truth["incidents"] if i["id"] == "compromised-owa")
    hits = frame[frame["client_ip"] == incident["client_ip"]]
    assert len(hits) == incident["rows"]["httpproxy"] > 0
    assert set(hits["logon_type"].astype(str)) == {"Delegate"}
