"""The normalized table: one row per access, the same columns for every evidence source.

Column names and dtypes are a public contract (DESIGN.md): the CLI's ``--out`` files, the
GUI, the heatmap and every report rely on them. ``CONTRACT_COLUMNS`` are DESIGN's table in
its order; ``EXTRA_COLUMNS`` carry provenance the investigator needs to judge a row
(which rule decided ``logon_type``, whether a field mapping was inferred, how the time was
converted) and the locator used to fetch the raw record on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

TIME_DTYPE = pd.DatetimeTZDtype(unit="ns", tz="UTC")
STRING_DTYPE = pd.StringDtype()

#: DESIGN.md's normalized table, in order.
CONTRACT_COLUMNS: dict[str, Any] = {
    "time": TIME_DTYPE,
    "operation": "category",
    "mailbox": "category",
    "actor": "category",
    "logon_type": "category",
    "admin_rights": "boolean",
    "folder": STRING_DTYPE,
    "item": STRING_DTYPE,
    "client_ip": "category",
    "client_host": "category",
    "client_app": "category",
    "outcome": "category",
    "server": "category",
    "event_id": "Int32",
    "record_id": "Int64",
    "evidence": "category",
    "source_format": "category",
}

#: Provenance columns that follow the contract columns.
EXTRA_COLUMNS: dict[str, Any] = {
    # provider / event source name (e.g. "MSExchangeIS Auditing", "MSExchange CmdletLogs")
    "provider": "category",
    # how the row's fields were obtained: "rendered", "map:<file>", "inferred", "native"
    "mapping": "category",
    # which identity rule decided logon_type (e.g. "source", "alias-match", "admin-flag")
    "logon_rule": "category",
    # how `time` was obtained: "utc", or e.g. "converted from UTC+02:00"
    "time_basis": "category",
    # every identity form seen for actor / mailbox, joined by "|", for identity resolution.
    # Categorical: a log repeats a handful of people's forms on every row (issue 21 measured
    # 112 of 299 bytes a row as a per-row string); values are the same text as before.
    "actor_ids": "category",
    "mailbox_ids": "category",
    # the person behind actor / mailbox, one label for every form of them (identity/people.py):
    # what the heatmap and findings group by
    "actor_key": "category",
    "mailbox_key": "category",
    # free text the source carried that has no column (data strings, counts, parent ids)
    "details": STRING_DTYPE,
    # locator of the raw record inside its evidence file (chunk, byte offset or line)
    "raw_ref": "Int64",
    # one access recorded by several sources (forensics/correlate): rows with one access_id are
    # one access; its operation, how many / which source formats saw it, and the rule that
    # merged this row (filled after load, over all rows loaded together)
    "access_id": "Int64",
    "access_operation": "category",
    "access_sources": "Int16",
    "access_seen_in": "category",
    "access_rule": "category",
}

COLUMNS: dict[str, Any] = {**CONTRACT_COLUMNS, **EXTRA_COLUMNS}

#: The fixed operation vocabulary (open: parsers may add more).
OPERATIONS: tuple[str, ...] = (
    "FolderOpen", "MessageOpen", "SendAs", "SendOnBehalf", "Send", "Logon", "LogonFailure",
    "AccessDenied", "MailItemsAccessed", "SoftDelete", "HardDelete", "MoveToDeletedItems",
    "WebRequest", "AdminCommand", "PermissionChange", "ForwardingChange", "InboxRuleChange",
    "MailboxExport", "AuditConfigChange", "Event",
)
LOGON_TYPES: tuple[str, ...] = ("Owner", "Delegate", "Admin", "Unknown")
OUTCOMES: tuple[str, ...] = ("Success", "Failure")


def empty_frame() -> pd.DataFrame:
    """A zero-row frame with every column and dtype of the table."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in COLUMNS.items()})


def constant_category(value: str, n: int) -> pd.Categorical:
    """``n`` rows of one label (an evidence id, a provider): codes, not ``n`` Python strings."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([value], dtype=STRING_DTYPE))


def time_span(frame: pd.DataFrame) -> tuple[str, str]:
    """First and last row time as ISO UTC text ("" when no row has a time): what period a
    file's rows cover, for the Evidence dock, the custody entry and the reports."""
    if "time" not in frame.columns or not frame["time"].notna().any():
        return "", ""
    first, last = frame["time"].min(), frame["time"].max()
    return (first.tz_convert("UTC").isoformat().replace("+00:00", "Z"),
            last.tz_convert("UTC").isoformat().replace("+00:00", "Z"))


def _to_utc(values: Any) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").astype(TIME_DTYPE)
    if pd.api.types.is_datetime64_dtype(series.dtype):  # naive: already UTC by parser contract
        return series.dt.tz_localize("UTC").astype(TIME_DTYPE)
    converted = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
    return converted.astype(TIME_DTYPE)


