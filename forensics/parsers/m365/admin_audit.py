"""Exchange 2010–2019 administrator audit log exports: ``Search-AdminAuditLog | Export-Csv``
and the XML report of ``New-AdminAuditLogSearch`` (the EAC "administrator audit log" report).

Why: the admin audit log is the mailbox of record for who granted FullAccess or SendAs, set
forwarding, added an inbox rule, exported a mailbox or exempted an account from auditing, and
it keeps them longer (90 days by default, in an arbitration mailbox) than the cmdlet event log.
Each record is one cmdlet call, mapped with the MSExchange Management log's own vocabulary and
target rules (``evtx.cmdlets.call_fields``): AdminCommand / PermissionChange / ForwardingChange
/ InboxRuleChange / MailboxExport / AuditConfigChange; organisation objects keep ``mailbox``
empty (``identity.cmdlet_targets``).

Shapes (``reference/evidence-formats.md``; "Administrator audit log structure", Exchange 2013
docs, MicrosoftDocs/OfficeDocs-Exchange):

* XML: ``<SearchResults><Event Caller="…" Cmdlet="…" ObjectModified="…" RunDate="2012-10-18T15:48:15-07:00"
  Succeeded="true" Error="None" OriginatingServer="…"><CmdletParameters><Parameter Name="…" Value="…"/>…
  </CmdletParameters><ModifiedProperties><Property Name="…" OldValue="…" NewValue="…"/>…``. RunDate
  carries its offset: exact UTC. Read tolerantly by pattern as the mailbox audit report is, no
  DTD or entity ever processed.
* CSV: the AdminAuditLogEvent properties (``ObjectModified, CmdletName, CmdletParameters,
  ModifiedProperties, Caller, ExternalAccess, Succeeded, Error, RunDate, OriginatingServer…``),
  a ``#TYPE …AdminAuditLogEvent`` first line from Windows PowerShell. ``RunDate`` is the shell's
  local time in its culture's format (``--source-tz``). ``CmdletParameters`` is whatever the
  exporting script made of a list of Name/Value objects: ``Name=Value`` pairs (``;``, line or
  ``, `` separated), ``-Name Value``, ``{Name=Value, …}``, only the names (``{Identity, User}``)
  or, with a bare ``Export-Csv`` over remote PowerShell, the type name
  (``System.Collections.ArrayList``): the values are then lost, which is said on the file, and
  the row is classified by the cmdlet alone with its target from ``ObjectModified``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from forensics.errors import ParseError
from forensics.evtx.cmdlets import call_fields, parse_parameters
from forensics.identity.cmdlet_targets import target_kind
from forensics.localtime import choose_format, describe_format, parse_local, parse_source_tz, to_ns, to_utc
from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser
from forensics.parsers.csvtable import MAX_RECORD, decode_head, header_names, raw_csv_record, read_all, read_csv_text
from forensics.parsers.m365.event_xml import EVENT_END as _EVENT_END
from forensics.parsers.m365.event_xml import EVENT_OPEN as _EVENT_OPEN
from forensics.parsers.m365.event_xml import attributes as _attributes
from forensics.parsers.m365.event_xml import decode_xml as _decode_xml
from forensics.parsers.m365.event_xml import event_document, read_events

PROVIDER = "Exchange admin audit log"
_PARAMETER = re.compile(r"<Parameter\b([^<>]*)/?>", re.IGNORECASE)
_PROPERTY = re.compile(r"<Property\b([^<>]*)/?>", re.IGNORECASE)
_HAS_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")
#: what a bare Export-Csv writes for a list it cannot print: the values are not in the file
_TYPE_NAME = re.compile(r"^(?:Deserialized\.)?(?:System\.|Microsoft\.)[\w.`\[\],]+$")
_PAIR_KEY = re.compile(r"^\s*-?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s?(.*)$", re.DOTALL)
_SIGNATURE = {"cmdletname", "caller", "rundate"}
_OUTCOMES = {"true": "Success", "false": "Failure"}


class AdminAuditParser(Parser):
    name = "admin-audit"
    description = "Exchange administrator audit log export (Search-AdminAuditLog CSV, New-AdminAuditLogSearch XML)"
    source_format = "admin-audit"
    extensions = (".csv", ".xml")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        text = decode_head(head[:16384])
        if re.search(r"<Event\s[^<>]*\bCmdlet\s*=", text, re.IGNORECASE) and re.search(r"\bCaller\s*=", text):
            return 95
        names, type_line = header_names(text)
        if "AdminAuditLogEvent" in type_line:
            return 95
        if _SIGNATURE <= set(names):
            return 90
        return 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        head = decode_head(ctx.reader.peek(4096)[:4096]).lstrip()
        xml = head.startswith("<")
        data = read_all(ctx, None if xml else MAX_RECORD)
        records = self._read_xml(ctx, data) if xml else self._read_csv(ctx, data)
        if records:
            yield self._rows(ctx, records)

    # -- readers ------------------------------------------------------------------------------
    def _read_csv(self, ctx: ParseContext, data: bytes) -> list[dict]:
        parsed = read_csv_text(ctx, data)
        names = [n.strip().lower() for n in parsed.names]
        if "cmdletname" not in names:
            raise ParseError(f"{ctx.path.name}: no CmdletName column; not an admin audit log export")
        for number, text in parsed.bad:
            ctx.report.bad_record(f"record {number}" if number else "record ?",
                                  f"wrong number of CSV fields (truncated or corrupt row): {text[:120]!r}")
        columns = {name.strip().lower(): parsed.table.column(name).to_pylist() for name in parsed.table.column_names}
        lost = 0
        records = []
        for i, number in enumerate(parsed.numbers.tolist()):
            value = {key: (col[i] or "").strip() for key, col in columns.items()}
            params, lost_here = parameters_of_text(value.get("cmdletparameters", ""))
            lost += lost_here
            records.append({"number": number, "cmdlet": value.get("cmdletname", ""), "params": params,
                            "raw_params": value.get("cmdletparameters", ""), "caller": value.get("caller", ""),
                            "object": value.get("objectmodified", "") or value.get("modifiedobjectresolvedname", ""),
                            "succeeded": value.get("succeeded", ""), "error": value.get("error", ""),
                            "run_date": value.get("rundate", ""), "server": value.get("originatingserver", ""),
                            "external": value.get("externalaccess", ""), "modified": value.get("modifiedproperties", "")})
        if lost:
            ctx.report.warn("file", f"CmdletParameters of {lost:,} record(s) hold a type name (e.g. "
                            "System.Collections.ArrayList), not the parameters: Export-Csv cannot print a list, so the "
                            "values are not in this file. Those rows are classified by the cmdlet alone and their target "
                            "taken from ObjectModified; export the parameters as text (e.g. Name=Value pairs) or use "
                            "the New-AdminAuditLogSearch XML report to see them")
        return records

    def _read_xml(self, ctx: ParseContext, data: bytes) -> list[dict]:
        text, starts = event_document(ctx, data, "an admin audit log report")
        records = []
        for ordinal, attrs, body in read_events(ctx, text, starts):
            if not attrs.get("Cmdlet", "").strip():
                ctx.report.bad_record(f"record {ordinal}", "<Event> without a Cmdlet attribute")
                continue
            pairs = [_attributes(m.group(1)) for m in _PARAMETER.finditer(body)]
            params: dict[str, str | bool] = {p["Name"]: p.get("Value", "") for p in pairs if p.get("Name")}
            raw_params = " ".join(f"-{name} {_quoted(str(value))}" for name, value in params.items())
            modified = "; ".join(f"{p.get('Name', '')}: {p.get('OldValue', '')} -> {p.get('NewValue', '')}"
                                 for p in (_attributes(m.group(1)) for m in _PROPERTY.finditer(body)))
            records.append({"number": ordinal, "cmdlet": attrs.get("Cmdlet", "").strip(), "params": params,
                            "raw_params": raw_params, "caller": attrs.get("Caller", "").strip(),
                            "object": attrs.get("ObjectModified", "").strip(), "succeeded": attrs.get("Succeeded", ""),
                            "error": attrs.get("Error", ""), "run_date": attrs.get("RunDate", ""),
                            "server": attrs.get("OriginatingServer", ""), "external": attrs.get("ExternalAccess", ""),
                            "modified": modified})
        return records

    # -- mapping ------------------------------------------------------------------------------
    def _rows(self, ctx: ParseContext, records: list[dict]) -> pd.DataFrame:
        rows = []
        for r in records:
            outcome = _OUTCOMES.get(r["succeeded"].strip().lower())
            error = r["error"].strip()
            error = None if not error or error.lower() == "none" else error
            fields = call_fields(r["cmdlet"], r["params"], r["raw_params"], caller=r["caller"], outcome=outcome, error=error)
            obj = r["object"]
            details = [fields["details"]]
            if obj:
                details.append(f"object_modified={obj}")
                kind = target_kind(r["cmdlet"])
                if kind == "mailbox" and (fields["mailbox"] is None or fields["mapping"] == "inferred"):
                    # what Exchange says the call modified (its AD name), over a guess from the caller
                    fields["mailbox"] = fields["mailbox_ids"] = obj
                    fields["mapping"] = "native"
                    details = [d.replace("; mailbox: the caller's own (the cmdlet names no -Identity/-Mailbox)", "")
                               for d in details]
            if r["modified"]:
                details.append(f"modified={r['modified']}")
            if r["external"]:
                details.append(f"ExternalAccess={r['external']}")
            fields["details"] = "; ".join(details)
            fields["record_id"] = r["number"]
            fields["run_date"] = r["run_date"]
            fields["server"] = r["server"]
            rows.append(fields)
        frame = pd.DataFrame(rows)
        times, basis = self._times(ctx, frame["run_date"].astype("string").str.strip().replace("", pd.NA))
        bad = times.isna().to_numpy()
        for number in frame.loc[bad, "record_id"].tolist():
            ctx.report.bad_record(f"record {number}", "RunDate missing or unreadable")
        ctx.report.accept(int((~bad).sum()))
        frame["time"] = times
        frame["time_basis"] = basis
        frame["server"] = frame["server"].astype("string").str.extract(r"^\s*([^\s(]+)", expand=False)
        frame["provider"] = PROVIDER
        frame["raw_ref"] = frame["record_id"]
        frame = frame.drop(columns=["run_date"])
        return frame.loc[~bad].reset_index(drop=True)

    def _times(self, ctx: ParseContext, stamp: pd.Series) -> tuple[pd.Series, pd.Series]:
        """UTC times and each row's ``time_basis``: exact where an offset is written (XML), else
        the exporting shell's local time converted with ``--source-tz``."""
        utc = "datetime64[ns, UTC]"
        has_offset = stamp.str.contains(_HAS_OFFSET, na=False)
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
                ctx.report.warn("file", f"RunDate date order is ambiguous (no day above 12, so day and month could be swapped); "
                                        f"read as {describe_format(fmt)}")
            converted = to_utc(parse_local(stamp[local], fmt), zone)
            local_times = converted.times
            if not isinstance(local_times.dtype, pd.DatetimeTZDtype):
                local_times = local_times.dt.tz_localize("UTC")
            times = times.where(~local, local_times.astype(utc).reindex(stamp.index))
            basis[local] = zone.basis
            if not zone.known:
                ctx.report.notes.append(
                    "LOCAL TIMES, ZONE UNKNOWN: Search-AdminAuditLog CSV times (RunDate) are in the exporting "
                    "shell's local zone, which the file does not record; they were taken as UTC. Reload with "
                    "--source-tz (e.g. +02:00 or Europe/Berlin) for correct times."
                )
        return times, basis

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        number = record_id if record_id is not None and not pd.isna(record_id) else raw_ref
        if number is None or pd.isna(number):
            raise ValueError("an admin audit row needs its record number")
        raw = path.read_bytes()
        if not decode_head(raw[:4096]).lstrip().startswith("<"):
            return raw_csv_record(raw, int(number))
        text = _decode_xml(raw)
        starts = [m.start() for m in _EVENT_OPEN.finditer(text)]
        index = int(number) - 1
        if not 0 <= index < len(starts):
            raise ValueError(f"record {number} not found in {path.name}")
        following = starts[index + 1] if index + 1 < len(starts) else len(text)
        end = _EVENT_END.search(text, starts[index], following)
        return text[starts[index] : end.end() if end is not None else following].strip()


def parameters_of_text(text: str) -> tuple[dict[str, str | bool], int]:
    """Parameters from a CSV ``CmdletParameters`` cell, and 1 if the cell is a type name (values lost)."""
    text = text.strip()
    if not text:
        return {}, 0
    if _TYPE_NAME.match(text):
        return {}, 1
    inner = text[1:-1].strip() if text.startswith("{") and text.endswith("}") else text
    if inner.startswith("-"):
        return parse_parameters(inner), 0
    if "=" not in inner and ":" not in inner:  # only the names ("{Identity, User, AccessRights}")
        return {name.strip(): "" for name in re.split(r"[,;\s]+", inner) if name.strip()}, 0
    if ";" in inner or "\n" in inner:
        params: dict[str, str | bool] = {}
        for piece in re.split(r"[;\r\n]+", inner):
            match = _PAIR_KEY.match(piece)
            if match:
                params[match.group(1)] = match.group(2).strip().strip("'\"")
        return params, 0
    return parse_parameters("{" + inner.replace(": ", "=") + "}"), 0


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


registry.register(AdminAuditParser)
