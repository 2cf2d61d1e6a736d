"""Expected access: the examiner's review marks on findings pairs.

Why: a real case lists service accounts (backup, archiving, BlackBerry, migration tools) and
granted assistants as non-owner pairs every day; once the examiner has checked such a pair,
it should stop competing for attention with the unexplained ones, without disappearing.
A mark names an actor and one mailbox, or every mailbox of that actor, with the reason and
who made it. Marked pairs keep every number and their query; they only move below the
unexplained pairs and carry the reason, in the GUI and in every report. Marks are matched
by the person labels the findings show (case-insensitive), so a mark that no longer matches
(other evidence, another directory export) is reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

#: the findings pairs column that holds a marked pair's reason ("" for unreviewed pairs)
EXPECTED_COLUMN = "expected"


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
