"""The examiner's highlight rules travel with the case: saved, reloaded, validated on open
(a received case.json is hostile input) and logged in custody on every change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.case import Case
from forensics.case.store import CaseFileInvalid


def test_rules_round_trip_and_are_logged(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", "Rules", examiner="E")
    case.add_format_rule("203.0.113.77", "#FFD7D7")
    case.add_format_rule("actor:pat is:nonowner", "#d7f0ff")
    case.save()
    again = Case.open(tmp_path / "case")
    assert [(r.query, r.colour) for r in again.format_rules] == [
        ("203.0.113.77", "#ffd7d7"), ("actor:pat is:nonowner", "#d7f0ff")]
    assert again.format_rules[0].examiner == "E" and again.format_rules[0].created
    removed = again.remove_format_rule(0)
    assert removed is not None and removed.query == "203.0.113.77"
    kinds = [e["kind"] for e in again.custody.entries()]
    assert kinds.count("format-rule-added") == 2 and kinds.count("format-rule-removed") == 1
    assert again.remove_format_rule(5) is None


@pytest.mark.parametrize("query, colour, why", [
    ("", "#ffffff", "needs a query"),
    ('actor:"unterminated', "#ffffff", "does not parse"),
    ("actor:pat", "red", "#rrggbb"),
    ("actor:pat", "#12345", "#rrggbb"),
])
def test_unusable_rules_are_refused_with_the_reason(tmp_path: Path, query: str, colour: str, why: str) -> None:
    case = Case.create(tmp_path / "case", "Rules")
    with pytest.raises(ValueError, match=why):
        case.add_format_rule(query, colour)
    assert case.format_rules == []


@pytest.mark.parametrize("rules, problem", [
    ([{"query": "x", "colour": "javascript:alert(1)"}], "format_rules[0].colour"),
    ([{"colour": "#ffffff"}], "format_rules[0]: missing 'query'"),
    ([{"query": 5, "colour": "#ffffff"}], "format_rules[0].query"),
    ("not a list", "format_rules: expected a list"),
    ([{"query": "x", "colour": "#ffffff"}] * 65, "at most 64"),
])
def test_a_damaged_rule_in_case_json_is_named_on_open(tmp_path: Path, rules: object, problem: str) -> None:
    case = Case.create(tmp_path / "case", "Rules")
    data = json.loads(case.case_file.read_text(encoding="utf-8"))
    data["format_rules"] = rules
    case.case_file.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CaseFileInvalid) as info:
        Case.open(tmp_path / "case")
    assert any(problem in p for p in info.value.problems), info.value.problems
