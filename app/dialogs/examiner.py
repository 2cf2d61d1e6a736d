"""The examiner's name: asked once, remembered in the settings, written into every custody
entry."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QWidget

from app import settings as app_settings
from forensics.custody.log import default_examiner

KEY = "examiner/name"


def stored_examiner() -> str:
    return str(app_settings.settings().value(KEY, "") or "")


def remember_examiner(name: str) -> None:
    store = app_settings.settings()
    store.setValue(KEY, name)
    store.sync()


class ExaminerDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, current: str = "") -> str | None:
        """The name typed, or None when cancelled (tests monkeypatch this)."""
        name, ok = QInputDialog.getText(
            parent,
            "Examiner",
            "Your name, as it should appear in the chain-of-custody log\n"
            "(asked once; change it later under Edit > Examiner name):",
            text=current or default_examiner(),
        )
        name = name.strip()
        return name if ok and name else None


def ensure_examiner(parent: QWidget | None) -> str:
    """The remembered examiner name, asking once if none is stored yet."""
    name = stored_examiner()
    if name:
        return name
    name = ExaminerDialog.ask(parent) or default_examiner()
    remember_examiner(name)
    return name
