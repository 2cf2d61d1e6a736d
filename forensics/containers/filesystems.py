"""Partitions and file systems of a disk image, walked with The Sleuth Kit (pytsk3).

Every allocated partition of an MBR or GPT table is tried (TSK's volume system reads both);
an image with no table is tried as one file system at offset 0. NTFS is what Windows
servers use, but any file system TSK reads (FAT, exFAT, ext) is walked the same way. Each
problem (no partition table, a partition with no file system TSK knows, a damaged MFT or
directory) becomes a message, and everything else still loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytsk3

from forensics.containers.members import Member

#: walking stops past this many entries (a hostile or looping directory tree must end)
MAX_ENTRIES = 5_000_000
MAX_DEPTH = 64


@dataclass
class Volume:
    index: int  # 0 = whole image (no table), else 1-based among the table's allocated partitions
    offset: int  # bytes
    fs: Any  # pytsk3.FS_Info
    fs_type: str


def _fs_name(fs: Any) -> str:
    ftype = fs.info.ftype
    for name in ("NTFS", "FAT12", "FAT16", "FAT32", "EXFAT", "EXT2", "EXT3", "EXT4", "HFS", "ISO9660"):
        if ftype == getattr(pytsk3, f"TSK_FS_TYPE_{name}", -1):
            return name
    return f"type {int(ftype)}"


def volumes(img: Any, problems: list[str]) -> list[Volume]:
    """Every file system found; ``problems`` gets one line per partition that has none."""
    out: list[Volume] = []
    try:
        table = pytsk3.Volume_Info(img)
    except (OSError, IOError):
        table = None
    if table is None:
        try:
            fs = pytsk3.FS_Info(img, offset=0)
            out.append(Volume(0, 0, fs, _fs_name(fs)))
        except (OSError, IOError):
            problems.append("unknown partition table, and no file system at offset 0 that The Sleuth Kit reads "
                            "(MBR, GPT, NTFS, FAT, ext, ...): nothing could be read from this image")
        return out
    block = table.info.block_size
    index = 0
    for part in table:
        if not part.flags & pytsk3.TSK_VS_PART_FLAG_ALLOC:
            continue  # unallocated space and the table's own entries
        index += 1  # partitions numbered 1, 2, ... in table order (TSK's own addresses count the table too)
        offset = part.start * block
        desc = part.desc.decode("utf-8", "replace") if isinstance(part.desc, bytes) else str(part.desc)
        try:
            fs = pytsk3.FS_Info(img, offset=offset)
        except (OSError, IOError) as exc:
            problems.append(f"partition {index} ({desc}, offset {offset:,}): no readable file system "
                            f"(damaged boot sector or MFT, or a file system TSK does not read): {_short(exc)}")
            continue
        out.append(Volume(index, offset, fs, _fs_name(fs)))
    if not out and not problems:
        problems.append("the partition table lists no allocated partition")
    return out


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else type(exc).__name__


def _iso(seconds: int, nano: int) -> str:
    if not seconds:
        return ""
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=nano // 1000)
    except (OverflowError, OSError, ValueError):
        return ""
    return moment.isoformat().replace("+00:00", "Z")


def _times(meta: Any) -> dict[str, str]:
    """TSK fills NTFS's crtime/mtime/atime/ctime from $STANDARD_INFORMATION (ctime is the
    MFT entry's change time)."""
    out = {}
    for key, attr in (("si_created", "crtime"), ("si_modified", "mtime"), ("si_accessed", "atime"),
                      ("si_mft_changed", "ctime")):
        value = _iso(getattr(meta, attr, 0), getattr(meta, f"{attr}_nano", 0))
        if value:
            out[key] = value
    return out


def walk(volume: Volume, container: str, problems: list[str]) -> Iterator[Member]:
    """Every allocated regular file of a volume, depth-first; a directory that cannot be
    read is named in ``problems`` and skipped."""
    seen: set[int] = set()
    count = 0
    prefix = f"p{volume.index}:" if volume.index else ""
    stack: list[tuple[str, int]] = [("/", 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            directory = volume.fs.open_dir(path=folder)
            entries = list(directory)
        except (OSError, IOError) as exc:
            problems.append(f"{prefix}{folder}: directory cannot be read (damaged MFT or index?): {_short(exc)}")
            continue
        for entry in entries:
            count += 1
            if count > MAX_ENTRIES:
                problems.append(f"walk stopped after {MAX_ENTRIES:,} entries; later files were not listed")
                return
            name_info = entry.info.name
            meta = entry.info.meta
            raw = name_info.name
            name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            if name in (".", ".."):
                continue
            if not int(name_info.flags) & int(pytsk3.TSK_FS_NAME_FLAG_ALLOC):
                continue  # deleted names: their data may belong to another file by now
            path = folder.rstrip("/") + "/" + name
            if meta is None:  # the folder names it, but its MFT record cannot be read: say so, never drop it silently
                kind = {int(pytsk3.TSK_FS_NAME_TYPE_DIR): "folder", int(pytsk3.TSK_FS_NAME_TYPE_REG): "file"}.get(
                    int(name_info.type), "entry")
                problems.append(f"{prefix}{path}: {kind} named in its folder's index, but its MFT record "
                                f"{int(name_info.meta_addr)} cannot be read (damaged MFT): "
                                + ("nothing inside it was listed" if kind == "folder" else "not read"))
                if kind == "file":  # listed (and, in a known location, reported per file) as unreadable
                    yield Member(container=container, inner=f"{prefix}{path}", logical=path.lstrip("/"), size=0,
                                 partition=volume.index, partition_offset=volume.offset,
                                 mft_record=int(name_info.meta_addr),
                                 problem=f"its MFT record {int(name_info.meta_addr)} cannot be read (damaged MFT)")
                continue
            if meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                if name == "$OrphanFiles" or meta.addr in seen or depth >= MAX_DEPTH:
                    continue
                seen.add(meta.addr)
                stack.append((path, depth + 1))
            elif meta.type == pytsk3.TSK_FS_META_TYPE_REG:
                ntfs = volume.fs_type == "NTFS"
                yield Member(
                    container=container,
                    inner=f"{prefix}{path}",
                    logical=path.lstrip("/"),
                    size=int(meta.size),
                    partition=volume.index,
                    partition_offset=volume.offset,
                    mft_record=int(meta.addr) if ntfs else None,
                    mft_sequence=int(meta.seq) if ntfs else None,
                    times=_times(meta),
                )
