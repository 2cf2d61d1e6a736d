"""The synthetic EVTX writer: three independent parsers must read its files identically.

Parsers: ``evtx`` (Rust), python-evtx (``Evtx``) and libevtx (``pyevtx``, skipped if absent).
Each parser's XML is reduced to the same plain tuple and compared with what was written.
"""

from __future__ import annotations

import random
import re
import struct
import tracemalloc
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from forensics.synth.evtx_damage import break_chunk_crc, corrupt_chunk_magic
from forensics.synth.evtx_writer import (
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    MAX_RECORD_SIZE,
    ClassicEvent,
    EvtxWriter,
    UserData,
    encode_sid,
    filetime,
)

evtx = pytest.importorskip("evtx")
Evtx = pytest.importorskip("Evtx.Evtx")

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
CHANNEL = "Exchange Auditing"
COMPUTER = "EXMBX01.contoso.com"
T0 = datetime(2024, 3, 1, 18, 30, 0, 123456, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Row:
    """What every parser must agree on for one record."""

    record_id: int
    time: datetime
    provider: str
    event_id: int
    qualifiers: int | None
    level: int
    task: int
    keywords: int
    channel: str
    computer: str
    user_sid: str | None
    data: tuple[str, ...]


# ---- test data -------------------------------------------------------------------------------
SPECIAL = [
    "",
    "<b>&amp; 'quoted' \"double\"</b>",
    "Grüße aus Köln – ☃ 日本語",
    "music 𝄞 and emoji 😀",  # outside the BMP: surrogate pairs on disk
    "  spaced  ",
    "CONTOSO\\UserB",
    "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ceo",
]


def varied_events(n: int, seed: int = 7) -> list[ClassicEvent]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        k = rng.choice([0, 1, 3, 6, 9, 14])
        data = [rng.choice(SPECIAL) if rng.random() < 0.3 else f"value {i}.{j} {rng.random():.6f}" for j in range(k)]
        if i % 97 == 5:
            data.append("L" * rng.randint(2_000, 12_000))  # long strings, some records several KiB
        events.append(
            ClassicEvent(
                # no '"' in names: python-evtx and libevtx leave it unescaped inside attributes
                provider=rng.choice(["MSExchangeIS Auditing", "MSExchangeIS", "Odd <&'> Prövider"]),
                event_id=rng.choice([10100, 10102, 10104, 1016, 1009, 65535]),
                qualifiers=rng.choice([16384, 49152, 0, None]),
                level=rng.choice([2, 3, 4]),
                task=rng.choice([0, 1, 6]),
                time=T0 + timedelta(seconds=37 * i, microseconds=rng.randrange(1_000_000)),
                data=data,
                computer=None if i % 5 else rng.choice(["EXCAS02.contoso.com", "HÖST-<&>"]),
                user_sid="S-1-5-21-3623811015-3361044348-30300820-1013" if i % 11 == 0 else None,
            )
        )
    return events


def expected_rows(events: list[ClassicEvent], first_id: int = 1) -> list[Row]:
    return [
        Row(
            first_id + i,
            e.time,
            e.provider,
            e.event_id,
            e.qualifiers,
            e.level,
            e.task,
            e.keywords,
            CHANNEL,
            e.computer or COMPUTER,
            e.user_sid,
            tuple(e.data),
        )
        for i, e in enumerate(events)
    ]


def write(path: Path, events, **kwargs) -> EvtxWriter:
    with EvtxWriter(path, channel=CHANNEL, computer=COMPUTER, **kwargs) as writer:
        for event in events:
            writer.write(event)
    return writer


# ---- the three readers -----------------------------------------------------------------------
_TIME = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?")


def parse_time(text: str) -> datetime:
    m = _TIME.match(text)
    assert m, text
    frac = (m.group(3) or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}.{frac}+00:00")


def row_from_xml(xml: str) -> Row:
    root = SafeET.fromstring(xml)
    system = root.find(NS + "System")

    def text(name: str) -> str:
        return system.find(NS + name).text or ""

    event_id = system.find(NS + "EventID")
    qualifiers = event_id.get("Qualifiers")
    return Row(
        record_id=int(text("EventRecordID")),
        time=parse_time(system.find(NS + "TimeCreated").get("SystemTime")),
        provider=system.find(NS + "Provider").get("Name"),
        event_id=int(event_id.text),
        qualifiers=int(qualifiers) if qualifiers else None,
        level=int(text("Level")),
        task=int(text("Task")),
        keywords=int(text("Keywords"), 16),
        channel=text("Channel"),
        computer=text("Computer"),
        user_sid=system.find(NS + "Security").get("UserID") or None,
        data=tuple(d.text or "" for d in root.find(NS + "EventData").findall(NS + "Data")),
    )


def read_evtx_rs(path: Path, **kwargs) -> list[Row]:
    rows = []
    for rec in evtx.PyEvtxParser(str(path), **kwargs).records():
        row = row_from_xml(rec["data"])
        assert row.record_id == rec["event_record_id"]
        rows.append(row)
    return rows


def read_evtx_rs_tolerant(path: Path, **kwargs) -> tuple[list[Row], list[str]]:
    """evtx raises at a bad chunk; carry on past it as the viewer's parser will."""
    rows, errors = [], []
    records = evtx.PyEvtxParser(str(path), **kwargs).records()
    while True:
        try:
            rec = next(records)
        except StopIteration:
            return rows, errors
        except RuntimeError as exc:
            errors.append(str(exc))
            continue
        rows.append(row_from_xml(rec["data"]))


def read_python_evtx(path: Path) -> list[Row]:
    with Evtx.Evtx(str(path)) as log:
        return [row_from_xml(rec.xml()) for rec in log.records()]


def read_libevtx(path: Path) -> tuple[list[Row], object]:
    pyevtx = pytest.importorskip("pyevtx")
    log = pyevtx.file()
    log.open(str(path))
    rows = []
    for i in range(log.number_of_records):
        rec = log.get_record(i)
        row = row_from_xml(rec.xml_string)
        # The structured getters bypass XML: they must agree too (libevtx gives None for "").
        assert rec.identifier == row.record_id
        assert rec.event_identifier == row.event_id
        assert rec.source_name == row.provider
        assert rec.computer_name == row.computer
        assert tuple(rec.get_string(k) or "" for k in range(rec.number_of_strings)) == row.data
        rows.append(row)
    return rows, log


def assert_rows_equal(got: list[Row], want: list[Row], python_evtx: bool = False) -> None:
    """Rows must be equal; python-evtx's times are compared with its own float FILETIME maths
    (it can be 1-2 us off, EVTX_FORMAT.md §11), applied to the exact FILETIME we wrote."""
    if python_evtx:
        from Evtx.BinaryParser import parse_filetime

        want = [Row(**{**w.__dict__, "time": parse_filetime(filetime(w.time))}) for w in want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w, (g, w)


# ---- raw structure checks ----------------------------------------------------------------------
def file_header(path: Path) -> dict:
    raw = path.read_bytes()[:FILE_HEADER_SIZE]
    magic, first, last, next_id, hsize, minor, major, block, count = struct.unpack_from("<8sQQQIHHHH", raw)
    flags, crc = struct.unpack_from("<II", raw, 120)
    return dict(
        magic=magic, first=first, last=last, next_id=next_id, header_size=hsize, minor=minor, major=major,
        block=block, count=count, flags=flags, crc_ok=crc == zlib.crc32(raw[:120]), tail_zero=not any(raw[128:]),
    )  # fmt: skip


def chunks(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert (len(raw) - FILE_HEADER_SIZE) % CHUNK_SIZE == 0
    out = []
    for at in range(FILE_HEADER_SIZE, len(raw), CHUNK_SIZE):
        c = raw[at : at + CHUNK_SIZE]
        magic, fnum, lnum, fid, lid, hsize, last_off, free, data_crc = struct.unpack_from("<8sQQQQIIII", c)
        flags, head_crc = struct.unpack_from("<II", c, 120)
        # walk the records by their sizes, checking magic and the trailing size copy
        offsets, ids, off = [], [], 512
        while off < free:
            rmagic, size, rid = struct.unpack_from("<IIQ", c, off)
            assert rmagic == 0x2A2A and size % 8 == 0 and struct.unpack_from("<I", c, off + size - 4)[0] == size
            offsets.append(off)
            ids.append(rid)
            off += size
        out.append(
            dict(
                magic=magic, first_num=fnum, last_num=lnum, first_id=fid, last_id=lid, header_size=hsize,
                last_off=last_off, free=free, flags=flags, ids=ids, offsets=offsets, end=off,
                data_crc_ok=data_crc == zlib.crc32(c[512:free]),
                head_crc_ok=head_crc == zlib.crc32(c[:120] + c[128:512]),
                slack_zero=not any(c[free:]),
                tables=struct.unpack_from("<96I", c, 128),
            )  # fmt: skip
        )
    return out


# ---- tests -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def varied(tmp_path_factory) -> tuple[Path, list[ClassicEvent]]:
    events = varied_events(1000)
    path = tmp_path_factory.mktemp("evtx") / "varied.evtx"
    writer = write(path, events)
    assert writer.records_written == len(events)
    assert writer.chunks_written >= 8  # a genuinely multi-chunk file
    return path, events


def test_three_parsers_agree_on_a_multi_chunk_file(varied) -> None:
    path, events = varied
    want = expected_rows(events)
    rust = read_evtx_rs(path)
    assert_rows_equal(rust, want)
    assert_rows_equal(read_evtx_rs(path, validate_checksums=True), want)
    # python-evtx converts FILETIME through a float and can be 1 us off (EVTX_FORMAT.md §11)
    assert_rows_equal(read_python_evtx(path), want, python_evtx=True)
    lib_rows, log = read_libevtx(path)
    assert_rows_equal(lib_rows, want)
    assert not log.is_corrupted()
    assert log.number_of_recovered_records == 0


def test_headers_crcs_and_tables_are_exact(varied) -> None:
    path, events = varied
    cs = chunks(path)
    head = file_header(path)
    assert head == dict(
        magic=b"ElfFile\x00", first=0, last=len(cs) - 1, next_id=len(events) + 1, header_size=128, minor=1,
        major=3, block=4096, count=len(cs), flags=0, crc_ok=True, tail_zero=True,
    )  # fmt: skip
    assert path.stat().st_size == FILE_HEADER_SIZE + len(cs) * CHUNK_SIZE
    all_ids = []
    for c in cs:
        assert c["magic"] == b"ElfChnk\x00" and c["header_size"] == 128 and c["flags"] == 0
        assert c["data_crc_ok"] and c["head_crc_ok"] and c["slack_zero"]
        assert c["ids"] == list(range(c["first_id"], c["last_id"] + 1))
        assert (c["first_num"], c["last_num"]) == (c["first_id"], c["last_id"])
        assert c["last_off"] == c["offsets"][-1] and c["end"] == c["free"] <= CHUNK_SIZE
        assert any(c["tables"][:64]) and any(c["tables"][64:])  # name and template buckets filled
        all_ids += c["ids"]
    assert all_ids == list(range(1, len(events) + 1))
    with Evtx.Evtx(str(path)) as log:
        assert log.get_file_header().verify()
        assert all(chunk.verify() for chunk in log.chunks())


def test_template_is_defined_once_per_chunk_and_reused(varied) -> None:
    """Each chunk holds exactly one inline definition per event shape it uses; the rest refer back."""
    path, events = varied
    raw = path.read_bytes()
    total_referenced = 0
    for c_index, c in enumerate(chunks(path)):
        base = FILE_HEADER_SIZE + c_index * CHUNK_SIZE
        inline = referenced = 0
        for off in c["offsets"]:
            assert raw[base + off + 24 : base + off + 30] == b"\x0f\x01\x01\x00\x0c\x01"
            def_at = struct.unpack_from("<I", raw, base + off + 34)[0]
            if def_at == off + 38:
                inline += 1
            else:
                assert 512 < def_at < off  # a back-reference into the same chunk
                referenced += 1
        shapes = {
            (len(e.data), e.qualifiers is None, e.user_sid is None, e.provider, e.computer)
            for e in events[c["first_id"] - 1 : c["last_id"]]
        }
        assert inline == len(shapes)
        total_referenced += referenced
    assert total_referenced > 0


def test_uniform_events_define_one_template_per_chunk(tmp_path: Path) -> None:
    path = tmp_path / "uniform.evtx"
    events = [
        ClassicEvent(provider="MSExchangeIS Auditing", event_id=10100, qualifiers=16384,
                     time=T0 + timedelta(seconds=i), data=[f"/Inbox/{i}", "CONTOSO\\assistant", "ceo"])
        for i in range(2000)
    ]  # fmt: skip
    write(path, events)
    raw = path.read_bytes()
    cs = chunks(path)
    assert len(cs) >= 4
    for c_index, c in enumerate(cs):
        base = FILE_HEADER_SIZE + c_index * CHUNK_SIZE
        targets = [struct.unpack_from("<I", raw, base + off + 34)[0] for off in c["offsets"]]
        assert targets == [512 + 38] * len(targets)  # defined by the chunk's first record, then reused
    assert path.stat().st_size < 2000 * 400  # compact: about 250 bytes a record here
    assert_rows_equal(read_evtx_rs(path, validate_checksums=True), expected_rows(events))


def test_python_evtx_random_access_uses_chunk_tables(varied) -> None:
    path, events = varied
    want = expected_rows(events)
    with Evtx.Evtx(str(path)) as log:
        for record_id in (len(events) - 3, len(events) // 2, 2):
            rec = log.get_record(record_id)
            got = row_from_xml(rec.xml())
            assert_rows_equal([got], [want[record_id - 1]], python_evtx=True)


def test_classic_event_shape(tmp_path: Path) -> None:
    path = tmp_path / "one.evtx"
    event = ClassicEvent(
        provider="MSExchangeIS Auditing", event_id=10100, qualifiers=16384, level=4, task=0,
        time=datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc), data=["/Inbox", "UserA", "CONTOSO\\UserB"],
    )  # fmt: skip
    write(path, [event])
    xml = next(evtx.PyEvtxParser(str(path)).records())["data"]
    root = SafeET.fromstring(xml)
    system = root.find(NS + "System")
    assert [child.tag[len(NS) :] for child in system] == [
        "Provider", "EventID", "Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated",
        "EventRecordID", "Correlation", "Execution", "Channel", "Computer", "Security",
    ]  # fmt: skip
    assert system.find(NS + "Provider").attrib == {"Name": "MSExchangeIS Auditing"}
    assert system.find(NS + "EventID").attrib == {"Qualifiers": "16384"}
    assert system.find(NS + "Keywords").text == "0x80000000000000"
    assert system.find(NS + "Security").attrib == {}
    data = root.find(NS + "EventData").findall(NS + "Data")
    assert [d.attrib for d in data] == [{}, {}, {}]  # unnamed, as classic events are
    assert [d.text for d in data] == ["/Inbox", "UserA", "CONTOSO\\UserB"]


def test_user_data_event_shape(tmp_path: Path) -> None:
    """A manifest event (a cleared log, 104) puts its strings in UserData leaves, as Windows does."""
    ns = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
    layout = UserData("LogFileCleared", ns, ("SubjectUserName", "SubjectDomainName", "Channel", "BackupPath"))
    path = tmp_path / "cleared.evtx"
    events = [
        ClassicEvent(provider="Microsoft-Windows-Eventlog", event_id=104, qualifiers=None, time=T0,
                     user_data=layout, data=["eve", "CONTOSO", "Exchange Auditing", ""]),
        ClassicEvent(provider="P", event_id=1, time=T0, data=["classic"]),  # same file, EventData as before
    ]
    write(path, events)
    with Evtx.Evtx(str(path)) as log:
        by_python_evtx = [rec.xml() for rec in log.records()]
    for xml in ([r["data"] for r in evtx.PyEvtxParser(str(path)).records()], by_python_evtx):
        first, second = (SafeET.fromstring(x) for x in xml)
        assert first.find(NS + "EventData") is None
        cleared = first.find(NS + "UserData").find("{" + ns + "}LogFileCleared")
        assert [(c.tag.split("}")[1], c.text or "") for c in cleared] == [
            ("SubjectUserName", "eve"), ("SubjectDomainName", "CONTOSO"), ("Channel", "Exchange Auditing"),
            ("BackupPath", ""),
        ]
        assert [d.text for d in second.find(NS + "EventData")] == ["classic"]
    with EvtxWriter(tmp_path / "bad.evtx") as writer, pytest.raises(ValueError, match="UserData leaves"):
        writer.write(ClassicEvent(provider="P", event_id=104, time=T0, user_data=layout, data=["one"]))


def test_rollover_fills_a_chunk_exactly_then_starts_the_next(tmp_path: Path) -> None:
    """Size the second record so that the first chunk is full; the third starts chunk 2.

    "Full" is 65528, not 65536: libevtx silently drops a record ending exactly at 64 KiB."""

    def event(n_chars: int, i: int) -> ClassicEvent:
        return ClassicEvent(provider="P", event_id=1, time=T0 + timedelta(seconds=i), data=["x" * n_chars])

    big = event(20_000, 0)
    for n_chars in range(11_000, 12_500, 4):  # records grow in steps of 8 bytes
        path = tmp_path / f"fill{n_chars}.evtx"
        write(path, [big, event(n_chars, 1)])
        free = chunks(path)[0]["free"]
        if free == CHUNK_SIZE - 8:
            break
    else:
        pytest.fail("never filled the chunk exactly")
    events = [big, event(n_chars, 1), event(0, 2), event(5, 3)]
    path = tmp_path / "rollover.evtx"
    write(path, events)
    cs = chunks(path)
    assert [c["ids"] for c in cs] == [[1, 2], [3, 4]]
    assert cs[0]["free"] == CHUNK_SIZE - 8
    # one more char in record 2 and it no longer fits: it moves to the next chunk, whole
    path2 = tmp_path / "rollover2.evtx"
    write(path2, [big, event(n_chars + 4, 1)])
    assert [c["ids"] for c in chunks(path2)] == [[1], [2]]
    for p, evs in ((path, events), (path2, [big, event(n_chars + 4, 1)])):
        want = expected_rows(evs)
        assert_rows_equal(read_evtx_rs(p, validate_checksums=True), want)
        assert_rows_equal(read_python_evtx(p), want, python_evtx=True)
        rows, log = read_libevtx(p)
        assert_rows_equal(rows, want)
        assert not log.is_corrupted()


def test_too_large_or_out_of_range_events_raise_and_writer_stays_usable(tmp_path: Path) -> None:
    path = tmp_path / "limits.evtx"
    with EvtxWriter(path, channel=CHANNEL, computer=COMPUTER) as writer:
        writer.write(ClassicEvent(provider="P", event_id=1, time=T0, data=["ok"]))
        with pytest.raises(ValueError, match="at most"):
            writer.write(ClassicEvent(provider="P", event_id=2, time=T0, data=["y" * 20_000] * 2))
        with pytest.raises(ValueError, match="65535-byte"):
            writer.write(ClassicEvent(provider="P", event_id=3, time=T0, data=["z" * 40_000]))
        with pytest.raises(ValueError, match="out of range"):
            writer.write(ClassicEvent(provider="P", event_id=70_000, time=T0))
        writer.write(ClassicEvent(provider="P", event_id=4, time=T0, data=["y" * 20_000, "w" * 11_000]))
    assert MAX_RECORD_SIZE == 65016
    rows = read_evtx_rs(path, validate_checksums=True)
    assert [(r.record_id, r.event_id) for r in rows] == [(1, 1), (2, 4)]
    assert [(r.record_id, r.event_id) for r in read_libevtx(path)[0]] == [(1, 1), (2, 4)]


def test_empty_log_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.evtx"
    writer = write(path, [])
    assert writer.records_written == 0
    head = file_header(path)
    assert (head["count"], head["first"], head["last"], head["next_id"], head["crc_ok"]) == (1, 0, 0, 1, True)
    assert read_evtx_rs(path, validate_checksums=True) == []
    assert read_python_evtx(path) == []
    rows, log = read_libevtx(path)
    assert rows == [] and not log.is_corrupted()


def test_first_record_id_and_non_utc_times(tmp_path: Path) -> None:
    path = tmp_path / "ids.evtx"
    cest = timezone(timedelta(hours=2))
    events = [
        ClassicEvent(provider="P", event_id=7, time=datetime(2024, 6, 1, 10, 0, 0, 1, tzinfo=cest), data=["a"]),
        ClassicEvent(provider="P", event_id=7, time=datetime(2024, 6, 1, 8, 0, 0, 999_999), data=["b"]),  # naive = UTC
    ]
    write(path, events, first_record_id=1000)
    rows = read_evtx_rs(path)
    assert [r.record_id for r in rows] == [1000, 1001]
    assert [r.time for r in rows] == [
        datetime(2024, 6, 1, 8, 0, 0, 1, tzinfo=timezone.utc),
        datetime(2024, 6, 1, 8, 0, 0, 999_999, tzinfo=timezone.utc),
    ]
    assert file_header(path)["next_id"] == 1002


def test_filetime_and_sid_encoding() -> None:
    assert filetime(datetime(1601, 1, 1, tzinfo=timezone.utc)) == 0
    assert filetime(datetime(1970, 1, 1, tzinfo=timezone.utc)) == 116444736000000000
    assert encode_sid("S-1-5-18") == bytes([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0])
    with pytest.raises(ValueError):
        encode_sid("not-a-sid")


def test_dirty_file_read_fully_by_evtx_truncated_by_python_evtx(tmp_path: Path) -> None:
    """Like a log copied while open: the header counts 2 chunks of 5+ and has the dirty flag."""
    events = varied_events(500, seed=3)
    path = tmp_path / "dirty.evtx"
    write(path, events, declare_chunks=2)
    cs = chunks(path)
    assert len(cs) >= 5
    head = file_header(path)
    assert (head["count"], head["last"], head["flags"], head["crc_ok"]) == (2, 1, 1, True)
    assert head["next_id"] == cs[1]["last_id"] + 1
    want = expected_rows(events)
    assert_rows_equal(read_evtx_rs(path, validate_checksums=True), want)  # walks the file size
    declared = cs[0]["ids"] + cs[1]["ids"]
    assert_rows_equal(read_python_evtx(path), want[: len(declared)], python_evtx=True)  # trusts the header
    rows, _ = read_libevtx(path)  # dirty flag set: libevtx reads every chunk as normal records
    assert_rows_equal(rows, want)


def test_stale_header_without_dirty_flag_makes_libevtx_recover(tmp_path: Path) -> None:
    pyevtx = pytest.importorskip("pyevtx")
    events = varied_events(600, seed=4)
    path = tmp_path / "stale.evtx"
    write(path, events, declare_chunks=1, dirty=False)
    assert file_header(path)["flags"] == 0
    log = pyevtx.file()
    log.open(str(path))
    first = len(chunks(path)[0]["ids"])
    assert log.number_of_records == first
    assert log.number_of_recovered_records == len(events) - first


def test_bad_chunk_magic_and_bad_crc(tmp_path: Path) -> None:
    events = varied_events(400, seed=5)
    path = tmp_path / "badmagic.evtx"
    write(path, events)
    cs = chunks(path)
    assert len(cs) >= 3
    corrupt_chunk_magic(path, 1)
    want = expected_rows(events)
    lost = set(cs[1]["ids"])
    survivors = [w for w in want if w.record_id not in lost]
    rows, errors = read_evtx_rs_tolerant(path)
    assert_rows_equal(rows, survivors)  # evtx reports the chunk and skips it
    assert len(errors) == 1 and "chunk number 1" in errors[0] and "magic" in errors[0]
    assert_rows_equal(read_python_evtx(path), want, python_evtx=True)  # python-evtx never checks it

    path2 = tmp_path / "badcrc.evtx"
    write(path2, events)
    break_chunk_crc(path2, 2)
    assert_rows_equal(read_evtx_rs(path2), want)
    lost = set(cs[2]["ids"])
    rows, errors = read_evtx_rs_tolerant(path2, validate_checksums=True)
    assert_rows_equal(rows, [w for w in want if w.record_id not in lost])
    assert len(errors) == 1 and "chunk number 2" in errors[0] and "CRC32" in errors[0]
    with pytest.raises(IndexError):
        corrupt_chunk_magic(path2, len(cs))


def _peak_memory(path: Path, n: int) -> int:
    data = ["/o=Contoso/ou=Exchange/cn=Recipients/cn=ceo", "CONTOSO\\assistant", "Inbox", "192.0.2.10"]
    tracemalloc.start()
    try:
        with EvtxWriter(path, channel=CHANNEL, computer=COMPUTER) as writer:
            for i in range(n):  # events made on the fly, as a generator would
                writer.write(ClassicEvent(provider="MSExchangeIS Auditing", event_id=10100, qualifiers=16384,
                                          time=T0 + timedelta(seconds=i), data=data))  # fmt: skip
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_memory_does_not_grow_with_record_count(tmp_path: Path) -> None:
    small = _peak_memory(tmp_path / "small.evtx", 5_000)
    large = _peak_memory(tmp_path / "large.evtx", 30_000)  # ~150 chunks, ~10 MB
    size = (tmp_path / "large.evtx").stat().st_size
    assert size > 8 * 2**20
    assert large < 512 * 2**10 < size / 16, (large, size)  # a few chunks' worth, not the file
    assert large < small + 128 * 2**10, (small, large)  # 6x the records, about the same peak
    assert len(read_evtx_rs(tmp_path / "large.evtx")) == 30_000


# ---- property: arbitrary Data strings survive byte-exactly -------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# XML 1.0 cannot carry control characters, lone surrogates or non-characters, so the XML-based
# comparison leaves those out; everything else (any plane, markup characters, spaces) is fair.
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(xml_text, max_size=8), min_size=1, max_size=6))
def test_any_data_strings_round_trip_in_all_parsers(tmp_path: Path, batches: list[list[str]]) -> None:
    path = tmp_path / "prop.evtx"
    events = [
        ClassicEvent(provider="MSExchangeIS Auditing", event_id=10100 + i, qualifiers=16384,
                     time=T0 + timedelta(milliseconds=i), data=data)
        for i, data in enumerate(batches)
    ]  # fmt: skip
    write(path, events)
    want = expected_rows(events)
    assert_rows_equal(read_evtx_rs(path, validate_checksums=True), want)
    assert_rows_equal(read_python_evtx(path), want, python_evtx=True)
    assert_rows_equal(read_libevtx(path)[0], want)


# ---- anchored to real files ---------------------------------------------------------------------
def test_same_system_layout_as_a_real_classic_event(tmp_path: Path, shared_samples: Path) -> None:
    """Our classic System block has the element order and attributes of a real Windows one."""
    real = shared_samples / "omerbenamram-evtx" / "Application_no_crc32.evtx"
    classic = None
    for rec in evtx.PyEvtxParser(str(real)).records():
        root = SafeET.fromstring(rec["data"])
        system = root.find(NS + "System")
        if system.find(NS + "EventID").get("Qualifiers") is not None:
            classic = system
            break
    assert classic is not None

    def layout(system) -> list[tuple[str, list[str]]]:
        return [(child.tag[len(NS) :], sorted(child.attrib)) for child in system]

    path = tmp_path / "ours.evtx"
    write(path, [ClassicEvent(provider="MSExchangeIS", event_id=1016, qualifiers=16384, time=T0, data=["x"])])
    ours = SafeET.fromstring(next(evtx.PyEvtxParser(str(path)).records())["data"]).find(NS + "System")
    assert layout(ours) == layout(classic)
    assert ours.find(NS + "Keywords").text == classic.find(NS + "Keywords").text == "0x80000000000000"


def test_dirty_synthetic_file_behaves_like_the_real_dirty_sample(tmp_path: Path, shared_samples: Path) -> None:
    def counts(path: Path) -> tuple[int, int, int]:
        head = file_header(path)
        with Evtx.Evtx(str(path)) as log:
            python_evtx = sum(1 for _ in log.records())  # counted, not rendered
        rust = sum(1 for _ in evtx.PyEvtxParser(str(path)).records())
        return head["flags"], python_evtx, rust

    real_flags, real_py, real_rs = counts(shared_samples / "omerbenamram-evtx" / "system.evtx")
    assert (real_flags & 1, real_py < real_rs) == (1, True)  # 326 vs 1881 records
    path = tmp_path / "dirty.evtx"
    write(path, varied_events(600, seed=9), declare_chunks=1)
    flags, py, rs = counts(path)
    assert (flags & 1, py < rs, rs) == (1, True, 600)
    assert py == len(chunks(path)[0]["ids"])


def test_output_is_deterministic(tmp_path: Path) -> None:
    events = varied_events(300, seed=11)
    write(tmp_path / "a.evtx", events)
    write(tmp_path / "b.evtx", events)
    assert (tmp_path / "a.evtx").read_bytes() == (tmp_path / "b.evtx").read_bytes()


def test_spare_zero_chunks_are_ignored_like_windows_preallocation(tmp_path: Path) -> None:
    events = varied_events(150, seed=12)
    path = tmp_path / "spare.evtx"
    writer = write(path, events, spare_chunks=3)
    used = writer.chunks_written
    assert path.stat().st_size == FILE_HEADER_SIZE + (used + 3) * CHUNK_SIZE
    head = file_header(path)
    assert (head["count"], head["last"], head["flags"]) == (used, used - 1, 0)
    want = expected_rows(events)
    assert_rows_equal(read_evtx_rs(path, validate_checksums=True), want)
    assert_rows_equal(read_python_evtx(path), want, python_evtx=True)
    rows, log = read_libevtx(path)
    assert_rows_equal(rows, want)
    assert not log.is_corrupted() and log.number_of_recovered_records == 0
