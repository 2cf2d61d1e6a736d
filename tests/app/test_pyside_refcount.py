"""Guard against a Qt binding that mismanages references of Python slots.

PySide6 6.12.0 drops one reference to the value a Python slot returns on every call. On
Python 3.11 (None/True/False are not immortal) the GUI then aborts with "Fatal Python
error: none_dealloc" after some tens of thousands of signal deliveries, or at exit. This
is why pyproject.toml pins PySide6-Essentials below 6.12.
"""

from __future__ import annotations

import sys


def test_slot_calls_keep_references(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QAction

    sentinel = object()
    action = QAction("x")
    action.setCheckable(True)
    action.toggled.connect(lambda on: sentinel)
    before_none, before_sentinel = sys.getrefcount(None), sys.getrefcount(sentinel)
    for _ in range(200):
        action.setChecked(True)
        action.setChecked(False)
    assert sys.getrefcount(sentinel) == before_sentinel
    assert abs(sys.getrefcount(None) - before_none) < 50
