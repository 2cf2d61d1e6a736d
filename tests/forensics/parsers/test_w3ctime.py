"""W3C date/time fields: the digit-by-digit fast path agrees with the general parser."""

from __future__ import annotations

import pyarrow as pa

from forensics.parsers.w3ctime import _general, parse_w3c_times


def test_fast_path_equals_general_parser() -> None:
    dates = ["2024-03-05", "2024-03-05", "2024-02-30", None, "2024-3-5", "2024-03-05", "2024-03-05", "2024-12-31",
             "2024-03-05", "2024-03-05", "24-03-05"]
    clocks = ["00:00:00", "23:59:59", "10:00:00", "10:00:00", "10:00:00", "25:00:00", "10:00:00.250", "12:34:56",
              None, "1a:00:00", "10:00:00"]
    d, c = pa.array(dates, pa.string()), pa.array(clocks, pa.string())
    fast = parse_w3c_times(d, c)
    assert fast.to_pylist() == _general(d, c).to_pylist()
    assert [t is None for t in fast.to_pylist()] == [False, False, True, True, False, True, False, False, True, True, True]
    assert str(fast[1].as_py()) == "2024-03-05 23:59:59+00:00" and fast[6].as_py().microsecond == 250000
