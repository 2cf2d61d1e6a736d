"""An embedded DuckDB over a case's integrity-checked Parquet files, as one view ``rows``.

Why: a case larger than RAM cannot be a pandas frame; DuckDB scans Parquet from disk in
bounded memory. It runs in-process (no server, no network): extension autoinstall and
autoload are off and external access is limited to exactly the files registered here.

Integrity: a file is registered only when its SHA-256 (read through one open, non-link file
descriptor) equals the digest custody recorded for it. DuckDB reads the files again from
disk on every query, so the identity of each file at hashing time (device, inode, size,
mtime_ns, ctime_ns) is kept and compared before AND after every query; a query whose files
changed raises :class:`SwapAfterCheck` instead of returning rows. A rename away and back
during one query is caught because Linux file systems (ext4, xfs, btrfs) update the renamed
file's ctime. Residual risk, stated: ctime cannot be set from user space, but someone with
root (or control of the clock), or a file system that keeps ctime on rename, can make a
change that leaves every stat field as it was; then only a fresh hash
(:meth:`OutOfCoreEngine.rehash`) would notice. ``verify`` of the case re-hashes everything.

Each row gets ``_row`` = file index * 2**40 + row number in its file: the load order, a
stable row id that both engines share (``row_ids``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import duckdb

from forensics.errors import ForensicsError

#: row ids: file index in the high bits, row number in the file below
ROW_SHIFT = 40
VIEW = "rows"
ROW_ID = "_row"


class OutOfCoreError(ForensicsError):
    """The out-of-core engine cannot be used as asked."""


class IntegrityError(OutOfCoreError):
    """A Parquet file's bytes differ from its custody record (it is not used)."""


class SwapAfterCheck(IntegrityError):
    """A registered file changed on disk after it was hashed (a query was refused)."""


@dataclass(frozen=True)
class Identity:
    """What the file system says about one file; any change means other bytes may be read."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class VerifiedFile:
    path: Path
    sha256: str
    identity: Identity
    rows: int = 0


@dataclass
class Refused:
    path: Path
    reason: str


@dataclass
class OpenReport:
    """Which files were registered and which refused, and why (said to the examiner)."""

    files: list[VerifiedFile] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


def hash_verified(path: Path, expected: str) -> VerifiedFile:
    """Hash ``path`` through one descriptor (no link followed) and keep its identity.

    The identity is taken from that descriptor before and after reading: a file changed
    while being hashed is refused too."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise IntegrityError(f"{path}: cannot open ({exc.strerror or exc}); a link or unreadable file is not used") from exc
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise IntegrityError(f"{path}: not a regular file")
        digest = hashlib.sha256()
        with os.fdopen(os.dup(fd), "rb", closefd=True) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if Identity.of(before) != Identity.of(after):
        raise SwapAfterCheck(f"{path}: changed while it was being hashed")
    found = digest.hexdigest()
    if found != expected.lower():
        raise IntegrityError(f"{path}: SHA-256 {found} differs from {expected} recorded in custody (the rows were edited)")
    return VerifiedFile(Path(path), found, Identity.of(before))


def _literal(text: str) -> str:
    """A SQL string literal of one of our own file paths (DDL takes no parameters)."""
    if any(ord(c) < 32 for c in text):
        raise OutOfCoreError(f"refusing a path with control characters: {text!r}")
    return "'" + text.replace("'", "''") + "'"


