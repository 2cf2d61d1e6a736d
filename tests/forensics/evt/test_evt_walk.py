"""The .evt reader on well-formed, wrapped, dirty, truncated and damaged logs (logs built by
``helpers.evt_build`` from the documented format; where libevt-python is installed it reads the
same files as an independent second reader)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from forensics.evt.structure import FLAG_DIRTY, HEADER_SIZE, FileHeader, find_eof
from forensics.evt.walk import walk
from helpers.evt_build import write_log


def _libevt_numbers(path: Path) -> list[int]:
    pyevt = pytest.importorskip("pyevt")
    handle = pyevt.file()
    handle.open(str(path))
    try:
        # one record object at a time: the binding frees a record when the next is fetched
        return [handle.get_record(i).identifier for i in range(handle.number_of_records)]
    finally:
        handle.close()


def test_well_formed(tmp_path: Path) -> None:
    found = walk(write_log(tmp_path / "a.evt").read_bytes())
    assert [r.number for r in found.records] == list(range(1, 31))
    assert not found.damage and not found.field_problems and not found.wrapped
    first = found.records[0]
    assert (first.source, first.event_id, first.qualifiers, first.computer) == ("MSExchangeIS Auditing", 10100, 0x4000, "EXCH2003")
    assert first.strings[0] == "/Inbox/Sub0" and len(first.strings) == 12


def test_wrapped_log_reads_the_record_split_at_the_end(tmp_path: Path) -> None:
    path = write_log(tmp_path / "w.evt", 200, max_size=8192)
    data = path.read_bytes()
    found = walk(data)
    header = FileHeader.parse(data)
    assert header is not None and header.wrapped and header.start_offset > header.end_offset
    numbers = [r.number for r in found.records]
    assert numbers == list(range(numbers[0], 201)) and numbers[0] > 1
    assert found.wrapped and not found.damage
    # some record runs past the end of the file and continues after the header
    assert any(offset + record.size > len(data) for offset, record in zip(found.offsets, found.records))
    assert numbers == _libevt_numbers(path)


def test_dirty_header_uses_the_end_of_file_record(tmp_path: Path) -> None:
    path = write_log(tmp_path / "d.evt", 30)
    data = bytearray(path.read_bytes())
    # a live copy: the header still states the log as it was at an earlier clean close
    struct.pack_into("<II", data, 20, HEADER_SIZE + 500, 5)  # stale EndOffset, CurrentRecordNumber
    struct.pack_into("<I", data, 36, FLAG_DIRTY)
    found = walk(bytes(data))
    assert found.header.dirty and found.eof is not None
    assert [r.number for r in found.records] == list(range(1, 31)) and not found.damage


def test_truncated_copy(tmp_path: Path) -> None:
    path = write_log(tmp_path / "t.evt", 30)
    data = path.read_bytes()
    full = walk(data)
    cut = full.offsets[20] + 30  # inside record 21
    found = walk(data[:cut])
    assert found.eof is None and [r.number for r in found.records] == list(range(1, 21))
    [damage] = found.damage
    assert damage.at_cut and damage.before == 20 and damage.after is None


def test_corrupt_middle_record_resyncs(tmp_path: Path) -> None:
    data = bytearray(write_log(tmp_path / "c.evt", 30).read_bytes())
    offset = walk(bytes(data)).offsets[14]  # record 15
    data[offset + 4 : offset + 8] = b"XXXX"
    found = walk(bytes(data))
    assert [r.number for r in found.records] == [n for n in range(1, 31) if n != 15]
    [damage] = found.damage
    assert (damage.offset, damage.before, damage.after) == (offset, 14, 16) and "signature" in damage.reason


def test_removed_record_leaves_no_damage(tmp_path: Path) -> None:
    found = walk(write_log(tmp_path / "r.evt", 30, remove=(12,)).read_bytes())
    assert [r.number for r in found.records] == [n for n in range(1, 31) if n != 12] and not found.damage


def test_not_an_evt() -> None:
    with pytest.raises(ValueError, match="not an .evt"):
        walk(b"\x00" * 200)
    assert find_eof(b"LfLe" * 100) is None


def test_bad_string_offset_is_a_field_problem(tmp_path: Path) -> None:
    data = bytearray(write_log(tmp_path / "s.evt", 5).read_bytes())
    offset = walk(bytes(data)).offsets[2]
    struct.pack_into("<I", data, offset + 36, 0xFFFF)  # StringOffset far outside the record
    found = walk(bytes(data))
    assert [r.number for r in found.records] == [1, 2, 4, 5]
    assert found.field_problems and "StringOffset" in found.field_problems[0][1]


def test_strings_outside_the_basic_plane_and_a_sid(tmp_path: Path) -> None:
    """UTF-16 surrogate pairs in the names and strings (one character, four bytes) and a SID
    between the names and the strings: every layout the record allows reads back exactly."""
    from forensics.synth.evt_writer import EvtEvent, EvtWriter
    from helpers.evt_build import T0

    path = tmp_path / "u.evt"
    writer = EvtWriter(path, "EXCH\U0001d538")
    events = [
        EvtEvent("Src\U0001f600", 1009, T0, ["CONTOSO\\j\u00fcrgen", "/o=C/cn=\U0001f600"], qualifiers=0x4000),
        EvtEvent("MSExchangeIS", 1016, T0, ["a", "", "c\U00010348"], sid="S-1-5-21-1-2-3-1104"),
        EvtEvent("MSExchangeIS", 1016, T0, []),
    ]
    for event in events:
        writer.write(event)
    writer.close()
    found = walk(path.read_bytes())
    assert [(r.source, r.computer, r.strings, r.sid) for r in found.records] == [
        (e.source, "EXCH\U0001d538", e.strings, e.sid) for e in events]


def test_end_of_file_record_split_by_the_wrap(tmp_path: Path) -> None:
    """The 40-byte EOF record, too, continues after the header when it reaches the file's end."""
    from forensics.evt.structure import EOF_SIZE

    for max_size in range(4096, 4096 + 400, 4):
        path = write_log(tmp_path / "s.evt", 80, max_size=max_size)
        data = path.read_bytes()
        eof = find_eof(data)
        assert eof is not None
        if eof.offset + EOF_SIZE > len(data):
            break
    else:
        pytest.fail("no layout put the end-of-file record across the end of the file")
    found = walk(data)
    numbers = [r.number for r in found.records]
    assert numbers[-1] == 80 and numbers == list(range(numbers[0], 81)) and not found.damage
    assert eof.next_record == 81 and numbers == _libevt_numbers(path)


def test_padding_before_the_wrap_is_not_damage() -> None:
    """Bytes between the last record and the end of a wrapped log that hold only zeros or the
    EventLog service's 0x00000027 fill dwords are padding, anything else is not."""
    from forensics.evt.walk import _is_padding

    assert _is_padding(bytes(24)) and _is_padding(b"\x27\x00\x00\x00" * 6)
    assert not _is_padding(b"\x27\x00\x00\x00" * 5 + b"LfLe") and not _is_padding(b"\x01" + bytes(7))
