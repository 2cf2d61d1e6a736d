"""Bad images: truncated, damaged MFT records, no partition table TSK knows, a cut E01.
Each problem is one clear message (on the container, or on the inner file it hits), and
every file that can still be read loads with the rows it gives when loaded directly."""

from __future__ import annotations

import struct
from pathlib import Path

import pandas as pd
import pytest
import pytsk3

from forensics.cli.main import main
from forensics.ingest import load_evidence
from helpers.disk_images import canonical, e01, sources_in_order, tool

MFT_RECORD = 1024  # mkntfs's default MFT record size


def _data_offset(volume: Path, inner: str) -> tuple[int, int]:
    """(first byte of the file's data, its MFT record number), read with TSK."""
    handle = pytsk3.FS_Info(pytsk3.Img_Info(str(volume))).open(inner)
    for attr in handle:
        if attr.info.type == pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA:
            return next(iter(attr)).addr * 4096, int(handle.info.meta.addr)
    raise AssertionError("no $DATA")


def _mft_offset(volume: Path) -> int:
    return _data_offset(volume, "/$MFT")[0]


def _readable_match_direct(result, layout) -> None:  # noqa: ANN001
    loaded = [r for r in result.files if r.status == "loaded"]
    assert loaded
    direct = load_evidence(sources_in_order(type(result)(frame=result.frame, files=loaded), layout))
    pd.testing.assert_frame_equal(canonical(result.frame), canonical(direct.frame))


def test_truncated_image(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    volume, folders = ntfs_volume
    if not folders:
        pytest.skip("no FUSE mount of ntfs-3g here: the file layout this test cuts through is not built")
    offsets = sorted((_data_offset(volume, "/" + inner)[0], inner) for inner in layout)
    cut_at, last = offsets[-1]  # cut inside the data of the file lying last on the volume
    image = tmp_path / "cut.dd"
    image.write_bytes(volume.read_bytes()[:cut_at + 512])
    result = load_evidence([image])
    container = result.files[0]
    assert any("(truncated image)" in n for n in container.notes)
    failed = [r for r in result.files[1:] if r.status == "failed"]
    assert [Path(last).name] == [r.path.name for r in failed]
    assert "truncated image" in failed[0].error
    _readable_match_direct(result, layout)


def test_damaged_mft_record_of_a_file_and_of_a_folder(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    volume, folders = ntfs_volume
    if not folders:
        pytest.skip("no FUSE mount of ntfs-3g here: there are no folders to damage")
    mft = _mft_offset(volume)
    _, auditing = _data_offset(volume, "/Windows/System32/winevt/Logs/Exchange Auditing.evtx")
    handle = pytsk3.FS_Info(pytsk3.Img_Info(str(volume))).open("/inetpub/logs/LogFiles/W3SVC1")
    w3svc = int(handle.info.meta.addr)
    data = bytearray(volume.read_bytes())
    for record in (auditing, w3svc):  # zeroed, as a failing disk or a wiped record leaves it
        data[mft + record * MFT_RECORD: mft + (record + 1) * MFT_RECORD] = bytes(MFT_RECORD)
    image = tmp_path / "damaged.dd"
    image.write_bytes(bytes(data))
    result = load_evidence([image])
    notes = result.files[0].notes
    assert any(n.startswith("/inetpub/logs/LogFiles/W3SVC1: folder named") and f"MFT record {w3svc}" in n for n in notes)
    [bad] = [r for r in result.files if r.status == "failed"]
    assert bad.path.name == "Exchange Auditing.evtx" and f"MFT record {auditing} cannot be read" in bad.error
    assert not any("u_ex" in r.path.name for r in result.files)  # the IIS folder could not be listed
    _readable_match_direct(result, layout)


def test_no_partition_table_tsk_knows(tmp_path, capsys) -> None:  # noqa: ANN001
    disk = tmp_path / "unknown.img"
    mbr = bytearray(512)
    mbr[3:11] = b"NTFS    "  # looks like an NTFS boot sector, but nothing behind it is
    mbr[510:512] = b"\x55\xaa"
    disk.write_bytes(bytes(mbr) + bytes(1 << 20))
    result = load_evidence([disk])
    [container] = result.files
    assert any(n.startswith("unknown partition table, and no file system at offset 0") for n in container.notes)
    assert main(["load", str(disk), "--list"]) == 0
    assert "PROBLEM: unknown partition table" in capsys.readouterr().out


def test_partition_without_file_system(tmp_path) -> None:  # noqa: ANN001
    disk = tmp_path / "blank.img"
    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x07, b"\xfe\xff\xff", 2048, 4096)
    mbr[510:512] = b"\x55\xaa"
    disk.write_bytes(bytes(mbr) + bytes((2048 + 4096) * 512))
    [container] = load_evidence([disk]).files
    assert any(n.startswith("partition 1 (") and "no readable file system" in n for n in container.notes)


def test_cut_e01(ntfs_volume, tmp_path) -> None:  # noqa: ANN001
    if not tool("ewfacquirestream"):
        pytest.skip("libewf tools (ewfacquirestream) are not installed: apt-get install ewf-tools")
    volume, _ = ntfs_volume
    [segment] = e01(volume, tmp_path / "one", segment_bytes=1 << 30)
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    result = load_evidence([segment])
    container = result.files[0]
    text = " ".join(container.notes) + container.error
    assert "EWF" in text and ("truncated" in text or "cannot be opened" in text)
    assert len(result.files) == 1  # nothing inside could be listed; no inner file pretends to load