class OutOfCoreEngine:
    """One DuckDB connection over verified Parquet files; every query goes through ``execute``."""

    def __init__(self, files: Sequence[VerifiedFile], report: OpenReport, threads: int | None = None,
                 memory_limit: str | None = None, spill_dir: str | os.PathLike[str] | None = None) -> None:
        self.files = list(files)
        self.report = report
        config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(":memory:", config=config)
        self.con.execute("SET enable_progress_bar = false")  # nothing written to the terminal
        # sorts and groupings larger than memory_limit spill here: a private (0700) folder of
        # our own, removed on close, never DuckDB's default ``.tmp`` in whatever the cwd is
        self._own_spill = spill_dir is None
        self.spill_dir = Path(tempfile.mkdtemp(prefix="mailbox-audit-duckdb-")) if spill_dir is None else Path(spill_dir)
        self.con.execute("SET temp_directory = ?", [str(self.spill_dir)])
        paths = [str(f.path) for f in self.files]
        if paths:
            self.con.execute("SET allowed_paths = ?", [paths])
        self.con.execute("SET enable_external_access = false")
        self.con.execute("SET lock_configuration = true")  # no later SET can widen access
        if self.files:
            parts = [
                f"SELECT * EXCLUDE (file_row_number), (CAST({i} AS BIGINT) << {ROW_SHIFT}) + file_row_number AS {ROW_ID} "
                f"FROM read_parquet({_literal(str(f.path))}, file_row_number = true)"
                for i, f in enumerate(self.files)
            ]
            for i, part in enumerate(parts):  # one file alone: fetching a page's rows reads only its files
                self.con.execute(f"CREATE TEMP VIEW part_{i} AS {part}")
            self.con.execute(f"CREATE TEMP VIEW {VIEW} AS " + " UNION ALL BY NAME ".join(parts))
            self.columns: dict[str, str] = {
                name: str(kind) for name, kind, *_ in self.con.execute(f"DESCRIBE {VIEW}").fetchall() if name != ROW_ID
            }
        else:
            self.columns = {}
        self._cache: dict[Any, Any] = {}

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, recorded: Iterable[tuple[str | os.PathLike[str], str]], **kwargs: Any) -> OutOfCoreEngine:
        """Register each (path, recorded SHA-256) whose bytes match; the rest are refused
        and listed in ``report`` (never silently dropped)."""
        report = OpenReport()
        files = []
        for path, expected in recorded:
            try:
                files.append(hash_verified(Path(path), expected))
            except IntegrityError as exc:
                report.refused.append(Refused(Path(path), str(exc)))
        report.files = files
        return cls(files, report, **kwargs)

    @classmethod
    def open_case(cls, case: Any, **kwargs: Any) -> OutOfCoreEngine:
        """Every cache file of ``case`` that custody vouches for (``cache-written`` entries).

        Note: the per-file caches hold each file's rows before identity resolution and
        correlation (``mailbox_key``/``actor_key``/``access_*`` are added at load time), and
        evidence parsed without a cache (user map folders) has no rows here."""
        from forensics.case.cache import cache_records

        records = cache_records(case.custody.entries())
        folder = Path(case.cache_dir)
        present = {p.stem for p in folder.glob("*.parquet")} if folder.is_dir() else set()
        recorded = [(folder / f"{key}.parquet", rec.parquet_sha256) for key, rec in sorted(records.items())]
        engine = cls.open([r for r in recorded if r[0].stem in present], **kwargs)
        for stem in sorted(present - set(records)):
            engine.report.refused.append(Refused(folder / f"{stem}.parquet", "no SHA-256 recorded in custody"))
        for key in sorted(set(records) - present):  # its rows are not in any answer: said, not dropped
            engine.report.refused.append(Refused(folder / f"{key}.parquet", "recorded in custody but absent"))
        return engine

    # -- guarded execution -----------------------------------------------------------------------
    def check(self) -> None:
        """Raise SwapAfterCheck when any registered file is not the file that was hashed."""
        for f in self.files:
            try:
                now = Identity.of(os.stat(f.path, follow_symlinks=False))
            except OSError as exc:
                raise SwapAfterCheck(f"{f.path}: gone since it was hashed ({exc})") from exc
            if now != f.identity:
                raise SwapAfterCheck(
                    f"{f.path}: changed on disk since its SHA-256 was checked (inode/size/mtime/ctime differ); "
                    "no result is given from it: reopen the case to check it again"
                )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Run ``sql`` with files checked before and after (a change during the scan is caught)."""
        if not self.files:
            raise OutOfCoreError("no verified Parquet file to query")
        self.check()
        cursor = self.con.execute(sql, list(params or []))
        self.check()
        return cursor

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        self.check()
        out = self.execute(sql, params).fetchall()
        self.check()  # results are materialised now: a change during fetching is caught too
        return out

    def fetch_df(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        self.check()
        out = self.execute(sql, params).df()
        self.check()
        return out

    def rehash(self) -> None:
        """Hash every file again (slow; what ``check`` cannot see, a content-only rewrite, it can)."""
        for f in self.files:
            if hash_verified(f.path, f.sha256).identity != f.identity:
                raise SwapAfterCheck(f"{f.path}: replaced since it was first checked")

    def count(self) -> int:
        return int(self.fetchall(f"SELECT count(*) FROM {VIEW}")[0][0])

    def close(self) -> None:
        self.con.close()
        if self._own_spill:
            shutil.rmtree(self.spill_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def time_span(engine: OutOfCoreEngine) -> tuple[int, int] | None:
    """(min, max) UTC ns of ``time`` over every row (cached; None when no time is recorded)."""
    if "span" not in engine._cache:
        lo, hi = engine.fetchall(f"SELECT min(epoch_ns(time)), max(epoch_ns(time)) FROM {VIEW}")[0] \
            if "time" in engine.columns else (None, None)
        engine._cache["span"] = None if lo is None else (int(lo), int(hi))
    return engine._cache["span"]


#: columns with more distinct values than this are tested row by row in SQL, not per value
MAX_DISTINCT = 200_000


def distinct_values(engine: OutOfCoreEngine, column: str) -> list[str] | None:
    """The distinct recorded values of a text column (cached), or None when there are too many.

    Why: a per-value test (``is:probe``'s patterns) then runs once per value in Python with
    the very function pandas uses, and the rows are selected by ``IN`` the matching values."""
    key = ("distinct", column)
    if key not in engine._cache:
        name = '"' + column.replace('"', '""') + '"'
        rows = engine.fetchall(f"SELECT DISTINCT {name} FROM {VIEW} WHERE {name} IS NOT NULL LIMIT ?",
                               [MAX_DISTINCT + 1])
        engine._cache[key] = None if len(rows) > MAX_DISTINCT else [str(r[0]) for r in rows]
    return engine._cache[key]
