"""Split a stream of JSON text into its records, a block at a time, in bounded memory.

Why not ``json.load`` of the file: a Management Activity API dump is one JSON array of up
to millions of records (hundreds of MB); held whole and decoded into Python objects it
would take several times its size. Why not a Python tokenizer (``ijson``): one call per
token is slower than our parser's whole budget. Here numpy finds the structural bytes of
a block (quotes not escaped by an odd run of backslashes, brackets outside strings), and
the records are the objects that open at a given nesting depth: 0 for concatenated
(pretty-printed) objects, 1 for the elements of a top-level array (several arrays one
after another too), 2 for the ``value`` array of a Microsoft Graph page. The block is cut
after its last complete record; the rest is carried into the next block. A record longer
than ``MAX_RECORD`` bytes (a real one is a few KB) stops the split: damaged input cannot
make it hold the file.

JSON lines (one record per line) do not need this: ``lines`` cuts at line breaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

MAX_RECORD = 1 << 24  # bytes of one record (same bound as one CSV record: csvtable.MAX_RECORD)

_STRUCT = np.zeros(256, dtype=bool)
for _c in b'"\\{}[]':
    _STRUCT[_c] = True
_SPACE = np.zeros(256, dtype=bool)
for _c in b" \t\r\n,[]":
    _SPACE[_c] = True
_QUOTE, _BACKSLASH = ord('"'), ord("\\")


@dataclass
class Piece:
    """Whole records of one block: ``payload`` holds them one per line (line breaks outside
    strings blanked), ``spans`` their (start, end) offsets in the block, ``junk`` the text of
    values between records that are not objects (``null``, numbers, strings)."""

    payload: bytes
    spans: list[tuple[int, int]]
    junk: list[str] = field(default_factory=list)


@dataclass
class Split:
    """Result of splitting one buffer: its complete records and where the unconsumed rest begins."""

    piece: Piece
    rest: int  # first byte not consumed: just after the last complete record (0 if none)
    unfinished: int | None = None  # offset of a record that opens but does not close in ``buf``


def split(buf: bytes, depth: int, start_depth: int, final: bool, check_gaps: bool = True) -> Split:
    """Records (objects opening at nesting ``depth``) of ``buf``, which begins outside any
    string at nesting ``start_depth``. With ``final``, nothing follows ``buf``."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    pos = np.flatnonzero(_STRUCT[arr])
    ch = arr[pos]
    quotes = pos[ch == _QUOTE]
    slashes = pos[ch == _BACKSLASH]
    if len(slashes) and len(quotes):
        run_first = np.r_[True, np.diff(slashes) != 1]
        run_start = np.maximum.accumulate(np.where(run_first, slashes, 0))
        k = np.minimum(np.searchsorted(slashes, quotes - 1), len(slashes) - 1)
        hit = slashes[k] == quotes - 1
        escaped = hit & (((quotes - 1) - run_start[k] + 1) % 2 == 1)
        quotes = quotes[~escaped]
    brackets = pos[(ch != _QUOTE) & (ch != _BACKSLASH)]
    brackets = brackets[np.searchsorted(quotes, brackets) % 2 == 0]  # an even number of quotes before it
    kind = arr[brackets]
    delta = np.where((kind == ord("{")) | (kind == ord("[")), 1, -1)
    after = start_depth + np.cumsum(delta)
    before = after - delta
    opens = brackets[(before == depth) & (kind == ord("{"))]
    ends = brackets[(after == depth) & (kind == ord("}"))]
    n = min(len(opens), len(ends))
    starts = opens[:n]
    ends = ends[:n]
    rest = int(ends[-1]) + 1 if n else 0
    unfinished = int(opens[n]) if len(opens) > n else None
    junk: list[str] = []
    if check_gaps:
        tail = (unfinished if unfinished is not None else len(buf)) if final else None
        junk = _junk(arr, starts, ends, tail, buf)
    text = arr.copy()
    breaks = np.flatnonzero((arr == 10) | (arr == 13))
    if len(breaks):  # line breaks outside strings become spaces: one record per line
        text[breaks[np.searchsorted(quotes, breaks) % 2 == 0]] = 32
    blob = text.tobytes()
    spans = list(zip(starts.tolist(), (ends + 1).tolist()))
    payload = b"\n".join(blob[s:e] for s, e in spans) + (b"\n" if spans else b"")
    return Split(Piece(payload, spans, junk), rest, unfinished)


