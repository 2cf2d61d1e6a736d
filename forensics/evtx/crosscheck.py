"""Independent second-tool check: parse one ``.evtx`` with ``evtx`` and with python-evtx and
compare record by record (record id, event id, time, data strings).

Forensic practice expects a result to be reproducible with a second, independent tool;
python-evtx is a separate implementation (pure Python). Its known gaps are reported as such:
it reads only the number of chunks the file header states (dirty files hold more), it fails
on some string encodings, and it mis-renders string arrays that hold empty strings
(``Evtx/Nodes.py`` ``WstringArrayTypeNode.string`` searches for the next non-empty item
anywhere ahead and then slices as if it had been first: items move and empty ones multiply;
``EVTX_FORMAT.md`` §6.4). Where the two disagree, libevtx (``pyevtx``, a third independent
implementation in C, used when installed) is asked too, and the report says which two agree.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import evtx
from defusedxml import ElementTree

from forensics.errors import EvidenceError
from forensics.evtx.chunks import CHUNK_SIZE, FILE_MAGIC, HEADER_SIZE, cut_link_loops, header_chunk_count

_NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
#: python-evtx turns the 100 ns FILETIME into a datetime through a float, which is off by up
#: to about 2 µs for present-day dates; evtx converts exactly. Closer than this = same time.
TIME_TOLERANCE = 3e-6


@dataclass(frozen=True)
class RecordView:
    """What both tools must agree on for one record."""

    record_id: int
    event_id: int | None
    time: datetime | None
    data: tuple[str, ...]
    from_array: bool = False  # some data strings came from python-evtx's <string> array text


@dataclass
class Disagreement:
    record_id: int
    field: str
    evtx_value: object
    python_evtx_value: object
    libevtx_value: object = None
    #: which two agree: "evtx and libevtx", "python-evtx and libevtx", "none", or "" (not asked)
    agree: str = ""


@dataclass
class CrossCheck:
    path: Path
    evtx_records: int = 0
    python_evtx_records: int = 0
    both: int = 0
    agree: int = 0
    only_evtx: list[int] = field(default_factory=list)
    only_python_evtx: list[int] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    evtx_errors: list[str] = field(default_factory=list)
    python_evtx_errors: list[str] = field(default_factory=list)
    normalized: Counter[str] = field(default_factory=Counter)
    header_chunks: int | None = None
    chunks_present: int = 0
    limit: int | None = None
    #: (chunk index, "string" | "template") of tables whose links loop: cut before both tools read
    loops_cut: list[tuple[int, str]] = field(default_factory=list)
    #: libevtx, the third voter: None when not installed or not needed (the two agreed)
    libevtx_records: int | None = None
    libevtx_errors: list[str] = field(default_factory=list)
    #: of the records only one tool read, how many libevtx read too
    only_evtx_libevtx: int = 0
    only_python_evtx_libevtx: int = 0

    @property
    def ok(self) -> bool:
        return not self.disagreements


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip().replace("T", " ").rstrip("Z")
    if "." in text:  # python-evtx and evtx differ in fraction digits; keep microseconds
        head, frac = text.split(".", 1)
        text = f"{head}.{(frac + '000000')[:6]}"
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def record_view(xml: str, record_id: int) -> RecordView:
    """The compared fields of one rendered record (either tool's XML).

    XML that is not well-formed (control characters in ANSI strings, for instance) is read
    with patterns instead, so the comparison still covers it.
    """
    try:
        root = ElementTree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except ElementTree.ParseError:
        return _pattern_view(xml, record_id)

    def find(path: str):  # documents may or may not carry the event namespace
        node = root.find(path.replace("{ns}", _NS))
        return node if node is not None else root.find(path.replace("{ns}", ""))

    event_id = find("{ns}System/{ns}EventID")
    created = find("{ns}System/{ns}TimeCreated")
    data: list[str] = []
    for section in ("EventData", "UserData"):
        node = find("{ns}" + section)
        if node is None:
            continue
        for element in node.iter():
            if element is node or len(element):
                continue
            if element.tag.endswith("Binary"):
                continue
            data.append((element.text or "").strip())
    return RecordView(
        record_id=record_id,
        event_id=_int(event_id.text) if event_id is not None else None,
        time=_time(created.get("SystemTime")) if created is not None else None,
        data=_expand_string_arrays(data),
        from_array=any(value.startswith("<string>") for value in data),
    )


_EVENT_ID = re.compile(r"<EventID[^>]*>\s*(\d+)\s*</EventID>")
_SYSTEM_TIME = re.compile(r'<TimeCreated SystemTime="([^"]*)"')
_DATA = re.compile(r"<(?:Data|string)\b[^>]*?(?:/>|>(.*?)</(?:Data|string)>)", re.S)
_STRING_ITEM = re.compile(r"<string>(.*?)</string>", re.S)


def _pattern_view(xml: str, record_id: int) -> RecordView:
    event_id = _EVENT_ID.search(xml)
    created = _SYSTEM_TIME.search(xml)
    body = xml.split("</System>", 1)[-1]
    data = [html.unescape(m.group(1) or "").strip() for m in _DATA.finditer(body)]
    return RecordView(
        record_id=record_id,
        event_id=int(event_id.group(1)) if event_id else None,
        time=_time(created.group(1)) if created else None,
        data=_expand_string_arrays(data),
        from_array=any(value.startswith("<string>") for value in data),
    )


def _expand_string_arrays(values: list[str]) -> tuple[str, ...]:
    """python-evtx renders a string-array value as one text of <string>…</string> items;
    evtx renders one <Data> per item. Compare item by item."""
    out: list[str] = []
    for value in values:
        items = _STRING_ITEM.findall(value) if value.startswith("<string>") else []
        out.extend(item.strip() for item in items) if items else out.append(value)
    return tuple(out)


_HEX = re.compile(r"^0x[0-9A-Fa-f]+$")
_GUID = re.compile(r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$")
_HEXBYTES = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")


def _parse_datetime(text: str) -> datetime | None:
    if not _DATETIME.match(text):
        return None
    cleaned = text.replace("+00:00", "").rstrip("Z")
    return _time(cleaned)


def same_value(a: str, b: str) -> str | None:
    """``None`` if the two renderings differ in content; otherwise how they were matched
    ("exact", or the rendering difference that was normalized)."""
    if a == b:
        return "exact"
    if _HEX.match(a) and _HEX.match(b) and int(a, 16) == int(b, 16):
        return "hex width"
    ga, gb = _GUID.match(a), _GUID.match(b)
    if ga and gb and ga.group(1).lower() == gb.group(1).lower():
        return "GUID braces/case"
    if a.lower() in ("true", "false") and a.lower() == b.lower():
        return "bool case"
    ta, tb = _parse_datetime(a), _parse_datetime(b)
    if ta and tb and abs((ta - tb).total_seconds()) <= TIME_TOLERANCE:
        return "time format"
    for hexed, other in ((a, b), (b, a)):
        if _HEXBYTES.match(hexed):
            try:
                if base64.b64decode(other, validate=True) == bytes.fromhex(hexed):
                    return "binary hex/base64"
            except (ValueError, binascii.Error):
                pass
    return None


def same_time(a: datetime | None, b: datetime | None) -> str | None:
    if a == b:
        return "exact"
    if a is not None and b is not None and abs((a - b).total_seconds()) <= TIME_TOLERANCE:
        return "time rounding (<= 3 µs)"
    return None


def _evtx_views(data: bytes, errors: list[str], limit: int | None) -> Iterator[RecordView]:
    records = evtx.PyEvtxParser(io.BytesIO(data)).records()
    count = 0
    while True:
        try:
            for record in records:
                try:
                    yield record_view(record["data"], int(record["event_record_id"]))
                except Exception as exc:  # noqa: BLE001 - unreadable XML is a finding
                    errors.append(f"record {record['event_record_id']}: XML not readable: {exc}")
                count += 1
                if limit is not None and count >= limit:
                    return
            return
        except RuntimeError as exc:
            errors.append(" ".join(str(exc).split()))


def _python_evtx_views(data: bytes, errors: list[str], limit: int | None) -> Iterator[RecordView]:
    from Evtx.Evtx import FileHeader

    count = 0
    try:
        for chunk in FileHeader(data, 0).chunks():
            for record in chunk.records():
                count += 1
                try:
                    number = record.record_num()
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"record #{count}: header unreadable: {type(exc).__name__}: {exc}")
                    continue
                try:
                    yield record_view(record.xml(), int(number))
                except Exception as exc:  # noqa: BLE001 - python-evtx fails on some strings
                    errors.append(f"record {number}: {type(exc).__name__}: {exc}")
                if limit is not None and count >= limit:
                    return
    except Exception as exc:  # noqa: BLE001 - a broken chunk ends python-evtx's walk
        errors.append(f"stopped after {count} records: {type(exc).__name__}: {exc}")


def _libevtx_views(data: bytes, errors: list[str]) -> dict[int, RecordView] | None:
    """Every record libevtx renders (normal and recovered ones), or None without libevtx."""
    try:
        import pyevtx  # noqa: PLC0415 - optional: the third voter
    except ImportError:
        return None
    handle = pyevtx.file()
    try:
        handle.open_file_object(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - libevtx refuses some damaged files
        errors.append(f"libevtx refused the file: {exc}")
        return {}
    views: dict[int, RecordView] = {}
    try:
        for get, count in ((handle.get_record, handle.number_of_records),
                           (handle.get_recovered_record, handle.number_of_recovered_records)):
            for index in range(count):
                try:
                    record = get(index)
                    views.setdefault(int(record.identifier), record_view(record.get_xml_string(), int(record.identifier)))
                except Exception as exc:  # noqa: BLE001 - an unrenderable record is a finding
                    errors.append(f"record #{index}: {exc}")
    finally:
        handle.close()
    return views


def _readable_copy(path: Path, result: "CrossCheck") -> bytes:
    """The file's bytes as both tools may read them: a chunk whose string/template table
    links loop would make either spin forever, so such entries are cut (``cut_link_loops``)
    and the cut is reported. The evidence file itself is never written."""
    data = path.read_bytes()
    chunks, loops = cut_link_loops(memoryview(data)[HEADER_SIZE:])
    result.loops_cut = loops
    return data[:HEADER_SIZE] + bytes(chunks) if loops else data


def crosscheck(path: Path, limit: int | None = None, progress: Callable[[str], None] | None = None) -> CrossCheck:
    """Compare both tools on ``path`` (``limit``: only the first N records of each)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(HEADER_SIZE)
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EvidenceError(f"{path}: is a directory, not an .evtx file") from None
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not header:
        raise EvidenceError(f"{path}: file is empty")
    if not header.startswith(FILE_MAGIC):
        raise EvidenceError(f"{path}: not an EVTX file (no 'ElfFile' header)")
    result = CrossCheck(path=path, limit=limit)
    result.header_chunks = header_chunk_count(header)
    with open(path, "rb") as handle:
        handle.seek(HEADER_SIZE)
        while chunk := handle.read(CHUNK_SIZE):
            result.chunks_present += chunk.startswith(b"ElfChnk\x00")
    data = _readable_copy(path, result)
    if progress:
        progress("reading with evtx")
    ours = {v.record_id: v for v in _evtx_views(data, result.evtx_errors, limit)}
    result.evtx_records = len(ours)
    if progress:
        progress("reading with python-evtx (slow: about 200 records/s)")
    theirs = {v.record_id: v for v in _python_evtx_views(data, result.python_evtx_errors, limit)}
    result.python_evtx_records = len(theirs)
    result.only_evtx = sorted(set(ours) - set(theirs))
    result.only_python_evtx = sorted(set(theirs) - set(ours))
    for record_id in sorted(set(ours) & set(theirs)):
        a, b = ours[record_id], theirs[record_id]
        result.both += 1
        problems = _compare(a, b, result.normalized)
        result.disagreements.extend(Disagreement(record_id, name, x, y) for name, x, y in problems)
        result.agree += not problems
    if result.disagreements or result.only_evtx or result.only_python_evtx:
        if progress:
            progress("asking libevtx, the third voter")
        _third_voter(result, _libevtx_views(data, result.libevtx_errors))
    return result


def _third_voter(result: CrossCheck, views: dict[int, RecordView] | None) -> None:
    """Ask libevtx where evtx and python-evtx disagree (and about records only one read)."""
    if views is None:
        return
    result.libevtx_records = len(views)
    result.only_evtx_libevtx = sum(1 for r in result.only_evtx if r in views)
    result.only_python_evtx_libevtx = sum(1 for r in result.only_python_evtx if r in views)
    for d in result.disagreements:
        view = views.get(d.record_id)
        if view is None:
            d.agree = "libevtx did not read it"
            continue
        d.libevtx_value = _field_value(view, d.field)
        with_evtx = _same_field(d.field, d.libevtx_value, d.evtx_value)
        with_python = _same_field(d.field, d.libevtx_value, d.python_evtx_value)
        d.agree = "evtx and libevtx" if with_evtx else "python-evtx and libevtx" if with_python else "none"


def _field_value(view: RecordView, name: str) -> object:
    if name == "event_id":
        return view.event_id
    if name == "time":
        return view.time
    if name == "data strings":
        return len(view.data)
    index = int(name.rsplit(" ", 1)[1]) - 1
    return view.data[index] if index < len(view.data) else None


def _same_field(name: str, a: object, b: object) -> bool:
    if name == "time":
        return same_time(a, b) is not None  # type: ignore[arg-type]
    if isinstance(a, str) and isinstance(b, str):
        return same_value(a, b) is not None
    return a == b


#: how a python-evtx string-array rendering that differs only in empty items is counted
ARRAY_GAP = "python-evtx string array with empty strings (items moved or repeated)"


def _compare(a: RecordView, b: RecordView, normalized: Counter[str]) -> list[tuple[str, object, object]]:
    problems: list[tuple[str, object, object]] = []
    if a.event_id != b.event_id:
        problems.append(("event_id", a.event_id, b.event_id))
    how = same_time(a.time, b.time)
    if how is None:
        problems.append(("time", a.time, b.time))
    elif how != "exact":
        normalized[how] += 1
    if a.data != b.data and b.from_array and _same_items(a.data, b.data):
        normalized[ARRAY_GAP] += 1  # python-evtx's known string-array defect, not a difference
    elif len(a.data) != len(b.data):
        problems.append(("data strings", len(a.data), len(b.data)))
    else:
        for index, (x, y) in enumerate(zip(a.data, b.data), 1):
            how = same_value(x, y)
            if how is None:
                problems.append((f"data string {index}", x, y))
            elif how != "exact":
                normalized[how] += 1
    return problems


def _same_items(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The same non-empty strings, in any order and number: python-evtx's array defect moves
    items and repeats one when empty items precede it (``WstringArrayTypeNode.string``)."""
    return {x for x in a if x} == {y for y in b if y}


def _short(value: object, width: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def format_report(result: CrossCheck, show: int = 20) -> str:
    lines = [f"crosscheck {result.path}"]
    if result.limit:
        lines.append(f"  limited to the first {result.limit} records of each tool")
    lines.append(f"  evtx:        {result.evtx_records} records, {len(result.evtx_errors)} errors")
    lines.append(f"  python-evtx: {result.python_evtx_records} records, {len(result.python_evtx_errors)} errors")
    lines.append(f"  read by both: {result.both}; agree on record id, event id, time and data strings: {result.agree}")
    if result.only_evtx:
        lines.append(f"  only evtx read {len(result.only_evtx)} records ({_ranges(result.only_evtx)})")
    if result.only_python_evtx:
        lines.append(f"  only python-evtx read {len(result.only_python_evtx)} records ({_ranges(result.only_python_evtx)})")
    gaps = []
    if result.header_chunks is not None and result.chunks_present > result.header_chunks:
        gaps.append(
            f"the file header states {result.header_chunks} chunks but {result.chunks_present} are present; "
            "python-evtx reads only the stated chunks (dirty file)"
        )
    if result.python_evtx_errors:
        gaps.append(f"python-evtx failed on {len(result.python_evtx_errors)} records (e.g. {result.python_evtx_errors[0]})")
    if result.normalized:
        done = ", ".join(f"{how} x{n}" for how, n in result.normalized.most_common())
        lines.append(f"  rendering differences treated as equal: {done}")
    for gap in gaps:
        lines.append(f"  known python-evtx gap: {gap}")
    for chunk, what in result.loops_cut:
        lines.append(
            f"  damaged chunk {chunk}: its {what} table links loop; the looping entry was ignored so both "
            "tools could read the records (each would otherwise never return)"
        )
    for error in result.evtx_errors[:show]:
        lines.append(f"  evtx error: {error}")
    for d in result.disagreements[:show]:
        third = ""
        if d.agree and d.agree != "libevtx did not read it":
            third = f" libevtx={_short(d.libevtx_value)} -> " + (
                f"{d.agree} agree" if d.agree != "none" else "all three differ")
        elif d.agree:
            third = " (libevtx did not read it)"
        lines.append(
            f"  DISAGREE record {d.record_id} {d.field}: evtx={_short(d.evtx_value)} "
            f"python-evtx={_short(d.python_evtx_value)}{third}"
        )
    if len(result.disagreements) > show:
        lines.append(f"  ... and {len(result.disagreements) - show} more disagreements")
    if result.libevtx_records is not None:
        votes = Counter(d.agree for d in result.disagreements)
        lines.append(
            f"  third voter libevtx: {result.libevtx_records} records; on the disagreements it agrees with evtx "
            f"{votes['evtx and libevtx']}x, with python-evtx {votes['python-evtx and libevtx']}x, with neither "
            f"{votes['none']}x, did not read {votes['libevtx did not read it']}"
        )
        if result.only_evtx:
            lines.append(f"  libevtx also read {result.only_evtx_libevtx} of the {len(result.only_evtx)} records only evtx read")
        if result.only_python_evtx:
            lines.append(f"  libevtx also read {result.only_python_evtx_libevtx} of the {len(result.only_python_evtx)} "
                         "records only python-evtx read")
    elif result.disagreements or result.only_evtx or result.only_python_evtx:
        lines.append("  third voter libevtx: not installed (pip install libevtx-python), no tie-break")
    verdict = "AGREE on every record both tools read" if result.ok else f"DISAGREE on {result.both - result.agree} records"
    lines.append(f"  result: {verdict}")
    return "\n".join(lines)


def _ranges(ids: list[int]) -> str:
    """1,2,3,7,8 -> '1-3, 7-8' (first few ranges)."""
    spans: list[tuple[int, int]] = []
    for value in ids:
        if spans and value == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], value)
        else:
            spans.append((value, value))
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans[:5])
    return text + (", ..." if len(spans) > 5 else "")
