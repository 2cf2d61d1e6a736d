"""The grid model without any view: Qt's model tester, vectorized display and sorting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from app.models.event_table_model import BLOCK_ROWS, EventTableModel, format_values
from app.models.sort_keys import sort_keys
from app.session import Session
from forensics import schema


def _frame(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ops = np.array(["FolderOpen", "MessageOpen", "Logon", "SendAs"])
    people = np.array(["alice", "Bob", "carol", "dave", None], dtype=object)
    return schema.conform(
        {
            "time": pd.Timestamp("2024-03-05T00:00:00Z") + pd.to_timedelta(rng.integers(0, 86400 * 3, n), unit="s"),
            "operation": ops[rng.integers(0, 4, n)],
            "mailbox": people[rng.integers(0, 5, n)],
            "actor": people[rng.integers(0, 5, n)],
            "logon_type": np.array(["Owner", "Delegate", "Admin"])[rng.integers(0, 3, n)],
            "folder": np.array(["/Inbox", "/Sent Items", None], dtype=object)[rng.integers(0, 3, n)],
            "event_id": rng.integers(10100, 10107, n),
            "record_id": np.arange(n),
            "admin_rights": np.array([True, False, None], dtype=object)[rng.integers(0, 3, n)],
            "outcome": np.array(["Success", "Failure", None], dtype=object)[rng.integers(0, 3, n)],
        }
    )


@pytest.fixture
def session(qapp) -> Session:  # type: ignore[no-untyped-def]
    from forensics.ingest import LoadResult

    s = Session(examiner="t")
    s.add_result(LoadResult(frame=_frame()))
    return s


def test_qt_model_tester(qtmodeltester, session) -> None:
    model = EventTableModel(session)
    qtmodeltester.check(model)
    session.set_query("actor:alice")
    qtmodeltester.check(model)
    model.sort(model.column_index("time"), Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
    session.set_extra_column("tag", [""] * len(session.frame))
    qtmodeltester.check(model)


def test_display_strings_match_frame(session) -> None:
    model = EventTableModel(session)
    frame = session.frame
    tcol, acol, ecol = (model.column_index(c) for c in ("time", "actor", "event_id"))
    for row in (0, 1, BLOCK_ROWS - 1, BLOCK_ROWS, len(frame) - 1):
        at = int(session.view[row])  # the default order is time, not load order
        assert model.display_text(row, tcol) == frame["time"].iloc[at].strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
        actor = frame["actor"].iloc[at]
        assert model.display_text(row, acol) == ("" if pd.isna(actor) else actor)
        assert model.display_text(row, ecol) == str(frame["event_id"].iloc[at])
    assert model.data(model.index(0, ecol), Qt.ItemDataRole.TextAlignmentRole) & int(Qt.AlignmentFlag.AlignRight)
    assert model.rowCount() == len(frame) and model.columnCount() == len(schema.COLUMNS)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Time"


def test_only_requested_blocks_are_formatted(session) -> None:
    model = EventTableModel(session)
    model.display_text(BLOCK_ROWS * 2 + 5, 3)
    assert list(model._cache) == [(2, 3)]


def test_sort_matches_pandas(session) -> None:
    model = EventTableModel(session)
    frame = session.frame
    for name in ("time", "actor", "folder", "event_id", "admin_rights"):
        col = model.column_index(name)
        model.sort(col, Qt.SortOrder.AscendingOrder)
        values = frame[name].iloc[session.view].reset_index(drop=True)
        present = values.dropna()
        if values.dtype == object or isinstance(values.dtype, (pd.CategoricalDtype, pd.StringDtype)):
            keys = present.astype(str).str.lower()
            assert list(keys) == sorted(keys), name
        else:
            assert present.is_monotonic_increasing, name
        # missing values go last
        assert values.isna().to_numpy()[len(present):].all()
        model.sort(col, Qt.SortOrder.DescendingOrder)
        values = frame[name].iloc[session.view].reset_index(drop=True)
        assert values.isna().to_numpy()[values.notna().sum():].all()


def test_sort_keys_stable_and_complete() -> None:
    series = pd.Series(["b", None, "A", "a", "c"], dtype="category")
    ordered, missing = sort_keys(series)
    assert list(ordered) == [2, 3, 0, 4] and list(missing) == [1]


def test_filter_then_sort_uses_mask(session) -> None:
    model = EventTableModel(session)
    model.sort(model.column_index("record_id"), Qt.SortOrder.DescendingOrder)
    session.set_query("operation:Logon")
    expected = session.frame.index[session.frame["operation"] == "Logon"][::-1]
    assert list(session.view) == list(expected)
    assert model.rowCount() == len(expected)


def test_format_values_times_in_zone() -> None:
    from datetime import timedelta, timezone

    values = pd.Series(pd.to_datetime(["2024-03-05T23:30:00.123456Z", None], utc=True))
    assert format_values(values, timezone(timedelta(hours=1))) == ["2024-03-06 00:30:00.123", ""]


def test_failures_and_admin_rows_are_highlighted(session) -> None:
    model = EventTableModel(session)
    frame = session.frame
    view = session.view
    fg = Qt.ItemDataRole.ForegroundRole
    bg = Qt.ItemDataRole.BackgroundRole
    for row in range(0, 600, 7):
        r = frame.iloc[int(view[row])]
        is_admin = r["logon_type"] == "Admin" or (pd.notna(r["admin_rights"]) and bool(r["admin_rights"]))
        assert (model.data(model.index(row, 1), bg) is not None) == is_admin
        failed = pd.notna(r["outcome"]) and r["outcome"] == "Failure"
        assert (model.data(model.index(row, 1), fg) is not None) == failed
