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

_PROVIDER_EVENT = r'<Provider Name="(?P<provider>[^"]*)"[^>]*>(?:</Provider>)?\s*<EventID[^>]*>\s*(?P<event_id>\d+)\s*(?:</EventID>|$)'
_PROVIDER_EVENT_RE = re.compile(_PROVIDER_EVENT)
# (patterns start with a letter that is rare in event XML: RE2 skips ahead to it quickly)
_TIME = r'SystemTime="(?P<time>[^"]*)"'
_RECORD_ID = r"RecordID>(?P<record_id>\d{1,18})</EventRecordID>"  # longer = damaged: null
_COMPUTER = r"Computer>(?P<computer>[^<]*)</Computer>"
_EVENT_DATA = r"(?s)<EventData>(?P<data>.*)</EventData>"
_USER_DATA = r"(?s)<UserData>(?P<data>.*)</UserData>"
_DATA_ITEM = r'(?s)^(?: Name="(?P<name>[^"]*)")?\s*(?:/>|>(?P<value>.*?)</Data>)'
# one piece of UserData cut at "<": a start, end or empty-element tag and the text after it
_TAG_PIECE = r"(?s)^(?P<close>/?)(?:[^\s/>:]*:)?(?P<name>[^\s/>]*)[^>]*?(?P<empty>/?)>(?P<text>.*)$"
_NUMERIC_REF = re.compile(r"&#(x[0-9A-Fa-f]+|\d+);")


def _text(values: pa.Array) -> pa.Array:
    return values.cast(pa.string()) if values.type != pa.string() else values


def unescape(values: pa.Array) -> pa.Array:
    """XML-unescape a string array (&lt; &gt; &quot; &apos; numeric refs, then &amp;).

    Numeric character references are rare; only the strings holding one go through Python.
    """
    values = _text(values)
    if not pc.any(pc.match_substring_regex(values, "&")).as_py():  # RE2 literal search is the fast one
        return values
    numeric = pc.fill_null(pc.match_substring_regex(values, "&#"), False)
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
    # cut after </EventID>: what follows (time, record id) differs in every record
    heads = pc.list_element(pc.split_pattern(heads, b"</EventID>", max_splits=1), 0)
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
        event_id = int(match.group("event_id")[:9])
        if event_id > 0xFFFF:  # event ids are 16-bit: a larger one is a damaged record
            continue
        name = unescape_text(match.group("provider"))
        unique_code[i] = provider_code.setdefault(name, len(providers))
        if unique_code[i] == len(providers):
            providers.append(name)
        unique_event[i] = event_id
    codes = unique_code[head_index]
    events = unique_event[head_index]
    if unresolved.any():  # head window too short (very long provider name): read the whole record
        rows = np.flatnonzero(unresolved[head_index])
        found = pc.extract_regex(xml.take(pa.array(rows)), _PROVIDER_EVENT)
        names = unescape(pc.struct_field(found, "provider")).to_pylist()
        ids = pc.struct_field(found, "event_id").to_pylist()
        valid = pc.is_valid(found).to_pylist()
        for row, ok, name, event_id in zip(rows, valid, names, ids):
            if not ok or len(event_id) > 5 or int(event_id) > 0xFFFF:
                continue
            if name not in provider_code:
                provider_code[name] = len(providers)
                providers.append(name)
            codes[row] = provider_code[name]
            events[row] = int(event_id)
    assert len(codes) == n
    return providers, codes, events


def record_ids(xml: pa.Array) -> pa.Array:
    """EventRecordID of each record as int64 (null where absent or damaged)."""
    return pc.cast(pc.struct_field(pc.extract_regex(xml, _RECORD_ID), "record_id"), pa.int64(), safe=False)


