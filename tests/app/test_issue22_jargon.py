"""Issue 22: user-facing jargon gets plain words, the technical name in a tooltip. Grid
headers and the Detail pane show plain labels with the column id (what the query language
uses) in the tooltip; heatmap tooltips, date-format notes and the report's audit wording
say it in words."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import Qt

from forensics.schema import COLUMNS, conform

JARGON = ("mailbox_key", "actor_key", "logon_rule", "time_basis", "raw_ref", "Logon rule", "Time basis", "Raw ref")


def test_grid_headers_are_plain_with_the_column_id_as_tooltip(loaded_window) -> None:
    w = loaded_window
    model = w.model
    labels = {}
    for section, name in enumerate(model.columns):
        label = model.headerData(section, Qt.Orientation.Horizontal)
        tip = model.headerData(section, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        labels[name] = label
        assert label not in JARGON and "_" not in label, (name, label)
        assert f"Column id: {name} (in queries: {name}:…)" in tip
    assert labels["mailbox_key"] == "Mailbox (person)" and labels["raw_ref"] == "Position in file"
    assert labels["time_basis"] == "How the time was recorded" and labels["logon_rule"] == "Logon type decided by"
    # the query language still takes the id the tooltip names
    w.set_query("mailbox_key:ceo")
    assert w.session.query_error is None and w.model.rowCount() == 3


def test_every_schema_column_has_a_plain_label() -> None:
    from app.column_labels import HEADERS

    assert set(COLUMNS) <= set(HEADERS)


def test_detail_pane_labels_are_plain(qtbot, loaded_window) -> None:
    w = loaded_window
    w.show_detail(0)
    table = w.detail_panel.fields
    names = w.session.columns()
    for row, name in enumerate(names):
        item = table.item(row, 0)
        assert item.text() not in JARGON
        assert name in item.toolTip()
    texts = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert len(texts) == len(set(texts)), "two rows of the Detail pane read the same"


def test_heatmap_tooltip_says_mailbox_not_mailbox_key() -> None:
    from forensics.aggregate import mailbox_by_actor

    frame = conform([dict(time="2024-03-05T09:00:00Z", mailbox="ceo@contoso.com", actor="pat",
                          logon_type="Delegate", operation="MessageOpen")])
    frame["mailbox_key"] = pd.Series(["ceo@contoso.com"], dtype="category")
    frame["actor_key"] = pd.Series(["pat"], dtype="category")
    pivot = mailbox_by_actor(frame)
    assert pivot.row_field == "mailbox_key"
    text = pivot.tooltip(0, 0)
    assert text.startswith("mailbox: ceo@contoso.com\nactor: pat") and "_key" not in text


def test_date_format_notes_are_in_words() -> None:
    from forensics.localtime import describe_format

    text = describe_format("%m/%d/%Y %I:%M:%S %p")
    assert text.startswith("month/day/year hour (12h):minute:second AM/PM, e.g. 03/05/2024 02:07:09 PM")
    assert text.endswith("[%m/%d/%Y %I:%M:%S %p]")  # the technical form stays, last
    assert describe_format("%d.%m.%Y %H:%M").startswith("day.month.year hour (24h):minute, e.g. 05.03.2024 14:07")


def test_report_audit_wording_is_plain() -> None:
    from forensics.reports.analysis import implied_audit_level

    frame = conform([dict(time="2024-03-05T09:00:00Z", mailbox="ceo@contoso.com", actor="ceo", event_id=10100,
                          logon_type="Owner", operation="MessageOpen")])
    text = implied_audit_level(frame)
    assert "mailbox access auditing was set to level 3 or 5" in text and "owners opening their own mailbox" in text
