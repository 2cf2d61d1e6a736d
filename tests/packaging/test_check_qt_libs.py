"""``make run`` names the missing Qt platform libraries and the one command installing them
(issue 22, Set-up: a fresh Debian lacked libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1).

The ldd output below has the shape glibc's ldd prints for PySide6 6.x's
``Qt/plugins/platforms/libqxcb.so`` on Debian 12 with those three packages absent (the
"=> not found" lines are ldd's own wording); the os-release texts are the distributions'
documented /etc/os-release fields (os-release(5))."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("check_qt_libs", REPO / "build_spec" / "check_qt_libs.py")
check = importlib.util.module_from_spec(SPEC)
assert SPEC.loader is not None
SPEC.loader.exec_module(check)

FRESH_DEBIAN_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd5a1f2000)
\tlibQt6XcbQpa.so.6 => /home/u/.venv/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f2b1c2a5000)
\tlibQt6Gui.so.6 => /home/u/.venv/lib/python3.11/site-packages/PySide6/Qt/plugins/platforms/../../lib/libQt6Gui.so.6 (0x00007f2b1b800000)
\tlibxkbcommon.so.0 => /lib/x86_64-linux-gnu/libxkbcommon.so.0 (0x00007f2b1c25d000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f2b1c252000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f2b1c24a000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-randr.so.0 => /lib/x86_64-linux-gnu/libxcb-randr.so.0 (0x00007f2b1c237000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f2b1c20d000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2b1b41e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f2b1c2d8000)
"""

OS_RELEASE = {
    "apt": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
    "apt-ubuntu": 'NAME="Ubuntu"\nVERSION="24.04 LTS (Noble Numbat)"\nID=ubuntu\nID_LIKE=debian\n',
    "dnf": 'NAME="Fedora Linux"\nVERSION="40 (Workstation Edition)"\nID=fedora\nVERSION_ID=40\n',
    "pacman": 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n',
    "zypper": 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n',
}


def test_missing_libraries_are_read_from_ldd_once_each() -> None:
    assert check.missing_libraries(FRESH_DEBIAN_LDD) == ["libxcb-cursor.so.0", "libxcb-icccm.so.4",
                                                         "libxcb-keysyms.so.1"]
    assert check.missing_libraries(FRESH_DEBIAN_LDD.replace("not found", "/lib/x.so (0x1)")) == []


@pytest.mark.parametrize("release, expected", [
    ("apt", "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"),
    ("apt-ubuntu", "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"),
    ("dnf", "sudo dnf install -y xcb-util-cursor xcb-util-wm xcb-util-keysyms"),
    ("pacman", "sudo pacman -S --needed xcb-util-cursor xcb-util-wm xcb-util-keysyms"),
    ("zypper", "sudo zypper install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"),
])
def test_one_install_command_per_distribution(release: str, expected: str) -> None:
    fam = check.family(OS_RELEASE[release])
    text = check.advice(check.missing_libraries(FRESH_DEBIAN_LDD), fam)
    assert expected in text.splitlines()[3]
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in text


def test_root_gets_no_sudo_and_unknown_libraries_are_named() -> None:
    command, unknown = check.install_command(["libxcb-xkb.so.1", "libfoo.so.9"], "apt", root=True)
    assert command == "apt-get install -y libxcb-xkb1" and unknown == ["libfoo.so.9"]
    text = check.advice(["libxcb-cursor.so.0"], None)  # unknown distribution: every family's command
    assert "Debian/Ubuntu: sudo apt-get install -y libxcb-cursor0" in text
    assert "Fedora: sudo dnf install -y xcb-util-cursor" in text


@pytest.mark.parametrize("platform, env, expected", [
    ("linux", {}, True), ("linux", {"QT_QPA_PLATFORM": "xcb"}, True),
    ("linux", {"QT_QPA_PLATFORM": "offscreen"}, False), ("linux", {"QT_QPA_PLATFORM": "wayland"}, False),
    ("win32", {}, False), ("darwin", {}, False),
])
def test_checked_only_on_linux_with_xcb(platform: str, env: dict[str, str], expected: bool) -> None:
    assert check.should_check(platform, env) is expected


def test_main_prints_the_command_and_fails_with_a_fake_ldd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"\x7fELF")
    release = tmp_path / "os-release"
    release.write_text(OS_RELEASE["apt"], encoding="utf-8")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(check.sys, "platform", "linux")
    monkeypatch.setattr(check, "xcb_plugin", lambda: plugin)
    monkeypatch.setattr(check, "run_ldd", lambda path: FRESH_DEBIAN_LDD if path == plugin else "")
    real_path = check.Path
    monkeypatch.setattr(check, "Path", lambda p: release if p == "/etc/os-release" else real_path(p))
    assert check.main() == 1
    err = capsys.readouterr().err
    assert "apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in err
    monkeypatch.setattr(check, "run_ldd", lambda path: FRESH_DEBIAN_LDD.replace("not found", "/lib/x.so (0x1)"))
    assert check.main() == 0
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(check, "run_ldd", lambda path: FRESH_DEBIAN_LDD)
    assert check.main() == 0


def test_the_script_passes_on_this_machine_headless() -> None:
    # run as make does; QT_QPA_PLATFORM=offscreen (the test environment) skips the check
    result = subprocess.run([sys.executable, str(REPO / "build_spec" / "check_qt_libs.py")], capture_output=True,
                            text=True, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
