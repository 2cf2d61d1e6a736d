"""Legacy .evt from the generator: the Exchange Auditing and Application logs of the same
scenario written as Windows Server 2003 .evt files; our rows equal truth.json
(``helpers.roundtrip``, as for the .evtx and export formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.evt.walk import walk
from forensics.parsers.eventlog.evt_parser import EvtParser
from forensics.synth.generate import DEFAULT_FORMATS, generate
from helpers.roundtrip import expected, load_format, tally


@pytest.fixture(scope="module")
def evt_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("evt")
    generate("contoso", out, seed=7, events=1500, formats=("evtx", "evt"), command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_optional_not_written_by_default() -> None:
    assert "evt" not in DEFAULT_FORMATS


@pytest.mark.parametrize("name", ["evt-exchangeauditing", "evt-application"])
def test_round_trip(evt_case: tuple[Path, dict], name: str) -> None:
    root, truth = evt_case
    frame, reports = load_format(root, truth, name, EvtParser)
    spec = truth["formats"][name]
    assert tally(frame) == expected(truth, name)
    assert sum(r.records for r in reports) == spec["records"]
    assert all(r.balanced and not r.bad and not r.notes for r in reports)
    # the same events as the .evtx of the same log
    assert expected(truth, name) == expected(truth, name.replace("evt-", "evtx-"))


def test_file_is_clean_and_numbered_from_one(evt_case: tuple[Path, dict]) -> None:
    root, truth = evt_case
    [rel] = truth["formats"]["evt-exchangeauditing"]["files"]
    found = walk((root / rel).read_bytes())
    numbers = [r.number for r in found.records]
    assert numbers == list(range(1, len(numbers) + 1))
    assert found.header.flags == 0 and found.eof is not None and not found.damage
    # stored codes carry the qualifiers (0x4000 informational) above the 16-bit id
    assert {r.code >> 16 for r in found.records} == {0x4000}
    assert {r.event_id for r in found.records} <= {10100, 10102, 10104, 10106}
