"""The query bar: the query line with inline error display and completion, quick toggles
(Non-owner only, Admin only, Failures, an operation checklist) and a time-range control.

The bar fits a 1280 px laptop screen: when it is narrower than the query line's preferred
width plus every toggle, the toggles fold into one "Filters" menu (the same filters, checkable,
staying open while ticking), so nothing is clipped and the window's minimum width stays small.

Syntax errors never raise into the GUI: the session keeps the previous result and the bar
shows the message with a caret under the offending position.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from app.widgets.query_example import placeholder
from app.widgets.sticky_menu import StickyMenu
from app.widgets.time_range import TimeRangeControl

#: typing debounce bounds: the wait after a keystroke is 1.5x the last evaluation's time
#: within these, so a fast frame filters as you type and a slow one is not flooded (a newer
#: query supersedes a running one anyway)
DEBOUNCE_MIN_MS = 60
DEBOUNCE_MAX_MS = 200

#: the query line's width below which the toggles fold into the Filters menu, and its floor
EDIT_PREFERRED_WIDTH = 420
EDIT_MIN_WIDTH = 240

TOGGLES = (("nonowner", "Non-owner only", "Only access by someone other than the mailbox owner (is:nonowner)"),
           ("admin", "Admin only", "Only access with administrative rights (is:admin)"),
           ("failure", "Failures", "Only failed logons / denied access (is:failure)"),
           ("unexplained", "Hide expected",
            "Hide the rows of pairs marked as expected access in the Findings dock (-is:expected)"),
           ("one_per_access", "One row per access",
            "Collapse the rows several sources recorded of one access into the row that founded it (the "
            "event log's, where it has one); the Detail pane lists the others and shows them all"))


class QueryEdit(QLineEdit):
    """Line edit that completes the token at the cursor and clears on Esc (Esc with the
    completion list open only closes the list; clearing is undoable with Ctrl+Z)."""

    escape_pressed = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setWidget(self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.activated.connect(self._insert_completion)
        self._span = (0, 0)
        self._complete_timer = QTimer(self)
        self._complete_timer.setSingleShot(True)
        self._complete_timer.setInterval(120)
        self._complete_timer.timeout.connect(self._update_completions)
        self.textEdited.connect(lambda _text: self._complete_timer.start())

    def completions(self) -> list[str]:
        return self._model.stringList()

    def _update_completions(self) -> None:
        from forensics.query import complete, token_span

        text, cursor = self.text(), self.cursorPosition()
        self._span = token_span(text, cursor)
        if self._span[0] == self._span[1] and not text[: self._span[0]].endswith(":"):
            self._completer.popup().hide()
            return
        try:
            options = complete(text, cursor, self.session.completion_frame())
        except Exception:  # noqa: BLE001 - completion must never disturb typing
            options = []
        token = text[self._span[0] : self._span[1]]
        options = [o for o in options if o != token]
        self._model.setStringList(options)
        if options and self.hasFocus():
            self._completer.complete()
        else:
            self._completer.popup().hide()

    def _insert_completion(self, completion: str) -> None:
        text = self.text()
        start, end = self._span
        self.setText(text[:start] + completion + text[end:])
        self.setCursorPosition(start + len(completion))

    def close_completions(self) -> bool:
        """Hide the completion list; True if it was open (Esc then does nothing else)."""
        popup = self._completer.popup()
        if popup.isVisible():
            popup.hide()
            return True
        return False

    def event(self, event: QEvent) -> bool:
        # Esc with the list open belongs to the list: claim it before the window's
        # Clear-query shortcut sees it
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self._completer.popup().isVisible()):
            event.accept()
            return True
        return super().event(event)

    def replace_text(self, text: str) -> None:
        """Replace the whole text as one undoable edit (Ctrl+Z brings the old text back);
        ``setText`` would wipe the undo history."""
        if text == self.text():
            return
        self.blockSignals(True)  # no completion popup, no textEdited for a programmatic change
        self.selectAll()
        self.insert(text)
        self.blockSignals(False)
        self.textChanged.emit(self.text())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self._completer.popup()
        if popup.isVisible() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab):
            index = popup.currentIndex()
            if index.isValid():
                self._insert_completion(index.data())
                popup.hide()
                if event.key() == Qt.Key.Key_Tab:
                    return
            popup.hide()
        if event.key() == Qt.Key.Key_Escape:
            if popup.isVisible():
                popup.hide()
                return
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)


class QueryBar(QWidget):
    """Query line + toggles + time range, all applied to the session."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("QueryBar")
        self.session = session

        self.edit = QueryEdit(session, self)
        self.edit.setObjectName("QueryEdit")
        self._update_placeholder()
        session.loaded.connect(self._update_placeholder)  # an example that matches the open case
        self.edit.setMinimumWidth(EDIT_MIN_WIDTH)
        self.edit.setClearButtonEnabled(True)
        self.edit.returnPressed.connect(self.apply_typed)
        self.edit.escape_pressed.connect(self.clear)
        self.edit.textChanged.connect(self._schedule_apply)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MAX_MS)
        self._debounce.timeout.connect(self.apply_typed)
        self._typed = ""  # the line's text when it last changed (a jump of several characters = a paste)
        self._setting = False

        self.busy_label = QLabel("Filtering…", self)
        self.busy_label.setObjectName("QueryBusy")
        self.busy_label.hide()
        session.query_busy.connect(self.busy_label.setVisible)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("QueryError")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.hide()

        self.toggle_buttons: dict[str, QToolButton] = {}
        #: the same toggles as checkable actions of the Filters menu (kept in step both ways)
        self.toggle_actions: dict[str, QAction] = {}
        self.filters_button = QToolButton(self)
        self.filters_button.setObjectName("FiltersButton")
        self.filters_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.filters_menu = StickyMenu(self.filters_button)
        self.filters_button.setMenu(self.filters_menu)
        self.filters_button.hide()
        self._compact = False
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self._row = row
        row.addWidget(self.edit, 1)
        row.addWidget(self.busy_label)
        for key, label, tip in TOGGLES:
            button = QToolButton(self)
            button.setText(label)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setObjectName(f"toggle_{key}")
            button.toggled.connect(lambda on, key=key: self.session.set_toggle(key, on))
            action = self.filters_menu.addAction(label)
            action.setCheckable(True)
            action.setToolTip(tip)
            action.setObjectName(f"filter_{key}")
            action.toggled.connect(button.setChecked)  # no signal when the state is already equal
            button.toggled.connect(action.setChecked)
            button.toggled.connect(self._label_filters)
            self.toggle_buttons[key] = button
            self.toggle_actions[key] = action
            row.addWidget(button)
        self.filters_menu.setToolTipsVisible(True)
        row.addWidget(self.filters_button)
        self._label_filters()

        self.operations_button = QToolButton(self)
        self.operations_button.setText("Operations")
        self.operations_button.setToolTip("Show only the checked operations")
        self.operations_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.operations_menu = StickyMenu(self.operations_button)  # stays open while ticking
        self.operations_button.setMenu(self.operations_menu)
        self.operation_actions: dict[str, QAction] = {}
        row.addWidget(self.operations_button)

        self.time_range = TimeRangeControl(session, self)
        row.addWidget(self.time_range)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)

        session.loaded.connect(self._rebuild_operations)
        session.query_state_changed.connect(self._show_state)
        self._rebuild_operations()

    # -- width: fold the toggles into the Filters menu when the bar is narrow ----------------
    def _fixed_width(self, widgets: list[QWidget]) -> int:
        """Margins, spacing and the preferred widths of ``widgets`` plus the ops / time controls."""
        margins = self.layout().contentsMargins() if self.layout() else None
        side = (margins.left() + margins.right()) if margins else 12
        parts = [*widgets, self.operations_button, self.time_range]
        widths = [w.sizeHint().width() for w in parts]
        widths[-1] = max(widths[-1], self.time_range.minimumSizeHint().width())
        return side + sum(widths) + self._row.spacing() * len(parts)

    def full_width(self) -> int:
        """The width at which every toggle shows as its own button."""
        return EDIT_PREFERRED_WIDTH + self._fixed_width(list(self.toggle_buttons.values()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - the compact layout's minimum
        hint = super().minimumSizeHint()
        compact = EDIT_MIN_WIDTH + self._fixed_width([self.filters_button])
        compact += self.busy_label.sizeHint().width() + self._row.spacing()  # "Filtering…" may show
        return QSize(compact, hint.height())

    def is_compact(self) -> bool:
        """True when the toggles are folded into the Filters menu."""
        return self._compact

    def _fit(self) -> None:
        compact = self.width() < self.full_width()
        self._compact = compact
        for button in self.toggle_buttons.values():
            button.setVisible(not compact)
        self.filters_button.setVisible(compact)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _label_filters(self, *_args: object) -> None:
        on = [b.text() for b in self.toggle_buttons.values() if b.isChecked()]
        self.filters_button.setText(f"Filters ({len(on)} on)" if on else "Filters")
        self.filters_button.setToolTip("Quick filters: " + (", ".join(on) if on else "none on")
                                       + " (the window is too narrow to show each as a button)")

    def _update_placeholder(self, *_args: object) -> None:
        self.edit.setPlaceholderText(placeholder(self.session.frame))

    # -- query --------------------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """Set the bar's text (one undoable edit) and apply it at once."""
        self._debounce.stop()
        self._setting = True
        try:
            self.edit.replace_text(text)
        finally:
            self._setting = False
        self._debounce.stop()
        self.apply()

    def undo(self) -> None:
        """Bring back the text before the last change (e.g. an Esc that cleared it)."""
        if self.edit.isUndoAvailable():
            self.edit.close_completions()
            self.edit.undo()
            self.apply()

    def apply(self) -> None:
        self._debounce.stop()
        self.session.set_query(self.edit.text())

    def apply_typed(self) -> None:
        """Apply what was typed (in the background on large frames)."""
        self._debounce.stop()
        self.session.apply_query_async(self.edit.text())

    def clear(self) -> None:
        self.set_text("")

    def filter_state(self) -> dict[str, object]:
        """The query and every filter beside it, for ``restore_state`` (a finding's Back)."""
        s = self.session
        return {"text": s.query_text, "toggles": set(s.toggles), "operations": s.operations,
                "time": (s.time_from, s.time_to)}

    def clear_filters(self) -> list[str]:
        """Switch off the quick filters, operations checklist and time range (each can hide
        rows a query asks for); returns what was switched off, in words."""
        s, cleared = self.session, []
        for name, button in self.toggle_buttons.items():
            if button.isChecked():
                button.setChecked(False)
                cleared.append(button.text())
        if s.operations is not None:
            self.set_operations(None)
            cleared.append("operations checklist")
        if s.time_from is not None or s.time_to is not None:
            self.time_range.set_range(None, None)
            cleared.append("time range")
        return cleared

    def restore_state(self, state: dict[str, object]) -> None:
        toggles = state["toggles"]
        for name, button in self.toggle_buttons.items():
            button.setChecked(name in toggles)  # type: ignore[operator]
        operations = state["operations"]
        self.set_operations(None if operations is None else set(operations))  # type: ignore[call-overload]
        self.time_range.set_range(*state["time"])  # type: ignore[misc]
        self.set_text(str(state["text"]))

    def _schedule_apply(self, text: str) -> None:
        """Adaptive debounce: a paste (or completion) applies at once, typing waits about
        1.5x the last evaluation's time (``DEBOUNCE_MIN_MS``..``DEBOUNCE_MAX_MS``)."""
        previous, self._typed = self._typed, text
        if self._setting:
            return
        if abs(len(text) - len(previous)) > 1:
            self.apply_typed()
            return
        last_ms = self.session.last_query_seconds * 1000
        self._debounce.setInterval(int(min(DEBOUNCE_MAX_MS, max(DEBOUNCE_MIN_MS, 1.5 * last_ms))))
        self._debounce.start()

    def _show_state(self) -> None:
        error = self.session.query_error
        if error is None:
            self.error_label.hide()
            self.edit.setProperty("invalid", False)
        else:
            text = self.session.query_text
            pos = max(0, min(error.position, len(text)))
            snippet = text[max(0, pos - 30) : pos + 30]
            caret = " " * (pos - max(0, pos - 30)) + "^"
            self.error_label.setText(f"Syntax error at position {pos + 1}: {error.args[0]}\n  {snippet}\n  {caret}")
            self.error_label.show()
            self.edit.setProperty("invalid", True)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)

    # -- operations checklist -------------------------------------------------------------
    def _rebuild_operations(self) -> None:
        checked_before = self.session.operations
        self.operations_menu.clear()
        self.operation_actions = {}
        all_action = self.operations_menu.addAction("All operations")
        all_action.triggered.connect(lambda: self.set_operations(None))
        self.operations_menu.addSeparator()
        for name in self.session.operations_present():
            action = self.operations_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(checked_before is None or name in checked_before)
            action.toggled.connect(self._operations_toggled)
            self.operation_actions[name] = action
        self._label_operations()

    def set_operations(self, names: set[str] | None) -> None:
        for name, action in self.operation_actions.items():
            action.blockSignals(True)
            action.setChecked(names is None or name in names)
            action.blockSignals(False)
        self.session.set_operations(names)
        self._label_operations()

    def _operations_toggled(self, _on: bool) -> None:
        checked = {n for n, a in self.operation_actions.items() if a.isChecked()}
        self.session.set_operations(None if len(checked) == len(self.operation_actions) else checked)
        self._label_operations()

    def _label_operations(self) -> None:
        ops = self.session.operations
        total = len(self.operation_actions)
        if ops is None:
            self.operations_button.setText("Operations: all")
        else:
            self.operations_button.setText(f"Operations: {len(ops)}/{total}")
