"""Byte-level slices of Arrow string arrays."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from forensics.parsers.arrowbytes import StringBytes, from_parts, gather, positions_of


def test_gather_short_long_empty_missing_and_buffer_end() -> None:
    data = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    starts = np.array([0, 2, 5, 20, 24, 25, 0])
    ends = np.array([26, 5, 5, 26, 26, 26, 3])
    valid = np.array([True, True, True, True, True, True, False])
    out = gather(data, starts, ends, valid)
    assert out.to_pylist() == ["abcdefghijklmnopqrstuvwxyz", "cde", "", "uvwxyz", "yz", "z", None]
    out.validate(full=True)


def test_string_bytes_of_a_sliced_array_and_back() -> None:
    array = pa.array(["x", None, "héllo", "", "z"]).slice(1)
    parts = StringBytes.of(array)
    assert parts.valid.tolist() == [False, True, True, True]
    assert bytes(parts.data[parts.starts[1] : parts.ends[1]]).decode() == "héllo"
    offsets = np.append(parts.starts, parts.ends[-1]) - parts.starts[0]
    rebuilt = from_parts(offsets, parts.data[parts.starts[0] : parts.ends[-1]], parts.valid)
    assert rebuilt.to_pylist() == [None, "héllo", "", "z"]


def test_positions_of_across_slices() -> None:
    rng = np.random.default_rng(3)
    buf = rng.integers(0, 4, 5000).astype(np.uint8)
    assert np.array_equal(positions_of(buf, 2, step=97), np.flatnonzero(buf == 2))
