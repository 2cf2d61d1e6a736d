"""Help > About (version, dependency versions, offline statement) and Help > Query syntax."""

from __future__ import annotations

import platform
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from forensics import __version__

DEPENDENCIES = ("PySide6-Essentials", "pandas", "numpy", "pyarrow", "evtx", "python-evtx", "defusedxml",
                "pyqtgraph", "Jinja2", "XlsxWriter", "reportlab", "matplotlib")

OFFLINE_STATEMENT = (
    "Mailbox Audit works entirely offline: it never connects to a network, sends no "
    "telemetry and checks for no updates. Evidence files are opened read-only and nothing "
    "is written next to them."
)


def dependency_versions() -> dict[str, str]:
    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def about_html() -> str:
    rows = "".join(f"<tr><td>{n}</td><td>{v}</td></tr>" for n, v in dependency_versions().items())
    return (
        f"<h2>Mailbox Audit {__version__}</h2>"
        "<p>Offline forensic viewer: who opened whose Exchange mailbox, what, when and from where, "
        "with a tamper-evident chain-of-custody log.</p>"
        f"<p><b>{OFFLINE_STATEMENT}</b></p>"
        f"<p>Python {platform.python_version()} on {platform.system()} {platform.release()}</p>"
        f"<table cellpadding='2'><tr><th align='left'>Component</th><th align='left'>Version</th></tr>{rows}</table>"
    )


class TextDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None, html: str = "", markdown: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        if markdown:
            self.browser.setMarkdown(markdown)
        else:
            self.browser.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(720, 560)


def about_dialog(parent: QWidget | None) -> TextDialog:
    return TextDialog("About Mailbox Audit", parent, html=about_html())


def query_syntax_dialog(parent: QWidget | None) -> TextDialog:
    from forensics.query import SYNTAX

    return TextDialog("Query syntax", parent, markdown=SYNTAX)


def show_query_syntax(window: QWidget) -> TextDialog:
    """Help > Query syntax, modeless: the grid and query bar stay usable beside it, and a
    second invocation raises the same window instead of stacking another."""
    dialog = getattr(window, "_query_syntax_dialog", None)
    if dialog is None:
        dialog = query_syntax_dialog(window)
        dialog.setModal(False)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        window._query_syntax_dialog = dialog  # type: ignore[attr-defined]
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
