"""The examiner's highlight rules in the GUI: View > Highlight rules… adds and removes
"rows matching this query get this background" (e.g. ``203.0.113.77`` in pale red).

The rules live in the open case (``forensics.case.format_rules``: case.json, custody log);
without a case they last for the session and the dialog says so. The grid's model turns
them into one colour index per row, vectorized, when they change (never per painted cell).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from forensics.case.format_rules import FormatRule, rule_problem
from forensics.errors import ForensicsError

if TYPE_CHECKING:
    from app.cases.controller import CaseController

#: preset backgrounds: pale enough for dark text, distinct from the tag/admin colours
PRESETS = (("Pale red", "#ffd6d6"), ("Yellow", "#fff2a8"), ("Green", "#d4f0c8"), ("Lilac", "#e6dcff"),
           ("Orange", "#ffdcb4"), ("Grey", "#e2e2e2"))


class HighlightRules(QObject):
    """Keeps the grid's colours in step with the rules of the open case (or the session)."""

    def __init__(self, cases: "CaseController") -> None:
        super().__init__(cases)
        self.cases = cases
        self.window = cases.window
        self._loose: list[FormatRule] = []  # rules of a session without a case
        self.action = QAction("&Highlight rules…", self.window)
        self.action.setStatusTip("Give rows matching a query a background colour (kept in the case)")
        self.action.triggered.connect(lambda _c=False: self.dialog())
        self.window.menu_view.addAction(self.action)

    def rules(self) -> list[FormatRule]:
        case = self.cases.case
        return case.format_rules if case is not None else self._loose

    def apply(self) -> None:
        self.window.model.set_format_rules([(r.query, r.colour) for r in self.rules()])

    def add(self, query: str, colour: str) -> str:
        """Add a rule; returns the reason it was refused ("" when added)."""
        case = self.cases.case
        try:
            if case is not None:
                case.add_format_rule(query, colour, examiner=self.cases.session.examiner or "")
                case.save()
                self.cases.session.custody_changed.emit()
            else:
                problem = rule_problem(query.strip(), colour.strip().lower())
                if problem:
                    return problem
                self._loose.append(FormatRule(query.strip(), colour.strip().lower()))
        except ValueError as exc:
            return str(exc)
        except ForensicsError as exc:
            return exc.user_message
        self.apply()
        return ""

    def remove(self, index: int) -> None:
        case = self.cases.case
        if case is not None:
            if case.remove_format_rule(index) is not None:
                case.save()
                self.cases.session.custody_changed.emit()
        elif 0 <= index < len(self._loose):
            self._loose.pop(index)
        self.apply()

    def counts(self) -> list[int]:
        """Rows each rule colours (a row matched by several takes the first rule's colour)."""
        model = self.window.model
        codes = model.rule_of(np.arange(len(self.cases.session.frame)))
        return np.bincount(codes[codes >= 0].astype(np.int64), minlength=len(self.rules())).tolist()

    def dialog(self) -> "HighlightRulesDialog":
        dialog = HighlightRulesDialog(self, self.window)
        dialog.exec()
        return dialog


class HighlightRulesDialog(QDialog):
    """The list of rules (first wins) with a query field, a colour and Add / Remove."""

    def __init__(self, rules: HighlightRules, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HighlightRulesDialog")
        self.setWindowTitle("Highlight rules")
        self.rules = rules
        where = ("Kept in the case; every change is logged in its custody log." if rules.cases.case is not None
                 else "No case is open: these rules last until you close the program.")
        intro = QLabel("Rows matching a rule's query get its background colour; when several rules match, "
                       "the first one wins. " + where, self)
        intro.setWordWrap(True)
        self.listing = QListWidget(self)
        self.listing.setObjectName("HighlightRuleList")
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("a query, e.g. 203.0.113.77  or  actor:pat is:nonowner")
        self.colour = QComboBox(self)
        for name, value in PRESETS:
            self.colour.addItem(name, value)
            self.colour.setItemData(self.colour.count() - 1, QColor(value), Qt.ItemDataRole.BackgroundRole)
        self.colour.addItem("Other colour…", "")
        self.colour.activated.connect(self._maybe_pick)
        add = QPushButton("Add rule", self)
        add.setDefault(True)
        add.clicked.connect(self._add)
        self.query.returnPressed.connect(self._add)
        remove = QPushButton("Remove selected", self)
        remove.clicked.connect(self._remove)
        self.message = QLabel(self)
        self.message.setObjectName("HighlightRuleMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        entry = QHBoxLayout()
        entry.addWidget(self.query, 1)
        entry.addWidget(self.colour)
        entry.addWidget(add)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(remove, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.listing, 1)
        layout.addLayout(entry)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(620, 380)
        self.refresh()

    def refresh(self) -> None:
        self.listing.clear()
        counts = self.rules.counts()
        problems = dict(self.rules.window.model.rule_problems)
        for rule, count in zip(self.rules.rules(), counts):
            text = f"{rule.query}    —  {count:,} row{'s' if count != 1 else ''}"
            if rule.query in problems:
                text += f"  (cannot be evaluated: {problems[rule.query]})"
            item = QListWidgetItem(text)
            item.setBackground(QColor(rule.colour))
            item.setForeground(QColor("#1d2329"))
            item.setToolTip(f"{rule.query}\nbackground {rule.colour}")
            self.listing.addItem(item)

    def _maybe_pick(self, index: int) -> None:
        if self.colour.itemData(index):
            return
        chosen = QColorDialog.getColor(QColor("#ffffff"), self, "Rule colour")
        if chosen.isValid():
            self.colour.insertItem(index, chosen.name(), chosen.name())
            self.colour.setItemData(index, chosen, Qt.ItemDataRole.BackgroundRole)
        self.colour.setCurrentIndex(index if chosen.isValid() else 0)

    def _add(self) -> None:
        problem = self.rules.add(self.query.text(), str(self.colour.currentData() or PRESETS[0][1]))
        if problem:
            self.message.setText("Not added: " + problem)
            return
        self.message.setText("")
        self.query.clear()
        self.refresh()

    def _remove(self) -> None:
        for row in sorted({i.row() for i in self.listing.selectedIndexes()}, reverse=True):
            self.rules.remove(row)
        self.refresh()
