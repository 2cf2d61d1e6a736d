"""GUI test fixtures: isolated settings and data folders, non-blocking dialogs, a test-only
evidence format that can be slow (to cancel midway) or broken (a parse error), and windows
whose worker threads are joined at teardown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forensics.errors import ParseError
from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")


class GuiTestParser(Parser):
    """``#GUITEST`` then lines ``time,actor,mailbox,operation,logon_type,outcome``.

    ``SLEEP`` lines slow parsing down (and check for cancel); ``BOOM`` raises a ParseError.
    """

    name = "guitest"
    description = "test-only format for the GUI tests"
    source_format = "guitest"
    extensions = (".guitest",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 95 if head.startswith(b"#GUITEST") else 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        rows = []
        number = 0
        for raw in iter(ctx.reader.readline, b""):
            number += 1
            line = raw.decode("utf-8").strip()
            if number == 1 or not line:
                continue
            ctx.check_cancel()
            if line == "SLEEP":
                ctx.report.skip("sleep")
                time.sleep(0.01)
                continue
            if line == "BOOM":
                raise ParseError(f"{ctx.path.name}: line {number}: the file is corrupt")
            parts = line.split(",")
            if len(parts) != 6:
                ctx.report.bad_record(f"line {number}", f"expected 6 fields, found {len(parts)}")
                continue
            ctx.report.accept()
            t, actor, mailbox, op, logon, outcome = parts
            rows.append({"time": t, "actor": actor, "mailbox": mailbox, "operation": op, "logon_type": logon,
                         "outcome": outcome, "admin_rights": logon == "Admin", "folder": "/Inbox",
                         "record_id": number, "raw_ref": number})
        if rows:
            yield pd.DataFrame(rows)

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        return path.read_text(encoding="utf-8").splitlines()[int(raw_ref or 1) - 1]


try:
    registry.all_parsers()  # load the built-in parsers first
except Exception:  # noqa: BLE001 - a half-written built-in parser must not hide GUI tests
    pass
registry.register(GuiTestParser)

ROWS = [
    # time, actor, mailbox, operation, logon_type, outcome
    ("2024-03-05T08:00:00Z", "CONTOSO\\ceo", "ceo@contoso.com", "Logon", "Owner", "Success"),
    ("2024-03-05T09:15:00Z", "CONTOSO\\pat", "ceo@contoso.com", "FolderOpen", "Delegate", "Success"),
    ("2024-03-05T09:16:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"),
    ("2024-03-05T22:40:00Z", "CONTOSO\\admin", "cfo@contoso.com", "MessageOpen", "Admin", "Success"),
    ("2024-03-06T07:00:00Z", "CONTOSO\\cfo", "cfo@contoso.com", "Logon", "Owner", "Success"),
    ("2024-03-06T07:05:00Z", "CONTOSO\\eve", "cfo@contoso.com", "LogonFailure", "Delegate", "Failure"),
    ("2024-03-06T11:30:00Z", "CONTOSO\\hr", "hr@contoso.com", "MessageOpen", "Owner", "Success"),
]


def write_guitest(path: Path, rows: list[tuple[str, ...]] = ROWS, extra: list[str] = ()) -> Path:
    lines = ["#GUITEST"] + [",".join(r) for r in rows] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def evidence_folder(tmp_path: Path) -> Path:
    """A folder tree with two evidence files (one in a subfolder) and an unrelated file."""
    folder = tmp_path / "evidence"
    (folder / "server2").mkdir(parents=True)
    write_guitest(folder / "server1.guitest", ROWS[:4])
    write_guitest(folder / "server2" / "server2.guitest", ROWS[4:])
    (folder / "notes.txt.bak").write_text("not evidence", encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings and the data folder live in tmp_path; the examiner is already known."""
    settings_file = tmp_path / "settings" / "mailbox-audit.ini"
    monkeypatch.setenv("MAILBOX_AUDIT_SETTINGS", str(settings_file))
    monkeypatch.setenv("MAILBOX_AUDIT_DATA_DIR", str(tmp_path / "appdata"))
    from app.dialogs.examiner import remember_examiner

    remember_examiner("Test Examiner")
    return settings_file


class DialogRecorder:
    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def texts(self) -> str:
        return "\n".join(f"{t}: {m}" for t, m in self.shown)


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch) -> DialogRecorder:
    """Message boxes record their title and text instead of blocking."""
    from PySide6.QtWidgets import QMessageBox

    recorder = DialogRecorder()

    def fake_exec(box: QMessageBox) -> int:
        recorder.shown.append((box.windowTitle(), box.text()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return recorder


@pytest.fixture
def make_window(qtbot):  # type: ignore[no-untyped-def]
    """Build MainWindows; their loader and task threads are joined at teardown."""
    from app.application import apply_style
    from app.main_window import MainWindow
    from PySide6.QtWidgets import QApplication

    apply_style(QApplication.instance())
    windows: list[MainWindow] = []

    def factory(**kwargs):  # type: ignore[no-untyped-def]
        window = MainWindow(**kwargs)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.session.shutdown()
        task = window.custody_panel.task
        if task is not None:
            task.wait()


@pytest.fixture
def window(make_window):  # type: ignore[no-untyped-def]
    w = make_window()
    w.show()
    return w


def load(qtbot, window, paths, timeout: int = 20000) -> None:  # type: ignore[no-untyped-def]
    """Open ``paths`` through the real worker and wait until the load has ended."""
    with qtbot.waitSignal(window.session.loader.idle, timeout=timeout):
        assert window.open_paths(paths)


@pytest.fixture
def loaded_window(qtbot, window, evidence_folder):  # type: ignore[no-untyped-def]
    load(qtbot, window, [evidence_folder])
    return window
