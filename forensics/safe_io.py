"""File access that survives a hostile case folder (one received from someone else).

A case folder can hold symbolic links planted where the tool writes (``custody.jsonl``,
``case.json``, temp files, ``cache/``), FIFOs or devices where it reads, hard links to
evidence, and files of any size. Every read and write of a case file goes through here:

* writes never follow a link: a unique temp file is created exclusively
  (``O_CREAT|O_EXCL|O_NOFOLLOW``) in the same folder and then atomically renamed over the
  target — a rename replaces a directory entry, so it never writes into an existing inode
  (a planted symlink or hard link to evidence is replaced, not written through);
* appends (the custody log) open with ``O_NOFOLLOW`` and refuse anything but a regular
  file with a single link;
* reads are bounded, refuse non-regular files, and open with ``O_NONBLOCK`` so a FIFO
  cannot hang the tool;
* outputs are compared with evidence by device and inode, which catches hard links and
  other names for the same file, not by path text.

Windows has no ``O_NOFOLLOW``; there an ``lstat`` check before the open stands in for it.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from forensics.errors import ForensicsError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)

MiB = 1 << 20
#: largest case.json / custody head / cache sidecar read (bookmarks and notes stay far below)
MAX_CASE_JSON = 64 * MiB
#: largest custody log read (about a million entries)
MAX_CUSTODY_LOG = 1024 * MiB
#: largest side file a case names (directory export CSV)
MAX_SIDE_FILE = 256 * MiB
#: largest cached Parquet file read back
MAX_CACHE_FILE = 4096 * MiB


class UnsafePathError(ForensicsError):
    """A case file is a link, not a regular file, too large, or is evidence."""


def file_kind(mode: int) -> str:
    """A short name for what a non-regular path is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def refuse_link(path: str | os.PathLike[str], what: str) -> None:
    """Raise when ``path`` is a symbolic link (a missing path is fine: it will be created)."""
    if os.path.islink(path):
        raise UnsafePathError(
            f"{path}: {what} is a symbolic link; refusing to follow it (a case folder from "
            "elsewhere can point its files at evidence or system files)"
        )


def refuse_linked_folder(path: str | os.PathLike[str], what: str) -> None:
    """Raise when a folder the tool writes into is a link or not a folder."""
    refuse_link(path, what)
    if os.path.exists(path) and not os.path.isdir(path):
        raise UnsafePathError(f"{path}: {what} is not a folder")


def _open_nofollow(path: str | os.PathLike[str], flags: int, what: str, mode: int = 0o666) -> int:
    if not _NOFOLLOW:
        refuse_link(path, what)
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC | _BINARY, mode)
    except OSError as exc:
        if os.path.islink(path):
            refuse_link(path, what)
        raise


