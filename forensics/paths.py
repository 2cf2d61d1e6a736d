"""Where the bundled resources (event maps, templates, demo case, icons) live.

Three layouts must work: a source checkout (``resources/`` beside ``forensics/``), an
installed wheel (resources shipped as the ``mailbox_audit_resources`` package), and the
PyInstaller one-folder build (``sys._MEIPASS/resources``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """Return the resources folder; ``MAILBOX_AUDIT_RESOURCES`` overrides for tests."""
    override = os.environ.get("MAILBOX_AUDIT_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    try:
        import mailbox_audit_resources  # installed wheel

        return Path(mailbox_audit_resources.__file__).resolve().parent
    except ImportError:  # pragma: no cover - broken install
        return checkout


def resource_path(*parts: str) -> Path:
    """Path of a file below the resources folder."""
    return resources_dir().joinpath(*parts)
