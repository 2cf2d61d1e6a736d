"""Which container a file is, from its bytes (never its name).

Signatures: EWF/E01 ``EVF\\x09\\x0d\\x0a\\xff\\x00`` at 0 (libewf's EWF format notes);
VHDX ``vhdxfile`` at 0 (MS-VHDX 2.2.1); fixed VHD footer ``conectix`` in the last 512 bytes,
dynamic VHD its copy at 0 (VHD specification, "Hard Disk Footer Format"); VMDK sparse
extent ``KDMV`` at 0 or a text descriptor ``# Disk DescriptorFile`` (VMware Virtual Disk
Format 1.1); zip local header ``PK\\x03\\x04`` (APPNOTE 4.3.7); POSIX tar ``ustar`` at 257;
gzip/bzip2/xz holding a tar; GPT ``EFI PART`` at LBA 1; an NTFS boot sector's OEM id ``NTFS    `` at 3; an MBR's
``0x55AA`` at 510 with plausible partition entries.
"""

from __future__ import annotations

import os
import struct
import tarfile
from pathlib import Path

EWF = b"EVF\x09\x0d\x0a\xff\x00"
EWF2 = b"EVF2\x0d\x0a\x81\x00"  # Ex01: libewf reads it too
VHDX = b"vhdxfile"
VHD = b"conectix"
VMDK_SPARSE = b"KDMV"
VMDK_DESCRIPTOR = b"# Disk DescriptorFile"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip, or an empty one
NTFS_OEM = b"NTFS    "
GPT = b"EFI PART"
COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")  # gzip, bzip2, xz: a tar inside is asked of tarfile

DISK_KINDS = ("ewf", "vhdx", "vhd", "vmdk", "raw")
ARCHIVE_KINDS = ("zip", "tar")


def _plausible_mbr(sector: bytes) -> bool:
    """0x55AA alone is two bytes any file may hold: also ask for at least one partition
    entry with a boot flag of 0x00/0x80, a non-zero type and a non-zero length."""
    if len(sector) < 512 or sector[510:512] != b"\x55\xaa":
        return False
    found = False
    for i in range(4):
        entry = sector[446 + 16 * i: 462 + 16 * i]
        flag, ptype = entry[0], entry[4]
        start, length = struct.unpack_from("<II", entry, 8)
        if flag not in (0x00, 0x80):
            return False
        if ptype and length:
            found = True
    return found


def _compressed_tar(path: Path) -> bool:
    """A gzip/bzip2/xz file is a collection only when a tar header is inside (a gzipped
    log is not); ``tarfile`` decompresses just the first block to tell."""
    try:
        with tarfile.open(path, "r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return False


def container_kind(path: str | os.PathLike[str]) -> str | None:
    """``ewf``, ``vhdx``, ``vhd``, ``vmdk``, ``raw`` (MBR/GPT/bare NTFS), ``zip``, ``tar``,
    or ``None`` for anything else (a plain evidence file)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
            size = os.fstat(fh.fileno()).st_size
            tail = b""
            if size >= 512:
                fh.seek(size - 512)
                tail = fh.read(512)
    except OSError:
        return None
    if head.startswith((EWF, EWF2)):
        return "ewf"
    if head.startswith(VHDX):
        return "vhdx"
    if head.startswith(VHD) or tail.startswith(VHD):
        return "vhd"
    if head.startswith(VMDK_SPARSE) or head.lstrip().startswith(VMDK_DESCRIPTOR):
        return "vmdk"
    if head.startswith(ZIP):
        return "zip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(COMPRESSED) and _compressed_tar(path):
        return "tar"
    if head[3:11] == NTFS_OEM or head[512:520] == GPT or _plausible_mbr(head[:512]):
        return "raw"
    return None
