"""Bookmarks refer to rows by evidence + record key (never grid position) and feed `tag:`."""

from __future__ import annotations

import pandas as pd

from forensics import schema
from forensics.case import BookmarkBook
from forensics.case.bookmarks import fingerprints, locators
from forensics.query import compile_query


def _frame() -> pd.DataFrame:
    rows = [
        # one source record exploded into two rows (same evidence, record and raw_ref)
        {"time": "2024-03-05T10:00:00Z", "operation": "MailItemsAccessed", "mailbox": "ceo", "actor": "pat",
         "item": "Budget", "evidence": "e1", "record_id": 7, "raw_ref": 100},
        {"time": "2024-03-05T10:00:00Z", "operation": "MailItemsAccessed", "mailbox": "ceo", "actor": "pat",
         "item": "Layoffs", "evidence": "e1", "record_id": 7, "raw_ref": 100},
        {"time": "2024-03-05T11:00:00Z", "operation": "FolderOpen", "mailbox": "cfo", "actor": "kim",
         "evidence": "e2", "record_id": 7, "raw_ref": None},
        {"time": "2024-03-05T12:00:00Z", "operation": "FolderOpen", "mailbox": "cfo", "actor": "cfo",
         "evidence": "e2", "record_id": None, "raw_ref": None},
    ]
    return schema.conform(rows)


def test_fingerprints_tell_exploded_rows_apart() -> None:
    frame = _frame()
    keys = locators(frame)
    assert keys["record_id"].tolist() == [7, 7, 7, -1]
    assert keys.duplicated().tolist() == [False, True, False, False]
    prints = fingerprints(frame, [0, 1, 2, 3])
    assert len(set(prints)) == 4
    assert fingerprints(frame.iloc[::-1], [2]) == prints[1:2]  # independent of order


def test_tags_follow_rows_not_positions() -> None:
    frame = _frame()
    book = BookmarkBook()
    book.add(frame, [1], "layoffs", "second item of the record")
    book.add(frame, [1, 2], "review", "look again")
    shuffled = frame.iloc[[3, 2, 1, 0]].reset_index(drop=True)  # sorted differently, new index
    tags = book.tag_column(shuffled)
    assert tags.tolist()[2] == "layoffs, review"  # the Layoffs row
    assert tags.tolist()[1] == "review"
    assert tags.isna().tolist() == [True, False, False, True]
    assert shuffled.loc[2, "item"] == "Layoffs"
    located = book.locate(shuffled)
    assert located["position"].tolist() == [2, 2, 1]


def test_retagging_replaces_comment_and_remove_works() -> None:
    frame = _frame()
    book = BookmarkBook()
    book.add(frame, [0], "x", "first")
    book.add(frame, [0], "x", "second")
    assert len(book) == 1 and book.items[0].comment == "second"
    assert book.items[0].summary["item"] == "Budget"
    assert book.remove(book.items) == 1 and len(book) == 0


def test_tag_query_selects_bookmarked_rows() -> None:
    frame = _frame()
    book = BookmarkBook()
    book.add(frame, [0, 2], "suspicious", "")
    book.add(frame, [3], "owner", "")
    tagged = book.with_tags(frame)
    assert compile_query("tag:suspicious").mask(tagged).tolist() == [True, False, True, False]
    assert compile_query("-has:tag").mask(tagged).tolist() == [False, True, False, False]


def test_missing_rows_are_reported_not_matched() -> None:
    frame = _frame()
    book = BookmarkBook()
    book.add(frame, [0, 3], "t", "")
    located = book.locate(frame.iloc[[1, 2]])  # the exploded sibling is not the tagged row
    assert located["position"].tolist() == [-1, -1]
    assert book.locate(frame.iloc[[2, 3]])["position"].tolist() == [-1, 1]
    assert book.tag_column(frame.iloc[0:0]).empty
