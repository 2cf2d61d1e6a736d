"""The query language of the query bar, the CLI's ``--filter``, drill-downs and reports.

    >>> q = compile_query('mailbox:ceo is:nonowner after:2024-03-05', tz="Europe/Berlin")
    >>> rows = frame[q.mask(frame)]

Syntax: ``SYNTAX`` (``syntax.py``, Markdown, shown by Help > Query syntax). Errors raise
``forensics.errors.QueryError(message, position)``: at compile time for syntax, at ``mask`` time for a field the frame does not have or a value of the wrong
kind (a date that is not a date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
import pandas as pd

from forensics.errors import QueryError
from forensics.query.build import all_of, contains, exact, exclude, format_time, quote, time_range
from forensics.query.complete import complete, frequent_values, token_span
from forensics.query.evaluate import Evaluator, Superseded
from forensics.query.fields import ALIASES, SHORTHANDS
from forensics.query.nodes import All, Node
from forensics.query.parser import parse
from forensics.query.syntax import SYNTAX
from forensics.query.zone import resolve_tz

__all__ = [
    "ALIASES", "SHORTHANDS", "SYNTAX", "Query", "QueryError", "Superseded", "all_of", "compile_query", "complete",
    "contains", "exact", "exclude", "format_time", "frequent_values", "quote", "resolve_tz",
    "time_range", "token_span",
]



@dataclass(frozen=True)
class Query:
    """A compiled query: the text, its display zone and its parsed tree."""

    text: str
    tz: tzinfo
    tree: Node
    case_sensitive: bool = False

    @property
    def is_empty(self) -> bool:
        """True for the empty query (every row matches)."""
        return isinstance(self.tree, All)

    def mask(self, frame: pd.DataFrame, cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Boolean numpy array, one entry per row of ``frame``: True where the query matches.

        ``cancel`` (a superseded search): polled between text columns; raises ``Superseded``."""
        if self.is_empty:
            return np.ones(len(frame), dtype=bool)
        return np.asarray(Evaluator(frame, self.tz, self.case_sensitive, cancel).run(self.tree), dtype=bool)

    def filter(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` the query matches (original index kept)."""
        return frame[self.mask(frame)]

    def count(self, frame: pd.DataFrame) -> int:
        return int(self.mask(frame).sum())

    def __str__(self) -> str:
        return self.text


def compile_query(text: str, tz: str | tzinfo = "UTC", *, case_sensitive: bool = False) -> Query:
    """Parse ``text`` (raises QueryError with the position of a syntax error).

    ``tz`` is the display zone: dates typed without an offset are read in it.
    """
    try:
        zone = resolve_tz(tz)
    except ValueError as exc:
        raise QueryError(str(exc), 0) from exc
    return Query(text=text or "", tz=zone, tree=parse(text or ""), case_sensitive=case_sensitive)
