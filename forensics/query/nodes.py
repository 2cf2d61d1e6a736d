"""The parsed query: a small tree of immutable nodes (built by ``parser``, run by ``evaluate``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """Base of every node; ``pos`` is the character offset in the query text."""

    pos: int


@dataclass(frozen=True)
class All(Node):
    """The empty query: every row."""


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    child: Node


@dataclass(frozen=True)
class Free(Node):
    """A bare word or quoted phrase: substring of any text column."""

    value: str


@dataclass(frozen=True)
class Term(Node):
    """``field:value`` with ``op`` one of ``:`` (contains), ``=``, ``>``, ``>=``, ``<``, ``<=``."""

    field: str
    op: str
    value: str
    value_pos: int


@dataclass(frozen=True)
class Shorthand(Node):
    """``is:NAME``."""

    name: str


@dataclass(frozen=True)
class TimeBound(Node):
    """``after:``/``before:``/``on:`` on the ``time`` column (value in the display zone)."""

    kind: str  # "after" | "before" | "on"
    value: str
    value_pos: int


@dataclass(frozen=True)
class Presence(Node):
    """``has:FIELD`` (value recorded) or ``missing:FIELD`` (value not recorded)."""

    field: str
    present: bool


@dataclass(frozen=True)
class Clock(Node):
    """``hour:H`` (0-23, comparisons allowed) or ``weekday:DAY`` in the display zone."""

    kind: str  # "hour" | "weekday"
    op: str
    value: str
    value_pos: int
