"""Exchange 2013–SE HttpProxy logs (``Logging\\HttpProxy\\<Protocol>\\HttpProxy_*.LOG``).

Detected by content: the ``#Log-type: HttpProxy Logs`` directive, or a comma-separated
``#Fields:`` list starting ``DateTime,RequestId`` that names ``AnchorMailbox`` (files cut
from the middle of a log keep no directives and are not claimed). Lines are read by
``exchange_log`` (custody bytes, named fields, bad lines counted), batches interpreted by
``httpproxy_requests`` and assembled into one frame per file; ``record_id`` is the line
number, ``raw_ref`` its byte offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics.identity.directory import Directory
from forensics.parsers import registry
from forensics.parsers.arrowtext import complete_columns
from forensics.parsers.batchframe import categorical_of
from forensics.parsers.base import FileReport, ParseContext, Parser
from forensics.parsers.w3c.exchange_log import ExchangeLogReader, directives, field_names, raw_line, report_chunk, text_column, warn_log_type
from forensics.parsers.w3c.httpproxy_requests import WANTED, classify
from forensics.parsers.w3c.httpproxy_silence import note_silences
from forensics.parsers.isotime import parse_iso_utc
from forensics.parsers.opaque import directory_of, preset, unresolved
from forensics.schema import STRING_DTYPE, constant_category

LOG_TYPE = "httpproxy logs"
#: logon rule of rows whose mailbox is only a SID / GUID no directory export resolves (``opaque``)
UNRESOLVED = "mailbox-id-unresolved"
_CATEGORIES = ("mailbox", "actor", "client_ip", "client_host", "client_app", "server")
_TEXT = ("item", "details", "mailbox_ids")
#: how many lines of the ProxyLogon pattern a note lists
_LISTED = 5


def looks_like_httpproxy(head: bytes) -> bool:
    """True when the directives say HttpProxy (the log type, or its field list)."""
    found = directives(head)
    if found.get("log-type", "").strip().lower() == LOG_TYPE:
        return True
    names = field_names(found.get("fields", ""))
    return names[:2] == ["datetime", "requestid"] and "anchormailbox" in names and "authenticateduser" in names


class HttpProxyParser(Parser):
    name = "httpproxy"
    description = "Exchange 2013+ HttpProxy log (front-end requests of OWA, EWS, MAPI, ActiveSync, RPC/HTTP, ...)"
    source_format = "httpproxy"
    extensions = (".log",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 95 if looks_like_httpproxy(head) else 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        reader = ExchangeLogReader(ctx, WANTED)
        tables: list[pa.Table] = []
        proxylogon: list[np.ndarray] = []
        probes: list[np.ndarray] = []
        report = ctx.report
        for table in reader.tables():
            ctx.check_cancel()
            times = parse_iso_utc(text_column(table, "datetime"))
            chunk = classify(table, times, ctx.options.all_events)
            report_chunk(report, chunk.bad_lines, chunk.skipped)
            proxylogon.append(chunk.proxylogon_lines)
            probes.append(chunk.probe_ns)
            if len(chunk.columns["time"]):
                tables.append(pa.table(chunk.columns))
        warn_log_type(report, reader.log_types, LOG_TYPE, "an HttpProxy log")
        _note_proxylogon(report, np.concatenate(proxylogon) if proxylogon else np.zeros(0, np.int64))
        note_silences(report, np.concatenate(probes) if probes else np.zeros(0, np.int64))
        if not tables:
            return
        table = pa.concat_tables(tables, promote_options="default")
        report.accept(table.num_rows)
        yield _to_frame(table, directory_of(ctx.options))

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        return raw_line(path, raw_ref, record_id, "an HttpProxy")


def _note_proxylogon(report: FileReport, lines: np.ndarray) -> None:
    """Name the CVE-2021-26855 request pattern when the log holds it (rows or not)."""
    if not len(lines):
        return
    listed = ", ".join(str(x) for x in np.sort(lines)[:_LISTED].tolist())
    report.notes.append(
        f"PROXYLOGON PATTERN: {len(lines)} unauthenticated request(s) whose AnchorMailbox is ServerInfo~… "
        f"(AuthenticatedUser empty), the pattern Microsoft's Test-ProxyLogon.ps1 reports for CVE-2021-26855; "
        f"lines {listed}{' …' if len(lines) > _LISTED else ''}. Not ruled out: a scanner probing for the flaw "
        "without succeeding (see HttpStatus and TargetServer of those lines)."
    )


def _to_frame(table: pa.Table, directory: Directory | None) -> pd.DataFrame:
    """The rows as a frame of the table's columns and dtypes (categoricals encoded once)."""
    n = table.num_rows
    columns: dict[str, object] = {
        "time": pd.Series(table.column("time").to_pandas(), dtype="datetime64[ns, UTC]").reset_index(drop=True),
        "operation": constant_category("WebRequest", n),
    }
    chunks = table.column("outcome").chunks
    outcome = np.concatenate([c.to_numpy(zero_copy_only=False) for c in chunks]) if n else np.zeros(0, np.int8)
    columns["outcome"] = pd.Categorical.from_codes(outcome, categories=pd.Index(["Success", "Failure"],
                                                                                dtype=STRING_DTYPE))
    for name in _CATEGORIES:
        columns[name] = categorical_of(table.column(name))
    for name in _TEXT:
        columns[name] = pd.array(table.column(name).combine_chunks(), dtype=STRING_DTYPE)
    columns["record_id"] = table.column("record_id").to_numpy()
    columns["raw_ref"] = table.column("raw_ref").to_numpy()
    columns["provider"] = constant_category("Exchange HttpProxy", n)
    columns["mapping"] = constant_category("native", n)
    columns["time_basis"] = constant_category("utc", n)
    mailbox = columns["mailbox"]
    assert isinstance(mailbox, pd.Categorical)
    opaque = unresolved(mailbox, pd.Series(columns["mailbox_ids"]), directory)
    columns["logon_type"], columns["logon_rule"] = preset(opaque, UNRESOLVED)
    return complete_columns(pd.DataFrame(columns), HttpProxyParser.source_format)


registry.register(HttpProxyParser)
