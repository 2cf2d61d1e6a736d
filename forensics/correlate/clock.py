"""Clock offsets between sources, measured on the rows the correlation matched.

A matched row's offset is its time minus the founding row's; per file the median says how
far its clock sits from the founding source's, the spread (median absolute deviation) how
steady that is. Rows that found no partner within the window but do find an item-identical
row (same persons, folder and subject) up to an hour away are counted apart: when most of a
file's rows only match that way at one offset, the file is flagged. No offset is applied: the
examiner decides (``--source-tz`` or a corrected export), the note says what was measured.
"""

from __future__ import annotations

import pandas as pd

from forensics.correlate.rules import FAMILY_ORDER, IIS

SECOND = 1e9
#: a flagged file needs this many item-identical matches beyond the window
MIN_WIDE = 3
COLUMNS = ["evidence", "against", "matched", "median_s", "spread_s", "wide_matches", "wide_median_s", "flagged"]


def _stats(offsets: pd.DataFrame, prefix: str) -> pd.DataFrame:
    if not len(offsets):
        return pd.DataFrame(columns=["evidence", "against", f"{prefix}matches", f"{prefix}median_s", f"{prefix}spread_s"])
    seconds = offsets.assign(s=offsets["offset_ns"] / SECOND)
    grouped = seconds.groupby(["evidence", "against"])["s"]
    median = grouped.median().rename(f"{prefix}median_s")
    mad = seconds.assign(dev=(seconds["s"] - seconds.groupby(["evidence", "against"])["s"].transform("median")).abs()
                         ).groupby(["evidence", "against"])["dev"].median().rename(f"{prefix}spread_s")
    count = grouped.size().rename(f"{prefix}matches")
    return pd.concat([count, median, mad], axis=1).reset_index()


def clock_table(offsets: pd.DataFrame, wide: pd.DataFrame, evidence_names: list[str]) -> pd.DataFrame:
    """One row per (file, source family it was compared with)."""
    clocked = offsets[offsets["clock"]] if len(offsets) else offsets
    near = _stats(clocked, "")
    far = _stats(wide, "wide_")
    if not len(near) and not len(far):
        return pd.DataFrame(columns=COLUMNS)
    table = near.merge(far[["evidence", "against", "wide_matches", "wide_median_s"]] if len(far) else
                       pd.DataFrame(columns=["evidence", "against", "wide_matches", "wide_median_s"]),
                       on=["evidence", "against"], how="outer")
    table["matches"] = table["matches"].fillna(0).astype(int)
    table["wide_matches"] = table["wide_matches"].fillna(0).astype(int)
    table = table.rename(columns={"matches": "matched"})
    limit = IIS.hi  # the widest symmetric window: beyond it no rule would have matched
    table["flagged"] = ((table["wide_matches"] >= MIN_WIDE) & (table["wide_matches"] > table["matched"])
                        & (table["wide_median_s"].abs() > limit))
    table["evidence"] = [evidence_names[int(e)] if 0 <= int(e) < len(evidence_names) else "" for e in table["evidence"]]
    table["against"] = [FAMILY_ORDER[int(f)] for f in table["against"]]
    return table[COLUMNS].sort_values(["evidence", "against"]).reset_index(drop=True)


def clock_note(row: pd.Series) -> str:
    """The sentence a file's report carries (what was measured, and what it rests on)."""
    against = row["against"]
    if row["flagged"]:
        return (f"clock: {int(row['wide_matches'])} rows match rows of the {against} source with the same persons, "
                f"folder and subject only at a median offset of {row['wide_median_s']:+.0f} s (beyond the "
                f"correlation window; {int(row['matched'])} matched within it): this file's clock or time zone "
                f"probably differs; those rows were NOT merged (no offset is applied)")
    if not row["matched"]:
        return ""
    return (f"clock: {int(row['matched'])} rows matched the {against} source at a median offset of "
            f"{row['median_s']:+.1f} s (spread {row['spread_s']:.1f} s)")
