"""Pull System fields and data strings out of a batch of event XML strings, vectorized.

The XML comes from the ``evtx`` engine (compact form, ``indent=False``), so its shape is
regular. Everything here works on whole ``pyarrow`` string arrays (RE2 in C++), never one
record at a time: per-record Python would cost more than the Rust parse itself.

Provider and event id are needed for every record (to count skipped events), so they are
read from a short head window of each record, de-duplicated first: a log holds few distinct
heads, and only those are parsed. Everything else is extracted only for kept records.
"""

from __future__ import annotations

import re
from html import unescape as _html_unescape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: bytes of each record's head that hold the XML declaration, <Event>, <Provider> and
#: <EventID> (and, for short provider names, a few more low-variety System elements)
HEAD_WINDOW = 360

_PROVIDER_EVENT = r'<Provider Name="(?P<provider>[^"]*)"[^>]*>(?:</Provider>)?\s*<EventID[^>]*>\s*(?P<event_id>\d+)\s*</EventID>'
_PROVIDER_EVENT_RE = re.compile(_PROVIDER_EVENT)
_TIME = r'<TimeCreated SystemTime="(?P<time>[^"]*)"'
_RECORD_ID = r"<EventRecordID>(?P<record_id>\d+)</EventRecordID>"
_COMPUTER = r"<Computer>(?P<computer>[^<]*)</Computer>"
_EVENT_DATA = r"(?s)<EventData>(?P<data>.*)</EventData>"
_USER_DATA = r"(?s)<UserData>(?P<data>.*)</UserData>"
_DATA_ITEM = r'(?s)^(?: Name="(?P<name>[^"]*)")?\s*(?:/>|>(?P<value>.*?)</Data>)'
_NUMERIC_REF = re.compile(r"&#(x[0-9A-Fa-f]+|\d+);")


def _text(values: pa.Array) -> pa.Array:
    return values.cast(pa.string()) if values.type != pa.string() else values


def unescape(values: pa.Array) -> pa.Array:
    """XML-unescape a string array (&lt; &gt; &quot; &apos; numeric refs, then &amp;).

    Numeric character references are rare; only the strings holding one go through Python.
    """
    values = _text(values)
    if not pc.any(pc.match_substring(values, "&")).as_py():
        return values
    numeric = pc.fill_null(pc.match_substring(values, "&#"), False)
    if pc.any(numeric).as_py():
        py = values.to_pylist()
        for index in np.flatnonzero(numeric.to_numpy(zero_copy_only=False)):
            py[index] = _NUMERIC_REF.sub(lambda m: _html_unescape(m.group(0)), py[index])
        values = pa.array(py, pa.string())
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        values = pc.replace_substring(values, entity, char)
    return values


def unescape_text(text: str) -> str:
    """``unescape`` for one string (used for the few distinct provider names)."""
    if "&" not in text:
        return text
    text = _NUMERIC_REF.sub(lambda m: _html_unescape(m.group(0)), text)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def provider_event(xml: pa.Array | pa.ChunkedArray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Provider and event id of every record.

    Returns (provider names, provider code per record, event id per record); code -1 and
    event id -1 mean the record's XML has no readable <Provider>/<EventID>.
    """
    n = len(xml)
    heads = pc.binary_slice(xml.cast(pa.binary()), 0, HEAD_WINDOW)
    if isinstance(heads, pa.ChunkedArray):
        heads = heads.combine_chunks()
    encoded = pc.dictionary_encode(heads)
    uniques = encoded.dictionary.to_pylist()
    head_index = encoded.indices.to_numpy(zero_copy_only=False)
    providers: list[str] = []
    provider_code: dict[str, int] = {}
    unique_code = np.full(len(uniques), -1, dtype=np.int64)
    unique_event = np.full(len(uniques), -1, dtype=np.int64)
    unresolved = np.zeros(len(uniques), dtype=bool)
    for i, head in enumerate(uniques):
        match = _PROVIDER_EVENT_RE.search(head.decode("utf-8", "replace"))
        if match is None:
            unresolved[i] = True
            continue
        name = unescape_text(match.group("provider"))
        unique_code[i] = provider_code.setdefault(name, len(providers))
        if unique_code[i] == len(providers):
            providers.append(name)
        unique_event[i] = int(match.group("event_id"))
    codes = unique_code[head_index]
    events = unique_event[head_index]
    if unresolved.any():  # head window too short (very long provider name): read the whole record
        rows = np.flatnonzero(unresolved[head_index])
        found = pc.extract_regex(xml.take(pa.array(rows)), _PROVIDER_EVENT)
        names = unescape(pc.struct_field(found, "provider")).to_pylist()
        ids = pc.struct_field(found, "event_id").to_pylist()
        valid = pc.is_valid(found).to_pylist()
        for row, ok, name, event_id in zip(rows, valid, names, ids):
            if not ok:
                continue
            if name not in provider_code:
                provider_code[name] = len(providers)
                providers.append(name)
            codes[row] = provider_code[name]
            events[row] = int(event_id)
    assert len(codes) == n
    return providers, codes, events


def system_fields(xml: pa.Array) -> dict[str, pa.Array]:
    """time (UTC timestamp), record_id (int64) and computer of each record."""
    time_text = pc.struct_field(pc.extract_regex(xml, _TIME), "time")
    record_id = pc.struct_field(pc.extract_regex(xml, _RECORD_ID), "record_id")
    computer = pc.struct_field(pc.extract_regex(xml, _COMPUTER), "computer")
    return {
        "time": parse_times(time_text),
        "record_id": pc.cast(record_id, pa.int64(), safe=False),
        "computer": unescape(computer),
    }


def parse_times(text: pa.Array) -> pa.Array:
    """ISO-8601 SystemTime strings -> timestamp[ns, UTC]; unreadable ones become null."""
    text = _text(text)
    try:
        return pc.cast(text, pa.timestamp("ns", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = []
        for value in text.to_pylist():
            try:
                out.append(pc.cast(pa.array([value]), pa.timestamp("ns", tz="UTC"))[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                out.append(None)
        return pa.array(out, pa.timestamp("ns", tz="UTC"))


def data_items(xml: pa.Array) -> tuple[pa.ListArray, pa.ListArray, pa.Array]:
    """The <EventData> items of each record: (values, names, has_event_data).

    ``values``/``names`` are list arrays (one list per record, in document order; names are
    null for unnamed classic-event strings). Values are XML-unescaped.
    """
    event_data = pc.struct_field(pc.extract_regex(xml, _EVENT_DATA), "data")
    has = pc.is_valid(event_data)
    parts = pc.list_slice(pc.split_pattern(pc.fill_null(event_data, ""), "<Data"), 1)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(parts)
    items = pc.extract_regex(flat, _DATA_ITEM)
    values = unescape(pc.fill_null(pc.struct_field(items, "value"), ""))
    names = unescape(pc.struct_field(items, "name"))
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
    return pa.ListArray.from_arrays(offsets, values), pa.ListArray.from_arrays(offsets, names), has


def user_data_text(xml: pa.Array) -> pa.Array:
    """Text content of <UserData> (tags dropped), for events without <EventData>."""
    inner = pc.struct_field(pc.extract_regex(xml, _USER_DATA), "data")
    text = pc.replace_substring_regex(inner, r"<[^>]*>", " ")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    return unescape(text)
