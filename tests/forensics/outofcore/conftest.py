"""Shared builders: Parquet files with recorded SHA-256, and the pandas frame of the same rows.

The pandas reference is what the workbench holds in memory: the files' rows conformed to the
table contract (``schema.conform``: categoricals, Arrow strings, nullable ints) in load order.
Row ids are the engine's ``_row`` (file index << 40 | row in file), so both engines' answers
are compared row by row.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forensics import schema
from forensics.outofcore.engine import ROW_SHIFT, OutOfCoreEngine


def write_parquet(path: Path, frame: pd.DataFrame) -> str:
    """Write ``frame`` as the case cache does (conformed, no index); returns its SHA-256."""
    buffer = io.BytesIO()
    schema.conform(frame).reset_index(drop=True).to_parquet(buffer, index=False)
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def reference(engine: OutOfCoreEngine) -> tuple[pd.DataFrame, np.ndarray]:
    """(the in-memory frame of the engine's verified files, the row id of each frame row)."""
    frames, ids = [], []
    for i, f in enumerate(engine.files):
        part = pd.read_parquet(f.path)
        frames.append(part)
        ids.append((np.int64(i) << ROW_SHIFT) + np.arange(len(part), dtype=np.int64))
    frame = schema.conform(pd.concat(frames, ignore_index=True))
    return frame, np.concatenate(ids)


def tricky_frame() -> pd.DataFrame:
    """Rows that exercise nulls, case, empty strings, unicode, sub-microsecond and pre-1970
    times, and the Europe/Berlin and America/New_York daylight-saving changes of 2024
    (31 March 01:00 UTC and 27 October 01:00 UTC; 10 March 07:00 UTC and 3 November 06:00 UTC)."""
    times = [
        "2024-03-31 00:59:59.9999999Z", "2024-03-31 01:00:00Z", "2024-03-31 01:30:00Z", "2024-10-27 00:30:00Z",
        "2024-10-27 01:30:00Z", "2024-03-10 06:59:00Z", "2024-03-10 07:00:00.0000001Z", None, "1969-12-31 23:30:00Z",
        "2024-11-03 05:30:00Z", "2024-11-03 06:30:00Z", "2024-03-04 23:00:00Z", "2024-03-05 00:00:00Z",
        "2024-03-05 08:15:00Z", "2024-03-09 22:00:00Z", None,
    ]
    n = len(times)
    pick = lambda values: [values[i % len(values)] for i in range(n)]
    return pd.DataFrame({
        "time": pd.to_datetime(times, utc=True, format="ISO8601"),
        "operation": pick(["MessageBind", "FolderBind", None, "PermissionChange", "AuditConfigChange", "Event",
                           "SendAs", "messagebind"]),
        "mailbox": pick(["ceo@contoso.com", "CEO@Contoso.com", None, "", "cfo@contoso.com", "Ünïcode@contoso.com",
                         "HealthMailbox0a1b@contoso.com"]),
        "actor": pick(["CONTOSO\\pat", None, "CONTOSO\\HealthMailbox12ab", "extest_9f", "ceo@contoso.com", "Pat",
                       "", "straße"]),
        "logon_type": pick(["Owner", "owner", "Delegate", None, "Admin", "ADMIN", "Unknown"]),
        "admin_rights": pd.array(pick([True, None, False, None, False]), dtype="boolean"),
        "client_app": pick(["Mozilla/5.0", "AMProbe/Local", None, "MapiHttpClient", "Outlook"]),
        "outcome": pick(["Success", "failure", None, "Failure", "SUCCESS"]),
        "event_id": pd.array(pick([10100, 10102, None, 4624, 10106]), dtype="Int64"),
        "record_id": pd.array(list(range(1, n + 1)), dtype="Int64"),
        "evidence": pick(["E1", "E2"]),
        "item": pick(["Board minutes", None, "Quarterly RESULTS", "", "naïve café"]),
        "access_id": pd.array(pick([1, 1, None, 2, 3, 2, None]), dtype="Int64"),
    })


@pytest.fixture
def tricky(tmp_path: Path) -> OutOfCoreEngine:
    """Two files of tricky rows (the second shifted by a day), recorded and verified."""
    first = tricky_frame()
    second = tricky_frame().iloc[::-1].reset_index(drop=True)
    second["time"] = second["time"] + pd.Timedelta(days=1)
    recorded = [(tmp_path / "a.parquet", write_parquet(tmp_path / "a.parquet", first)),
                (tmp_path / "b.parquet", write_parquet(tmp_path / "b.parquet", second))]
    engine = OutOfCoreEngine.open(recorded, threads=1)
    yield engine
    engine.close()
