"""Bookmarks: tag rows with a name and a comment, and find them again in any later load.

Rows are identified by (evidence id, record id, raw_ref, ordinal) — stable across reloads
because the evidence id is the file's content hash and the others come from the file itself.
All matching is vectorized (one merge), never a Python loop over the frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from forensics.case.model import Bookmark

KEY_COLUMNS = ["evidence", "record_id", "raw_ref", "ordinal"]
SUMMARY_COLUMNS = ["time", "operation", "mailbox", "actor", "folder", "item"]
TAG_COLUMN = "tag"


def row_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The stable key of every row of ``frame`` (same index), missing ids as -1."""
    keys = pd.DataFrame(
        {
            "evidence": frame["evidence"].astype("string").fillna("").to_numpy(dtype=object),
            "record_id": frame["record_id"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64),
            "raw_ref": frame["raw_ref"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64),
        },
        index=frame.index,
    )
    keys["ordinal"] = keys.groupby(["evidence", "record_id", "raw_ref"], sort=False).cumcount().astype(np.int64)
    return keys


def _summary(frame: pd.DataFrame, positions: Sequence[int]) -> list[dict[str, str]]:
    cols = [c for c in SUMMARY_COLUMNS if c in frame.columns]
    part = frame.iloc[list(positions)][cols]
    out = []
    for record in part.to_dict("records"):  # only the handful of rows being tagged
        summary = {}
        for key, value in record.items():
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                continue
            if isinstance(value, pd.Timestamp):
                value = value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value.tzinfo else str(value)
            summary[key] = str(value)
        out.append(summary)
    return out


class BookmarkBook:
    """The case's bookmarks. A row may carry several tags; one (row, tag) pair is one bookmark."""

    def __init__(self, bookmarks: Iterable[Bookmark] = ()) -> None:
        self._items: list[Bookmark] = list(bookmarks)

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def items(self) -> list[Bookmark]:
        return list(self._items)

    def tags(self) -> list[str]:
        return sorted({b.tag for b in self._items})

    def add(
        self,
        frame: pd.DataFrame,
        positions: Sequence[int],
        tag: str,
        comment: str = "",
        examiner: str = "",
    ) -> list[Bookmark]:
        """Tag the rows at ``positions`` (0-based positions in ``frame``). Re-tagging a row with
        the same tag replaces its comment instead of adding a second bookmark."""
        tag = tag.strip()
        if not tag:
            raise ValueError("a bookmark needs a tag name")
        positions = list(positions)
        if not positions:
            return []
        keys = row_keys(frame).iloc[positions]
        summaries = _summary(frame, positions)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        existing = {(b.key, b.tag): b for b in self._items}
        added: list[Bookmark] = []
        for (evidence, record_id, raw_ref, ordinal), summary in zip(keys.itertuples(index=False), summaries):
            bookmark = Bookmark(
                evidence=str(evidence),
                record_id=None if record_id < 0 else int(record_id),
                raw_ref=None if raw_ref < 0 else int(raw_ref),
                ordinal=int(ordinal),
                tag=tag,
                comment=comment,
                created=now,
                examiner=examiner,
                summary=summary,
            )
            old = existing.get((bookmark.key, tag))
            if old is not None:
                old.comment = comment
                added.append(old)
            else:
                self._items.append(bookmark)
                existing[(bookmark.key, tag)] = bookmark
                added.append(bookmark)
        return added

    def remove(self, bookmarks: Iterable[Bookmark]) -> int:
        doomed = {(b.key, b.tag) for b in bookmarks}
        before = len(self._items)
        self._items = [b for b in self._items if (b.key, b.tag) not in doomed]
        return before - len(self._items)

    def _table(self) -> pd.DataFrame:
        rows = [(*b.key, b.tag, b.comment, i) for i, b in enumerate(self._items)]
        return pd.DataFrame(rows, columns=[*KEY_COLUMNS, "tag", "comment", "bookmark"]).astype(
            {"record_id": np.int64, "raw_ref": np.int64, "ordinal": np.int64, "bookmark": np.int64}
        )

    def locate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One line per bookmark: its index in ``items``, tag, comment and the row's position
        in ``frame`` (-1 when the row is not in this frame, e.g. filtered out or evidence gone)."""
        table = self._table()
        if table.empty:
            return table.assign(position=pd.Series([], dtype=np.int64))
        keys = row_keys(frame)
        keys["position"] = np.arange(len(keys), dtype=np.int64)
        merged = table.merge(keys, on=KEY_COLUMNS, how="left")
        merged["position"] = merged["position"].fillna(-1).astype(np.int64)
        return merged.sort_values("bookmark", kind="stable").reset_index(drop=True)

    def tag_column(self, frame: pd.DataFrame) -> pd.Series:
        """The ``tag`` value of every row: its tags, sorted and joined by ", "; NA if none."""
        result = pd.Series(pd.NA, index=frame.index, dtype="string")
        located = self.locate(frame)
        located = located[located["position"] >= 0]
        if located.empty:
            return result
        joined = located.groupby("position")["tag"].agg(lambda tags: ", ".join(sorted(set(tags))))
        values = result.to_numpy(dtype=object)
        values[joined.index.to_numpy()] = joined.to_numpy()
        return pd.Series(values, index=frame.index, dtype="string")

    def with_tags(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` plus the derived ``tag`` column (so the query ``tag:NAME`` works)."""
        out = frame.copy(deep=False)
        out[TAG_COLUMN] = self.tag_column(frame)
        return out
