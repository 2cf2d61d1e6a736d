"""Where the GUI keeps its settings and per-session data (never next to evidence).

Both locations can be redirected by environment variables so tests and portable installs
stay isolated: ``MAILBOX_AUDIT_SETTINGS`` (an .ini file) and ``MAILBOX_AUDIT_DATA_DIR``.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

ORGANIZATION = "MailboxAudit"
APPLICATION = "Mailbox Audit"


def settings() -> QSettings:
    """The application's settings store (an .ini file when redirected)."""
    override = os.environ.get("MAILBOX_AUDIT_SETTINGS")
    if override:
        return QSettings(override, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def data_dir() -> Path:
    """The user's data folder for this application (sessions, logs)."""
    override = os.environ.get("MAILBOX_AUDIT_DATA_DIR")
    if override:
        return Path(override)
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not location:  # no QCoreApplication names set yet
        location = str(Path.home() / ".local" / "share" / ORGANIZATION)
    return Path(location)


def new_session_dir() -> Path:
    """A fresh case folder for work done without an open case: sessions/<UTC timestamp>."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")
    path = data_dir() / "sessions" / stamp
    path.mkdir(parents=True, exist_ok=True)
    return path

