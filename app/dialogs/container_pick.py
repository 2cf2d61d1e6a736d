"""Before a disk image or triage collection is parsed: a checklist of the evidence found
inside it (size, inner path, why it was picked), so the examiner chooses what loads.

The listing reads the container (``forensics.containers``) but parses and logs nothing; the
choice goes to the load as exact ``--select`` patterns, which custody then records per file.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication, QDialog, QDialogButtonBox, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from forensics.containers import Member, container_kind, open_container
from forensics.errors import ForensicsError


def exact_pattern(inner: str) -> str:
    """A glob that matches exactly this inner path (``[``, ``]``, ``*``, ``?`` escaped)."""
    return re.sub(r"([\[\]*?])", r"[\1]", inner)


def _why(member: Member) -> str:
    if member.problem:
        return f"not readable: {member.problem}"
    return member.location or (f"content: {member.detected}" if member.detected else "")


class ContainerPickDialog(QDialog):
    """One container's evidence as a checklist (all ticked but the unreadable ones)."""

    def __init__(self, path: Path, members: list[Member], problems: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Evidence in {path.name}")
        self.members = members
        layout = QVBoxLayout(self)
        text = f"{len(members):,} evidence file(s) found in {path}. Tick the ones to load (nothing is extracted)."
        if problems:
            text += "\n\nProblems:\n" + "\n".join(f"• {p}" for p in problems)
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Inner path", "Size", "Found by"])
        self.tree.setRootIsDecorated(False)
        for member in members:
            item = QTreeWidgetItem([member.inner, f"{member.size:,}", _why(member)])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            item.setCheckState(0, Qt.CheckState.Unchecked if member.problem else Qt.CheckState.Checked)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)
        layout.addWidget(self.tree)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 500)

    def chosen(self) -> list[Member]:
        return [m for i, m in enumerate(self.members)
                if self.tree.topLevelItem(i).checkState(0) == Qt.CheckState.Checked]

    @classmethod
    def ask(cls, parent: QWidget | None, path: Path) -> list[str] | None:
        """Patterns naming exactly the members chosen (``name!*`` for all of them), or None
        to skip the container. Tests monkeypatch this."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            with open_container(path) as container:
                members, problems = container.evidence(), list(container.problems)
        except ForensicsError:
            return [exact_pattern(path.name) + "!*"]  # the load reports why it cannot be opened, in custody too
        finally:
            QApplication.restoreOverrideCursor()
        dialog = cls(path, members, problems, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        chosen = dialog.chosen()
        if not chosen:
            return None
        if len(chosen) == len(members):
            return [exact_pattern(path.name) + "!*"]
        # "container!inner": a pattern never reaches into another container of the same load
        return [exact_pattern(m.display) for m in chosen]


def pick_from_containers(parent: QWidget | None, files: list[Path]) -> tuple[list[Path], list[str]] | None:
    """Ask for each container among ``files``: (files to load, select patterns), or None
    when the examiner skipped everything. A container skipped is left out of the load."""
    keep: list[Path] = []
    patterns: list[str] = []
    for path in files:
        if not path.is_file() or container_kind(path) is None:
            keep.append(path)
            continue
        answer = ContainerPickDialog.ask(parent, path)
        if answer is None:
            continue
        keep.append(path)
        patterns += answer
    return (keep, patterns) if keep else None
