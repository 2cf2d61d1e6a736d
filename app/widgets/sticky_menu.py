"""A checklist menu that stays open while the examiner ticks several items.

A plain ``QMenu`` closes after every click, so choosing five operations took five trips to
the button. Here a click (or Space/Enter) on a checkable action toggles it and the menu
stays open; other actions (e.g. "All operations") behave as usual. Esc or a click outside
closes it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QMenu


class StickyMenu(QMenu):
    """``QMenu`` whose checkable actions toggle without closing the menu."""

    def _toggle(self, action) -> bool:  # type: ignore[no-untyped-def]
        if action is None or not action.isCheckable() or not action.isEnabled():
            return False
        action.trigger()  # toggles the check state and emits toggled/triggered
        return True

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._toggle(self.actionAt(event.position().toPoint())):
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._toggle(self.activeAction()):
            event.accept()
            return
        super().keyPressEvent(event)
