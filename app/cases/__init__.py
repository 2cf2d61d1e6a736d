"""Cases, bookmarks and report export in the GUI (installed by the main window)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cases.controller import CaseController
    from app.main_window import MainWindow


def install(window: "MainWindow") -> "CaseController":
    """Add the case menus, Ctrl+B, the Bookmarks and Case notes docks; keep the controller
    on ``window.cases``."""
    from app.cases.controller import CaseController

    window.cases = CaseController(window)  # type: ignore[attr-defined]
    return window.cases