def _refuse_non_regular(path: str | os.PathLike[str], what: str) -> None:
    """Raise for an existing link or non-regular file (a clear message before any open)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        refuse_link(path, what)
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(f"{path}: {what} is {file_kind(info.st_mode)}, not a regular file; refusing to write")


def read_bounded(path: str | os.PathLike[str], limit: int, what: str, *, follow: bool = False) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes.

    ``follow=False`` (case files) refuses a symbolic link; ``follow=True`` (a file the
    examiner named, such as a directory export) follows it but still refuses FIFOs and
    devices. The open is non-blocking, so a FIFO is refused instead of hanging the tool.
    Raises ``UnsafePathError`` for link/kind/size problems, ``OSError`` for the rest.
    """
    flags = os.O_RDONLY | _NONBLOCK
    fd = os.open(path, flags | _CLOEXEC | _BINARY) if follow else _open_nofollow(path, flags, what)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(f"{path}: {what} is {file_kind(info.st_mode)}, not a regular file; refusing to read it")
        if info.st_size > limit:
            raise UnsafePathError(
                f"{path}: {what} is {info.st_size:,} bytes, more than the {limit:,} allowed; refusing to read it"
            )
        parts: list[bytes] = []
        total = 0
        want = info.st_size + 1  # usually one read of the whole file (no join copy)
        while True:
            chunk = os.read(fd, min(max(want - total, MiB), limit + 1 - total, 1 << 30))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while being read
                raise UnsafePathError(f"{path}: {what} is more than the {limit:,} bytes allowed; refusing to read it")
        return b"".join(parts)
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes, what: str, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` through a fresh, exclusively created temp file.

    The temp name is random and created with ``O_EXCL|O_NOFOLLOW`` in the target's folder,
    so a planted ``*.tmp`` link is never opened; ``os.replace`` then swaps the directory
    entry (never writing into the old inode). A symlinked target is refused with a clear
    message rather than silently replaced. ``fsync`` forces the bytes to disk first (off by
    default: the files written so are re-derivable or checked on read, and a sync per
    custody entry would slow loads of many small files).
    """
    target = Path(path)
    refuse_link(target, what)  # (the folder itself is the examiner's choice; linked sub-folders are checked by callers)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    fd = _open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, what)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def append_bytes(path: str | os.PathLike[str], data: bytes, what: str) -> None:
    """Append to a regular, singly linked file (created if missing), never through a link.

    A hard link has no marker but its link count: a custody log with more than one link
    may be another name for evidence, so nothing is appended to it.
    """
    _refuse_non_regular(path, what)
    # non-blocking: a FIFO swapped in after the check fails the open instead of hanging it
    fd = _open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NONBLOCK, what)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(f"{path}: {what} is {file_kind(info.st_mode)}, not a regular file; refusing to write")
        if info.st_nlink > 1:
            raise UnsafePathError(
                f"{path}: {what} has {info.st_nlink} hard links (it may be another name for evidence); "
                "refusing to append to it"
            )
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def open_lock_file(path: str | os.PathLike[str], what: str) -> int:
    """Open (creating) a lock file without following a link; returns the descriptor."""
    _refuse_non_regular(path, what)
    fd = _open_nofollow(path, os.O_RDWR | os.O_CREAT | _NONBLOCK, what)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePathError(f"{path}: {what} is {file_kind(info.st_mode)}, not a regular file")
    return fd


def open_regular_readonly(path: str | os.PathLike[str]) -> int:
    """Open a file for reading only if it is a regular file (links to one are fine).

    Non-blocking, so a FIFO returns at once and is refused instead of waiting forever for
    a writer; devices such as ``/dev/zero`` are refused before a byte is read.
    Raises ``OSError`` from the open, ``UnsafePathError`` for a non-regular file.
    """
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePathError(f"{path}: is {file_kind(info.st_mode)}, not a regular file; refusing to read it")
    return fd


def regular_file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is not a readable regular file (after links), or None when it is."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return exc.strerror or str(exc)
    if not stat.S_ISREG(info.st_mode):
        return f"is {file_kind(info.st_mode)}, not a regular file"
    return None


# -- outputs versus evidence ----------------------------------------------------------------
def file_identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(device, inode) of what ``path`` names after links, or None when it does not exist."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def evidence_identities(paths: Iterable[str | os.PathLike[str]]) -> dict[tuple[int, int], str]:
    """Device/inode of every evidence file that exists, mapped to one of its paths."""
    out: dict[tuple[int, int], str] = {}
    for raw in paths:
        ident = file_identity(raw)
        if ident is not None and ident[1]:
            out.setdefault(ident, str(raw))
    return out


def refuse_evidence_output(
    out: str | os.PathLike[str], evidence: dict[tuple[int, int], str], error: type[ForensicsError] = UnsafePathError
) -> None:
    """Raise when ``out`` is the same file as an evidence file (same name, another name,
    a symbolic link or a hard link to it): writing it would overwrite evidence."""
    ident = file_identity(out)
    if ident is not None and ident in evidence:
        raise error(
            f"{out}: is the evidence file {evidence[ident]} (same device and inode); "
            "refusing to overwrite evidence — choose another output file"
        )
