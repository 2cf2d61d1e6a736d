"""Check a parsed ``case.json`` before any of it is used: one clear line per problem.

A case folder may come from someone else, so every field is hostile until checked: wrong
types, lists where objects belong, missing keys, numbers too large to be a size, NaN,
nesting deep enough to exhaust the stack. The checks are written here rather than with
``jsonschema`` because the schema is small and fixed, the messages must name the field in
the examiner's terms, and the tool gains no dependency for it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from forensics.case.model import CASE_FORMAT

#: free-form values (filters, toggles, options) deeper than this are refused
MAX_DEPTH = 16
#: sizes, counts and ids must fit a signed 64-bit integer (what the table and Arrow hold)
MAX_INT = 2**63 - 1
#: latest POSIX time accepted as an mtime (year 9999)
MAX_MTIME = 253402300799.0

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

_TEXT_FIELDS = ("name", "number", "examiner", "created", "saved", "display_tz", "current_query", "notes", "work_hours")

# (field, kind, required); kinds: str, int, number, bool, dict, strdict, optstr, optint
_EVIDENCE = (
    ("path", "str", True), ("evidence_id", "str", True), ("sha256", "hex64", True), ("sha1", "str", True),
    ("md5", "str", True), ("size", "int", True), ("mtime", "number", True), ("parser", "str", False),
    ("options", "options", False), ("relative", "optstr", False), ("added", "str", False),
    ("added_by", "str", False),
)
_QUERY = (("name", "str", True), ("text", "str", True), ("toggles", "dict", False), ("created", "str", False))
_BOOKMARK = (
    ("evidence", "str", True), ("record_id", "optint", True), ("raw_ref", "optint", True),
    ("fingerprint", "str", True), ("tag", "str", True), ("comment", "str", False), ("created", "str", False),
    ("examiner", "str", False), ("summary", "strdict", False),
)
_EXPECTED = (
    ("actor", "str", True), ("mailbox", "str", False), ("reason", "str", False), ("examiner", "str", False),
    ("created", "str", False),
)
_OPTIONS = {"all_events": "bool", "source_tz": "optstr", "identities": "optstr", "maps_dir": "optstr", "parser": "optstr",
            "w3c_fields": "optstr",  # field names given for header-less W3C lines
            "select": "strlist"}  # select: globs naming what loads from inside an image or collection
_FORMAT_RULE = (("query", "str", True), ("colour", "colour", True), ("created", "str", False),
                ("examiner", "str", False))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, stopping early once past ``limit`` (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _check_value(where: str, value: Any, kind: str, problems: list[str]) -> None:
    expected = {
        "str": "text", "hex64": "64 hexadecimal digits", "int": "a whole number", "number": "a number",
        "bool": "true or false", "dict": "an object", "strdict": "an object of texts", "optstr": "text or null",
        "optint": "a whole number or null", "options": "an object of load options",
        "strlist": "a list of texts",
        "colour": "a colour #rrggbb",
    }[kind]
    bad = f"{where}: expected {expected}, got {_type_name(value)}"
    if kind == "str":
        if not isinstance(value, str):
            problems.append(bad)
    elif kind == "hex64":
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            problems.append(bad if not isinstance(value, str) else f"{where}: expected {expected}")
    elif kind in ("int", "optint"):
        if value is None and kind == "optint":
            return
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(bad)
        elif not 0 <= value <= MAX_INT:
            problems.append(f"{where}: {value if abs(value) < 10**30 else 'a huge number'} is out of range "
                            f"(0 to {MAX_INT})")
    elif kind == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(bad)
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where}: expected a finite number, got {value}")
        elif not 0 <= value <= MAX_MTIME:
            problems.append(f"{where}: {value if abs(value) < 10**30 else 'a huge number'} is out of range "
                            f"(0 to {MAX_MTIME:.0f})")
    elif kind == "colour":
        if not isinstance(value, str) or not _COLOUR.fullmatch(value):
            problems.append(bad if not isinstance(value, str) else f"{where}: expected {expected}, got {value[:20]!r}")
    elif kind == "bool":
        if not isinstance(value, bool):
            problems.append(bad)
    elif kind == "optstr":
        if value is not None and not isinstance(value, str):
            problems.append(bad)
    elif kind == "dict":
        if not isinstance(value, dict):
            problems.append(bad)
        elif _depth(value, MAX_DEPTH) > MAX_DEPTH:
            problems.append(f"{where}: nested more than {MAX_DEPTH} levels deep")
    elif kind == "strlist":
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            problems.append(bad)
    elif kind == "strdict":
        if not isinstance(value, dict):
            problems.append(bad)
        else:
            for key, item in value.items():
                if not isinstance(item, str):
                    problems.append(f"{where}.{key}: expected text, got {_type_name(item)}")
    elif kind == "options":
        if not isinstance(value, dict):
            problems.append(bad)
            return
        for key, item in value.items():
            if key in _OPTIONS:
                _check_value(f"{where}.{key}", item, _OPTIONS[key], problems)
                if key == "source_tz" and isinstance(item, str) and item:
                    problems += _zone_problems(f"{where}.{key}", item, source=True)
            elif isinstance(item, (dict, list)):
                problems.append(f"{where}.{key}: unknown option must be a plain value, got {_type_name(item)}")


def _zone_problems(where: str, text: str, *, source: bool) -> list[str]:
    """A zone the rest of the tool would fail on later, named now."""
    try:
        if source:
            from forensics.localtime import parse_source_tz

            parse_source_tz(text)
        else:
            from forensics.query.zone import resolve_tz

            resolve_tz(text)
    except Exception:  # noqa: BLE001 - any failure means the zone cannot be used
        shown = text if len(text) <= 60 else text[:60] + "…"
        return [f"{where}: unknown time zone or offset {shown!r}"]
    return []


def _check_records(name: str, value: Any, spec: tuple[tuple[str, str, bool], ...], problems: list[str]) -> None:
    if not isinstance(value, list):
        problems.append(f"{name}: expected a list, got {_type_name(value)}")
        return
    for number, record in enumerate(value):
        where = f"{name}[{number}]"
        if not isinstance(record, dict):
            problems.append(f"{where}: expected an object, got {_type_name(record)}")
            continue
        for field, kind, required in spec:
            if field not in record:
                if required:
                    problems.append(f"{where}: missing '{field}'")
                continue
            _check_value(f"{where}.{field}", record[field], kind, problems)


def case_problems(data: Any) -> list[str]:
    """Every problem of a parsed case.json, one readable line each (empty = usable)."""
    if not isinstance(data, dict):
        return [f"expected an object at the top level, got {_type_name(data)}"]
    if data.get("format") != CASE_FORMAT:
        return [f"format: not a Mailbox Audit case file (expected \"{CASE_FORMAT}\")"]
    problems: list[str] = []
    if "version" in data:
        _check_value("version", data["version"], "int", problems)
    for name in _TEXT_FIELDS:
        if name in data and data[name] is not None and not isinstance(data[name], str):
            problems.append(f"{name}: expected text, got {_type_name(data[name])}")
    if isinstance(data.get("display_tz"), str) and data["display_tz"]:
        problems += _zone_problems("display_tz", data["display_tz"], source=False)
    for name, spec in (("evidence", _EVIDENCE), ("queries", _QUERY), ("bookmarks", _BOOKMARK),
                       ("expected_access", _EXPECTED), ("format_rules", _FORMAT_RULE)):
        if name in data and data[name] is not None:
            _check_records(name, data[name], spec, problems)
    rules = data.get("format_rules")
    if isinstance(rules, list) and len(rules) > 64:  # forensics.case.format_rules.MAX_RULES
        problems.append(f"format_rules: {len(rules)} rules, at most 64")
    if "current_filters" in data and data["current_filters"] is not None:
        _check_value("current_filters", data["current_filters"], "dict", problems)
    if "evidence_roots" in data and data["evidence_roots"] is not None:
        roots = data["evidence_roots"]
        if not isinstance(roots, list):
            problems.append(f"evidence_roots: expected a list, got {_type_name(roots)}")
        else:
            for number, root in enumerate(roots):
                if not isinstance(root, str) or not root:
                    problems.append(f"evidence_roots[{number}]: expected a folder path, got {_type_name(root)}")
    head = data.get("custody_head")
    if head is not None:
        if not isinstance(head, dict):
            problems.append(f"custody_head: expected an object, got {_type_name(head)}")
        else:
            if "entries" in head:
                _check_value("custody_head.entries", head["entries"], "int", problems)
            if "last_hash" in head and not isinstance(head["last_hash"], str):
                problems.append(f"custody_head.last_hash: expected text, got {_type_name(head['last_hash'])}")
    return problems
