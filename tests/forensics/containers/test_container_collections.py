"""Triage collections: KAPE and Velociraptor zips, a tar.gz, and hostile zips (encrypted
member, zip bomb, path-traversal names). The same rows as the files loaded directly; each
unreadable member is named, and every readable one still loads."""

from __future__ import annotations

import struct
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from forensics.case.case_verify import verify_case
from forensics.containers import open_container
from forensics.custody.log import CustodyLog
from forensics.ingest import load_evidence
from helpers.disk_images import canonical, kape_zip, sources_in_order, velociraptor_zip


def _check_same_rows(archive: Path, layout: dict[str, Path], case: Path | None = None):  # noqa: ANN202
    result = load_evidence([archive], custody=CustodyLog(case) if case else None)
    members = [r for r in result.files if r.source_format != "container"]
    assert len(members) == len(layout) and all(r.status == "loaded" for r in members), [(r.path, r.error) for r in members]
    direct = load_evidence(sources_in_order(result, layout))
    pd.testing.assert_frame_equal(canonical(result.frame), canonical(direct.frame))
    return result


@pytest.mark.parametrize("escaped", [False, True], ids=["C", "C%3A"])
def test_kape_zip(layout, tmp_path, escaped) -> None:  # noqa: ANN001
    archive = tmp_path / "kape.zip"
    names = kape_zip(archive, layout, escaped=escaped)
    case = tmp_path / "case"
    _check_same_rows(archive, layout, case)
    with open_container(archive) as container:
        found = {m.inner: m for m in container.evidence()}
    assert set(found) == set(names)
    for name, inner in names.items():
        assert found[name].logical == f"C:/{inner}"
    assert sum(1 for m in found.values() if m.location) == len(layout) - 1  # the Desktop CSV: by content
    entries = [e for e in CustodyLog(case).entries() if e["kind"] == "member-opened"]
    assert {e["inner_path"] for e in entries} == set(names)
    assert verify_case(case).status == "VERIFIED"


@pytest.mark.parametrize("accessor", ["auto", "ntfs"])
def test_velociraptor_zip(layout, tmp_path, accessor) -> None:  # noqa: ANN001
    archive = tmp_path / "Collection-EXCH01.zip"
    names = velociraptor_zip(archive, layout, accessor)
    _check_same_rows(archive, layout)
    with open_container(archive) as container:
        found = {m.inner: m for m in container.evidence()}
    assert set(found) == set(names)  # client_info.json is no evidence
    assert all(found[n].logical == f"C:/{inner}" for n, inner in names.items())


def test_tar_gz_collection(layout, tmp_path) -> None:  # noqa: ANN001
    archive = tmp_path / "logs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for inner, source in layout.items():
            tar.add(source, f"C/{inner}")
    _check_same_rows(archive, layout)


