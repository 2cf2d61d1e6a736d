"""W3C date/time fields: the digit-by-digit fast path agrees with the general parser."""

from __future__ import annotations

import pyarrow as pa

from forensics.parsers.w3c.w3ctime import _general, parse_w3c_times


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


def test_texts_with_and_without_an_offset_do_not_fail_the_batch() -> None:
    # fuzz: the date/time "2024-3-6 6:4-5" (read with an offset) next to a plain one made pandas
    # refuse the whole column ("Mixed timezones detected") and the IIS file failed
    d = pa.array(["2024-3-6", "2024-03-06", "-6"], pa.string())
    c = pa.array(["6:4-5", "10:00:00.5", "1"], pa.string())
    times = _general(d, c).to_pylist()
    assert str(times[1]) == "2024-03-06 10:00:00.500000+00:00" and times[2] is None
