"""Take docs/heatmap.png: the main window on the demo case with the Heatmap dock raised.

Environment: HEATMAP_TAB (0-2), HEATMAP_NONOWNER (0/1), HEATMAP_LOG (0/1), HEATMAP_DOCK=findings,
SHOT_QUERY (a query to apply first; the third row is then selected, as in docs/screenshot.png:
``SHOT_QUERY='is:nonowner -actor:svc -actor:"NT AUTHORITY" op:MessageOpen' HEATMAP_NONOWNER=0
xvfb-run ... docs/heatmap_screenshot.py docs/screenshot.png``).
Run under a display (``xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/heatmap_screenshot.py``).
Settings and session data go to a temporary folder, so a developer's settings are untouched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shot_window import demo_window  # noqa: E402 - docs/ is the script's folder, on sys.path


def main() -> int:
    app, window = demo_window("heatmap-shot-")
    from PySide6.QtCore import Qt, QTimer

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "heatmap.png"
    tab = int(os.environ.get("HEATMAP_TAB", "0"))

    def shoot() -> None:
        panel = window.heatmap_panel
        docks = {"findings": window.findings_dock, "evidence": window.evidence_dock}
        dock = docks.get(os.environ.get("HEATMAP_DOCK", ""), window.heatmap_dock)
        dock.raise_()
        window.resizeDocks([dock], [560], Qt.Orientation.Vertical)
        panel.count_combo.setCurrentIndex(int(os.environ.get("HEATMAP_NONOWNER", "1")))
        panel.scale_combo.setCurrentIndex(int(os.environ.get("HEATMAP_LOG", "0")))
        panel.tabs.setCurrentIndex(tab)
        query = os.environ.get("SHOT_QUERY")
        if query:
            window.resizeDocks([dock], [330], Qt.Orientation.Vertical)
            window.set_query(query)
            window.table.selectRow(2)
        panel.recompute()
        QTimer.singleShot(800, lambda: (window.grab().save(str(out)), print(f"wrote {out}"), app.quit()))

    window.session.loader.idle.connect(lambda: QTimer.singleShot(500, shoot))
    extra = [Path(p) for p in os.environ.get("SHOT_EXTRA", "").split(os.pathsep) if p]  # more evidence to load
    QTimer.singleShot(0, lambda: window.open_paths([REPO / "resources" / "demo" / "evidence", *extra]))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
