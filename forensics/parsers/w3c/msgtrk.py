"""Exchange message tracking logs (``MSGTRK*.LOG``, ``MSGTRKMS/MD/MA*.LOG`` on 2013+).

Detected by content (``#Log-type: Message Tracking Log``, or the field list starting
``date-time,client-ip,client-hostname,server-ip,server-hostname,source-context``), read by
``exchange_log`` (custody bytes, fields by name, bad lines counted) and interpreted by
``msgtrk_events``: each STOREDRIVER SUBMIT or RECEIVE naming a mailbox is a ``Send`` row
(actor = submitting mailbox GUID, mailbox = sender address), a RECEIVE of a message whose
SUBMIT the same log holds is counted once (``pair_receives``), other events are counted by
event id.

Why the logon type is settled here for some rows: the actor is a mailbox GUID, which only a
directory export (ExchangeGuid) can tie to a person. Without one, comparing a GUID with an
SMTP address would call every send "Delegate"; such rows are ``Unknown`` with the rule
``submitter-guid-unresolved`` instead, and a directory that knows the GUID decides as usual.
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
from forensics.parsers.base import ParseContext, Parser
from forensics.parsers.batchframe import categorical_of
from forensics.parsers.w3c.exchange_log import ExchangeLogReader, directives, field_names, raw_line, report_chunk, text_column, warn_log_type
from forensics.parsers.isotime import parse_iso_utc
from forensics.parsers.w3c.msgtrk_events import KIND_RECEIVE, KIND_SUBMIT, WANTED, classify
from forensics.parsers.opaque import directory_of, preset, unresolved
from forensics.schema import STRING_DTYPE, constant_category

LOG_TYPE = "message tracking log"
FIELD_PREFIX = ["date-time", "client-ip", "client-hostname", "server-ip", "server-hostname", "source-context"]
UNRESOLVED = "submitter-guid-unresolved"
_CATEGORIES = ("mailbox", "actor", "client_ip", "client_app", "server")
_TEXT = ("item", "details")
SKIP_PAIRED = "RECEIVE STOREDRIVER of a message whose SUBMIT this log holds (one send, rowed once)"


def looks_like_tracking(head: bytes) -> bool:
    found = directives(head)
    if found.get("log-type", "").strip().lower() == LOG_TYPE:
        return True
    return field_names(found.get("fields", ""))[: len(FIELD_PREFIX)] == FIELD_PREFIX


class MessageTrackingParser(Parser):
    name = "msgtrk"
    description = "Exchange message tracking log (SUBMIT: which mailbox sent a message, with which From address)"
    source_format = "msgtrk"
    extensions = (".log",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 95 if looks_like_tracking(head) else 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        reader = ExchangeLogReader(ctx, WANTED)
        report = ctx.report
        tables: list[pa.Table] = []
        for table in reader.tables():
            ctx.check_cancel()
            chunk = classify(table, parse_iso_utc(text_column(table, "date-time")), ctx.options.all_events)
            report_chunk(report, chunk.bad_lines, chunk.skipped)
            if len(chunk.columns["time"]):
                tables.append(pa.table({**chunk.columns, "_kind": chunk.kinds, "_message_id": chunk.message_ids}))
        warn_log_type(report, reader.log_types, LOG_TYPE, "a message tracking log")
        if not tables:
            return
        table = pa.concat_tables(tables, promote_options="default")
        paired = pair_receives(table)
        if paired.any():
            report.skip(SKIP_PAIRED, int(paired.sum()))
            table = table.filter(pa.array(~paired))
        table = table.drop_columns(["_kind", "_message_id"])
        report.accept(table.num_rows)
        yield _to_frame(table, directory_of(ctx.options))

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        return raw_line(path, raw_ref, record_id, "a message tracking")


def pair_receives(table: pa.Table) -> np.ndarray:
    """Rows that are the RECEIVE of a SUBMIT rowed from the same log: same message-id,
    submitting mailbox and sender address; the k-th RECEIVE of a key pairs with its k-th
    SUBMIT (a message id reused for two submissions stays two sends)."""
    kinds = table.column("_kind").to_numpy()
    frame = pd.DataFrame({
        "m": table.column("_message_id").to_pandas(),
        "a": table.column("actor").cast(pa.string()).to_pandas(),
        "b": table.column("mailbox").cast(pa.string()).to_pandas(),
    })
    group = frame.groupby(["m", "a", "b"], sort=False, dropna=False).ngroup().to_numpy()
    mailbox_event = ((kinds == KIND_SUBMIT) | (kinds == KIND_RECEIVE)) & frame["m"].notna().to_numpy()
    if not mailbox_event.any():
        return np.zeros(len(kinds), dtype=bool)
    submits = np.bincount(group[mailbox_event & (kinds == KIND_SUBMIT)], minlength=int(group.max()) + 1)
    receive = mailbox_event & (kinds == KIND_RECEIVE)
    ordinal = np.zeros(len(kinds), dtype=np.int64)
    ordinal[receive] = pd.Series(group[receive]).groupby(group[receive]).cumcount().to_numpy()
    return receive & (ordinal < submits[group])


def _to_frame(table: pa.Table, directory: Directory | None) -> pd.DataFrame:
    n = table.num_rows
    ops = np.concatenate([c.to_numpy(zero_copy_only=False) for c in table.column("operation").chunks])
    columns: dict[str, object] = {
        "time": pd.Series(table.column("time").to_pandas(), dtype="datetime64[ns, UTC]").reset_index(drop=True),
        "operation": pd.Categorical.from_codes(ops, categories=pd.Index(["Send", "Event"], dtype=STRING_DTYPE)),
    }
    for name in _CATEGORIES:
        columns[name] = categorical_of(table.column(name))
    for name in _TEXT:
        columns[name] = pd.array(table.column(name).combine_chunks(), dtype=STRING_DTYPE)
    columns["record_id"] = table.column("record_id").to_numpy()
    columns["raw_ref"] = table.column("raw_ref").to_numpy()
    columns["provider"] = constant_category("Exchange message tracking", n)
    columns["mapping"] = constant_category("native", n)
    columns["time_basis"] = constant_category("utc", n)
    actor = columns["actor"]
    assert isinstance(actor, pd.Categorical)
    columns["logon_type"], columns["logon_rule"] = preset((ops == 0) & unresolved(actor, None, directory), UNRESOLVED)
    return complete_columns(pd.DataFrame(columns), MessageTrackingParser.source_format)


registry.register(MessageTrackingParser)
