"""401 challenges in IIS logs: the unauthenticated first try that the client's immediate
authenticated retry answers is one access, not two.

The pairing looks across the whole log (a retry may sit in the next block), but a log is
interpreted block by block while it is still being read and hashed. So each block hands
over compact integer keys of its requests (client address, verb, path and user agent as
log-wide codes), and the pairing runs once at the end on those integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics.parsers.arrowtext import Uniq

#: seconds within which a 401 followed by the same request succeeding is one access
CHALLENGE_WINDOW_S = 30


class LogCodes:
    """Log-wide integer codes for the distinct texts of one column (-1 = missing)."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def of(self, column: Uniq) -> np.ndarray:
        known = self._codes
        lookup = np.array([known.setdefault(v, len(known)) for v in column.values.to_pylist()] + [-1], dtype=np.int64)
        return lookup[column.index]


@dataclass
class RequestKeys:
    """What the pairing needs from every request of the log, block after block."""

    ip: LogCodes = field(default_factory=LogCodes)
    method: LogCodes = field(default_factory=LogCodes)
    stem: LogCodes = field(default_factory=LogCodes)
    agent: LogCodes = field(default_factory=LogCodes)
    blocks: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    rows: int = 0  # rows of the blocks before the current one
    seen_401: bool = False

    def add(self, ip: Uniq, method: Uniq, stem: Uniq, agent: Uniq, status: np.ndarray, time_ns: np.ndarray) -> int:
        """Record one block's requests; return the log-wide number of its first row.

        Requests before the log's first 401 can never answer one, so they are not kept.
        """
        first = self.rows
        self.rows += len(status)
        if not self.seen_401:
            hits = np.flatnonzero(status == 401)
            if not len(hits):
                return first
            self.seen_401 = True
        self.blocks.append((
            np.arange(first, first + len(status), dtype=np.int64), self.ip.of(ip), self.method.of(method),
            self.stem.of(stem), self.agent.of(agent), status, time_ns,
        ))
        return first

    def challenges(self) -> np.ndarray:
        """Log-wide row numbers of the 401s answered by their retry."""
        if not self.blocks:
            return np.zeros(0, dtype=np.int64)
        row, ip, method, stem, agent, status, time_ns = (np.concatenate(parts) for parts in zip(*self.blocks))
        return row[answered_401s(ip, method, stem, agent, status, time_ns)]


def answered_401s(
    ip: np.ndarray, method: np.ndarray, stem: np.ndarray, agent: np.ndarray, status: np.ndarray, time_ns: np.ndarray
) -> np.ndarray:
    """Mask of the 401s answered by the same client's same request succeeding in time.

    "Same request" = same client address, method, path and user agent; the next such line
    (in file order) that is not a 401 must be a success (< 400) within
    ``CHALLENGE_WINDOW_S`` seconds. NTLM's 401-401-200 handshakes count once as well.
    """
    n = len(status)
    result = np.zeros(n, dtype=bool)
    is401 = status == 401
    if not is401.any():
        return result
    candidates = np.flatnonzero(np.isin(ip, np.unique(ip[is401])))  # same client as some 401
    key = np.zeros(len(candidates), dtype=np.int64)
    for part in (ip, method, stem, agent):
        key = pd.factorize(key * (int(part.max(initial=0)) + 2) + part[candidates] + 1)[0].astype(np.int64)
    order = np.lexsort((candidates, key))  # by request key, then file order
    g, rows = key[order], candidates[order]
    t = time_ns[rows]
    st = status[rows]
    m = len(rows)
    pos = np.where(st != 401, np.arange(m), m)
    nxt = np.append(np.minimum.accumulate(pos[::-1])[::-1][1:], m)  # next answered after each
    safe = np.minimum(nxt, m - 1)
    ok = (nxt < m) & (g[safe] == g) & (st[safe] >= 0) & (st[safe] < 400) & (st == 401)
    delta = (t[safe] - t) / 1e9
    ok &= (delta >= 0) & (delta <= CHALLENGE_WINDOW_S)
    result[rows[ok]] = True
    return result


def time_ns_of(times: pa.Array) -> np.ndarray:
    """Nanoseconds since the epoch of a timestamp array (no nulls here: bad times are gone)."""
    return times.cast(pa.int64()).to_numpy(zero_copy_only=False)
