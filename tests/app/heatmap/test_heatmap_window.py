"""In the real main window: the heatmap dock is installed, a click on a cell narrows the
grid to exactly the cell's rows, the breadcrumb's Back restores the grid."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from conftest import ROWS


def test_heatmap_dock_installed_and_cell_click_drives_grid(qtbot, loaded_window) -> None:
    w = loaded_window
    panel = w.heatmap_panel
    assert w.heatmap_dock.windowTitle() == "Heatmap" and w.findings_dock.windowTitle() == "Findings"
    w.heatmap_dock.show()
    w.heatmap_dock.raise_()
    panel.recompute()
    pivot = panel.pivot(0)
    assert pivot.full_total == len(ROWS)
    r, c = np.unravel_index(int(np.argmax(pivot.counts)), pivot.shape)
    expected = int(pivot.counts[r, c])
    w.resizeDocks([w.heatmap_dock], [420], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: panel.plots[0].isVisible() and panel.plots[0].graphics.viewport().height() > 150, timeout=3000)
    qtbot.wait(50)  # let the plot lay itself out at the new size
    point = panel.plots[0].cell_center_in_viewport(int(r), int(c))
    with qtbot.waitSignal(panel.drilled, timeout=2000):
        qtbot.mouseClick(panel.plots[0].graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert w.model.rowCount() == expected
    assert w.query_bar.edit.text() == pivot.cell_query(int(r), int(c))
    panel.back_button.click()
    assert w.model.rowCount() == len(ROWS)


def test_findings_click_filters_grid(qtbot, loaded_window) -> None:
    w = loaded_window
    panel = w.findings_panel
    panel.recompute()
    pairs = panel.result.pairs
    # ROWS: pat -> ceo (2), admin -> cfo (1), eve -> cfo (1, a failed logon)
    # pairs are of persons; the forms the evidence used are listed beside them
    assert set(zip(pairs["actor"], pairs["mailbox"])) == {("pat", "ceo"), ("admin", "cfo"), ("eve", "cfo")}
    assert set(zip(pairs["actor_forms"], pairs["mailbox_forms"])) == {
        ("CONTOSO\\pat", "ceo@contoso.com"), ("CONTOSO\\admin", "cfo@contoso.com"), ("CONTOSO\\eve", "cfo@contoso.com")
    }
    view = panel.pairs_view
    index = view.model().index(0, 0)
    panel._clicked(view, panel.pairs_model, index)
    row = view.model().mapToSource(index).row()
    assert w.model.rowCount() == int(panel.pairs_model.row_value(row, "events"))
