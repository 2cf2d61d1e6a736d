"""UAL JSON lines from the generator: the Purview CSV's AuditData, one record a line, and our
rows equal truth.json (``helpers.roundtrip``, as for the CSV layouts)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from forensics.parsers.m365.ual_json import UalJsonParser
from forensics.synth.generate import DEFAULT_FORMATS, generate
from helpers.roundtrip import expected, load_format, tally


@pytest.fixture(scope="module")
def json_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ual-json")
    generate("contoso", out, seed=7, events=1500, formats=("ual", "ual-json"), command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_optional_not_written_by_default() -> None:
    assert "ual-json" not in DEFAULT_FORMATS


def test_lines_are_the_csv_audit_data(json_case: tuple[Path, dict]) -> None:
    root, truth = json_case
    [rel] = truth["formats"]["ual-json"]["files"]
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    with open(root / truth["formats"]["ual"]["files"][0], encoding="utf-8-sig", newline="") as f:
        audit = [row["AuditData"] for row in csv.DictReader(f)]
    assert lines == audit and len(lines) == truth["formats"]["ual-json"]["records"]


def test_round_trip(json_case: tuple[Path, dict]) -> None:
    root, truth = json_case
    frame, reports = load_format(root, truth, "ual-json", UalJsonParser)
    spec = truth["formats"]["ual-json"]
    assert tally(frame) == expected(truth, "ual-json")
    assert sum(r.records for r in reports) == spec["records"] and all(r.balanced and not r.bad for r in reports)
    assert expected(truth, "ual-json") == expected(truth, "ual")
