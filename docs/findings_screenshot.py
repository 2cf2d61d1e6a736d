"""Take docs/findings-dst-back.png: a finding clicked in the Findings dock, with Back.

The demo case (``resources/demo``, identities ``resources/demo-identities.csv``) is shown in
America/New_York, across the 2024-03-10 change to daylight saving time. The Failures quick
filter is on, then the "Pat Quinn / Alex Morgan" pair is clicked in the Findings dock: its
query replaces the bar's, Failures is switched off (the status bar says so) and Back is
enabled; the grid row of the 22:47 late-night read is selected so Detail shows its time with
the summer offset (UTC-04:00) while rows before the change read UTC-05:00.

Run under a display (``xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python
docs/findings_screenshot.py [out.png]``). Settings and session data go to a temporary folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shot_window import demo_window  # noqa: E402 - docs/ is the script's folder, on sys.path

ZONE = "America/New_York"
PAIR = ("Pat Quinn", "Alex Morgan")
PICK_TIME = "2024-03-13 22:47"  # local wall time of the late-night read (2024-03-14T02:47Z)


def main() -> int:
    app, window = demo_window("findings-shot-")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QAbstractItemView

    from app.display_tz import DisplayZone
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "findings-dst-back.png"

    def fail(message: str) -> None:
        print(message, file=sys.stderr)
        app.exit(1)

    def click_pair() -> None:
        panel = window.findings_panel
        panel.wait_idle()
        view, model = panel.pairs_view, panel.pairs_model
        rows = [r for r in range(view.model().rowCount())
                if (view.model().index(r, 0).data(), view.model().index(r, 1).data()) == PAIR]
        if not rows:
            fail(f"no finding for {PAIR}")
            return
        index = view.model().index(rows[0], 0)
        view.selectRow(index.row())
        panel._clicked(view, model, index)  # what a mouse click on the pair does
        QTimer.singleShot(600, pick_row)

    def pick_row() -> None:
        table, model = window.table, window.model
        columns = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
        time_col = columns.index("Time")
        for row in range(model.rowCount()):
            if str(model.index(row, time_col).data()).startswith(PICK_TIME):
                table.selectRow(row)
                table.scrollTo(model.index(row, time_col), QAbstractItemView.ScrollHint.PositionAtCenter)
                break
        else:
            fail(f"no row at {PICK_TIME} among the finding's {model.rowCount()} rows")
            return
        QTimer.singleShot(800, lambda: (window.grab().save(str(out)), print(f"wrote {out}"), app.quit()))

    def shoot() -> None:
        window.session.set_zone(DisplayZone.parse(ZONE))
        window.findings_dock.raise_()
        window.resizeDocks([window.findings_dock], [430], Qt.Orientation.Vertical)
        window.query_bar.toggle_buttons["failure"].setChecked(True)  # a filter the click switches off
        window.findings_panel.recompute()
        QTimer.singleShot(500, click_pair)

    window.session.loader.idle.connect(lambda: QTimer.singleShot(500, shoot))
    QTimer.singleShot(0, lambda: window.open_paths([REPO / "resources" / "demo" / "evidence"]))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
