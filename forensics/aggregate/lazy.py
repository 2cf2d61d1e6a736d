"""A read-only sequence whose items are computed when asked for.

Why: a pivot over thousands of mailboxes or bins needs labels and query strings only for
the cells on screen; building them all would cost more than the counting itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import overload


class LazySeq(Sequence[str]):
    """``fn(i)`` for ``i`` in ``range(start, stop)``, cached; slicing gives another view."""

    def __init__(self, fn: Callable[[int], str], stop: int, start: int = 0, cache: dict[int, str] | None = None) -> None:
        self._fn = fn
        self._start = start
        self._stop = max(start, stop)
        self._cache = {} if cache is None else cache

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> LazySeq: ...
    def __getitem__(self, index: int | slice) -> str | LazySeq:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("LazySeq slices must be contiguous")
            return LazySeq(self._fn, self._start + stop, self._start + start, self._cache)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        absolute = self._start + index
        value = self._cache.get(absolute)
        if value is None:
            value = self._fn(absolute)
            self._cache[absolute] = value
        return value

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        shown = ", ".join(repr(self[i]) for i in range(min(3, len(self))))
        return f"LazySeq([{shown}{', ...' if len(self) > 3 else ''}], n={len(self)})"
