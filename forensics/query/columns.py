"""Per-column filters as query terms: what a grid's filter row reads from the query and
writes back into it, so the query text stays the one source of truth.

A column's filter is one top-level term of the query (AND-ed with the rest):

- text: ``field:word`` (contains), ``-field:word`` (does not contain), ``on:DATE`` or
  ``time:>=…`` for the time column;
- values: ``field:=a`` or ``(field:=a OR field:=b OR missing:field)`` (a pick list).

Anything else in the query (free words, OR-ed alternatives, other fields) is left exactly
as typed; a query whose top level is an OR is never edited in place (the new term is
AND-ed onto the whole of it, parenthesised).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forensics.errors import QueryError
from forensics.query.build import all_of, contains, exact, quote
from forensics.query.fields import resolve_field
from forensics.query.nodes import And, Node, Not, Or, Presence, Term, TimeBound
from forensics.query.parser import parse

TIME_COLUMN = "time"
_COMPARISONS = (">=", "<=", ">", "<", "=")


@dataclass
class ColumnFilter:
    """What the filter row shows for one column, and where its term sits in the query."""

    text: str = ""  # the text cell ("word", "-word", a date for the time column)
    values: list[str | None] = field(default_factory=list)  # the pick list (None = empty value)
    span: tuple[int, int] = (0, 0)  # the term's characters in the query


def _spans(text: str, children: tuple[Node, ...]) -> list[tuple[int, int]]:
    """Character span of each top-level AND child (with its parentheses)."""
    starts = []
    for i, child in enumerate(children):
        start = child.pos
        floor = children[i - 1].pos + 1 if i else 0
        while start > floor and text[start - 1] in " \t(":  # take in the group's "("
            start -= 1
        while start < len(text) and text[start] in " \t":
            start += 1
        starts.append(start)
    spans = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end].rstrip()
        if i + 1 < len(starts) and chunk.endswith(" AND"):
            chunk = chunk[:-4].rstrip()
        spans.append((start, start + len(chunk)))
    return spans


def _column_of(node: Node, columns: list[str]) -> tuple[str, ColumnFilter] | None:
    """The column filter ``node`` is, if it is one the filter row can show."""
    if isinstance(node, Term) and node.op == ":":
        column = resolve_field(node.field, columns)
        return (column, ColumnFilter(text=node.value)) if column else None
    if isinstance(node, Term) and node.op in _COMPARISONS and node.op != "=":
        column = resolve_field(node.field, columns)
        if column == TIME_COLUMN:
            return column, ColumnFilter(text=node.op + node.value)
        return None
    if isinstance(node, Not) and isinstance(node.child, Term) and node.child.op == ":":
        column = resolve_field(node.child.field, columns)
        return (column, ColumnFilter(text="-" + node.child.value)) if column else None
    if isinstance(node, TimeBound) and node.kind == "on" and TIME_COLUMN in columns:
        return TIME_COLUMN, ColumnFilter(text=node.value)
    parts = node.children if isinstance(node, Or) else (node,)
    found: str | None = None
    values: list[str | None] = []
    for part in parts:
        if isinstance(part, Term) and part.op == "=":
            column, value = resolve_field(part.field, columns), part.value
        elif isinstance(part, Presence) and not part.present:
            column, value = resolve_field(part.field, columns), None
        else:
            return None
        if column is None or (found is not None and column != found):
            return None
        found = column
        values.append(value)
    if found is None or (not isinstance(node, Or) and not isinstance(node, Term)):
        return None
    return found, ColumnFilter(values=values)


def read_filters(text: str, columns: list[str]) -> dict[str, ColumnFilter]:
    """The column filters of a query (one per column; a column named by two top-level
    terms is not shown, since one cell cannot show both). A query that does not parse
    has none."""
    try:
        tree = parse(text)
    except QueryError:
        return {}
    children = tree.children if isinstance(tree, And) else (tree,)
    spans = _spans(text, children) if isinstance(tree, And) else [(0, len(text.rstrip()))]
    out: dict[str, ColumnFilter] = {}
    twice: set[str] = set()
    for child, span in zip(children, spans):
        found = _column_of(child, columns)
        if found is None:
            continue
        column, filt = found
        filt.span = span
        if column in out:
            twice.add(column)
        out[column] = filt
    for column in twice:
        del out[column]
    return out


def text_term(column: str, text: str) -> str:
    """The term a filter cell's text writes ("" for an empty cell)."""
    text = text.strip()
    if not text:
        return ""
    if column == TIME_COLUMN:
        for op in _COMPARISONS:
            if text.startswith(op) and op != "=":
                return f"time:{op}{quote(text[len(op):].strip())}"
        return f"on:{quote(text)}"
    if text.startswith("-") and len(text) > 1:
        return "-" + contains(column, text[1:])
    return contains(column, text)


def values_term(column: str, values: list[str | None]) -> str:
    """The term a pick list writes: one exact value, or an OR of them ("" for none)."""
    parts = [exact(column, v) for v in values]
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def replace_filter(query: str, column: str, term: str, columns: list[str]) -> str:
    """``query`` with ``column``'s filter term replaced by ``term`` ("" removes it); a
    query without one gets ``term`` AND-ed on."""
    current = read_filters(query, columns).get(column)
    if current is None:
        return all_of(query, term) if term else query
    start, end = current.span
    head, tail = query[:start].rstrip(), query[end:].lstrip()
    if not term:  # the term leaves: so does one "AND" joining it to its neighbours
        if tail.startswith("AND "):
            tail = tail[4:].lstrip()
        elif head.endswith(" AND") or head == "AND":
            head = head[:-3].rstrip()
    return " ".join(p for p in (head, term, tail) if p)
