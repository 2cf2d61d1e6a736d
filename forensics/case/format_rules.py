"""The examiner's conditional formatting: "rows matching this query get this background".

A rule is a query in the query language (``forensics.query``) and a colour, so what it
highlights is exactly what the same query would list. Rules are kept in ``case.json`` like
saved queries, checked on open (``forensics.case.validate``), and every change is logged in
the custody log: a colour is not evidence, but what the examiner chose to make stand out
is part of how the case was worked.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from forensics.case.model import _known, now_stamp
from forensics.custody.log import CustodyLog
from forensics.errors import QueryError

#: colours are plain ``#rrggbb`` (what Qt, HTML and XLSX all read)
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_RULES = 64
MAX_QUERY = 2000


@dataclass
class FormatRule:
    query: str
    colour: str  # "#rrggbb" background
    created: str = ""
    examiner: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FormatRule":
        return cls(**_known(cls, data))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rule_problem(query: str, colour: str) -> str:
    """Why a rule cannot be kept ("" when it can): an empty or unparsable query, a colour
    that is not ``#rrggbb``."""
    from forensics.query import compile_query

    if not query.strip():
        return "a rule needs a query (e.g. 203.0.113.77 or actor:pat)"
    if len(query) > MAX_QUERY:
        return f"the query is longer than {MAX_QUERY} characters"
    if not COLOUR.fullmatch(colour):
        return f"colour {colour!r} is not of the form #rrggbb"
    try:
        compile_query(query)
    except QueryError as exc:
        return f"the query does not parse: {exc}"
    return ""


class CaseFormatting:
    """Mixed into ``Case``: it provides ``custody``, ``examiner`` and ``format_rules``."""

    custody: CustodyLog
    examiner: str
    format_rules: list[FormatRule]

    def add_format_rule(self, query: str, colour: str, examiner: str = "") -> FormatRule:
        """Append a rule (last = lowest priority); ValueError with the reason if it is unusable."""
        query, colour = query.strip(), colour.strip().lower()
        problem = rule_problem(query, colour)
        if problem:
            raise ValueError(problem)
        if len(self.format_rules) >= MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} formatting rules")
        rule = FormatRule(query, colour, now_stamp(), examiner or self.examiner)
        self.format_rules.append(rule)
        self.custody.append("format-rule-added", query=query, colour=colour)
        return rule

    def remove_format_rule(self, index: int) -> FormatRule | None:
        if not 0 <= index < len(self.format_rules):
            return None
        rule = self.format_rules.pop(index)
        self.custody.append("format-rule-removed", query=rule.query, colour=rule.colour)
        return rule
