"""GUI entry point (``mailbox-audit-gui``). The workbench arrives with the GUI issue."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    window = QMainWindow()
    window.setWindowTitle("Mailbox Audit")
    window.show()
    return app.exec()
