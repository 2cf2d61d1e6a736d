"""The session's query masks: typed queries evaluated on a worker, and the combined filter.

Split out of ``app.session`` (one responsibility per module); ``Session`` keeps its public
query API (``set_query``, ``apply_query_async``, ``mask``…) and the mask cache, and calls
these with its own state.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from app.workers import Task
from forensics.errors import QueryError
from forensics.query.evaluate import Superseded

if TYPE_CHECKING:
    from app.session import Session

#: quick toggles, each expressed in the query language so the semantics are identical
TOGGLE_QUERIES: dict[str, str] = {
    "nonowner": "is:nonowner",
    "admin": "is:admin",
    "failure": "is:failure",
    "unexplained": "-is:expected",
    # collapse what several sources recorded of one access into the row that founded it
    # (forensics.correlate; the Detail pane's "Show this access's rows" expands it again)
    "one_per_access": "access_rule:=founding OR access_rule:=alone OR missing:access_rule",
}


def apply_query_async(session: Session, text: str, async_rows: int) -> None:
    """``Session.apply_query_async``: frames of at least ``async_rows`` rows evaluate the
    mask on a worker thread; a newer query supersedes an older one."""
    from forensics.query import compile_query

    text = text.strip()
    key = (text, session.zone.storage())
    if not text or key in session._mask_cache or len(session.frame) < async_rows:
        session.set_query(text)
        return
    session._query_seq += 1
    seq, frame = session._query_seq, session.frame
    try:
        query = compile_query(text, tz=session.zone.tzinfo())  # syntax errors: at once
    except QueryError as exc:
        session._show_query_error(text, exc)
        return

    def evaluate() -> object:
        started = time.perf_counter()
        try:
            mask = np.asarray(query.mask(frame, cancel=lambda: seq != session._query_seq), dtype=bool)
        except QueryError as exc:  # e.g. an unknown field: found while evaluating
            return exc
        except Superseded:  # a newer query was typed: stop between columns
            return None
        session.last_query_seconds = time.perf_counter() - started
        return mask

    task = Task(evaluate, session)
    session._tasks.append(task)
    session.query_busy.emit(True)

    def done(result: object) -> None:
        session._tasks.remove(task)
        if not session._tasks:
            session.query_busy.emit(False)
        if seq != session._query_seq or frame is not session.frame:
            return  # superseded
        if isinstance(result, QueryError):
            session._show_query_error(text, result)
            return
        session._remember_mask(key, result)  # type: ignore[arg-type]
        session.query_text, session.query_error, session._query_mask = text, None, result  # type: ignore[assignment]
        session.query_state_changed.emit()
        session._refresh()

    def failed(message: str) -> None:
        session._tasks.remove(task)
        if not session._tasks:
            session.query_busy.emit(False)
        if seq == session._query_seq:
            session._show_query_error(text, QueryError(message, 0))

    task.done.connect(done)
    task.error.connect(failed)
    task.start()


def combined_mask(session: Session) -> np.ndarray | None:
    """``Session.mask``: the query, toggles, operations and time range together."""
    masks: list[np.ndarray] = []
    if session._query_mask is not None:
        masks.append(session._query_mask)
    for name in sorted(session.toggles):
        masks.append(session._compile_mask(TOGGLE_QUERIES[name]))
    if session.operations is not None:
        masks.append(session.frame["operation"].isin(list(session.operations)).to_numpy(dtype=bool))
    if session.time_from is not None or session.time_to is not None:
        times = session.frame["time"].to_numpy(dtype="datetime64[ns]")
        ok = ~np.isnat(times)
        if session.time_from is not None:
            ok &= times >= np.datetime64(session.time_from.tz_convert(None).as_unit("ns"))
        if session.time_to is not None:
            ok &= times <= np.datetime64(session.time_to.tz_convert(None).as_unit("ns"))
        masks.append(ok)
    if not masks:
        return None
    combined = masks[0].copy()
    for m in masks[1:]:
        combined &= m
    return combined


def utc_bound(value: pd.Timestamp | None) -> pd.Timestamp | None:
    """A time-range bound as a UTC timestamp (naive values are taken as UTC)."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
