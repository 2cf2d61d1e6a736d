"""Exchange 2010–2019 mailbox audit log exports: ``Search-MailboxAuditLog | Export-Csv`` CSV
and the ``New-MailboxAuditLogSearch`` / EAC ``SearchResult.xml`` report.

Why two readers and one mapping: both carry the same entry fields (Operation, LogonType,
MailboxOwnerUPN, LogonUserDisplayName, FolderPathName, ClientIPAddress, LastAccessed, …;
``reference/evidence-formats.md`` §4). The CSV's column set varies per script; any subset is
read. The XML report is read *tolerantly and without an XML parser*: Microsoft's own
documented sample is not well-formed (``<ItemId="…" Subject="…" />``), so each
``<Event …>…</Event>`` is cut out by pattern and its attributes read by pattern. No DTD,
entity or external reference is ever processed (an "XML bomb" is inert text here).

``LogonType`` Owner / Delegate / Admin is taken as the source states it (``logon_rule``
``source``). CSV ``LastAccessed`` is the exporting shell's local time in its culture's
format: it is converted with ``--source-tz`` like other local-time exports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from forensics.errors import ParseError
from forensics.localtime import choose_format, describe_format, parse_local, parse_source_tz, to_ns, to_utc
from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser
from forensics.parsers.csvtable import MAX_RECORD, decode_head, header_names, raw_csv_record, read_all, read_csv_text
from forensics.parsers.m365.event_xml import EVENT as _EVENT
from forensics.parsers.m365.event_xml import EVENT_END as _EVENT_END
from forensics.parsers.m365.event_xml import EVENT_OPEN as _EVENT_OPEN
from forensics.parsers.m365.event_xml import attributes as _attributes
from forensics.parsers.m365.event_xml import decode_xml as _decode_xml
from forensics.parsers.m365.event_xml import event_document, read_events

PROVIDER = "Exchange mailbox audit"
_OPERATIONS = {
    "FolderBind": "FolderOpen", "MessageBind": "MessageOpen", "MailboxLogin": "Logon",
    "UpdateInboxRules": "InboxRuleChange", "UpdateFolderPermissions": "PermissionChange",
    "AddFolderPermissions": "PermissionChange", "ModifyFolderPermissions": "PermissionChange",
    "RemoveFolderPermissions": "PermissionChange", "UpdateCalendarDelegation": "PermissionChange",
}
_LOGON_TYPES = {"owner": "Owner", "delegate": "Delegate", "admin": "Admin"}
_OUTCOMES = {"succeeded": "Success", "partiallysucceeded": "Success", "failed": "Failure"}
#: records between two cancel checks in the per-record XML loop
CANCEL_EVERY = 2000
_CHILD = re.compile(r"<(?!/)[^<>]*>")
_HAS_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")
#: CSV columns whose presence says "this is a mailbox audit export"
_SIGNATURE = {"operation", "logontype", "lastaccessed"}
_DETAIL_FIELDS = (
    "CrossMailboxOperation", "InternalLogonType", "ExternalAccess", "DestFolderPathName",
    "DestMailboxOwnerUPN", "ClientVersion", "Identity",
)


def _first(frame: pd.DataFrame, *names: str) -> pd.Series:
    """The first non-empty value among the named columns (case-insensitive names)."""
    lower = {c.lower(): c for c in frame.columns}
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    for name in names:
        col = lower.get(name.lower())
        if col is None:
            continue
        values = frame[col].astype("string").str.strip().replace("", pd.NA)
        out = out.fillna(values)
    return out


class MailboxAuditParser(Parser):
    name = "mailbox-audit"
    description = "Exchange mailbox audit export (Search-MailboxAuditLog CSV, SearchResult.xml)"
    source_format = "mailbox-audit"
    extensions = (".csv", ".xml")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        text = decode_head(head[:16384])
        if re.search(r"<Event\s+MailboxGuid\s*=", text, re.IGNORECASE):
            return 95
        names, type_line = header_names(text)
        if "MailboxAuditLog" in type_line:
            return 95
        if _SIGNATURE <= set(names):
            return 90
        if {"operation", "logontype"} <= set(names) and ("mailboxownerupn" in names or "folderpathname" in names):
            return 80
        return 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        text_head = decode_head(ctx.reader.peek(4096)[:4096]).lstrip()
        xml = text_head.startswith("<") or re.search(r"<Event\b", text_head, re.IGNORECASE)
        data = read_all(ctx, None if xml else MAX_RECORD)  # a CSV without line breaks is refused early
        if xml:
            frame, time_mode = self._read_xml(ctx, data), "xml"
        else:
            frame, time_mode = self._read_csv(ctx, data), "csv"
        if frame is None or frame.empty:
            return
        yield self._rows(ctx, frame, time_mode)

    # -- readers ------------------------------------------------------------------------------
    def _read_csv(self, ctx: ParseContext, data: bytes) -> pd.DataFrame | None:
        parsed = read_csv_text(ctx, data)
        names = {n.strip().lower() for n in parsed.names}
        if "operation" not in names:
            raise ParseError(f"{ctx.path.name}: no Operation column; not a mailbox audit export")
        for number, text in parsed.bad:
            ctx.report.bad_record(f"record {number}" if number else "record ?",
                                  f"wrong number of CSV fields (truncated or corrupt row): {text[:120]!r}")
        frame = parsed.table.to_pandas(types_mapper=lambda t: pd.StringDtype())
        frame.columns = [c.strip() for c in frame.columns]
        frame["_number"] = parsed.numbers
        return frame

    def _read_xml(self, ctx: ParseContext, data: bytes) -> pd.DataFrame | None:
        text, starts = event_document(ctx, data, "a mailbox audit search result")
        records: list[dict[str, str]] = []
        for ordinal, attrs, body in read_events(ctx, text, starts, cancel_every=CANCEL_EVERY):
            if not attrs.get("Operation"):
                ctx.report.bad_record(f"record {ordinal}", "<Event> without an Operation attribute")
                continue
            subjects, folders, ids = [], [], []
            for child in _CHILD.findall(body):
                values = _attributes(child)
                if values.get("Subject"):
                    subjects.append(values["Subject"])
                if values.get("FolderPathName"):
                    folders.append(values["FolderPathName"])
                if values.get("ItemId"):
                    ids.append(values["ItemId"])
            attrs["SourceItemSubjectsList"] = " | ".join(subjects)
            attrs["SourceItemFolderPathNamesList"] = folders[0] if folders else ""
            attrs["SourceItemIdsList"] = " | ".join(ids)
            attrs["_number"] = str(ordinal)
            records.append(attrs)
        if not records:
            return None
        frame = pd.DataFrame.from_records(records).astype("string")
        frame["_number"] = frame["_number"].astype("int64")
        return frame

    # -- mapping ------------------------------------------------------------------------------
    def _rows(self, ctx: ParseContext, frame: pd.DataFrame, time_mode: str) -> pd.DataFrame:
        report = ctx.report
        source_op = _first(frame, "Operation")
        operation = source_op.map(lambda op: _OPERATIONS.get(op, op), na_action="ignore")
        logon_raw = _first(frame, "LogonType")
        logon = logon_raw.str.lower().map(_LOGON_TYPES, na_action="ignore").astype("string")
        stamp = _first(frame, "LastAccessed")
        times, basis = self._times(ctx, stamp, time_mode)
        bad = times.isna().to_numpy()
        for number in frame["_number"].to_numpy()[bad].tolist():
            report.bad_record(f"record {number}", "LastAccessed missing or unreadable")
        keep = ~bad
        report.accept(int(keep.sum()))
        item = _first(frame, "ItemSubject", "SourceItemSubjectsList", "SourceItemInternetMessageIdsList",
                      "ItemId", "SourceItemIdsList")
        details = pd.Series(pd.NA, index=frame.index, dtype="string")
        lower = {c.lower(): c for c in frame.columns}
        for field in _DETAIL_FIELDS:
            col = lower.get(field.lower())
            if col is None:
                continue
            values = frame[col].astype("string").str.strip().replace("", pd.NA)
            part = field + "=" + values
            details = details.where(part.isna(), details.fillna("").str.cat(part, sep="; ").str.lstrip("; "))
        details = details.where(source_op == operation, ("Operation=" + source_op).str.cat(details, sep="; ", na_rep="").str.rstrip("; "))
        out = pd.DataFrame(
            {
                "time": times,
                "operation": operation,
                "mailbox": _first(frame, "MailboxOwnerUPN", "MailboxResolvedOwnerName", "Owner", "MailboxGuid"),
                "actor": _first(frame, "LogonUserDisplayName", "LogonUserDN", "LogonUserSid"),
                "logon_type": logon,
                "admin_rights": (logon == "Admin").where(logon.notna(), pd.NA).astype("boolean"),
                "folder": _first(frame, "FolderPathName", "SourceItemFolderPathNamesList", "SourceFolderPathNamesList"),
                "item": item,
                "client_ip": _first(frame, "ClientIPAddress"),
                "client_host": _first(frame, "ClientMachineName"),
                "client_app": _first(frame, "ClientInfoString").str.cat(_first(frame, "ClientProcessName"), sep="; ", na_rep="")
                .str.strip("; ").replace("", pd.NA),
                "outcome": _first(frame, "OperationResult").str.lower().map(_OUTCOMES, na_action="ignore"),
                "server": _first(frame, "OriginatingServer").str.extract(r"^\s*([^\s(]+)", expand=False),
                "record_id": frame["_number"],
                "provider": PROVIDER,
                "mapping": "native",
                "logon_rule": pd.Series(np.where(logon.notna(), "source", None), index=frame.index),
                "time_basis": basis,
                "actor_ids": _first(frame, "LogonUserSid"),
                "mailbox_ids": _first(frame, "MailboxOwnerSid").str.cat(
                    [_first(frame, "MailboxGuid"), _first(frame, "MailboxResolvedOwnerName", "Owner")], sep="|", na_rep=""
                ).str.replace(r"\|+", "|", regex=True).str.strip("|").replace("", pd.NA),
                "details": details,
                "raw_ref": frame["_number"],
            }
        )
        return out.loc[keep].reset_index(drop=True)

    def _times(self, ctx: ParseContext, stamp: pd.Series, time_mode: str) -> tuple[pd.Series, pd.Series]:
        """UTC times and each row's ``time_basis``: exact where an offset is written, else local."""
        utc = "datetime64[ns, UTC]"
        has_offset = stamp.str.strip().str.contains(_HAS_OFFSET, na=False)
        times = pd.Series(pd.NaT, index=stamp.index, dtype=utc)
        basis = pd.Series("utc (offset in source)", index=stamp.index, dtype="string")
        if has_offset.any():
            exact = to_ns(pd.to_datetime(stamp.where(has_offset), utc=True, errors="coerce", format="mixed"))
            times = times.where(~has_offset, exact.astype(utc))
        local = ~has_offset & stamp.notna()
        if local.any():
            zone = parse_source_tz(ctx.options.source_tz)
            fmt, ambiguous = choose_format(stamp[local].head(5000))
            if ambiguous:
                ctx.report.warn("file", f"LastAccessed date order is ambiguous (no day above 12, so day and month could be swapped); "
                                        f"read as {describe_format(fmt)}")
            converted = to_utc(parse_local(stamp[local], fmt), zone)
            converted_times = converted.times
            if not isinstance(converted_times.dtype, pd.DatetimeTZDtype):  # all unreadable: naive NaT
                converted_times = converted_times.dt.tz_localize("UTC")
            times = times.where(~local, converted_times.astype(utc).reindex(stamp.index))
            basis[local] = zone.basis
            if not zone.known:
                ctx.report.notes.append(
                    "LOCAL TIMES, ZONE UNKNOWN: Search-MailboxAuditLog CSV times (LastAccessed) are in the "
                    "exporting shell's local zone, which the file does not record; they were taken as UTC. "
                    "Reload with --source-tz (e.g. +02:00 or Europe/Berlin) for correct times."
                )
            if converted.ambiguous:
                ctx.report.warn("file", f"{converted.ambiguous} row(s) in a DST fall-back hour: taken as daylight time")
            if converted.nonexistent:
                ctx.report.warn("file", f"{converted.nonexistent} row(s) in a DST spring-forward gap: shifted forward")
        return times, basis

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        number = record_id if record_id is not None and not pd.isna(record_id) else raw_ref
        if number is None or pd.isna(number):
            raise ValueError("a mailbox-audit row needs its record number")
        raw = path.read_bytes()
        head = decode_head(raw[:4096]).lstrip()
        if not (head.startswith("<") or re.search(r"<Event\b", head, re.IGNORECASE)):
            return raw_csv_record(raw, int(number))
        text = _decode_xml(raw)
        starts = [m.start() for m in _EVENT_OPEN.finditer(text)]
        index = int(number) - 1
        if 0 <= index < len(starts):
            at = starts[index]
            following = starts[index + 1] if index + 1 < len(starts) else len(text)
            start = _EVENT.match(text, at)
            if start is not None and start.group("empty") and start.end() <= following:
                return text[at : start.end()].strip()
            end = _EVENT_END.search(text, at, following)
            return text[at : end.end() if end is not None else following].strip()
        raise ValueError(f"record {number} not found in {path.name}")


registry.register(MailboxAuditParser)
