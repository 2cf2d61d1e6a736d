"""Take docs/new-case.png and docs/save-query.png: the New case dialog with the demo
evidence open (what the case will offer to adopt) and the Save query dialog with a query
and a quick filter (what is saved). Run under a display:
``xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/dialog_screenshots.py``.
Settings and session data go to a temporary folder, so a developer's settings are untouched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="dialog-shot-"))
    os.environ["MAILBOX_AUDIT_SETTINGS"] = str(scratch / "settings.ini")
    os.environ["MAILBOX_AUDIT_DATA_DIR"] = str(scratch / "data")
    from PySide6.QtCore import QTimer

    from app.application import create_application
    from app.cases.dialogs import NewCaseDialog, SaveQueryDialog
    from app.dialogs.examiner import remember_examiner
    from app.main_window import MainWindow

    app = create_application([sys.argv[0]])
    remember_examiner("Sam Examiner")
    window = MainWindow(quiet=True)
    window.show()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs"

    def shoot() -> None:
        dialog = NewCaseDialog(window.session.examiner or "", window, window.cases.evidence.open_files())
        dialog.folder.setText("/home/examiner/cases/contoso-2024-031")
        dialog.name.setText("Contoso CEO mailbox review")
        dialog.number.setText("2024-031")
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(out / "new-case.png"))
        dialog.close()
        toggles = {"quick filter nonowner": "is:nonowner", "operations": "FolderOpen, MessageOpen"}
        save = SaveQueryDialog('actor:pquinn mailbox:amorgan (operation:MessageOpen OR operation:FolderOpen) '
                               'after:2024-03-13 before:2024-03-15', toggles, ["Night reads"], window)
        save.name.setText("Pat in the CEO's mailbox at night")
        save.show()
        app.processEvents()
        save.grab().save(str(out / "save-query.png"))
        print(f"wrote {out / 'new-case.png'} and {out / 'save-query.png'}")
        app.quit()

    window.session.loader.idle.connect(lambda: QTimer.singleShot(300, shoot))
    QTimer.singleShot(0, lambda: window.open_paths([REPO / "resources" / "demo" / "evidence" / "evtx",
                                                    REPO / "resources" / "demo" / "evidence" / "mailbox-audit"]))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
