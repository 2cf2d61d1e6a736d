"""Evidence text shown in Qt exactly as text.

Why: Qt renders a tooltip as rich text whenever the string *looks* like HTML
(``Qt.mightBeRichText``), so a subject such as ``<img src=x>`` or ``<b>urgent</b>`` would be
drawn as markup, not shown; and bidirectional controls (U+202E…) reorder what is displayed.
Every evidence string put in a tooltip goes through ``plain_tip``.
"""

from __future__ import annotations

from PySide6.QtGui import Qt

from forensics.reports.sanitize import show_controls


def plain_tip(text: str | None) -> str:
    """A tooltip string that Qt shows as the literal text (bidi controls written out)."""
    if not text:
        return ""
    return Qt.convertFromPlainText(show_controls(text), Qt.WhiteSpaceMode.WhiteSpaceNormal)
