"""Per-row matching keys, as integer codes: family, access class, persons, folder, item.

Strings are normalized once per distinct value (``pd.factorize`` then work on the uniques),
so millions of rows cost a few hash passes, never per-row Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.correlate.rules import (
    FAMILIES, FAMILY_ORDER, MESSAGE_KEYED, OPERATION_CLASSES, WEB_REQUEST, WEB_REQUEST_FORMATS,
)

#: a message id as the UAL and transport logs give it: <local@domain>
_MESSAGE_ID = re.compile(r"^<[^<>\s]+@[^<>\s]+>$")
#: an opaque store id (OWA's RgAAAA.../LgAAAA... EWS ids): names an item, but not comparably
_STORE_ID = re.compile(r"^[A-Za-z0-9+/=_-]{30,}$")
CLASSES: tuple[str, ...] = tuple(dict.fromkeys([*OPERATION_CLASSES.values(), WEB_REQUEST]))


@dataclass
class RowKeys:
    """Matching keys of every row (position = row position in the frame)."""

    time: np.ndarray  # int64 ns, NaT as int64 min
    family: np.ndarray  # int8 index into FAMILY_ORDER, -1 another source
    fmt: np.ndarray  # int16 code of source_format, -1 none
    formats: list[str]  # source_format per code
    evidence_names: list[str]  # evidence id per code
    evidence: np.ndarray  # int32 code of evidence, -1 none
    access_class: np.ndarray  # int8 index into CLASSES, -1 not correlated across sources
    persons: np.ndarray  # int64 code of (class, mailbox person, actor person); -1 not correlatable
    record: np.ndarray  # int64 code of the same-record key (family, operation, persons, folder, item, event id);
    # rows that cannot have a twin (no two files of their family overlap) get n + position
    folder: np.ndarray  # int64 code of the normalized folder path, -1 none (or not a path)
    subject: np.ndarray  # int64 code of the normalized subject, -1 none
    message_id: np.ndarray  # int64 code of the message id, -1 none
    #: rows keyed by message (tracking Send rows): their twins are the same message, not the same record
    same_message: np.ndarray | None = None

    @property
    def correlatable(self) -> np.ndarray:
        return (self.persons >= 0) & (self.family >= 0) & (self.time != np.iinfo(np.int64).min)


def _codes(series: pd.Series) -> np.ndarray:
    """Category codes (NA = -1) of any column, as int64."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64)


