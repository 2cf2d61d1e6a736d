"""The main window the screenshot scripts start from: settings and session data in a fresh
temporary folder (a developer's settings stay untouched), examiner "Screenshot", the demo
identities loaded with the evidence, 1600x1000 and shown. Imported by the scripts in docs/."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def demo_window(prefix: str) -> tuple[Any, Any]:
    """(application, main window) for a screenshot; ``prefix`` names the temporary folder."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["MAILBOX_AUDIT_SETTINGS"] = str(scratch / "settings.ini")
    os.environ["MAILBOX_AUDIT_DATA_DIR"] = str(scratch / "data")
    from app.application import create_application
    from app.dialogs.examiner import remember_examiner
    from app.main_window import MainWindow
    from forensics.parsers.base import LoadOptions

    app = create_application([sys.argv[0]])
    remember_examiner("Screenshot")
    window = MainWindow(quiet=True)
    window.session.load_options = LoadOptions(identities=REPO / "resources" / "demo-identities.csv")
    window.resize(1600, 1000)
    window.show()
    return app, window
