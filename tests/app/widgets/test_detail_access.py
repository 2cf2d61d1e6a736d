"""Detail pane: a row recorded by several sources lists the others ("also seen in") and
selects them all with one click (``access_id:N``)."""

from __future__ import annotations

import pandas as pd
import pytest

from forensics.correlate import correlate
from forensics.ingest import LoadResult
from forensics.schema import conform

pytest.importorskip("pytestqt")

T0 = pd.Timestamp("2024-03-24T07:12:02Z")


def rows() -> pd.DataFrame:
    """A folder open in the Exchange Auditing log and the same open as an OWA request
    (IIS logs it when the request completes, a second later), plus an unrelated one."""
    base = {"actor_key": "Dana White", "mailbox_key": "Jordan Lee", "actor": "CONTOSO\\dwhite", "mailbox": "jlee",
            "logon_type": "Delegate", "operation": "FolderOpen", "folder": "/Inbox"}
    frame = conform([
        {**base, "time": T0, "source_format": "evtx", "evidence": "ev1", "event_id": 10100},
        {**base, "time": T0 + pd.Timedelta(seconds=1), "source_format": "iis", "evidence": "iis1"},
        {**base, "time": T0 + pd.Timedelta(minutes=5), "source_format": "evtx", "evidence": "ev1", "folder": "/Drafts"},
    ])
    return correlate(frame)[0]


def test_detail_lists_the_other_rows_of_the_access_and_shows_them(qtbot) -> None:
    from app.session import Session
    from app.widgets.detail_dock import DetailPanel

    session = Session(examiner="Test")
    session.add_result(LoadResult(rows()))
    panel = DetailPanel(session)
    qtbot.addWidget(panel)
    panel.show_row(0)
    assert "iis row 2" in panel.also.text() and "iis-request" in panel.also.text()
    assert not panel.also.isHidden()
    panel.show_access_rows()
    assert session.query_text.startswith("access_id:")
    assert sorted(session.view.tolist()) == [0, 1]
    panel.show_row(2)  # an access of one row: nothing else to list
    assert panel.also.isHidden() and panel.also.text() == ""


def test_one_row_per_access_collapses_and_the_detail_pane_expands(qtbot) -> None:
    from app.session import Session

    session = Session(examiner="Test")
    session.add_result(LoadResult(rows()))
    assert len(session.view) == 3
    session.set_toggle("one_per_access", True)
    assert sorted(session.view.tolist()) == [0, 2]  # the event log's rows found the two accesses
    session.set_toggle("one_per_access", False)
    assert len(session.view) == 3