def _junk(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, tail: int | None, buf: bytes) -> list[str]:
    """Values between records that are not objects (``null``, numbers, strings): the caller
    counts each as a bad record. Gaps before each record, and with ``tail`` the end's."""
    gap_from = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if len(ends) else np.zeros(0, dtype=np.int64)
    gap_to = starts.astype(np.int64)
    if tail is not None:
        gap_from = np.concatenate((gap_from, [ends[-1] + 1 if len(ends) else 0])).astype(np.int64)
        gap_to = np.concatenate((gap_to, [tail])).astype(np.int64)
    # only the gap bytes are looked at (a cumulative sum over the whole block cost 3 s per 200 MB)
    lengths = np.maximum(gap_to - gap_from, 0)
    counts = np.zeros(len(lengths), dtype=np.int64)
    total = int(lengths.sum())
    if total:
        first = np.cumsum(lengths) - lengths
        index = np.repeat(gap_from - first, lengths) + np.arange(total)
        significant = (~_SPACE[arr[index]]).astype(np.int64)
        filled = np.flatnonzero(lengths)
        counts[filled] = np.add.reduceat(significant, first[filled])
    found: list[str] = []
    for i in np.flatnonzero(counts > 0).tolist():
        text = buf[int(gap_from[i]) : int(gap_to[i])].decode("utf-8", "replace")
        for token in text.replace("[", ",").replace("]", ",").split(","):
            if token.strip():
                found.append(token.strip()[:120])
    return found


def line_spans(part: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end offsets and 0-based line index of the non-blank lines of ``part`` (which
    ends with a line break)."""
    arr = np.frombuffer(part, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    begin = np.concatenate(([0], nl[:-1] + 1))
    end = nl.copy()
    cr = (end > begin) & (arr[np.maximum(end - 1, 0)] == 13)
    end = end - cr
    blank = end <= begin
    if blank.sum() < len(blank):  # lines of only spaces/tabs are blank too
        short = np.flatnonzero(~blank & (end - begin <= 4))
        for i in short.tolist():
            if not part[begin[i] : end[i]].strip():
                blank[i] = True
    keep = np.flatnonzero(~blank)
    return begin[keep], end[keep], keep


def blocks_of_records(stream: Iterator[bytes], depth: int, check_gaps: bool = True) -> Iterator[tuple[Piece, int, str]]:
    """Split a byte stream into pieces of whole records. Yields ``(piece, offset of the piece's
    buffer in the stream, trouble)``; trouble is "" or, last, ``"overflow"`` (a record longer
    than ``MAX_RECORD``: the rest is not read) or ``"truncated"`` (the stream ends inside one)."""
    carry = b""
    offset = 0
    start_depth = 0
    for data in stream:
        buf = carry + data if carry else data
        result = split(buf, depth, start_depth, final=False, check_gaps=check_gaps)
        yield result.piece, offset, ""
        if result.rest:
            start_depth = depth
        if len(buf) - result.rest > MAX_RECORD:
            yield Piece(b"", []), offset + result.rest, "overflow"
            return
        carry = buf[result.rest :]
        offset += result.rest
    result = split(carry, depth, start_depth, final=True, check_gaps=check_gaps)
    yield result.piece, offset, ""
    if result.unfinished is not None:
        yield Piece(b"", []), offset + result.unfinished, "truncated"
