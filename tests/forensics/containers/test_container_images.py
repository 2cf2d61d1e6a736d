"""Disk images: a raw NTFS volume, an MBR-partitioned disk, an E01 in segments and a fixed
VHD, all holding the same synthetic evidence, load exactly the rows the files give when
loaded directly; custody names the image and each inner file, and ``verify`` re-reads both."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from forensics.case.case_verify import verify_case
from forensics.custody.log import CustodyLog
from forensics.ingest import fetch_raw, load_evidence
from helpers.disk_images import canonical, e01, fixed_vhd, mbr_image, sources_in_order, tool


def _load(image: Path, case: Path | None = None, **kwargs):  # noqa: ANN001, ANN202
    return load_evidence([image], custody=CustodyLog(case) if case else None, **kwargs)


def _same_rows_as_direct(result, layout: dict[str, Path]) -> None:  # noqa: ANN001
    members = [r for r in result.files if r.source_format != "container"]
    assert members and all(r.status == "loaded" for r in members), [(r.path, r.error) for r in members]
    assert len(members) == len(layout)  # every evidence file found: by location, or by content
    direct = load_evidence(sources_in_order(result, layout))
    assert len(result.frame) == len(direct.frame) > 0
    pd.testing.assert_frame_equal(canonical(result.frame), canonical(direct.frame))


def test_raw_ntfs_volume_gives_the_rows_of_the_files(ntfs_volume, layout) -> None:  # noqa: ANN001
    volume, _ = ntfs_volume
    _same_rows_as_direct(_load(volume), layout)


def test_known_locations_name_the_server_folders(ntfs_volume) -> None:  # noqa: ANN001
    volume, folders = ntfs_volume
    if not folders:
        pytest.skip("no FUSE mount of ntfs-3g here (files were copied flat, found by content only)")
    from forensics.containers import open_container

    with open_container(volume) as container:
        found = {m.inner: m for m in container.evidence()}
    auditing = found["/Windows/System32/winevt/Logs/Exchange Auditing.evtx"]
    assert auditing.location == "Windows event log" and auditing.mft_record > 15  # past the NTFS metafiles
    assert any(m.location == "IIS log" for m in found.values())
    assert any(m.location == "Exchange HttpProxy log" for m in found.values())
    csv = found["/Users/Administrator/Desktop/SearchMailboxAuditLog.csv"]
    assert csv.location == "" and csv.detected == "mailbox-audit"  # outside every known place: by content


def test_custody_names_container_and_inner_files_and_verify_rereads_them(ntfs_volume, tmp_path) -> None:  # noqa: ANN001
    volume, _ = ntfs_volume
    image = tmp_path / "server.dd"
    image.write_bytes(volume.read_bytes())
    case = tmp_path / "case"
    result = _load(image, case)
    entries = CustodyLog(case).entries()
    [container] = [e for e in entries if e.get("status") == "container"]
    assert container["path"] == str(image.resolve()) and container["parser"] == "container:raw"
    members = [e for e in entries if e["kind"] == "member-opened"]
    assert len(members) == len(result.files) - 1
    for entry in members:
        assert entry["container"] == str(image.resolve())
        assert entry["container_sha256"] == container["sha256"]
        assert entry["path"] == f"{image.resolve()}!{entry['inner_path']}"
        assert isinstance(entry["mft_record"], int) and entry["partition"] == 0
        assert set(entry["ntfs_times"]) == {"si_created", "si_modified", "si_accessed", "si_mft_changed"}
    assert verify_case(case).status == "VERIFIED"

    # one byte of one inner file changes on the image: verify names the image and that file
    data = bytearray(image.read_bytes())
    at = data.index(b"ElfChnk\x00") + 600
    data[at] ^= 0xFF
    image.write_bytes(bytes(data))
    outcome = verify_case(case)
    assert outcome.status == "VERIFICATION FAILED"
    text = "\n".join(outcome.file_problems)
    assert f"{image.resolve()}: SHA-256 is now" in text
    assert text.count(f"{image.resolve()}!") == 1 and ".evtx: SHA-256 is now" in text


def test_raw_record_of_a_row_from_inside_the_image(ntfs_volume) -> None:  # noqa: ANN001
    volume, _ = ntfs_volume
    result = _load(volume)
    row = result.frame[result.frame["source_format"] == "evtx"].iloc[0]
    raw = fetch_raw(result.sources, row["evidence"], row.get("raw_ref"), int(row["record_id"]))
    assert f"<EventRecordID>{int(row['record_id'])}</EventRecordID>" in raw


def test_mbr_partitioned_disk_with_an_unreadable_partition(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    volume, _ = ntfs_volume
    disk = tmp_path / "disk.img"
    mbr_image(disk, volume, junk_partition=True)
    result = _load(disk)
    container = result.files[0]
    assert container.status == "container"
    assert any(n.startswith("partition 2 ") and "no readable file system" in n for n in container.notes)
    assert all(str(r.path).split("!", 1)[1].startswith("p1:/") for r in result.files[1:])
    _same_rows_as_direct(result, layout)


def test_e01_in_segments(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    if not tool("ewfacquirestream"):
        pytest.skip("libewf tools (ewfacquirestream) are not installed: apt-get install ewf-tools")
    volume, _ = ntfs_volume
    segments = e01(volume, tmp_path / "server", segment_bytes=4 << 20)
    assert len(segments) > 1  # uncompressed 24 MiB at 4 MiB a segment
    case = tmp_path / "case"
    result = _load(segments[0], case)
    _same_rows_as_direct(result, layout)
    entries = [e for e in CustodyLog(case).entries() if e.get("status") == "container"]
    assert [e["path"] for e in entries] == [str(p.resolve()) for p in segments]  # every segment hashed and logged
    assert entries[0]["stored_hashes"]["md5"]  # the acquisition hash the E01 carries
    assert verify_case(case).status == "VERIFIED"


def test_fixed_vhd(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    volume, _ = ntfs_volume
    disk = tmp_path / "disk.img"
    mbr_image(disk, volume)
    vhd = tmp_path / "server.vhd"
    fixed_vhd(vhd, disk)
    result = _load(vhd)
    assert result.files[0].parser == "container:vhd"
    _same_rows_as_direct(result, layout)


def test_flat_vmdk_descriptor_and_extent(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    from helpers.disk_images import flat_vmdk

    volume, _ = ntfs_volume
    disk = tmp_path / "disk.img"
    mbr_image(disk, volume)
    descriptor = tmp_path / "server.vmdk"
    extent = flat_vmdk(descriptor, disk)
    case = tmp_path / "case"
    result = _load(descriptor, case)
    assert result.files[0].parser == "container:vmdk"
    _same_rows_as_direct(result, layout)
    logged = [e["path"] for e in CustodyLog(case).entries() if e.get("status") == "container"]
    assert logged == [str(descriptor.resolve()), str(extent.resolve())]  # the descriptor and its extent, each hashed


def test_reloading_a_changed_image_says_so(ntfs_volume, tmp_path) -> None:  # noqa: ANN001
    volume, _ = ntfs_volume
    image = tmp_path / "server.dd"
    image.write_bytes(volume.read_bytes())
    case = tmp_path / "case"
    _load(image, case)
    data = bytearray(image.read_bytes())
    data[-100] ^= 0x01  # a byte past every file: the inner files are unchanged, the image is not
    image.write_bytes(bytes(data))
    again = _load(image, case)
    assert any(n.startswith("EVIDENCE CHANGED: server.dd's SHA-256 differs") for n in again.files[0].notes)
    assert all(r.status == "loaded" and not r.notes for r in again.files[1:] if r.path.suffix == ".evtx")


def test_gpt_partitioned_disk(ntfs_volume, layout, tmp_path) -> None:  # noqa: ANN001
    from helpers.disk_images import gpt_image

    volume, _ = ntfs_volume
    disk = tmp_path / "gpt.img"
    gpt_image(disk, volume)
    case = tmp_path / "case"
    result = _load(disk, case)
    assert result.files[0].parser == "container:raw" and not result.files[0].notes
    _same_rows_as_direct(result, layout)
    members = [e for e in CustodyLog(case).entries() if e["kind"] == "member-opened"]
    assert {(e["partition"], e["partition_offset"]) for e in members} == {(1, 2048 * 512)}


@pytest.mark.parametrize("fmt, options, parser", [
    ("vhdx", "subformat=dynamic", "container:vhdx"),  # Hyper-V's format: the usual export of a VM's disk
    ("vpc", "subformat=dynamic", "container:vhd"),  # a dynamic (sparse) VHD, unlike the fixed one above
    ("vmdk", "subformat=monolithicSparse", "container:vmdk"),  # a single sparse VMDK ('KDMV' header)
], ids=["vhdx-dynamic", "vhd-dynamic", "vmdk-sparse"])
def test_virtual_disk_written_by_qemu_img(ntfs_volume, layout, tmp_path, fmt, options, parser) -> None:  # noqa: ANN001
    """Virtual disks as a hypervisor writes them: qemu-img follows the published VHDX (MS-VHDX),
    VHD (Virtual Hard Disk Image Format Specification) and VMDK (VMware Virtual Disk Format 1.1)
    layouts, so the file is not one our own helper wrote."""
    qemu_img = tool("qemu-img")
    if not qemu_img:
        pytest.skip("qemu-img is not installed: apt-get install qemu-utils")
    volume, _ = ntfs_volume
    disk = tmp_path / "disk.img"
    mbr_image(disk, volume)
    image = tmp_path / f"server.{'vhd' if fmt == 'vpc' else fmt}"
    subprocess.run([qemu_img, "convert", "-f", "raw", "-O", fmt, "-o", options, str(disk), str(image)],
                   check=True, capture_output=True)
    result = _load(image)
    assert result.files[0].parser == parser
    _same_rows_as_direct(result, layout)
