"""Bookmarks: tag rows with a name and a comment, and find them again in any later load.

A row is identified by (evidence id, record id, raw_ref) — stable across reloads because the
evidence id is the file's content hash and the others come from the file itself — plus a
fingerprint of its fields for the rare records that become several rows. Matching is one
vectorized merge on the first three; fingerprints are computed only for the few candidate
rows that merge returns, so sorting, filtering or reloading never moves a tag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from forensics.case.model import Bookmark, now_stamp

LOCATOR = ["evidence", "record_id", "raw_ref"]
FINGERPRINT_COLUMNS = ["time", "operation", "mailbox", "actor", "folder", "item", "client_ip"]
SUMMARY_COLUMNS = ["time", "operation", "mailbox", "actor", "folder", "item"]
TAG_COLUMN = "tag"


def locators(frame: pd.DataFrame) -> pd.DataFrame:
    """(evidence, record_id, raw_ref) of every row, missing ids as -1 (for the rows being tagged)."""
    return pd.DataFrame(
        {
            "evidence": frame["evidence"].astype("string").fillna("").to_numpy(dtype=object),
            "record_id": frame["record_id"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64),
            "raw_ref": frame["raw_ref"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64),
        }
    )


def fingerprints(frame: pd.DataFrame, positions: Sequence[int]) -> list[str]:
    """Hash of a few fields of the rows at ``positions`` (called for a handful of rows only)."""
    part = frame.iloc[list(positions)]
    pieces = []
    for col in FINGERPRINT_COLUMNS:
        if col not in part.columns:
            pieces.append(pd.Series([""] * len(part)))
        else:
            pieces.append(pd.Series(part[col].astype("string").fillna("").to_numpy()))
    joined = pieces[0].str.cat(pieces[1:], sep="\x1f") if pieces else pd.Series([], dtype="string")
    return [hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] for text in joined.tolist()]


def _summary(frame: pd.DataFrame, positions: Sequence[int]) -> list[dict[str, str]]:
    cols = [c for c in SUMMARY_COLUMNS if c in frame.columns]
    out = []
    for record in frame.iloc[list(positions)][cols].to_dict("records"):  # only the rows being tagged
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
        return iter(list(self._items))

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
        keys = locators(frame.iloc[positions])
        prints = fingerprints(frame, positions)
        summaries = _summary(frame, positions)
        now = now_stamp()
        existing = {(b.key, b.tag): b for b in self._items}
        added: list[Bookmark] = []
        for (evidence, record_id, raw_ref), fingerprint, summary in zip(
            keys.itertuples(index=False), prints, summaries
        ):
            bookmark = Bookmark(
                evidence=str(evidence),
                record_id=None if record_id < 0 else int(record_id),
                raw_ref=None if raw_ref < 0 else int(raw_ref),
                fingerprint=fingerprint,
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

    def locate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every (bookmark, row) match: the bookmark's index in ``items``, tag, comment and the
        row's position in ``frame``; a bookmark whose row is not in ``frame`` (filtered out,
        evidence gone) appears once with position -1."""
        columns = ["bookmark", "tag", "comment", "position"]
        if not self._items:
            return pd.DataFrame({c: pd.Series([], dtype=np.int64 if c in ("bookmark", "position") else object) for c in columns})
        table = pd.DataFrame(
            [(i, b.evidence, b.key[1], b.key[2], b.fingerprint, b.tag, b.comment) for i, b in enumerate(self._items)],
            columns=["bookmark", *LOCATOR, "fingerprint", "tag", "comment"],
        ).astype({"record_id": np.int64, "raw_ref": np.int64})
        # narrow to candidate rows with two vectorized isin tests before touching strings
        record = frame["record_id"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)
        raw = frame["raw_ref"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)
        mask = np.isin(record, table["record_id"].unique()) & np.isin(raw, table["raw_ref"].unique())
        positions = np.flatnonzero(mask)
        keys = pd.DataFrame(
            {
                "evidence": frame["evidence"].iloc[positions].astype("string").fillna("").to_numpy(dtype=object),
                "record_id": record[positions],
                "raw_ref": raw[positions],
                "position": positions.astype(np.int64),
            }
        )
        candidates = table.merge(keys, on=LOCATOR, how="inner")
        if len(candidates):
            unique_positions = np.unique(candidates["position"].to_numpy())
            prints = dict(zip(unique_positions.tolist(), fingerprints(frame, unique_positions.tolist())))
            candidates = candidates[candidates["position"].map(prints) == candidates["fingerprint"]]
        found = candidates[columns]
        missing = table[~table["bookmark"].isin(found["bookmark"])].assign(position=-1)[columns]
        out = pd.concat([found, missing], ignore_index=True)
        out["position"] = out["position"].astype(np.int64)
        return out.sort_values(["bookmark", "position"], kind="stable").reset_index(drop=True)

    def tag_column(self, frame: pd.DataFrame) -> pd.Series:
        """The ``tag`` value of every row: its tags, sorted and joined by ", "; NA if none.
        Categorical, so millions of untagged rows cost one small integer each."""
        located = self.locate(frame)
        located = located[located["position"] >= 0]
        codes = np.full(len(frame), -1, dtype=np.int32)
        labels: list[str] = []
        if len(located):
            joined = located.groupby("position")["tag"].agg(lambda tags: ", ".join(sorted(set(tags))))
            labels = sorted(set(joined.tolist()))
            lookup = {label: i for i, label in enumerate(labels)}
            codes[joined.index.to_numpy()] = [lookup[label] for label in joined.tolist()]
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype="string")), index=frame.index)

    def with_tags(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` plus the derived ``tag`` column (so the query ``tag:NAME`` works)."""
        out = frame.copy(deep=False)
        out[TAG_COLUMN] = self.tag_column(frame)
        return out