def system_fields(xml: pa.Array, known_ids: np.ndarray | None = None) -> dict[str, pa.Array]:
    """time (UTC timestamp), record_id (int64) and computer of each record. ``known_ids``:
    the records' ids as ``record_ids`` read them already (-1 = absent), not read again."""
    time_text = pc.struct_field(pc.extract_regex(xml, _TIME), "time")
    computer = pc.struct_field(pc.extract_regex(xml, _COMPUTER), "computer")
    if known_ids is not None:
        ids = pa.array(known_ids, pa.int64(), mask=known_ids < 0)
    else:
        ids = record_ids(xml)
    return {
        "time": parse_times(time_text),
        "record_id": ids,
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
    empty/null for unnamed classic-event strings). Values are XML-unescaped.

    Classic events (every Exchange provider) carry only unnamed ``<Data>`` items: those
    records are cut with plain substring splits; records with named items go through a
    pattern per item. Records without <EventData> but with <UserData> (manifest events such
    as a cleared log, 104/1102) get the texts of UserData's leaf elements instead, so a
    handler reads them like data strings; ``has_event_data`` stays False for them.
    """
    has = pc.fill_null(pc.match_substring_regex(xml, "<EventData>"), False)

    def matches(pattern: str) -> np.ndarray:
        return pc.fill_null(pc.match_substring_regex(xml, pattern), False).to_numpy(zero_copy_only=False)

    has_np = has.to_numpy(zero_copy_only=False)
    other_tags = matches(r"<Data[ /]")
    plain = has_np & ~other_tags
    named = has_np & other_tags
    if named.any():  # only <Data Name="…">value</Data> items, none self-closing or unnamed
        named &= ~matches(r"<Data>|<Data(?:[^ >]| [^N]| N[^a])|<Data Name=\"[^\"]*\"\s*/>")
    user = np.zeros(len(xml), dtype=bool)
    if not has_np.all():  # rare: the UserData test only runs when some record lacks EventData
        user = ~has_np & matches("<UserData>")
    paths = [(plain, _plain_items), (named, _named_items), (user, _user_data_items),
             (~(plain | named | user), _patterned_items)]
    used = [(np.flatnonzero(mask), cut) for mask, cut in paths if mask.any()]
    if len(used) == 1:
        values, names = used[0][1](xml)
    else:
        pieces = [cut(xml.take(pa.array(rows))) for rows, cut in used]
        back = np.empty(len(xml), dtype=np.int64)
        back[np.concatenate([rows for rows, _ in used])] = np.arange(len(xml))
        order = pa.array(back)
        values = pa.concat_arrays([v for v, _ in pieces]).take(order)
        names = pa.concat_arrays([n for _, n in pieces]).take(order)
    return values, names, has


def _list(lengths: np.ndarray, flat: pa.Array) -> pa.ListArray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def _plain_items(xml: pa.Array) -> tuple[pa.ListArray, pa.ListArray]:
    """Records whose EventData holds only ``<Data>value</Data>`` items."""
    parts = pc.list_slice(pc.split_pattern(xml, "<Data>"), 1)  # "value</Data>" (+ tail on the last)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(parts)
    values = pc.utf8_slice_codeunits(flat, 0, -len("</Data>"))
    last = np.cumsum(lengths)[lengths > 0] - 1  # each record's last item carries the closing tail
    if len(last):
        tails = pc.list_element(pc.split_pattern(flat.take(pa.array(last)), "</Data>", max_splits=1), 0)
        mask = np.zeros(len(flat), dtype=bool)
        mask[last] = True
        values = pc.replace_with_mask(values, pa.array(mask), tails)
    values = unescape(values)
    return _list(lengths, values), _list(lengths, pa.nulls(len(values), pa.string()))


def _named_items(xml: pa.Array) -> tuple[pa.ListArray, pa.ListArray]:
    """Records whose EventData holds only ``<Data Name="n">value</Data>`` items."""
    parts = pc.list_slice(pc.split_pattern(xml, '<Data Name="'), 1)  # 'n">value</Data>' (+ tail)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(parts)
    name_value = pc.split_pattern(flat, '">', max_splits=1)  # a name never holds '">' (escaped)
    names = unescape(pc.list_element(name_value, 0))
    rest = pc.list_element(name_value, 1)
    values = pc.utf8_slice_codeunits(rest, 0, -len("</Data>"))
    last = np.cumsum(lengths)[lengths > 0] - 1
    if len(last):
        tails = pc.list_element(pc.split_pattern(rest.take(pa.array(last)), "</Data>", max_splits=1), 0)
        mask = np.zeros(len(flat), dtype=bool)
        mask[last] = True
        values = pc.replace_with_mask(values, pa.array(mask), tails)
    return _list(lengths, unescape(values)), _list(lengths, names)


def _patterned_items(xml: pa.Array) -> tuple[pa.ListArray, pa.ListArray]:
    """Any EventData (named items, self-closing items), one pattern match per item."""
    event_data = pc.struct_field(pc.extract_regex(xml, _EVENT_DATA), "data")
    parts = pc.list_slice(pc.split_pattern(pc.fill_null(event_data, ""), "<Data"), 1)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(parts)
    items = pc.extract_regex(flat, _DATA_ITEM)
    values = unescape(pc.fill_null(pc.struct_field(items, "value"), ""))
    names = unescape(pc.struct_field(items, "name"))
    return _list(lengths, values), _list(lengths, names)


def _user_data_items(xml: pa.Array) -> tuple[pa.ListArray, pa.ListArray]:
    """Records with <UserData> and no <EventData>: the text of every leaf element of
    UserData, in document order (names = local tag names; empty elements give "").

    UserData is cut at "<" into tag pieces; a start tag directly followed by an end tag, or
    an empty-element tag, is a leaf. Texts are trimmed: indented XML puts line breaks and
    spaces inside empty leaves (``<BackupPath>\\n  </BackupPath>``).
    """
    inner = pc.fill_null(pc.struct_field(pc.extract_regex(xml, _USER_DATA), "data"), "")
    parts = pc.list_slice(pc.split_pattern(inner, "<"), 1)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(parts)
    pieces = pc.extract_regex(flat, _TAG_PIECE)

    def flag(values: pa.Array) -> np.ndarray:
        return pc.fill_null(values, False).to_numpy(zero_copy_only=False)

    close = flag(pc.equal(pc.struct_field(pieces, "close"), "/"))
    empty = flag(pc.equal(pc.struct_field(pieces, "empty"), "/"))
    tag = flag(pc.is_valid(pieces)) & ~flag(pc.match_substring_regex(flat, r"^[!?]"))  # not comments, CDATA, PIs
    next_close = np.zeros(len(flat), dtype=bool)
    next_close[:-1] = close[1:]
    ends = np.cumsum(lengths)[lengths > 0] - 1
    next_close[ends] = False  # a record's last piece is followed by the next record's first
    leaf = tag & ~close & (empty | next_close)
    picked = np.flatnonzero(leaf)
    record = np.repeat(np.arange(len(lengths)), lengths)
    counts = np.bincount(record[picked], minlength=len(lengths))
    found = pieces.take(pa.array(picked, pa.int64()))
    text = pc.if_else(pa.array(empty[picked]), "", pc.struct_field(found, "text"))
    values = unescape(pc.utf8_trim_whitespace(text))
    return _list(counts, values), _list(counts, pc.struct_field(found, "name"))


def data_text(xml: pa.Array) -> pa.Array:
    """The data strings of each record as one text: "Name=value; Name=value" (named items),
    "value; value" (unnamed); for events without <EventData>, the text of <UserData>.

    For the generic rows of ``--all-events``: the EventData text is rewritten with literal
    substitutions (no per-item lists). evtx escapes ``<``, ``>`` and quotes in values, so the
    markup strings replaced here only occur as markup.
    """
    has = pc.fill_null(pc.match_substring_regex(xml, "<EventData>"), False)
    count = pc.sum(has).as_py() or 0
    out = pa.nulls(len(xml), pa.string())
    if count:
        inner = pc.list_element(pc.split_pattern(xml if count == len(xml) else xml.filter(has), "<EventData>", max_splits=1), 1)
        inner = pc.list_element(pc.split_pattern(inner, "</EventData>", max_splits=1, reverse=True), 0)
        text = pc.replace_substring(inner, '<Data Name="', "")
        text = pc.replace_substring(text, '"/>', "=; ")
        text = pc.replace_substring(text, '">', "=")
        text = pc.replace_substring(text, "<Data>", "")
        text = pc.replace_substring(text, "</Data>", "; ")
        if pc.any(pc.match_substring_regex(text, "<")).as_py():  # <Binary>, other markup
            text = pc.replace_substring_regex(text, r"<Binary>[^<]*</Binary>", "")
            text = pc.replace_substring_regex(text, r"<[^>]*>", "")
        text = pc.if_else(pc.ends_with(text, "; "), pc.utf8_slice_codeunits(text, 0, -2), text)
        out = unescape(text) if count == len(xml) else pc.replace_with_mask(out, has, unescape(text))
    if count < len(xml):  # events without <EventData>: the text of <UserData>, for those alone
        without = pc.invert(has)
        out = pc.replace_with_mask(out, without, user_data_text(xml.filter(without)))
    return out


def user_data_text(xml: pa.Array) -> pa.Array:
    """Text content of <UserData> (tags dropped), for events without <EventData>."""
    inner = pc.struct_field(pc.extract_regex(xml, _USER_DATA), "data")
    text = pc.replace_substring_regex(inner, r"<[^>]*>", " ")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    return unescape(text)
