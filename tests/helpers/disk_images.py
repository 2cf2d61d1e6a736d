"""Build small disk images and triage collections holding synthetic evidence.

NTFS volumes are made by ntfs-3g's ``mkntfs`` on a sparse file; folders are filled through
an ``ntfs-3g`` FUSE mount where the machine allows one (root and /dev/fuse), else files go
to the volume root with ``ntfscp`` (which cannot make folders). E01 images come from
libewf's ``ewfacquirestream``. The MBR, the fixed-VHD footer (Microsoft "Virtual Hard Disk
Image Format Specification", Hard Disk Footer Format) and the KAPE / Velociraptor zip
layouts are written here by hand, following their published formats.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd

from forensics.synth.generate import generate


def tool(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None)


def synth_layout(out: Path) -> dict[str, Path]:
    """Synthetic evidence (``mailbox-audit synth``) placed where an Exchange 2016 server
    keeps it: server path (``/``-separated, no drive) -> the generated file."""
    generate("contoso", out, events=300, formats=("evtx", "iis", "httpproxy", "mailbox-audit"))
    ev = out / "evidence"
    layout: dict[str, Path] = {}
    for f in sorted((ev / "evtx").glob("*.evtx")):
        layout[f"Windows/System32/winevt/Logs/{f.name}"] = f
    for f in sorted((ev / "iis" / "W3SVC1").glob("*.log"))[:6]:
        layout[f"inetpub/logs/LogFiles/W3SVC1/{f.name}"] = f
    for f in sorted((ev / "httpproxy" / "Owa").glob("*.LOG"))[:3]:
        layout[f"Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/{f.name}"] = f
    # outside every known location: found by content only
    layout["Users/Administrator/Desktop/SearchMailboxAuditLog.csv"] = ev / "mailbox-audit" / "SearchMailboxAuditLog.csv"
    return layout


def can_mount() -> str:
    """"" when a FUSE mount of ntfs-3g works here, else why not (``MAILBOX_AUDIT_TEST_NO_MOUNT=1``
    forces the flat ``ntfscp`` layout, to test what machines without FUSE run)."""
    if os.environ.get("MAILBOX_AUDIT_TEST_NO_MOUNT"):
        return "MAILBOX_AUDIT_TEST_NO_MOUNT is set"
    if not tool("ntfs-3g"):
        return "ntfs-3g is not installed"
    if os.geteuid() != 0:
        return "not root: ntfs-3g cannot mount"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is absent"
    return ""


def make_ntfs(path: Path, files: dict[str, Path], size: int = 24 << 20) -> bool:
    """An NTFS volume at ``path`` holding ``files``; True when folders were kept (mounted),
    False when they were copied flat into the root (``ntfscp``)."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    subprocess.run([tool("mkntfs"), "-F", "-q", "-Q", "-s", "512", "-c", "4096", str(path)], check=True,
                   capture_output=True)
    if not can_mount():
        mount = Path(tempfile.mkdtemp(prefix="ntfs-mnt-"))
        done = subprocess.run([tool("ntfs-3g"), str(path), str(mount)], capture_output=True)
        if done.returncode == 0:
            try:
                for inner, source in files.items():
                    target = mount / inner
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
            finally:
                for _ in range(20):
                    if subprocess.run(["umount", str(mount)], capture_output=True).returncode == 0:
                        break
                    time.sleep(0.2)
                mount.rmdir()
            return True
    for inner, source in files.items():
        subprocess.run([tool("ntfscp"), "-f", str(path), str(source), Path(inner).name], check=True, capture_output=True)
    return False


def mbr_image(out: Path, volume: Path, *, junk_partition: bool = False) -> None:
    """A disk with an MBR: partition 1 (type 0x07, NTFS) at LBA 2048 holding ``volume``;
    optionally partition 2 (type 0x07) full of zeros, which has no file system."""
    data = volume.read_bytes()
    sectors = len(data) // 512
    entries = [struct.pack("<B3sB3sII", 0x00, b"\xfe\xff\xff", 0x07, b"\xfe\xff\xff", 2048, sectors)]
    if junk_partition:
        entries.append(struct.pack("<B3sB3sII", 0x00, b"\xfe\xff\xff", 0x07, b"\xfe\xff\xff", 2048 + sectors, 2048))
    mbr = bytearray(512)
    for i, entry in enumerate(entries):
        mbr[446 + 16 * i: 462 + 16 * i] = entry
    mbr[510:512] = b"\x55\xaa"
    with open(out, "wb") as fh:
        fh.write(bytes(mbr) + bytes(2048 * 512 - 512))
        fh.write(data)
        if junk_partition:
            fh.write(bytes(2048 * 512))


