"""Before ``make run`` starts the GUI on Linux: are the system libraries Qt's X11 platform
plugin needs installed? If not, name them and print the one command that installs them.

PySide6's wheels bundle Qt itself but not the X11/xcb libraries of the system. Without,
say, ``libxcb-cursor0`` the GUI dies with "Could not load the Qt platform plugin "xcb""
and no hint of which package is missing (a fresh Debian lacked libxcb-cursor0,
libxcb-icccm4 and libxcb-keysyms1). ``ldd`` on the plugin (``platforms/libqxcb.so``)
lists every shared library it loads, transitively, with "=> not found" for the missing
ones; those are mapped to the package names of Debian/Ubuntu, Fedora, Arch and openSUSE.

Skipped (exit 0) outside Linux, when ``QT_QPA_PLATFORM`` names another platform
(offscreen, wayland, …), and when the plugin or ``ldd`` cannot be found (then Qt's own
message stands). Exit 1 when libraries are missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: shared library -> package, per packaging family (apt, dnf, pacman, zypper)
PACKAGES: dict[str, dict[str, str]] = {
    "libxcb-cursor.so.0": {"apt": "libxcb-cursor0", "dnf": "xcb-util-cursor", "pacman": "xcb-util-cursor",
                           "zypper": "libxcb-cursor0"},
    "libxcb-icccm.so.4": {"apt": "libxcb-icccm4", "dnf": "xcb-util-wm", "pacman": "xcb-util-wm",
                          "zypper": "libxcb-icccm4"},
    "libxcb-keysyms.so.1": {"apt": "libxcb-keysyms1", "dnf": "xcb-util-keysyms", "pacman": "xcb-util-keysyms",
                            "zypper": "libxcb-keysyms1"},
    "libxcb-image.so.0": {"apt": "libxcb-image0", "dnf": "xcb-util-image", "pacman": "xcb-util-image",
                          "zypper": "libxcb-image0"},
    "libxcb-render-util.so.0": {"apt": "libxcb-render-util0", "dnf": "xcb-util-renderutil",
                                "pacman": "xcb-util-renderutil", "zypper": "libxcb-render-util0"},
    "libxcb-util.so.1": {"apt": "libxcb-util1", "dnf": "xcb-util", "pacman": "xcb-util", "zypper": "libxcb-util1"},
    "libxkbcommon-x11.so.0": {"apt": "libxkbcommon-x11-0", "dnf": "libxkbcommon-x11", "pacman": "libxkbcommon-x11",
                              "zypper": "libxkbcommon-x11-0"},
    "libxkbcommon.so.0": {"apt": "libxkbcommon0", "dnf": "libxkbcommon", "pacman": "libxkbcommon",
                          "zypper": "libxkbcommon0"},
    "libX11-xcb.so.1": {"apt": "libx11-xcb1", "dnf": "libX11-xcb", "pacman": "libx11", "zypper": "libX11-xcb1"},
    "libX11.so.6": {"apt": "libx11-6", "dnf": "libX11", "pacman": "libx11", "zypper": "libX11-6"},
    "libEGL.so.1": {"apt": "libegl1", "dnf": "libglvnd-egl", "pacman": "libglvnd", "zypper": "libEGL1"},
    "libGL.so.1": {"apt": "libgl1", "dnf": "libglvnd-glx", "pacman": "libglvnd", "zypper": "libGL1"},
    "libGLX.so.0": {"apt": "libglx0", "dnf": "libglvnd-glx", "pacman": "libglvnd", "zypper": "libGLX0"},
    "libOpenGL.so.0": {"apt": "libopengl0", "dnf": "libglvnd-opengl", "pacman": "libglvnd", "zypper": "libOpenGL0"},
    "libfontconfig.so.1": {"apt": "libfontconfig1", "dnf": "fontconfig", "pacman": "fontconfig",
                           "zypper": "libfontconfig1"},
    "libfreetype.so.6": {"apt": "libfreetype6", "dnf": "freetype", "pacman": "freetype2", "zypper": "libfreetype6"},
    "libdbus-1.so.3": {"apt": "libdbus-1-3", "dnf": "dbus-libs", "pacman": "dbus", "zypper": "libdbus-1-3"},
    "libglib-2.0.so.0": {"apt": "libglib2.0-0", "dnf": "glib2", "pacman": "glib2", "zypper": "libglib-2_0-0"},
    "libgthread-2.0.so.0": {"apt": "libglib2.0-0", "dnf": "glib2", "pacman": "glib2", "zypper": "libgthread-2_0-0"},
    "libSM.so.6": {"apt": "libsm6", "dnf": "libSM", "pacman": "libsm", "zypper": "libSM6"},
    "libICE.so.6": {"apt": "libice6", "dnf": "libICE", "pacman": "libice", "zypper": "libICE6"},
}
#: the core libxcb extension libraries: one package on Fedora and Arch, one each on Debian and openSUSE
for _ext, _ver in (("xkb", 1), ("shape", 0), ("randr", 0), ("xfixes", 0), ("shm", 0), ("sync", 1), ("render", 0),
                   ("xinerama", 0), ("xinput", 0)):
    PACKAGES[f"libxcb-{_ext}.so.{_ver}"] = {"apt": f"libxcb-{_ext}{_ver}", "dnf": "libxcb", "pacman": "libxcb",
                                            "zypper": f"libxcb-{_ext}{_ver}"}
PACKAGES["libxcb.so.1"] = {"apt": "libxcb1", "dnf": "libxcb", "pacman": "libxcb", "zypper": "libxcb1"}

#: the install command of each family (run as root: sudo added when not root)
COMMANDS = {"apt": "apt-get install -y", "dnf": "dnf install -y", "pacman": "pacman -S --needed",
            "zypper": "zypper install -y"}
#: /etc/os-release ID / ID_LIKE words -> family
FAMILIES = {"debian": "apt", "ubuntu": "apt", "linuxmint": "apt", "pop": "apt", "raspbian": "apt",
            "fedora": "dnf", "rhel": "dnf", "centos": "dnf", "rocky": "dnf", "almalinux": "dnf",
            "arch": "pacman", "manjaro": "pacman", "endeavouros": "pacman",
            "opensuse": "zypper", "suse": "zypper", "sles": "zypper", "opensuse-leap": "zypper",
            "opensuse-tumbleweed": "zypper"}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found\s*$", re.MULTILINE)


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` reports as "not found", each once, in its order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def family(os_release: str) -> str | None:
    """apt / dnf / pacman / zypper from the text of /etc/os-release (ID first, then ID_LIKE)."""
    fields = {}
    for line in os_release.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip('"').strip("'").lower()
    for word in [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]:
        if word in FAMILIES:
            return FAMILIES[word]
        if word.startswith("opensuse"):
            return "zypper"
    return None


def install_command(missing: list[str], fam: str, root: bool = False) -> tuple[str, list[str]]:
    """(the one command installing the packages for ``missing``, libraries with no known package)."""
    packages = list(dict.fromkeys(PACKAGES[lib][fam] for lib in missing if lib in PACKAGES))
    unknown = [lib for lib in missing if lib not in PACKAGES]
    command = ("" if root else "sudo ") + f"{COMMANDS[fam]} {' '.join(packages)}" if packages else ""
    return command, unknown


def advice(missing: list[str], fam: str | None, root: bool = False) -> str:
    """What to tell the user about ``missing`` on a system of family ``fam`` (None: unknown)."""
    lines = ["The Qt platform plugin for X11 (xcb) cannot load; these system libraries are missing:",
             "  " + ", ".join(missing)]
    if fam is None:
        lines.append("Install the packages of your distribution that provide them; per distribution:")
        for name, fam_ in (("Debian/Ubuntu", "apt"), ("Fedora", "dnf"), ("Arch", "pacman"), ("openSUSE", "zypper")):
            command, _ = install_command(missing, fam_, root)
            if command:
                lines.append(f"  {name}: {command}")
        return "\n".join(lines)
    command, unknown = install_command(missing, fam, root)
    if command:
        lines += ["Install them with:", "  " + command]
    if unknown:
        lines.append("No package name known here for: " + ", ".join(unknown) + " (install the package providing it).")
    lines.append("(Or run headless with QT_QPA_PLATFORM=offscreen.)")
    return "\n".join(lines)


def xcb_plugin() -> Path | None:
    """PySide6's ``platforms/libqxcb.so``, found without starting Qt."""
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).resolve().parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def should_check(platform: str, environ: dict[str, str]) -> bool:
    """Only Linux, and only when Qt would use xcb (QT_QPA_PLATFORM unset or xcb)."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip().lower()
    return not chosen or chosen.split(";")[0].split(":")[0] == "xcb"


def run_ldd(plugin: Path) -> str | None:
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False, timeout=60)
    return result.stdout + result.stderr


def main() -> int:
    if not should_check(sys.platform, dict(os.environ)):
        return 0
    plugin = xcb_plugin()
    output = run_ldd(plugin) if plugin is not None else None
    if output is None:
        return 0  # nothing to check with: Qt's own message will tell
    missing = missing_libraries(output)
    if not missing:
        return 0
    release = Path("/etc/os-release")
    fam = family(release.read_text(encoding="utf-8", errors="replace")) if release.is_file() else None
    print(advice(missing, fam, root=hasattr(os, "geteuid") and os.geteuid() == 0), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
