"""The interpreted blocks of one IIS log, settled and turned into one table frame.

Blocks are interpreted while the log is still being read (``iis_requests.classify``);
what only the whole log can decide — which 401s their retry answered — is settled here,
then the blocks' Arrow columns become one pandas frame of the table's dtypes, each
categorical encoded once over the whole log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.arrowtext import complete_columns
from forensics.parsers.w3c.iis_challenge import RequestKeys
from forensics.parsers.w3c.iis_requests import (
    MAPPINGS,
    OP_WEB,
    OPERATIONS,
    OUTCOMES,
    PROTOCOL_RULE,
    SKIP_CHALLENGE,
    SKIP_REASONS,
    RequestChunk,
)
from forensics.parsers.base import FileReport
from forensics.parsers.w3c.iis_silence import probe_silences, silence_note, silence_periods
from forensics.schema import STRING_DTYPE, constant_category

_CATEGORIES = ("mailbox", "actor", "client_ip", "client_host", "client_app", "server")
_TEXT = ("folder", "item", "details")
_CODED = {"operation": OPERATIONS, "outcome": OUTCOMES, "mapping": MAPPINGS}


@dataclass
class IisAssembly:
    all_events: bool
    keys: RequestKeys = field(default_factory=RequestKeys)
    chunks: list[RequestChunk] = field(default_factory=list)
    probe_ns: list[np.ndarray] = field(default_factory=list)

    def add(self, chunk: RequestChunk) -> None:
        self.chunks.append(chunk)
        if chunk.probe_ns is not None and len(chunk.probe_ns):
            self.probe_ns.append(chunk.probe_ns)

    def report_silences(self, report: FileReport) -> None:
        """The log's ``LOGGING GAP`` note and periods, if its health probes fall silent (``iis_silence``)."""
        times = np.concatenate(self.probe_ns) if self.probe_ns else np.zeros(0, dtype=np.int64)
        silences = probe_silences(times)
        note = silence_note(silences, len(times))
        if note:
            report.notes.append(note)
            report.missing.extend(silence_periods(silences))

    def settle(self) -> tuple[pa.Table | None, Counter[str]]:
        """Decide the pending 401s; return the rows that stay and the skip counts left to add."""
        answered = self.keys.challenges()
        counts: Counter[str] = Counter()
        tables = []
        for chunk in self.chunks:
            table = chunk.out
            if len(chunk.pending):
                challenge = np.isin(chunk.pending + chunk.first_row, answered)
                table = self._apply(chunk, table, challenge, counts)
            if table.num_rows:
                tables.append(table)
        self.chunks.clear()
        if not tables:
            return None, counts
        return pa.concat_tables(tables), counts

    def _apply(self, chunk: RequestChunk, table: pa.Table, challenge: np.ndarray, counts: Counter[str]) -> pa.Table:
        where = np.searchsorted(chunk.out_rows, chunk.pending)  # pending rows' places in ``out``
        if self.all_events:  # kept either way; an answered 401 is marked as not an access
            if not challenge.any():
                return table
            rows = where[challenge]
            prefix = chunk.pending_prefix.filter(pa.array(challenge))
            note = pc.binary_join_element_wise(prefix, "not an access: " + SKIP_CHALLENGE, "; ")
            mask = np.zeros(table.num_rows, dtype=bool)
            mask[rows] = True
            details = pc.replace_with_mask(table.column("details").combine_chunks(), pa.array(mask), note)
            operation = table.column("operation").to_numpy().copy()
            operation[rows] = OP_WEB
            table = table.set_column(table.schema.get_field_index("details"), "details", details)
            return table.set_column(table.schema.get_field_index("operation"), "operation", pa.array(operation, pa.int8()))
        if challenge.any():
            counts[SKIP_CHALLENGE] += int(challenge.sum())
        for code, count in zip(*np.unique(chunk.pending_code[~challenge & (chunk.pending_code >= 0)], return_counts=True)):
            counts[SKIP_REASONS[code]] += int(count)
        drop = challenge & (chunk.pending_code < 0)  # accesses that were only a challenge
        if not drop.any():
            return table
        keep = np.ones(table.num_rows, dtype=bool)
        keep[where[drop]] = False
        return table.filter(pa.array(keep))


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The settled rows as a frame of the table's columns and dtypes."""
    n = table.num_rows
    columns: dict[str, object] = {
        "time": pd.Series(table.column("time").to_pandas(), dtype="datetime64[ns, UTC]").reset_index(drop=True),
    }
    for name, labels in _CODED.items():
        codes = table.column(name).to_numpy()
        columns[name] = pd.Categorical.from_codes(codes, categories=pd.Index(list(labels), dtype=STRING_DTYPE))
    for name in _CATEGORIES:
        columns[name] = _categorical(table.column(name))
    for name in _TEXT:
        columns[name] = pd.array(table.column(name).combine_chunks(), dtype=STRING_DTYPE)
    admin = table.column("admin_rights").combine_chunks()
    columns["admin_rights"] = pd.arrays.BooleanArray(
        pc.fill_null(admin, False).to_numpy(zero_copy_only=False), pc.is_null(admin).to_numpy(zero_copy_only=False)
    )
    columns["record_id"] = table.column("record_id").to_numpy()
    if "raw_ref" in table.column_names:
        columns["raw_ref"] = table.column("raw_ref").to_numpy()
    if "protocol_owner" in table.column_names:
        columns.update(protocol_owner_columns(table.column("protocol_owner").to_numpy()))
    if "mailbox_ids" in table.column_names:
        columns["mailbox_ids"] = pd.array(table.column("mailbox_ids").combine_chunks(), dtype=STRING_DTYPE)
    columns["provider"] = constant_category("IIS", n)
    columns["time_basis"] = constant_category("utc", n)
    return complete_columns(pd.DataFrame(columns), "iis")


def protocol_owner_columns(owner: np.ndarray) -> dict[str, pd.Categorical]:
    """``logon_type``/``logon_rule`` of rows whose protocol fixes the mailbox to the caller
    (``iis_requests``: ActiveSync): Owner by protocol, the rule named; others left to resolve."""
    codes = np.where(np.asarray(owner, dtype=bool), 0, -1).astype(np.int8)
    return {
        "logon_type": pd.Categorical.from_codes(codes, categories=pd.Index(["Owner"], dtype=STRING_DTYPE)),
        "logon_rule": pd.Categorical.from_codes(codes, categories=pd.Index([PROTOCOL_RULE], dtype=STRING_DTYPE)),
    }


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """Batches' dictionary-encoded chunks -> one categorical (dictionaries merged, not the rows).

    A batch's dictionary may repeat a value or hold a null (distinct raw texts that decode
    alike): those are folded here, on the dictionary, never row by row.
    """
    column = column.unify_dictionaries()
    if column.num_chunks == 0:
        return pd.Categorical.from_codes([], categories=pd.Index([], dtype=STRING_DTYPE))
    dictionary = column.chunk(0).dictionary
    codes = np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in column.chunks])
    if dictionary.null_count or pc.count_distinct(dictionary, mode="all").as_py() != len(dictionary):
        fold, uniques = pd.factorize(pd.array(dictionary, dtype=STRING_DTYPE), use_na_sentinel=True)
        codes = np.append(fold, -1)[codes]
        dictionary = pa.array(uniques, pa.string())
    return pd.Categorical.from_codes(codes, categories=pd.Index(pd.array(dictionary, dtype=STRING_DTYPE)))
