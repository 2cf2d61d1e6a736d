"""ISO-8601 UTC times of Exchange's own logs (``2023-01-06T01:00:04.124Z``), column-wise.

Why not ``pandas.to_datetime`` on every value: Arrow's cast parses the common shape in C
without Python objects; values of another shape are null (a bad record for the caller),
and the few that have the shape but an impossible date (Arrow refuses the whole column
then) are re-read by pandas, which makes them null too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.localtime import to_ns

UTC_NS = pa.timestamp("ns", tz="UTC")
#: what the Exchange log writer prints: date, "T", time with optional fraction, "Z"
SHAPE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$"


def parse_iso_utc(values: pa.Array) -> pa.Array:
    """``timestamp[ns, UTC]`` of each value; null where it is missing or not such a time."""
    if values.type != pa.string():
        values = values.cast(pa.string())
    shaped = pc.fill_null(pc.match_substring_regex(values, SHAPE), False)
    text = pc.if_else(shaped, values, pa.scalar(None, pa.string()))
    try:
        return text.cast(UTC_NS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_datetime(pd.Series(text.to_pandas(), dtype=object), format="ISO8601", errors="coerce", utc=True)
        ns = to_ns(parsed)
        mask = ns.isna().to_numpy()
        return pa.array(ns.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"),
                        mask=mask).cast(UTC_NS) if len(ns) else pa.array([], UTC_NS)


def valid_mask(times: pa.Array) -> np.ndarray:
    return pc.is_valid(times).to_numpy(zero_copy_only=False)