def _encrypt_flag(data: bytes, name: str) -> bytes:
    """Set general-purpose bit 0 (encrypted, APPNOTE 4.4.4) of ``name`` in its local header
    and its central directory entry, as a password-protecting zip tool does."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = 0
        while (at := out.find(signature, at)) >= 0:
            if out[at + name_at: at + name_at + len(encoded)] == encoded:
                flags = struct.unpack_from("<H", out, at + flag_at)[0]
                struct.pack_into("<H", out, at + flag_at, flags | 1)
            at += 4
    return bytes(out)


def test_hostile_zip_each_member_named_and_the_rest_loads(layout, tmp_path) -> None:  # noqa: ANN001
    archive = tmp_path / "hostile.zip"
    evtx = {k: v for k, v in layout.items() if k.endswith(".evtx")}
    names = kape_zip(archive, evtx)
    locked = next(n for n in names if n.endswith("Application.evtx"))
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("C/inetpub/logs/LogFiles/W3SVC1/u_ex240101.log", "w", force_zip64=True) as bomb:
            block = bytes(1 << 20)
            for _ in range(100):  # 100 MiB of zeros, deflated about 1000:1
                bomb.write(block)
        zf.write(layout["Windows/System32/winevt/Logs/MSExchange Management.evtx"],
                 "../../Windows/System32/winevt/Logs/Escaped.evtx")
    archive.write_bytes(_encrypt_flag(archive.read_bytes(), locked))

    result = load_evidence([archive])
    by_name = {Path(str(r.path).split("!", 1)[-1]).name: r for r in result.files}
    assert by_name["Application.evtx"].status == "failed"
    assert "encrypted (password-protected zip member)" in by_name["Application.evtx"].error
    assert by_name["u_ex240101.log"].status == "failed" and "zip bomb" in by_name["u_ex240101.log"].error
    escaped = by_name["Escaped.evtx"]
    assert escaped.status == "loaded" and any("path climbs out of the archive" in n for n in escaped.notes)
    assert by_name["Exchange Auditing.evtx"].status == "loaded" and by_name["Exchange Auditing.evtx"].rows > 0
    # the same bytes under their proper name: read and hashed, rows not added twice
    assert by_name["MSExchange Management.evtx"].status == "duplicate"


def test_unreadable_members_are_logged(tmp_path, layout) -> None:  # noqa: ANN001
    archive = tmp_path / "locked.zip"
    names = kape_zip(archive, {k: v for k, v in layout.items() if k.endswith("Exchange Auditing.evtx")})
    archive.write_bytes(_encrypt_flag(archive.read_bytes(), next(iter(names))))
    case = tmp_path / "case"
    load_evidence([archive], custody=CustodyLog(case))
    [entry] = [e for e in CustodyLog(case).entries() if e["kind"] == "member-unreadable"]
    assert "encrypted" in entry["error"] and entry["container_sha256"]


def test_damaged_zip_is_one_clear_message(tmp_path, layout) -> None:  # noqa: ANN001
    archive = tmp_path / "cut.zip"
    kape_zip(archive, layout)
    archive.write_bytes(archive.read_bytes()[:-200])  # the central directory is cut off
    result = load_evidence([archive])
    [report] = result.files
    assert report.status == "failed" and "cut.zip: not a readable zip" in report.error


def test_methodology_says_how_inner_files_were_read(layout, tmp_path) -> None:  # noqa: ANN001
    from forensics.reports.methodology import sections

    archive = tmp_path / "kape.zip"
    kape_zip(archive, {k: v for k, v in layout.items() if k.endswith(".evtx")})
    result = load_evidence([archive])
    text = dict(sections(result.frame, result.files, "UTC"))
    assert text["Disk images and collections"].startswith("3 evidence file(s) were read from inside 1 disk image")
    direct = load_evidence([v for k, v in layout.items() if k.endswith(".evtx")])
    assert "Disk images and collections" not in dict(sections(direct.frame, direct.files, "UTC"))


def test_cancel_while_listing_keeps_nothing(layout, tmp_path) -> None:  # noqa: ANN001
    from forensics.errors import LoadCancelled

    archive = tmp_path / "kape.zip"
    kape_zip(archive, layout)
    case = tmp_path / "case"
    with pytest.raises(LoadCancelled):
        load_evidence([archive], custody=CustodyLog(case), cancel=lambda: True)
    kinds = [e["kind"] for e in CustodyLog(case).entries()]
    assert "load-cancelled" in kinds and "member-opened" not in kinds


def test_hashing_a_container_reports_progress(layout, tmp_path) -> None:  # noqa: ANN001
    archive = tmp_path / "kape.zip"
    kape_zip(archive, layout)
    seen = []
    load_evidence([archive], progress=lambda p: seen.append((p.path, p.file_done, p.file_total)))
    hashing = [s for s in seen if s[0] == archive]
    assert hashing and hashing[-1][1] == hashing[-1][2] == archive.stat().st_size
    assert any(s[0] != archive for s in seen)  # then the inner files