def fixed_vhd(out: Path, raw: Path) -> None:
    """A fixed VHD: the raw disk followed by the 512-byte footer (cookie ``conectix``,
    disk type 2 = fixed, checksum = one's complement of the byte sum)."""
    data = raw.read_bytes()
    size = len(data)
    cylinders, heads, spt = min(size // (16 * 63 * 512), 65535), 16, 63
    footer = bytearray(struct.pack(">8sIIQI4sI4sQQHBBII16sB", b"conectix", 2, 0x00010000, 0xFFFFFFFFFFFFFFFF,
                                   0, b"test", 0x00010000, b"Wi2k", size, size, cylinders, heads, spt, 2, 0,
                                   uuid.uuid4().bytes, 0))
    footer += bytes(512 - len(footer))
    struct.pack_into(">I", footer, 64, (~sum(footer)) & 0xFFFFFFFF)
    with open(out, "wb") as fh:
        fh.write(data)
        fh.write(bytes(footer))


def e01(raw: Path, target: Path, segment_bytes: int = 1 << 20) -> list[Path]:
    """``ewfacquirestream`` of ``raw`` into ``target``.E01 (+ .E02 … at ``segment_bytes``)."""
    with open(raw, "rb") as src:
        subprocess.run([tool("ewfacquirestream"), "-t", str(target), "-S", str(segment_bytes), "-c", "none",
                        "-d", "sha1", "-C", "case-20", "-e", "examiner", "-E", "ev1"], stdin=src, check=True,
                       capture_output=True)
    return sorted(target.parent.glob(target.name + ".E*"))


def kape_zip(out: Path, files: dict[str, Path], *, escaped: bool = False) -> dict[str, str]:
    """KAPE's layout: ``<target>/C/Windows/...`` (or ``C%3A`` when escaped). Returns
    member name -> server path."""
    names = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for inner, source in files.items():
            name = f"2024-04-02T101500_Triage/{'C%3A' if escaped else 'C'}/{inner}"
            zf.write(source, name)
            names[name] = inner
    return names


def velociraptor_zip(out: Path, files: dict[str, Path], accessor: str = "auto") -> dict[str, str]:
    """Velociraptor's collector layout: ``uploads/auto/C%3A/<path with %-escapes>`` or, for
    the raw NTFS accessor, ``uploads/ntfs/%5C%5C.%5CC%3A/...``."""
    root = "uploads/auto/C%3A" if accessor == "auto" else "uploads/ntfs/%5C%5C.%5CC%3A"
    names = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("client_info.json", '{"Hostname": "EXCH01"}')
        for inner, source in files.items():
            name = f"{root}/" + "/".join(quote(part, safe="") for part in inner.split("/"))
            zf.write(source, name)
            names[name] = inner
    return names


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as text in a fixed order: two loads are equal when every row is."""
    text = frame.astype(str)
    return text.sort_values(list(text.columns)).reset_index(drop=True)


def sources_in_order(result, layout: dict[str, Path]) -> list[Path]:  # noqa: ANN001
    """The files on disk behind a container load's members, in the order it read them
    (row numbering across files follows load order)."""
    by_name = {p.name: p for p in layout.values()}
    out = []
    for report in result.files:
        if report.source_format == "container":
            continue
        out.append(by_name[unquote(Path(str(report.path).split("!", 1)[1]).name)])  # Velociraptor %-escapes
    return out


def flat_vmdk(descriptor: Path, raw: Path) -> Path:
    """A monolithicFlat VMDK: a text descriptor naming one FLAT extent, the raw disk itself
    copied next to it (VMware "Virtual Disk Format 1.1", section "The Descriptor File")."""
    extent = descriptor.with_name(descriptor.stem + "-flat.vmdk")
    shutil.copyfile(raw, extent)
    sectors = extent.stat().st_size // 512
    descriptor.write_text(
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\n"
        f"# Extent description\nRW {sectors} FLAT \"{extent.name}\" 0\n\n"
        "# The Disk Data Base\n#DDB\nddb.virtualHWVersion = \"4\"\n"
        f"ddb.geometry.cylinders = \"{max(sectors // (16 * 63), 1)}\"\nddb.geometry.heads = \"16\"\n"
        "ddb.geometry.sectors = \"63\"\nddb.adapterType = \"ide\"\n"
    )
    return extent


def gpt_image(out: Path, volume: Path) -> None:
    """A GPT disk (UEFI 2.x, chapter 5): protective MBR, header at LBA 1 with CRC32s, 128
    entries of 128 bytes from LBA 2, one "Microsoft basic data" partition at LBA 2048
    holding ``volume``, and the backup entries and header at the end of the disk."""
    import zlib

    data = volume.read_bytes()
    sectors = len(data) // 512
    total = 2048 + sectors + 2048
    entry = uuid.UUID("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7").bytes_le + uuid.uuid4().bytes_le
    entry += struct.pack("<QQQ", 2048, 2048 + sectors - 1, 0) + "Basic data partition".encode("utf-16-le").ljust(72, b"\0")
    entries = entry + bytes(128 * 127)
    disk_guid = uuid.uuid4().bytes_le

    def header(current: int, backup: int, entries_lba: int) -> bytes:
        fields = [b"EFI PART", 0x00010000, 92, 0, 0, current, backup, 34, total - 34, disk_guid, entries_lba, 128, 128,
                  zlib.crc32(entries)]
        raw = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", *fields))
        struct.pack_into("<I", raw, 16, zlib.crc32(bytes(raw)))
        return bytes(raw).ljust(512, b"\0")

    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\x02\0", 0xEE, b"\xff\xff\xff", 1, min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    with open(out, "wb") as fh:
        fh.write(bytes(mbr) + header(1, total - 1, 2) + entries)
        fh.write(bytes((2048 - 34) * 512))
        fh.write(data)
        fh.write(bytes((2048 - 33) * 512))
        fh.write(entries + header(total - 1, 1, total - 33))
