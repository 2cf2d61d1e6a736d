"""What the correlation did, read back from a correlated frame's ``access_*`` columns.

Reports are built from a frame (perhaps a case reloaded from cache), not from the load that
correlated it, so the methodology's numbers and the clock offsets per file are recomputed
here from the columns themselves: one groupby, no second correlation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensics.correlate.rules import ALONE, FOUNDING, RULES_TEXT, SAME_RECORD, UAL_BIND


def clock_offsets(frame: pd.DataFrame) -> pd.DataFrame:
    """Per evidence file whose rows joined an access founded by another file: matched rows,
    median offset and spread (median absolute deviation) in seconds. UAL Bind rows are left
    out: their offset is the 2-minute aggregation, not a clock."""
    columns = ["evidence", "source_format", "matched", "median_s", "spread_s"]
    if "access_rule" not in frame.columns or not len(frame):
        return pd.DataFrame(columns=columns)
    rule = frame["access_rule"].astype("string").fillna("")
    t = frame["time"]
    founding = (rule == FOUNDING).to_numpy(bool)
    access = frame["access_id"].to_numpy(dtype=np.float64, na_value=np.nan)
    base = pd.Series(t[founding].to_numpy(), index=access[founding])
    base = base[~base.index.duplicated()]
    joined = (~rule.isin([FOUNDING, ALONE, SAME_RECORD, UAL_BIND.rule, ""])).to_numpy(bool) & ~np.isnan(access)
    if not joined.any():
        return pd.DataFrame(columns=columns)
    sub = frame.loc[joined, ["evidence", "source_format"]].astype("string")
    anchor = base.reindex(access[joined]).to_numpy()
    sub["s"] = (t[joined].to_numpy() - anchor) / np.timedelta64(1, "s")
    sub = sub.dropna(subset=["s"])
    grouped = sub.groupby(["evidence", "source_format"])["s"]
    median = grouped.median()
    spread = (sub["s"] - grouped.transform("median")).abs().groupby([sub["evidence"], sub["source_format"]]).median()
    out = pd.DataFrame({"matched": grouped.size(), "median_s": median, "spread_s": spread}).reset_index()
    return out[columns]


def statement(frame: pd.DataFrame) -> str:
    """The methodology paragraph: the rules, then what they did to these rows."""
    rules = " ".join(RULES_TEXT)
    if "access_id" not in frame.columns or not frame["access_id"].notna().any():
        return rules + " These rows were not correlated: every row is counted as an access."
    rows = len(frame)
    accesses = int(frame["access_id"].nunique(dropna=True)) + int(frame["access_id"].isna().sum())
    by_rule = frame["access_rule"].astype("string").value_counts()
    merged = ", ".join(f"{name}: {int(n):,}" for name, n in by_rule.items() if name not in (ALONE,))
    text = (f"{rules} In these {rows:,} rows: {accesses:,} distinct accesses; rows by the rule that placed them: "
            f"{merged or 'none'} ({int(by_rule.get(ALONE, 0)):,} rows are accesses seen in one row only).")
    clock = clock_offsets(frame)
    if len(clock):
        parts = [f"{e} ({f}): {m} rows, median {med:+.1f} s, spread {sp:.1f} s"
                 for e, f, m, med, sp in clock.itertuples(index=False)]
        text += " Clock offsets measured on matched rows, per file against the founding source: " + "; ".join(parts) + "."
    return text


def same_access(frame: pd.DataFrame, position: int) -> pd.DataFrame:
    """The other rows of the access of row ``position`` (positions in ``frame``): what the
    Detail pane lists as "also seen in". One vectorized comparison; empty when uncorrelated."""
    if "access_id" not in frame.columns or not 0 <= position < len(frame):
        return frame.iloc[0:0]
    access = frame["access_id"].iloc[position]
    if pd.isna(access):
        return frame.iloc[0:0]
    mask = (frame["access_id"] == access).fillna(False).to_numpy(bool)
    mask[position] = False
    positions = np.flatnonzero(mask)
    if not len(positions):
        return frame.iloc[0:0].assign(position=np.zeros(0, dtype=np.int64))
    # one-row slices, not a gather: taking a few rows of a many-chunk Arrow column copies
    # the whole column first (seconds for the Detail pane on millions of rows)
    others = pd.concat([frame.iloc[p: p + 1] for p in positions.tolist()])
    return others.assign(position=positions)


def also_seen_in(frame: pd.DataFrame, position: int, tz: object = "UTC", limit: int = 12) -> str:
    """One line per other row of the same access: format, time, operation, the rule that
    merged it (the reason the tool calls them one access)."""
    others = same_access(frame, position)
    if not len(others):
        return ""
    lines = []
    for row in others.head(limit).itertuples(index=False):  # an access has a handful of rows
        when = pd.Timestamp(row.time).tz_convert(tz).strftime("%Y-%m-%d %H:%M:%S") if pd.notna(row.time) else "no time"
        lines.append(f"{row.source_format} row {row.position + 1:,} at {when}: {row.operation} "
                     f"({row.access_rule}; evidence {row.evidence})")
    if len(others) > limit:
        lines.append(f"… and {len(others) - limit} more rows")
    return "\n".join(lines)


def first_rows_of_accesses(frame: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """Mask of one row per access among ``rows`` (default: all): counting these counts
    distinct accesses (the heatmap's "accesses" unit). A row without an access id counts as
    its own access. Access ids are dense integers: one ``minimum.at`` scatter, no sort or hash."""
    n = len(frame)
    keep = np.ones(n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool).copy()
    if "access_id" not in frame.columns or not n:
        return keep
    ids = frame["access_id"].to_numpy(dtype=np.int64, na_value=-1)
    positions = np.flatnonzero(keep & (ids >= 0))
    if not len(positions):
        return keep
    chosen = ids[positions]
    first = np.full(int(chosen.max()) + 1, n, dtype=np.int64)
    np.minimum.at(first, chosen, positions)
    keep[positions] = first[chosen] == positions
    return keep
