"""The session's sort machinery: cached sort orders and keys, and sorting on a worker.

Split out of ``app.session`` (one responsibility per module). ``Session`` owns one
``SessionSort`` and keeps its public sort API (``sort``, ``set_sort``, ``active_sort``,
``sort_column``…); this object holds the caches, which are bounded because each costs
8-9 bytes a row: time order is one cached packed sort and every other key one stable sort
on top of it, so time is always the last key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.models.sort_keys import (
    SortKey,
    column_key,
    lexsort_order,
    sort_keys,
    with_time_last,
)
from app.workers import Task

if TYPE_CHECKING:
    from app.session import Session

#: columns whose sort order stays cached
SORT_CACHE_SIZE = 4


class SessionSort:
    """Sort orders of one ``Session``'s frame (its ``sort_by`` keys), cached."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # per-column sort orders (8 bytes per row each): the few most recent are kept
        self.sort_cache: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.order_cache: OrderedDict[tuple[SortKey, ...], np.ndarray] = OrderedDict()
        self.key_cache: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.seq = 0  # a newer sort supersedes one whose order is still being computed

    def clear(self) -> None:
        self.sort_cache.clear()
        self.order_cache.clear()
        self.key_cache.clear()

    def set_sort(self, keys: Sequence[SortKey], async_rows: int) -> None:
        """``Session.set_sort``: sort keys of columns not sorted on before are computed on a
        worker when the frame has at least ``async_rows`` rows."""
        s = self.session
        keys = [(str(name), bool(desc)) for name, desc in keys]
        self.seq += 1
        columns = s.columns()
        missing = [name for name, _ in keys if name != "time" and name in columns and name not in self.key_cache]
        if missing and len(s.frame) >= async_rows:
            seq, frame = self.seq, s.frame
            values = {name: s.column_values(name) for name in missing}
            extras = {name: s._extra.get(name) for name in missing}
            task = Task(lambda: {name: column_key(v) for name, v in values.items()}, s)
            s._tasks.append(task)
            s.query_busy.emit(True)

            def finished(result: object) -> None:
                s._tasks.remove(task)
                if not s._tasks:
                    s.query_busy.emit(False)
                same = frame is s.frame and all(
                    extras[name] is None or (s._extra.get(name) is extras[name] and extras[name].values is values[name])
                    for name in missing)
                if isinstance(result, dict) and same:
                    for name, key in result.items():
                        self.remember_key(name, key, keep=len(keys))
                    if seq == self.seq:
                        s.sort_by = keys
                        s._refresh(force=True)

            task.done.connect(finished)
            task.error.connect(finished)
            task.start()
            return
        s.sort_by = keys
        s._refresh(force=True)

    def forget(self, name: str) -> None:
        self.sort_cache.pop(name, None)
        self.key_cache.pop(name, None)
        for spec in [k for k in self.order_cache if any(c == name for c, _ in k)]:
            del self.order_cache[spec]

    def order(self) -> np.ndarray | None:
        """Frame positions in the sort's order (None: load order, a frame without time)."""
        spec = tuple(with_time_last(self.session.active_sort(), self.session.columns()))
        if not spec:
            return None
        cached = self.order_cache.get(spec)
        if cached is None:
            # the time order (the fast packed sort, cached) is the base: every other key is
            # one stable sort on top of it, so equal values keep time, then load order
            ordered, missing = self.sorted_positions("time")
            base = np.concatenate([ordered, missing])
            keys = list(spec[:-1]) if spec[-1] == ("time", False) else list(spec)  # the base is that key
            cached = lexsort_order([(*self.column_key(name), desc) for name, desc in keys], base) if keys else base
            self.order_cache[spec] = cached
            while len(self.order_cache) > SORT_CACHE_SIZE:
                self.order_cache.popitem(last=False)
        else:
            self.order_cache.move_to_end(spec)
        return cached

    def remember_sort(self, column: str, keys: tuple[np.ndarray, np.ndarray]) -> None:
        self.sort_cache[column] = keys
        self.sort_cache.move_to_end(column)
        while len(self.sort_cache) > SORT_CACHE_SIZE:
            self.sort_cache.popitem(last=False)

    def remember_key(self, column: str, key: tuple[np.ndarray, np.ndarray], keep: int = 2) -> None:
        """Keep a column's sort key: the two most recent (9 bytes a row each), or as many as
        the sort in force has keys."""
        self.key_cache[column] = key
        self.key_cache.move_to_end(column)
        while len(self.key_cache) > max(2, keep):
            self.key_cache.popitem(last=False)

    def sorted_positions(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self.sort_cache.get(column)
        if cached is None:
            cached = sort_keys(self.session.column_values(column))
            self.remember_sort(column, cached)
        else:
            self.sort_cache.move_to_end(column)
        return cached

    def column_key(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(key, missing) of a column for ``lexsort_order``; the two most recent are kept
        (9 bytes a row each), since ranking millions of strings takes seconds."""
        cached = self.key_cache.get(column)
        if cached is None:
            cached = column_key(self.session.column_values(column))
            self.remember_key(column, cached, keep=len(self.session.sort_by))
        else:
            self.key_cache.move_to_end(column)
        return cached
