"""QApplication setup: names (for settings paths), Fusion style, the stylesheet, logging,
and an exception hook that logs an uncaught exception, shows it as a dialog and keeps the
application running."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyleFactory

from app import settings as app_settings
from forensics.paths import resource_path

log = logging.getLogger("app")

_in_hook = False


def stylesheet() -> str:
    path = resource_path("styles", "workbench.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def configure_logging() -> None:
    """Log to a file in the user's data folder (never next to evidence)."""
    root = logging.getLogger()
    if any(getattr(h, "_mailbox_audit", False) for h in root.handlers):
        return
    try:
        folder = app_settings.data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "mailbox-audit-gui.log", encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler()
    handler._mailbox_audit = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Log the exception and show it; the event loop keeps running."""
    global _in_hook
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("uncaught exception\n%s", details)
    if _in_hook or QApplication.instance() is None:
        return
    _in_hook = True
    try:
        from app.dialogs.messages import show_error

        from forensics.errors import ForensicsError

        message = exc.user_message if isinstance(exc, ForensicsError) else f"{exc_type.__name__}: {exc}"
        show_error(
            QApplication.activeWindow(),
            "Unexpected error",
            "Something went wrong, but your work is intact and the application keeps running.\n\n"
            f"{message}\n\nThe details were written to the application log.",
            details,
        )
    finally:
        _in_hook = False


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists, e.g. under pytest-qt), styled and hooked."""
    QCoreApplication.setOrganizationName(app_settings.ORGANIZATION)
    QCoreApplication.setApplicationName(app_settings.APPLICATION)
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv))
    assert isinstance(app, QApplication)
    apply_style(app)
    configure_logging()
    sys.excepthook = excepthook
    return app


def apply_style(app: QApplication) -> str:
    """Fusion (the same look on every platform) plus our stylesheet; returns the style used."""
    base = app.style().name()
    if "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
        base = "Fusion"
    app.setStyleSheet(stylesheet())
    icon = resource_path("icons", "mailbox-audit.svg")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    return base
