"""``mailbox-audit crosscheck`` on a legacy .evt: our reader against libevt, decided by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.cli.main import main
from helpers.evt_build import write_log

pytest.importorskip("pyevt")


def test_crosscheck_evt_agrees(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_log(tmp_path / "renamed.log", 40, max_size=6000)  # wrapped, and not named .evt
    assert main(["crosscheck", str(path)]) == 0
    out = capsys.readouterr().out
    assert "AGREE on every record" in out and "libevt" in out


def test_load_command_reads_evt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_log(tmp_path / "AppEvent.Evt", 30)
    assert main(["load", str(path)]) == 0
    out = capsys.readouterr().out
    assert "evt" in out and "30" in out
