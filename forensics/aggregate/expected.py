"""Expected access: the examiner's review marks on findings pairs.

Why: a real case lists service accounts (backup, archiving, BlackBerry, migration tools) and
granted assistants as non-owner pairs every day; once the examiner has checked such a pair,
it should stop competing for attention with the unexplained ones, without disappearing.
A mark names an actor and one mailbox, or every mailbox of that actor, with the reason and
who made it. Marked pairs keep every number and their query; they only move below the
unexplained pairs and carry the reason, in the GUI and in every report. Marks are matched
by the person labels the findings show (case-insensitive), so a mark that no longer matches
(other evidence, another directory export) is reported, never silently dropped.

The marks reach the rows too (``expected_column``): every row that counts toward a marked
pair carries the reason in a derived ``expected`` column, so ``is:expected`` and
``-is:expected`` work in the grid, the heatmap and report filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from forensics.aggregate.people import PAIR_QUERY, person_field, person_labels
from forensics.query import compile_query
from forensics.query.fields import EXPECTED_COLUMN  # pairs: the reason or ""; rows: the reason or NA


@dataclass(frozen=True)
class ExpectedAccess:
    """``actor`` reading ``mailbox`` ("" = any mailbox) is explained by ``reason``."""

    actor: str
    mailbox: str = ""
    reason: str = ""
    examiner: str = ""
    created: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.actor.casefold(), self.mailbox.casefold())

    @property
    def scope(self) -> str:
        return f"{self.actor} → {self.mailbox or 'every mailbox'}"

    def label(self) -> str:
        """What a marked pair shows: the reason and who decided it."""
        text = self.reason or "reviewed"
        return f"{text} ({self.examiner})" if self.examiner else text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExpectedAccess":
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in names})


def replace_mark(marks: Iterable[ExpectedAccess], mark: ExpectedAccess) -> list[ExpectedAccess]:
    """``marks`` with ``mark`` added, replacing an earlier mark of the same actor and scope."""
    return [m for m in marks if m.key != mark.key] + [mark]


def without_mark(marks: Iterable[ExpectedAccess], actor: str, mailbox: str) -> list[ExpectedAccess]:
    key = (actor.casefold(), mailbox.casefold())
    return [m for m in marks if m.key != key]


def mark_for(marks: Sequence[ExpectedAccess], actor: str, mailbox: str) -> ExpectedAccess | None:
    """The mark that explains (actor, mailbox): one for the pair beats one for every mailbox."""
    return _lookup({m.key: m for m in marks}, actor, mailbox)


def _lookup(by_key: dict[tuple[str, str], ExpectedAccess], actor: str, mailbox: str) -> ExpectedAccess | None:
    return by_key.get((actor.casefold(), mailbox.casefold())) or by_key.get((actor.casefold(), ""))


def apply_marks(pairs: pd.DataFrame, marks: Sequence[ExpectedAccess]) -> pd.DataFrame:
    """``pairs`` with the ``expected`` column (reason, or ""), unreviewed pairs first.

    The order within each group is kept (events, largest first). Runs per pair: a case has
    hundreds of pairs, not millions.
    """
    out = pairs.copy()
    by_key = {m.key: m for m in marks}
    found = (_lookup(by_key, a, m) for a, m in zip(out["actor"].astype(str), out["mailbox"].astype(str)))
    labels = [mark.label() if mark else "" for mark in found]
    out.insert(2, EXPECTED_COLUMN, pd.Series(labels, index=out.index, dtype=object))
    reviewed = out[EXPECTED_COLUMN] != ""
    return pd.concat([out[~reviewed], out[reviewed]]).reset_index(drop=True)


def unmatched_marks(pairs: pd.DataFrame, marks: Sequence[ExpectedAccess]) -> list[ExpectedAccess]:
    """Marks that explain no pair of ``pairs`` (evidence or identities changed since)."""
    present = {(str(a).casefold(), str(m).casefold()) for a, m in zip(pairs["actor"], pairs["mailbox"])}
    present |= {(actor, "") for actor, _ in present}  # an every-mailbox mark matches any pair of its actor
    return [m for m in marks if m.key not in present]


def expected_column(frame: pd.DataFrame, marks: Sequence[ExpectedAccess]) -> pd.Series:
    """Per row of ``frame``: the label of the mark explaining it, NA where none does.

    A row is explained when it belongs to a marked findings pair: non-owner mailbox access
    (``PAIR_QUERY``, so an administrative change by a marked service account stays in view)
    by the mark's actor on the mark's mailbox (or any mailbox), people labelled as the
    findings label them. Python runs per distinct (actor, mailbox) of the marked actors'
    rows; the rows themselves are handled as category codes. Categorical result.
    """
    codes = np.full(len(frame), -1, dtype=np.int64)
    labels: list[str] = []
    if marks and len(frame) and {"actor", "mailbox"} <= set(frame.columns):
        actor_codes, actors = person_labels(frame[person_field(frame, "actor")])
        marked_actors = {m.key[0] for m in marks}
        actor_marked = np.array([a.casefold() in marked_actors for a in actors], dtype=bool)
        rows = np.flatnonzero(actor_marked[actor_codes])
        if len(rows):
            rows = rows[compile_query(PAIR_QUERY).mask(frame.iloc[rows])]
        if len(rows):
            mailbox_codes, mailboxes = person_labels(frame[person_field(frame, "mailbox")].iloc[rows])
            pair_keys = actor_codes[rows] * len(mailboxes) + mailbox_codes
            pairs, inverse = np.unique(pair_keys, return_inverse=True)
            by_key = {m.key: m for m in marks}
            found = [_lookup(by_key, actors[k // len(mailboxes)], mailboxes[k % len(mailboxes)]) for k in pairs.tolist()]
            labels = sorted({mark.label() for mark in found if mark})
            number = {label: i for i, label in enumerate(labels)}
            pair_code = np.array([number[mark.label()] if mark else -1 for mark in found], dtype=np.int64)
            codes[rows] = pair_code[inverse.ravel()]
    categories = pd.Index(labels, dtype="string")
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=frame.index, name=EXPECTED_COLUMN)
