"""Settling interpreted IIS batches into one frame."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from forensics.parsers.arrowtext import Uniq
from forensics.parsers.w3c.iis_assembly import _categorical


@pytest.mark.parametrize("values", [["a", "b", "a"], ["a", "b", "a", None]])
def test_batch_dictionaries_with_repeats_fold_into_one_categorical(values: list[str | None]) -> None:
    """Two raw texts that decode alike repeat a value in a batch's dictionary; a blank one is null."""
    one = Uniq(pa.array(values, pa.string()), np.array([0, 1, 2, -1, len(values) - 1])).dictionary()
    two = pa.DictionaryArray.from_arrays(pa.array([1, 0], pa.int32()), pa.array(["c", "b"]))
    last = values[-1]
    for chunks, expected in (([one], ["a", "b", "a", None, last]), ([one, two], ["a", "b", "a", None, last, "b", "c"])):
        column = _categorical(pa.chunked_array(chunks))
        assert list(column.categories) == sorted({v for v in expected if v}, key=expected.index)
        assert [v if isinstance(v, str) else None for v in column.astype(object)] == expected
