"""Disk images as random-access byte sources for The Sleuth Kit (pytsk3).

Raw/dd images are read with Python's own read-only file handle; E01 (libewf), VHD/VHDX
(libvhdi) and VMDK (libvmdk) through the libyal bindings. Each is wrapped in a
``pytsk3.Img_Info`` subclass of type ``TSK_IMG_TYPE_EXTERNAL``, the documented way to
feed TSK from Python, so partitions and file systems are walked by one library whatever
the image format. Every handle is opened read-only; nothing is mounted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytsk3

from forensics.errors import EvidenceError


class ImageSource(pytsk3.Img_Info):  # type: ignore[misc] - pytsk3 has no stubs
    """A TSK image over any handle with ``seek``/``read`` (and a known media size)."""

    def __init__(self, handle: Any, size: int, label: str) -> None:
        self._handle = handle
        self._size = size
        self.label = label
        #: reads the image library refused (a missing or cut E01 chunk, ...): counted, first few kept
        self.read_errors = 0
        self.first_errors: list[str] = []
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, size: int) -> bytes:  # called by TSK
        try:
            self._handle.seek(offset)
            return self._handle.read(size)
        except (OSError, IOError, RuntimeError, ValueError) as exc:
            # TSK sees a short read and fails that file or structure; the reason is kept for the message
            self.read_errors += 1
            if len(self.first_errors) < 3:
                self.first_errors.append(f"offset {offset:,}: {str(exc).strip().splitlines()[0][:160]}")
            return b""

    def get_size(self) -> int:
        return self._size

    def close(self) -> None:
        try:
            self._handle.close()
        except Exception:  # noqa: BLE001 - closing a damaged handle must not mask the real error
            pass


def segments(kind: str, path: Path) -> list[Path]:
    """Every file the image consists of (what custody hashes as acquired): all E01
    segments (``.E01``, ``.E02``, … found by libewf's own glob), VMDK extents named by
    the descriptor, else the one file."""
    if kind == "ewf":
        import pyewf

        try:
            return [Path(p) for p in pyewf.glob(str(path))]
        except (OSError, IOError) as exc:
            raise EvidenceError(f"{path.name}: E01 segment files cannot be listed: {exc}") from exc
    if kind == "vmdk":
        return [path] + _vmdk_extents(path)
    return [path]


def _vmdk_extents(path: Path) -> list[Path]:
    """Extent files a text descriptor names (``RW 4192256 SPARSE "disk-s001.vmdk"``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return []
    if not head.lstrip().startswith(b"# Disk DescriptorFile"):
        return []
    out: list[Path] = []
    for line in head.decode("utf-8", "replace").splitlines():
        parts = line.split('"')
        if len(parts) >= 3 and line.split()[:1] in (["RW"], ["RDONLY"], ["NOACCESS"]):
            extent = path.parent / Path(parts[1]).name  # a name, never a path out of the folder
            if extent.is_file() and extent != path:
                out.append(extent)
    return out


def open_image(kind: str, path: Path, parts: list[Path]) -> tuple[ImageSource, dict[str, str]]:
    """The image's media as an ``ImageSource``, and the hashes the image stores of its own
    acquisition (E01 only: MD5/SHA1 written by the acquiring tool)."""
    stored: dict[str, str] = {}
    try:
        if kind == "raw":
            handle: Any = open(path, "rb")  # noqa: SIM115 - closed with the container
            return ImageSource(handle, os.fstat(handle.fileno()).st_size, path.name), stored
        if kind == "ewf":
            import pyewf

            handle = pyewf.handle()
            handle.open([str(p) for p in parts], "r")
            for name in ("MD5", "SHA1"):
                try:
                    value = handle.get_hash_value(name)
                except (OSError, IOError, KeyError):
                    value = None
                if value:
                    stored[name.lower()] = value
            return ImageSource(handle, handle.get_media_size(), path.name), stored
        if kind in ("vhd", "vhdx"):
            import pyvhdi

            handle = pyvhdi.file()
            handle.open(str(path), "r")
            if handle.get_disk_type() == 4:  # differencing: its data lives in a parent image
                raise EvidenceError(f"{path.name}: differencing VHD(X); open its parent image instead "
                                    "(the parent holds the unchanged blocks)")
            return ImageSource(handle, handle.get_media_size(), path.name), stored
        if kind == "vmdk":
            import pyvmdk

            handle = pyvmdk.handle()
            handle.open(str(path), "r")
            handle.open_extent_data_files()
            return ImageSource(handle, handle.get_media_size(), path.name), stored
    except EvidenceError:
        raise
    except (OSError, IOError, RuntimeError) as exc:
        raise EvidenceError(f"{path.name}: the {kind.upper()} image cannot be opened "
                            f"(truncated, damaged or missing segments?): {exc}") from exc
    raise EvidenceError(f"{path.name}: not a disk image")
