"""Turn report tables into display strings (times in the display zone), shared by the
HTML and PDF renderers so both show exactly the same text."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Any

import pandas as pd

from forensics.aggregate.work_hours import after_hours_text

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def is_utc(tz: tzinfo) -> bool:
    return tz is timezone.utc or getattr(tz, "key", None) in ("UTC", "Etc/UTC")


def fmt_time(value: Any, tz: tzinfo) -> str:
    """A time in the display zone; outside UTC with its own UTC offset ("-04:00"): a named
    zone changes offset at daylight saving, so one offset stated for the whole report
    would be wrong for part of it."""
    if value is None or isinstance(value, str) and not value or (not isinstance(value, datetime) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    local = stamp.tz_convert(tz)
    if is_utc(tz):
        return local.strftime(TIME_FORMAT)
    offset = local.strftime("%z")
    return f"{local.strftime(TIME_FORMAT)} {offset[:3]}:{offset[3:]}"


def zoned_strings(series: pd.Series, tz: tzinfo) -> pd.Series:
    """``fmt_time`` of a tz-aware column, vectorized."""
    local = series.dt.tz_convert(tz)
    text = local.dt.strftime(TIME_FORMAT)
    if is_utc(tz):
        return text
    offset = local.dt.strftime("%z")
    return text + " " + offset.str.slice(0, 3) + ":" + offset.str.slice(3)


def fmt_utc(value: datetime) -> str:
    return pd.Timestamp(value).tz_convert("UTC").strftime(TIME_FORMAT) + " UTC"


def fmt_size(size: int | None) -> str:
    return "" if size is None else f"{size:,} bytes"


def table_strings(frame: pd.DataFrame, columns: list[str], tz: tzinfo) -> list[list[str]]:
    """Rows of display strings for ``columns`` (missing columns give empty cells)."""
    if frame.empty:
        return []
    out: dict[str, list[str]] = {}
    for col in columns:
        if col not in frame.columns:
            out[col] = [""] * len(frame)
            continue
        series = frame[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            text = zoned_strings(series, tz)
        elif series.dtype == object and len(series) and isinstance(series.dropna().iloc[0] if series.notna().any() else None, datetime):
            text = series.map(lambda v: fmt_time(v, tz))
        elif str(series.dtype) in ("bool", "boolean"):
            text = series.map({True: "yes", False: "no"})
            if col == "marked":  # AuditConfigChange rows in the admin-changes table
                text = series.map({True: "Audit settings changed", False: ""})
        else:
            text = series.astype("string")
        out[col] = text.astype("string").fillna("").tolist()
    return [list(row) for row in zip(*(out[c] for c in columns))]


#: lines of the findings and admin-changes tables printed in HTML/PDF (XLSX has them all)
TABLE_CAP = 500

#: the pairs table as printed (HTML/PDF): the forms each person was named in are folded into
#: the actor and mailbox cells, raw rows per operation are left to the XLSX (one page width)
FINDINGS_COLUMNS = ["actor", "mailbox", "expected", "accesses", "events", "seen_in", "after_hours", "first_seen",
                    "last_seen", "admin", "logon_types", "operations", "client_ips", "sources", "evidence"]
ADMIN_COLUMNS = ["marked", "time", "operation", "actor", "mailbox", "outcome", "what", "evidence"]
BOOKMARK_COLUMNS = ["tag", "comment", "time", "operation", "mailbox", "actor", "item", "evidence",
                    "record_id", "examiner", "in_evidence"]
#: columns of each bookmark group's table (tag and comment head the group)
BOOKMARK_ROW_COLUMNS = ["time", "operation", "mailbox", "actor", "folder", "item", "evidence", "record_id",
                        "in_evidence"]


def with_file_names(frame: pd.DataFrame, names: dict[str, str] | None) -> pd.DataFrame:
    """``frame`` with its ``evidence`` ids replaced by file names (printed reports cite files
    by name; the hashes stay in the evidence table)."""
    if not names or "evidence" not in frame.columns or frame.empty:
        return frame
    from forensics.reports.executive import name_evidence

    return frame.assign(evidence=[name_evidence(v, names) for v in frame["evidence"].astype(object).tolist()])


def bookmark_groups(bookmarks: Any, tz: tzinfo, names: dict[str, str] | None = None
                    ) -> list[tuple[str, str, str, list[list[str]]]]:
    """(tag, comment, examiner, rows) per distinct (tag, comment), rows sorted by time: the
    comment is printed once above its rows instead of on every row."""
    if bookmarks.empty:
        return []
    groups = []
    frame = with_file_names(bookmarks.copy(), names)
    frame["_order"] = range(len(frame))
    for (tag, comment), part in frame.groupby(["tag", "comment"], sort=False, dropna=False):
        part = part.sort_values(["time", "_order"], kind="stable", na_position="last")
        examiners = ", ".join(sorted({str(e) for e in part["examiner"].dropna() if str(e)}))
        groups.append((str(tag), "" if comment is None else str(comment), examiners,
                       table_strings(part, BOOKMARK_ROW_COLUMNS, tz)))
    return groups


def skipped_rows(evidence: list[Any]) -> list[list[str]]:
    """(file, reason, count) for every skipped reason of every file."""
    return [[e.name, reason, f"{count:,}"] for e in evidence for reason, count in sorted(e.skipped.items())]


def _with_forms(person: object, forms: object) -> str:
    """A person's cell with the other forms the evidence named them in, on a second line."""
    name = "" if person is None else str(person)
    others = [f for f in (forms if isinstance(forms, list) else str(forms or "").split(", ")) if f and f != name]
    return name + ("\nalso: " + ", ".join(others) if others else "")


def display_tables(data: Any, tz: tzinfo) -> dict[str, tuple[list[str], list[list[str]]]]:
    """(columns, rows of strings) of every table a printed report shows."""
    from forensics.reports.content import EVENT_COLUMNS
    from forensics.reports.executive import evidence_names

    names = evidence_names(getattr(data, "evidence", []))
    columns = list(getattr(data, "event_columns", None) or EVENT_COLUMNS)
    findings_cols = [c for c in FINDINGS_COLUMNS if c in data.findings.columns] or list(data.findings.columns)
    pairs = with_file_names(data.findings.head(TABLE_CAP), names)
    for person in ("actor", "mailbox"):  # "Pat Quinn\nalso: CONTOSO\pquinn, pquinn@contoso.com"
        forms = f"{person}_forms"
        if {person, forms} <= set(pairs.columns):
            pairs = pairs.assign(**{person: [_with_forms(p, f) for p, f in zip(pairs[person].tolist(), pairs[forms].tolist())]})
    if {"after_hours", "after_hours_share"} <= set(pairs.columns):  # "1 (<1%)", never a bare rounded share
        pairs = pairs.assign(after_hours=[after_hours_text(c, s) for c, s in
                                          zip(pairs["after_hours"].tolist(), pairs["after_hours_share"].tolist())])
    return {
        "findings": (findings_cols, table_strings(pairs, findings_cols, tz)),
        "admin": (ADMIN_COLUMNS, table_strings(with_file_names(data.admin_changes.head(TABLE_CAP), names), ADMIN_COLUMNS, tz)),
        "events": (columns, table_strings(with_file_names(data.events_shown, names), columns, tz)),
    }
