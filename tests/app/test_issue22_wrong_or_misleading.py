"""Issue 22, "Wrong or misleading": GUI regressions.

Exports follow the grid (order, visible columns) and say which order; the typed extension
decides the format; a named display zone with DST per time; work hours in the evidence's
stated zone; after-hours as count and share; a finding clears the filters hiding its rows
(with Back); the Detail pane forgets rows the grid no longer has and names its row by file
and record, not by an internal index.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.heatmap.frame_model import SORT_ROLE
from conftest import load, write_guitest
from forensics.parsers.base import LoadOptions

pytestmark = pytest.mark.gui

# two files whose load order goes back in time: a.guitest (6 March) loads before b.guitest (5 March)
LATER = [("2024-03-06T10:00:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"),
         ("2024-03-06T11:00:00Z", "CONTOSO\\pat", "ceo@contoso.com", "FolderOpen", "Delegate", "Success")]
EARLIER = [("2024-03-05T09:00:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"),
           ("2024-03-05T09:30:00Z", "CONTOSO\\ceo", "ceo@contoso.com", "Logon", "Owner", "Success")]


def _folder(tmp_path: Path, files: dict[str, list[tuple[str, ...]]]) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir(parents=True)
    for name, rows in files.items():
        write_guitest(folder / name, rows)
    return folder


def _export(qtbot, window, out: Path):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.cases.report_exported, timeout=60000) as blocker:
        window.cases.export_report(out)
    return blocker.args[0]


def test_export_follows_the_grid_order_and_columns_and_says_so(qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(quiet=True)
    load(qtbot, window, [_folder(tmp_path, {"a.guitest": LATER, "b.guitest": EARLIER})])
    times = window.session.view_frame()["time"]
    assert times.is_monotonic_increasing  # the default order is time, though the load order jumps back

    html = unescape(_export(qtbot, window, tmp_path / "out" / "unsorted.html").path.read_text(encoding="utf-8"))
    assert "Listed in the grid's order: time ascending (the default" in html  # what the grid shows

    model, table = window.model, window.table
    table.sortByColumn(model.column_index("time"), Qt.SortOrder.DescendingOrder)
    table.setColumnHidden(model.column_index("mailbox"), True)
    shown = window.session.view_frame()["time"].tolist()
    assert shown == sorted(shown, reverse=True)
    html = unescape(_export(qtbot, window, tmp_path / "out" / "sorted.html").path.read_text(encoding="utf-8"))
    assert "Listed in the grid's order: time descending" in html
    events = html[html.index('id="events"'):]
    events = events[:events.index("</table>")]
    cells = [f">{t.strftime('%Y-%m-%d %H:%M:%S')}<" for t in shown]
    positions = [events.index(c) for c in cells]
    assert positions == sorted(positions)  # same order as the grid
    header = events[:events.index("</thead>")]
    assert "<th>mailbox</th>" not in header and "<th>actor</th>" in header


def test_typed_extension_decides_the_format_and_custody_logs_it(qtbot, make_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    window = make_window(quiet=True)
    load(qtbot, window, [_folder(tmp_path, {"a.guitest": LATER})])
    out = tmp_path / "out" / "case1.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "HTML report (*.html)"))
    with qtbot.waitSignal(window.cases.report_exported, timeout=60000) as blocker:
        window.cases.export_dialog()
    assert blocker.args[0].format == "pdf" and out.read_bytes().startswith(b"%PDF")
    entry = [e for e in window.session.custody_log().entries() if e["kind"] == "report-exported"][-1]
    assert entry["format"] == "pdf" and entry["path"].endswith("case1.pdf")
    # a name without a report extension takes the filter's
    bare = tmp_path / "out" / "case2"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(bare), "CSV table (*.csv)"))
    with qtbot.waitSignal(window.cases.report_exported, timeout=60000):
        window.cases.export_dialog()
    assert (tmp_path / "out" / "case2.csv").exists()


def test_named_display_zone_shows_local_times_on_both_sides_of_dst(qtbot, make_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QInputDialog

    # US Eastern went to daylight time at 2024-03-10 02:00 local = 07:00 UTC (IANA tzdata)
    rows = [("2024-03-10T06:30:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"),
            ("2024-03-10T07:30:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success")]
    window = make_window(quiet=True)
    window.show()
    load(qtbot, window, [_folder(tmp_path, {"dst.guitest": rows})])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("America/New_York", True))
    window.ask_zone_offset()
    assert window.session.zone.query_tz() == "America/New_York"
    assert "America/New_York" in window.zone_label.text()
    col = window.model.column_index("time")
    texts = [window.model.display_text(r, col) for r in range(2)]
    assert texts[0].startswith("2024-03-10 01:30:00") and texts[1].startswith("2024-03-10 03:30:00")
    window.show_detail(int(window.session.view[0]))
    assert "UTC-05:00" in window.detail_panel.fields_text()
    window.show_detail(int(window.session.view[1]))
    assert "UTC-04:00" in window.detail_panel.fields_text()
    window.set_query("after:2024-03-10T03:00")  # typed in New York time, EDT on that side
    assert len(window.session.view) == 1
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Mars/Olympus", True))
    window.ask_zone_offset()  # an unknown name: a clear message, the zone unchanged
    assert window.session.zone.query_tz() == "America/New_York"


def test_work_hours_default_to_the_evidence_zone_and_after_hours_show_count_and_share(qtbot, make_window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # many office-hours reads and one at 22:47 New York time: a rounded "0 %" hid it
    rows = [(f"2024-03-05T{14 + i % 6:02d}:{i % 60:02d}:{i // 60:02d}Z", "CONTOSO\\pat", "ceo@contoso.com",
             "MessageOpen", "Delegate", "Success") for i in range(240)]
    rows.append(("2024-03-06T03:47:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"))
    window = make_window(quiet=True)
    window.session.load_options = LoadOptions(source_tz="America/New_York")  # the case's stated zone
    load(qtbot, window, [_folder(tmp_path, {"ny.guitest": rows})])
    panel = window.findings_panel
    panel.recompute()
    hours, choice = panel.effective_hours()
    assert choice.zone == "America/New_York" and "America/New_York" in panel.summary.text()
    assert "loaded with" in panel.summary.text()
    model = panel.pairs_model
    col = [key for key, _, _ in model.columns].index("after_hours_shown")
    shown = model.data(model.index(0, col))
    assert shown == "1 (<1%)"  # 22:47 EST; 09:00-15:59 EST are in hours
    # a pair mostly after hours keeps its real share (the share travels with the count)
    w2 = make_window(quiet=True)
    night = [(f"2024-03-06T0{i % 5}:{i:02d}:00Z", "CONTOSO\\eve", "cfo@contoso.com", "MessageOpen", "Delegate",
              "Success") for i in range(3)] + [("2024-03-06T15:00:00Z", "CONTOSO\\eve", "cfo@contoso.com",
                                                "MessageOpen", "Delegate", "Success")]
    load(qtbot, w2, [_folder(tmp_path / "utc", {"eve.guitest": night})])
    w2.findings_panel.recompute()
    m2 = w2.findings_panel.pairs_model
    assert m2.data(m2.index(0, [key for key, _, _ in m2.columns].index("after_hours_shown"))) == "3 (75%)"
    view = w2.findings_panel.pairs_view
    assert view.model().data(view.model().index(0, [key for key, _, _ in m2.columns].index("after_hours_shown")),
                             SORT_ROLE) == 3  # sorts as the count


def test_finding_click_clears_hiding_filters_and_back_restores_them(qtbot, loaded_window) -> None:  # type: ignore[no-untyped-def]
    w = loaded_window
    panel = w.findings_panel
    panel.recompute()
    w.set_query("mailbox:hr")
    w.query_bar.toggle_buttons["failure"].setChecked(True)  # hides pat's successful reads
    w.query_bar.set_operations({"Logon", "LogonFailure"})  # MessageOpen/FolderOpen unchecked
    before = w.query_bar.filter_state()
    pairs = panel.result.pairs
    row = pairs.index[(pairs["actor"] == "pat").to_numpy()][0]
    panel.show_rows(str(pairs["query"].iloc[row]))
    assert w.model.rowCount() == int(pairs["events"].iloc[row]) == 2  # not "No rows match"
    assert not w.session.toggles and w.session.operations is None
    assert panel.back_button.isEnabled()
    assert "switched off" in w.statusBar().currentMessage()
    panel.back_button.click()
    assert w.query_bar.filter_state() == before and w.query_bar.edit.text() == "mailbox:hr"
    assert w.query_bar.toggle_buttons["failure"].isChecked()
    assert not panel.back_button.isEnabled()


def test_detail_names_file_and_record_and_clears_when_its_row_leaves_the_grid(qtbot, loaded_window) -> None:  # type: ignore[no-untyped-def]
    w = loaded_window
    frame = w.session.frame
    target = int(frame.index[(frame["operation"].astype("string") == "MessageOpen").to_numpy()
                             & (frame["actor"].astype("string") == "CONTOSO\\pat").to_numpy()][0])
    w.show_detail(target)
    title = w.detail_panel.title.text()
    assert "server1.guitest" in title and "record 4" in title and "Row" not in title  # line 4 of that file
    w.set_query("mailbox:hr")  # the row shown is filtered out
    assert w.detail_panel.frame_row is None
    assert "not in the grid" in w.detail_panel.title.text() and w.detail_panel.fields.rowCount() == 0
    w.set_query("")
    w.show_detail(target)
    w.session.set_case_dir(w.session.case_dir)  # another case opened: no row of the last one stays
    assert w.detail_panel.frame_row is None
