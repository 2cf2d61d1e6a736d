"""Container detection by content (signatures from the formats' own specifications, cited
in forensics/containers/detect.py), and the path rules of triage collections."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from forensics.containers.detect import container_kind
from forensics.containers.members import known_location, logical_path, unsafe_name


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_disk_image_signatures(tmp_path) -> None:  # noqa: ANN001
    assert container_kind(_write(tmp_path / "a.bin", b"EVF\x09\x0d\x0a\xff\x00" + bytes(600))) == "ewf"
    assert container_kind(_write(tmp_path / "b.bin", b"vhdxfile" + bytes(600))) == "vhdx"
    assert container_kind(_write(tmp_path / "c.bin", bytes(4096) + b"conectix" + bytes(504))) == "vhd"  # fixed: footer
    assert container_kind(_write(tmp_path / "d.bin", b"KDMV" + bytes(600))) == "vmdk"
    assert container_kind(_write(tmp_path / "e.bin", b"# Disk DescriptorFile\nversion=1\n")) == "vmdk"
    ntfs = bytearray(1024)
    ntfs[3:11] = b"NTFS    "
    assert container_kind(_write(tmp_path / "f.bin", bytes(ntfs))) == "raw"
    gpt = bytearray(1024)
    gpt[512:520] = b"EFI PART"
    assert container_kind(_write(tmp_path / "g.bin", bytes(gpt))) == "raw"


def test_mbr_needs_plausible_entries(tmp_path) -> None:  # noqa: ANN001
    mbr = bytearray(512)
    mbr[510:512] = b"\x55\xaa"
    assert container_kind(_write(tmp_path / "empty.bin", bytes(mbr))) is None  # 0x55AA alone proves nothing
    mbr[446:462] = struct.pack("<B3sB3sII", 0x80, b"\0\0\0", 0x07, b"\0\0\0", 2048, 100)
    assert container_kind(_write(tmp_path / "mbr.bin", bytes(mbr))) == "raw"
    mbr[446] = 0x33  # a boot flag other than 0x00/0x80: not a partition table
    assert container_kind(_write(tmp_path / "bad.bin", bytes(mbr))) is None


def test_archives_and_plain_evidence(tmp_path, data_dir) -> None:  # noqa: ANN001
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as zf:
        zf.writestr("C/Windows/x.txt", "x")
    assert container_kind(tmp_path / "c.zip") == "zip"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("C/x.log")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert container_kind(_write(tmp_path / "c.tar", buffer.getvalue())) == "tar"
    assert container_kind(_write(tmp_path / "c.tgz", gzip.compress(buffer.getvalue()))) == "tar"
    assert container_kind(_write(tmp_path / "log.gz", gzip.compress(b"#Fields: date time\n"))) is None
    for sample in sorted(data_dir.rglob("*"))[:40]:  # the parsers' own fixtures are never containers
        if sample.is_file() and sample.suffix.lower() in (".evtx", ".log", ".csv", ".xml", ".json"):
            assert container_kind(sample) is None, sample


@pytest.mark.parametrize(("name", "logical"), [
    ("2024-04-02T101500_Triage/C/Windows/System32/winevt/Logs/Security.evtx", "C:/Windows/System32/winevt/Logs/Security.evtx"),
    ("C%3A/inetpub/logs/LogFiles/W3SVC1/u_ex240304.log", "C:/inetpub/logs/LogFiles/W3SVC1/u_ex240304.log"),
    ("uploads/auto/C%3A/Windows/System32/winevt/Logs/MSExchange%20Management.evtx",
     "C:/Windows/System32/winevt/Logs/MSExchange Management.evtx"),
    ("uploads/ntfs/%5C%5C.%5CC%3A/Program%20Files/Microsoft/Exchange%20Server/V15/Logging/HttpProxy/Owa/HttpProxy_1.LOG",
     "C:/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_1.LOG"),
    ("../../etc/passwd", "etc/passwd"),
])
def test_logical_paths_of_collections(name, logical) -> None:  # noqa: ANN001
    assert logical_path(name) == logical


def test_known_locations() -> None:
    assert known_location("C:/Windows/System32/winevt/Logs/MSExchange Management.evtx") == "Windows event log"
    assert known_location("Windows/System32/config/SecEvent.Evt") == "Windows 2003 event log"
    assert known_location("inetpub/logs/LogFiles/W3SVC2/u_ex240101.log") == "IIS log"
    assert known_location("D:/Exchange/V15/Logging/HttpProxy/Ews/HttpProxy_2024030405-1.LOG") == "Exchange HttpProxy log"
    assert known_location("E:/Program Files/Microsoft/Exchange Server/V15/TransportRoles/Logs/MessageTracking/MSGTRK2024.LOG") \
        == "Exchange message tracking log"
    assert known_location("Windows/System32/winevt/Logs/Security.evtx.bak") == ""
    assert known_location("Users/x/Desktop/u_ex240101.log") == ""


def test_unsafe_names() -> None:
    assert unsafe_name("C/Windows/x.evtx") == ""
    assert "climbs out" in unsafe_name("a/../../x.evtx")
    assert unsafe_name("/etc/x") == "absolute path"
    assert unsafe_name("C:\\Windows\\x.evtx") == "drive-qualified path"