def combine_codes(*codes: np.ndarray, dense: bool = True) -> np.ndarray:
    """One code per distinct tuple of codes (-1 stays a value, not a sentinel).

    Codes are packed side by side into one int64 while their ranges fit (mixed radix), and
    re-densified with one ``factorize`` only when the next would overflow: a few hash passes
    for a key of nine parts, not nine. ``dense=False`` skips the last ``factorize`` (the
    codes are then distinct per tuple but not 0..k-1: enough to group, sort or join on).
    """
    n = len(codes[0])
    if not n:
        return np.zeros(0, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    span = 1  # values of ``out`` lie in [0, span)
    for c in codes:
        width = int(c.max()) + 2
        if span * width >= 1 << 62:
            out, uniques = pd.factorize(out)
            out, span = out.astype(np.int64), max(len(uniques), 1)
        out = out * width + (c.astype(np.int64) + 1)
        span *= width
    if not dense:
        return out
    compact, _ = pd.factorize(out)
    return compact.astype(np.int64)


def _dictionary(series: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """(code per row, -1 for none; the distinct values): one Arrow dictionary-encode pass."""
    values = pa.array(series.astype("string").array, from_pandas=True) \
        if not isinstance(series.dtype, pd.CategoricalDtype) else None  # Arrow-backed: no copy, no cast
    if values is None:  # categorical: the categories are already the distinct values
        codes = series.cat.codes.to_numpy().astype(np.int64)
        return codes, pa.array(series.cat.categories.astype(str), type=pa.large_string())
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = pc.fill_null(encoded.indices.cast(pa.int64()), -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), encoded.dictionary


def _recode(codes: np.ndarray, normalized: pa.Array) -> np.ndarray:
    """Row codes of the normalized distinct values ("" = none = -1)."""
    if not len(normalized):
        return np.full(len(codes), -1, dtype=np.int64)
    encoded = pc.dictionary_encode(normalized)
    norm_codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    empty = pc.equal(normalized, "").to_numpy(zero_copy_only=False)
    mapped = np.append(np.where(empty, -1, norm_codes), -1)
    return mapped[np.where(codes < 0, len(normalized), codes)]


def _folder_keys(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(path key, key-or-text): a folder path without case or slash style ("\\Inbox\\Finance"
    = "/inbox/finance"); "" for anything that is not a path (an OWA folder id names a
    folder, not comparably). Vectorized over the distinct values (Arrow compute)."""
    text = pc.utf8_trim_whitespace(values)
    is_path = pc.or_(pc.starts_with(text, "/"), pc.starts_with(text, "\\"))
    path = pc.replace_substring_regex(pc.utf8_lower(text), r"[\\/]+", "/")
    path = pc.utf8_rtrim(path, characters="/")
    path = pc.if_else(pc.equal(path, ""), "/", path)
    key = pc.if_else(is_path, path, "")
    return key, pc.if_else(is_path, path, text)


def _on_subset(values: pa.Array, mask: pa.Array, fn, default: object) -> pa.Array:
    """``fn`` (a costly kernel, e.g. a regex) applied only where ``mask``; elsewhere ``default``
    (None: the value itself)."""
    where = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
    idx = np.flatnonzero(where)
    result = fn(pc.take(values, pa.array(idx))) if len(idx) else None
    if default is None:
        return pc.replace_with_mask(values, pa.array(where), result.cast(values.type)) if len(idx) else values
    flags = np.full(len(values), default, dtype=bool)
    if len(idx):
        flags[idx] = np.asarray(result.to_numpy(zero_copy_only=False), dtype=bool)
    return pa.array(flags)


def _item_keys(values: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(subject key, message id key, key-or-text) per distinct item: subjects without case,
    spacing or the .EML an OWA/WebDAV URL appends; message ids lower case; opaque store ids
    (RgAAAA...) are neither (they name an item, but not comparably)."""
    text = pc.utf8_trim_whitespace(values)
    # plain substring tests, no regex over a million message ids: <local@domain> without spaces
    is_mid = pc.and_(pc.and_(pc.starts_with(text, "<"), pc.ends_with(text, ">")),
                     pc.and_(pc.match_substring(text, "@"), pc.invert(pc.match_substring(text, " "))))
    could_store = pc.and_(pc.greater_equal(pc.utf8_length(text), 30), pc.invert(pc.match_substring(text, " ")))
    could_store = pc.and_(could_store, pc.invert(is_mid))
    is_store = _on_subset(text, could_store, lambda v: pc.match_substring_regex(v, _STORE_ID.pattern), False)
    lower = pc.utf8_lower(text)
    subject = pc.if_else(pc.ends_with(lower, ".eml"), pc.utf8_slice_codeunits(lower, 0, -4), lower)
    spaced = pc.or_(pc.or_(pc.match_substring(subject, "  "), pc.match_substring(subject, "\t")),
                    pc.or_(pc.match_substring(subject, "\r"), pc.match_substring(subject, "\n")))
    subject = _on_subset(subject, spaced, lambda v: pc.replace_substring_regex(v, r"\s+", " "), None)
    subject = pc.utf8_trim_whitespace(subject)
    subject_key = pc.if_else(pc.or_(is_mid, is_store), "", subject)
    mid_key = pc.if_else(is_mid, lower, "")
    return subject_key, mid_key, pc.if_else(pc.equal(subject_key, ""), lower, subject_key)


def folder_key(text: str) -> str:
    """``_folder_keys`` for one value (tests, and callers outside the hot path)."""
    return str(_folder_keys(pa.array([text], type=pa.large_string()))[0][0])


def subject_key(text: str) -> str:
    """``_item_keys``' subject key for one value."""
    return str(_item_keys(pa.array([text], type=pa.large_string()))[0][0])


def message_id_key(text: str) -> str:
    return str(_item_keys(pa.array([text], type=pa.large_string()))[1][0])


def _access_class(frame: pd.DataFrame) -> np.ndarray:
    """Class index per row: by operation; MailItemsAccessed by its MailAccessType."""
    n = len(frame)
    if "operation" not in frame.columns:
        return np.full(n, -1, dtype=np.int8)
    op = frame["operation"]
    if isinstance(op.dtype, pd.CategoricalDtype):
        op_codes, names = op.cat.codes.to_numpy().astype(np.int64), [str(v) for v in op.cat.categories]
    else:
        op_codes, uniq = pd.factorize(op, use_na_sentinel=True)
        names = [str(v) for v in uniq]
    table = np.array([CLASSES.index(OPERATION_CLASSES[v]) if v in OPERATION_CLASSES else -1 for v in names] + [-1],
                     dtype=np.int8)
    out = table[np.where(op_codes < 0, len(names), op_codes)]
    if "MailItemsAccessed" in names:
        mia = op_codes == names.index("MailItemsAccessed")
        if mia.any() and "details" in frame.columns:
            details = frame["details"].astype("string")[mia]
            bind = details.str.contains("MailAccessType=Bind", regex=False).fillna(False).to_numpy(bool)
            sync = details.str.contains("MailAccessType=Sync", regex=False).fillna(False).to_numpy(bool)
            cls = np.where(bind, CLASSES.index("MessageOpen"), np.where(sync, CLASSES.index("FolderOpen"), -1))
            out[mia] = cls.astype(np.int8)
    if WEB_REQUEST in names and "source_format" in frame.columns:
        fmt = frame["source_format"].astype("category")  # codes, not millions of strings
        fmt_names = [str(v) for v in fmt.cat.categories]
        fmt_codes = fmt.cat.codes.to_numpy()
        if "httpproxy" in fmt_names and (fmt_codes == fmt_names.index("httpproxy")).any():
            # a request's HttpProxy and IIS lines can be one access
            web_fmt = [i for i, name in enumerate(fmt_names) if name in WEB_REQUEST_FORMATS]
            web = (op_codes == names.index(WEB_REQUEST)) & np.isin(fmt_codes, web_fmt)
            out[web] = CLASSES.index(WEB_REQUEST)
    if "Logon" in names and "mailbox" in frame.columns:  # a sign-in names no mailbox
        no_mailbox = frame["mailbox"].isna().to_numpy(bool) | (frame["mailbox"].astype("string") == "").fillna(True).to_numpy(bool)
        out[(op.astype(object) == "Logon").to_numpy(bool) & no_mailbox] = CLASSES.index("SignIn")
    return out


def _person(frame: pd.DataFrame, role: str) -> np.ndarray:
    key = f"{role}_key"
    column = frame[key] if key in frame.columns and frame[key].notna().any() else frame.get(role)
    if column is None:
        return np.full(len(frame), -1, dtype=np.int64)
    return _codes(column)


def _may_have_twins(group: np.ndarray, evidence: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Rows of a family (``group``) in which two files' time spans overlap: only those can be
    the same record exported twice. Spans per file by scatter; the overlap test runs per file."""
    n = len(t)
    timed = (t != np.iinfo(np.int64).min) & (evidence >= 0)
    if not timed.any():
        return np.zeros(n, dtype=bool)
    n_ev = int(evidence.max()) + 1
    ev, tt = evidence[timed].astype(np.int64), t[timed]
    first = np.full(n_ev, np.iinfo(np.int64).max)
    last = np.full(n_ev, np.iinfo(np.int64).min)
    np.minimum.at(first, ev, tt)
    np.maximum.at(last, ev, tt)
    group_of = np.full(n_ev, -1, dtype=np.int64)
    group_of[ev] = group[timed]
    overlapping: set[int] = set()
    for g in np.unique(group_of[group_of >= 0]).tolist():  # per family and file: a handful
        files = np.flatnonzero(group_of == g)
        order = files[np.argsort(first[files], kind="stable")]
        ends = np.maximum.accumulate(last[order])
        if len(order) > 1 and bool((first[order][1:] <= ends[:-1]).any()):
            overlapping.add(int(g))
    if not overlapping:
        return np.zeros(n, dtype=bool)
    return np.isin(group, list(overlapping))


def row_keys(frame: pd.DataFrame, light: bool = False) -> RowKeys:
    """Every key the matcher needs, computed once for the whole frame. ``light``: only time,
    formats and access classes (one evidence file: nothing to match, nothing to normalize)."""
    n = len(frame)
    time = frame["time"]
    t = time.array.asi8 if isinstance(time.dtype, pd.DatetimeTZDtype) else pd.to_datetime(time, utc=True).array.asi8
    fmt_series = frame["source_format"].astype("category") if "source_format" in frame.columns else pd.Series(
        pd.Categorical([None] * n))
    fmt = fmt_series.cat.codes.to_numpy().astype(np.int16)
    formats = [str(v) for v in fmt_series.cat.categories]
    fam_of_fmt = np.array([FAMILY_ORDER.index(FAMILIES[f]) if f in FAMILIES else -1 for f in formats] + [-1],
                          dtype=np.int8)
    family = fam_of_fmt[np.where(fmt < 0, len(formats), fmt)]
    ev = frame["evidence"].astype("category") if "evidence" in frame.columns else pd.Series(pd.Categorical([None] * n))
    # codes in evidence-id order, not load order: which of two exports of one log founds an
    # access must not depend on the order the files were opened (a reopen gives the same rows)
    ev = ev.cat.reorder_categories(sorted(ev.cat.categories, key=str))
    evidence = ev.cat.codes.to_numpy().astype(np.int32)
    evidence_names = [str(v) for v in ev.cat.categories]
    access_class = _access_class(frame)
    if light:
        none = np.full(n, -1, dtype=np.int64)
        return RowKeys(t, family, fmt, formats, evidence_names, evidence, access_class, none, none, none, none, none)
    mailbox, actor = _person(frame, "mailbox"), _person(frame, "actor")
    persons = combine_codes(access_class.astype(np.int64), mailbox, actor)
    persons = np.where((access_class < 0) | (mailbox < 0) | (actor < 0), -1, persons)
    persons = _web_request_persons(frame, access_class, persons)
    folder_col = frame["folder"] if "folder" in frame.columns else pd.Series([None] * n, dtype="string")
    item_col = frame["item"] if "item" in frame.columns else pd.Series([None] * n, dtype="string")
    folder_codes, folder_values = _dictionary(folder_col)
    item_codes, item_values = _dictionary(item_col)
    folder_path, folder_text = _folder_keys(folder_values)
    subject_text, message_text, item_text = _item_keys(item_values)
    folder = _recode(folder_codes, folder_path)
    subject = _recode(item_codes, subject_text)
    message_id = _recode(item_codes, message_text)
    # same record: the family (or the format of a source outside the families), the operation as
    # named, both persons as recorded-or-resolved, the second, folder, item and event id. Only rows
    # of a family with two files covering the same time can have such a twin: the others keep a
    # key of their own (no hashing of millions of near-unique keys when each source is one file)
    family_or_format = np.where(family >= 0, family.astype(np.int64), 100 + fmt.astype(np.int64))
    twins = _may_have_twins(family_or_format, evidence, t)
    record = np.arange(n, dtype=np.int64) + n  # distinct from the codes given to possible twins
    if twins.any():
        sub = np.flatnonzero(twins)
        ts = t[sub]
        timed = ts != np.iinfo(np.int64).min
        seconds = ts // 1_000_000_000
        seconds = np.where(timed, seconds - (seconds[timed].min() if timed.any() else 0), -1)  # 0..span, no hashing
        raw_folder = _recode(folder_codes, folder_text)[sub]
        raw_item = _recode(item_codes, item_text)[sub]
        event_id = _codes(frame["event_id"])[sub] if "event_id" in frame.columns else np.zeros(len(sub), np.int64)
        # an IIS line is the same record only at the same line number (a partial copy of the log);
        # two servers' logs can hold identical lines of two requests
        line = frame["record_id"].to_numpy(dtype=np.int64, na_value=-1)[sub] if "record_id" in frame.columns \
            else np.full(len(sub), -1, dtype=np.int64)
        line = np.where(family[sub] == FAMILY_ORDER.index("iis"), np.maximum(line, -1), -1)
        operation = _codes(frame["operation"])[sub] if "operation" in frame.columns else np.zeros(len(sub), np.int64)
        record[sub] = combine_codes(family_or_format[sub], operation, mailbox[sub], actor[sub], seconds, raw_folder,
                                    raw_item, event_id, line)
    same_message = _message_keyed(frame, fmt, formats)
    if same_message.any():  # one code per (message-id, mailbox, actor): every log of the message shares it
        sub = np.flatnonzero(same_message)
        mid = frame["details"].astype("string").iloc[sub].str.extract(r"message-id=(<[^;]*>)", expand=False)
        mid_codes, _ = pd.factorize(mid.str.lower(), use_na_sentinel=True)
        has = mid_codes >= 0
        sub, mid_codes = sub[has], mid_codes[has]
        same_message[:] = False
        same_message[sub] = True
        if len(sub):
            key = combine_codes(np.full(len(sub), 200, np.int64), mid_codes.astype(np.int64), mailbox[sub], actor[sub])
            record[sub] = key + 2 * n  # apart from the other record codes (0..k-1 and n..2n-1)
    return RowKeys(t, family, fmt, formats, evidence_names, evidence, access_class, persons, record, folder, subject,
                   message_id, same_message)


def _web_request_persons(frame: pd.DataFrame, access_class: np.ndarray, persons: np.ndarray) -> np.ndarray:
    """WebRequest rows (``rules.WEB_REQUEST``) are one request only from one client address over
    one protocol: both join the persons key (a row naming neither is not correlated)."""
    web = access_class == CLASSES.index(WEB_REQUEST)
    if not web.any():
        return persons
    ip = _codes(frame["client_ip"]) if "client_ip" in frame.columns else np.full(len(frame), -1, np.int64)
    if "client_app" in frame.columns:  # "MAPI/HTTP: Microsoft Office/16.0": the protocol before ": "
        app = frame["client_app"].astype("category")  # per distinct value, not per row
        prefix = pd.Series(app.cat.categories.astype(str)).str.split(": ", n=1).str[0]
        prefix_codes, _ = pd.factorize(prefix)
        codes = app.cat.codes.to_numpy().astype(np.int64)
        protocol = np.append(prefix_codes.astype(np.int64), -1)[np.where(codes < 0, len(prefix_codes), codes)]
    else:
        protocol = np.full(len(frame), -1, np.int64)
    usable = web & (persons >= 0) & (ip >= 0) & (protocol >= 0)
    combined = combine_codes(np.where(usable, persons, -1), np.where(usable, ip, -1), np.where(usable, protocol, -1))
    top = int(persons.max(initial=-1)) + 1
    return np.where(usable, combined + top, np.where(web, -1, persons))


def _message_keyed(frame: pd.DataFrame, fmt: np.ndarray, formats: list[str]) -> np.ndarray:
    """Send rows of the message-keyed formats (``rules.MESSAGE_KEYED``) that name a message id."""
    keyed = [i for i, name in enumerate(formats) if name in MESSAGE_KEYED]
    if not keyed or "details" not in frame.columns or "operation" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return np.isin(fmt, keyed) & (frame["operation"].astype("string") == "Send").fillna(False).to_numpy(bool)
