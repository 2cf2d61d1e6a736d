"""Per-batch Arrow columns of a parser, made into the table's pandas dtypes once per file.

Why: parsers that interpret a log in batches dictionary-encode each batch's categorical
columns; merging the (few) dictionaries once, instead of the rows, keeps a file's frame cheap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.schema import STRING_DTYPE


def categorical_of(column: pa.ChunkedArray) -> pd.Categorical:
    """Batches' dictionary chunks -> one categorical (dictionaries merged, not the rows)."""
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