def _coerce(series: pd.Series, dtype: Any) -> pd.Series:
    if dtype is TIME_DTYPE:
        return _to_utc(series)
    if dtype == "category":
        if isinstance(series.dtype, pd.CategoricalDtype):
            return _string_categories(series)
        # categories as plain python strings: empty strings mean "not recorded"
        as_str = series.astype(STRING_DTYPE).replace("", pd.NA)
        return as_str.astype("category")
    if dtype == "boolean":
        if series.dtype == "boolean":
            return series
        return series.map(_parse_bool, na_action="ignore").astype("boolean")
    if dtype in ("Int16", "Int32", "Int64"):
        numbers = pd.to_numeric(series, errors="coerce")
        try:
            with np.errstate(invalid="ignore"):  # inf -> int: refused below, not warned about
                return numbers.astype(dtype)
        except (TypeError, ValueError, OverflowError):
            # damaged text ("1.5", "1e999", 25 digits): that value is NA, not the file a crash
            info = np.iinfo(dtype.lower())
            fits = (numbers % 1 == 0) & (numbers >= info.min) & (numbers <= info.max)
            return numbers.where(fits).astype(dtype)
    if dtype is STRING_DTYPE:
        return series.astype(STRING_DTYPE)
    return series.astype(dtype)


def _string_categories(series: pd.Series) -> pd.Series:
    """Categoricals must all have string categories so frames from any parser concatenate."""
    categories = series.cat.categories
    if categories.dtype == STRING_DTYPE:
        return series
    as_text = categories.astype(STRING_DTYPE)
    if as_text.is_unique and not as_text.isna().any():
        codes = series.cat.codes.to_numpy()
        return pd.Series(pd.Categorical.from_codes(codes, categories=as_text), index=series.index)
    return series.astype(STRING_DTYPE).astype("category")


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def _parse_bool(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return pd.NA


def conform(
    data: pd.DataFrame | Mapping[str, Iterable[Any]] | Iterable[Mapping[str, Any]],
    *,
    defaults: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Turn parser output into a frame with exactly the table's columns and dtypes.

    ``data`` may be a frame, a mapping of column -> values, or an iterable of row dicts.
    Missing columns are filled with NA (or ``defaults``); unknown columns are dropped, so a
    parser cannot widen the public contract by accident.
    """
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, Mapping):
        frame = pd.DataFrame(dict(data))
    else:
        frame = pd.DataFrame.from_records(list(data))
    n = len(frame)
    defaults = dict(defaults or {})
    out: dict[str, pd.Series] = {}
    for name, dtype in COLUMNS.items():
        if name in frame.columns:
            series = frame[name].reset_index(drop=True)
            if name in defaults:
                series = series.where(series.notna(), defaults[name])
        elif name in defaults:
            series = pd.Series([defaults[name]] * n)
        else:
            series = pd.Series([pd.NA] * n, dtype="object")
        out[name] = _coerce(series, dtype)
    return pd.DataFrame(out)


def concat(frames: Iterable[pd.DataFrame], *, consume: bool = False) -> pd.DataFrame:
    """Concatenate conforming frames, keeping categoricals categorical (union of categories).

    Column by column: a multi-million-row load never holds more than the pieces, the result
    and one column being combined. With ``consume`` (a caller that drops the pieces anyway,
    e.g. ``ingest``), each column is deleted from the pieces once combined, so the pieces and
    the result are not both held in full (issue 21: peak memory of a 5M-row load).
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    out: dict[str, Any] = {}
    for name, dtype in COLUMNS.items():
        if dtype == "category":
            columns = [_string_categories(f[name]) for f in frames]
            # categories: their union in order of first appearance, as pd.concat after
            # set_categories gave; values unchanged
            out[name] = pd.Series(pd.api.types.union_categoricals(columns, ignore_order=True))
        else:
            out[name] = pd.concat([f[name] for f in frames], ignore_index=True)
        if consume:
            for f in frames:
                del f[name]
    return pd.DataFrame(out)


def validate(frame: pd.DataFrame) -> list[str]:
    """Describe every way ``frame`` departs from the schema (empty list = conforms)."""
    problems: list[str] = []
    if list(frame.columns) != list(COLUMNS):
        problems.append(f"columns {list(frame.columns)} != {list(COLUMNS)}")
    for name, dtype in COLUMNS.items():
        if name in frame.columns and str(frame[name].dtype) != str(pd.Series([], dtype=dtype).dtype):
            problems.append(f"{name}: dtype {frame[name].dtype} != {dtype}")
    return problems
