"""Evidence text in the GUI is text: tooltips are never rich text, bidi controls are shown.

Qt treats a tooltip as rich text when ``Qt.mightBeRichText`` says it looks like HTML
(Qt documentation, QToolTip / QWidget::toolTip), so a subject ``<img src=x>`` or
``<b>urgent</b>`` was drawn as markup; U+202E (Unicode TR #9 RIGHT-TO-LEFT OVERRIDE, the
"Trojan Source" trick) reordered cells.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from app.models.event_table_model import EventTableModel, format_values
from app.session import Session
from app.widgets.detail_dock import DetailPanel
from app.widgets.plain_text import plain_tip
from forensics import schema

import pandas as pd

SUBJECT = "<b>urgent</b> <img src=x> & invoice\u202etxt.exe " + "x" * 40


def _rendered(tip: str) -> str:
    doc = QTextDocument()
    doc.setHtml(tip)
    return doc.toPlainText()


def test_plain_tip_renders_to_the_literal_text(qapp) -> None:  # type: ignore[no-untyped-def]
    tip = plain_tip(SUBJECT)
    assert _rendered(tip) == SUBJECT.replace("\u202e", "<U+202E>")
    assert plain_tip("") == "" and plain_tip(None) == ""


def _session() -> Session:
    from forensics.ingest import LoadResult

    frame = schema.conform({"time": [pd.Timestamp("2024-03-05T09:00:00Z")], "operation": ["MessageOpen"],
                            "mailbox": ["ceo@contoso.com"], "actor": ["CONTOSO\\pat"], "item": [SUBJECT]})
    session = Session(examiner="t")
    session.add_result(LoadResult(frame=frame))
    return session


def test_grid_cells_and_tooltips_show_text_not_markup(qapp) -> None:  # type: ignore[no-untyped-def]
    session = _session()
    model = EventTableModel(session)
    index = model.index(0, model.column_index("item"))
    shown = model.data(index, Qt.ItemDataRole.DisplayRole)
    assert shown == SUBJECT.replace("\u202e", "<U+202E>")
    assert _rendered(model.data(index, Qt.ItemDataRole.ToolTipRole)) == shown
    assert format_values(pd.Series(["a\u2067b"], dtype="string"), None) == ["a<U+2067>b"]


def test_detail_fields_show_controls_and_plain_tooltips(qtbot) -> None:  # type: ignore[no-untyped-def]
    session = _session()
    panel = DetailPanel(session)
    qtbot.addWidget(panel)
    panel.show_row(0)
    row = next(i for i in range(panel.fields.rowCount()) if "Column id: item " in panel.fields.item(i, 0).toolTip())
    item = panel.fields.item(row, 1)
    assert item.text() == SUBJECT.replace("\u202e", "<U+202E>")
    assert _rendered(item.toolTip()) == item.text()


def test_findings_table_and_heatmap_labels_show_controls(qapp) -> None:  # type: ignore[no-untyped-def]
    from app.heatmap.frame_model import FrameModel
    from app.heatmap.plot import LabelAxis

    model = FrameModel()
    model.set_frame(pd.DataFrame({"mailbox": ["ceo\u202eexe.txt"]}), [("mailbox", "Mailbox", str)])
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DisplayRole) == "ceo<U+202E>exe.txt"
    axis = LabelAxis("left")
    axis.set_labels(["ceo\u202eexe.txt", "plain"])
    assert axis.labels == ["ceo<U+202E>exe.txt", "plain"]
