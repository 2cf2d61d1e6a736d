"""Per-row matching keys, as integer codes: family, access class, persons, folder, item.

Strings are normalized once per distinct value (``pd.factorize`` then work on the uniques),
so millions of rows cost a few hash passes, never per-row Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forensics.correlate.rules import FAMILIES, FAMILY_ORDER, OPERATION_CLASSES

#: a message id as the UAL and transport logs give it: <local@domain>
_MESSAGE_ID = re.compile(r"^<[^<>\s]+@[^<>\s]+>$")
#: an opaque store id (OWA's RgAAAA.../LgAAAA... EWS ids): names an item, but not comparably
_STORE_ID = re.compile(r"^[A-Za-z0-9+/=_-]{30,}$")
CLASSES: tuple[str, ...] = tuple(dict.fromkeys(OPERATION_CLASSES.values()))


@dataclass
class RowKeys:
    """Matching keys of every row (position = row position in the frame)."""

    time: np.ndarray  # int64 ns, NaT as int64 min
    family: np.ndarray  # int8 index into FAMILY_ORDER, -1 another source
    fmt: np.ndarray  # int16 code of source_format, -1 none
    formats: list[str]  # source_format per code
    evidence: np.ndarray  # int32 code of evidence, -1 none
    access_class: np.ndarray  # int8 index into CLASSES, -1 not correlated across sources
    persons: np.ndarray  # int64 code of (class, mailbox person, actor person); -1 not correlatable
    record: np.ndarray  # int64 code of the same-record key (family, operation, persons, folder, item, event id)
    folder: np.ndarray  # int64 code of the normalized folder path, -1 none (or not a path)
    subject: np.ndarray  # int64 code of the normalized subject, -1 none
    message_id: np.ndarray  # int64 code of the message id, -1 none

    @property
    def correlatable(self) -> np.ndarray:
        return (self.persons >= 0) & (self.family >= 0) & (self.time != np.iinfo(np.int64).min)


def _codes(series: pd.Series) -> np.ndarray:
    """Category codes (NA = -1) of any column, as int64."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64)
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64)


def _combine(*codes: np.ndarray) -> np.ndarray:
    """One dense code per distinct tuple of codes (-1 stays a value, not a sentinel)."""
    out = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:
        width = int(c.max()) + 2 if len(c) else 1
        out, _ = pd.factorize(out * width + (c + 1))
        out = out.astype(np.int64)
    return out


def _normalized(series: pd.Series, normalize) -> np.ndarray:
    """Codes of ``normalize(value)`` per row; values normalizing to "" are -1."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    if not len(uniques):
        return np.full(len(series), -1, dtype=np.int64)
    norm = pd.Series([normalize(str(u)) for u in uniques], dtype=object)  # per distinct value
    norm_codes, _ = pd.factorize(norm.where(norm != "", None), use_na_sentinel=True)
    mapped = np.append(norm_codes.astype(np.int64), -1)
    return mapped[np.where(codes < 0, len(uniques), codes)]


def folder_key(text: str) -> str:
    """A folder path without case or slash style ("\\Inbox\\Finance" = "/inbox/finance");
    "" for anything that is not a path (an OWA folder id names a folder, not comparably)."""
    text = text.strip()
    if not text or text[0] not in "/\\":
        return ""
    path = "/" + "/".join(part for part in re.split(r"[\\/]+", text.lower()) if part)
    return path


def subject_key(text: str) -> str:
    """A subject without case, spacing or the .EML an OWA/WebDAV URL appends; "" for message
    ids and opaque store ids (compared by ``message_id_key`` or not at all)."""
    text = text.strip()
    if not text or _MESSAGE_ID.match(text) or _STORE_ID.match(text):
        return ""
    if text.lower().endswith(".eml"):
        text = text[:-4]
    return " ".join(text.lower().split())


def message_id_key(text: str) -> str:
    text = text.strip()
    return text.lower() if _MESSAGE_ID.match(text) else ""


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
        mia = (op.astype(object) == "MailItemsAccessed").to_numpy(bool)
        if mia.any() and "details" in frame.columns:
            details = frame["details"].astype("string")[mia]
            bind = details.str.contains("MailAccessType=Bind", regex=False).fillna(False).to_numpy(bool)
            sync = details.str.contains("MailAccessType=Sync", regex=False).fillna(False).to_numpy(bool)
            cls = np.where(bind, CLASSES.index("MessageOpen"), np.where(sync, CLASSES.index("FolderOpen"), -1))
            out[mia] = cls.astype(np.int8)
    return out


def _person(frame: pd.DataFrame, role: str) -> np.ndarray:
    key = f"{role}_key"
    column = frame[key] if key in frame.columns and frame[key].notna().any() else frame.get(role)
    if column is None:
        return np.full(len(frame), -1, dtype=np.int64)
    return _codes(column)


def row_keys(frame: pd.DataFrame) -> RowKeys:
    """Every key the matcher needs, computed once for the whole frame."""
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
    evidence = _codes(frame["evidence"]).astype(np.int32) if "evidence" in frame.columns else np.zeros(n, np.int32)
    access_class = _access_class(frame)
    mailbox, actor = _person(frame, "mailbox"), _person(frame, "actor")
    persons = _combine(access_class.astype(np.int64), mailbox, actor)
    persons = np.where((access_class < 0) | (mailbox < 0) | (actor < 0), -1, persons)
    folder_col = frame["folder"] if "folder" in frame.columns else pd.Series([None] * n)
    item_col = frame["item"] if "item" in frame.columns else pd.Series([None] * n)
    folder = _normalized(folder_col, folder_key)
    subject = _normalized(item_col, subject_key)
    message_id = _normalized(item_col, message_id_key)
    # same record: the family (or the format of a source outside the families), the operation as
    # named, both persons as recorded-or-resolved, the second, folder, item and event id
    family_or_format = np.where(family >= 0, family.astype(np.int64), 100 + fmt.astype(np.int64))
    seconds = np.where(t == np.iinfo(np.int64).min, -1, t // 1_000_000_000)
    raw_folder = _normalized(folder_col, lambda s: folder_key(s) or s.strip())
    raw_item = _normalized(item_col, lambda s: subject_key(s) or s.strip().lower())
    event_id = _codes(frame["event_id"]) if "event_id" in frame.columns else np.zeros(n, np.int64)
    # an IIS line is the same record only at the same line number (a partial copy of the log);
    # two servers' logs can hold identical lines of two requests
    line = _codes(frame["record_id"]) if "record_id" in frame.columns else np.zeros(n, np.int64)
    line = np.where(family == FAMILY_ORDER.index("iis"), line, -1)
    record = _combine(family_or_format, _codes(frame["operation"]) if "operation" in frame.columns else np.zeros(n, np.int64),
                      mailbox, actor, pd.factorize(seconds)[0].astype(np.int64), raw_folder, raw_item, event_id, line)
    return RowKeys(t, family, fmt, formats, evidence, access_class, persons, record, folder, subject, message_id)
