"""Per-file caches of parsed rows in the case folder (``cache/``).

Reopening a large case must still re-hash every evidence file (custody), but it need not
re-parse one whose content, parser, options and tool version are unchanged: its rows and
its accounting (records, skipped, warnings) are kept as Parquet + JSON, keyed by all of
those. A damaged or stale cache is ignored (the file is parsed again), never trusted.

The cache is derived data in a folder anyone can edit, so it is integrity-checked like
evidence: the SHA-256 of both files is recorded in a ``cache-written`` custody entry when
they are written and compared on every read (and by ``verify``). A cache whose bytes differ
from the record, or that has no record, is discarded and the evidence parsed again, and the
caller is told (``CacheProblem``). Files are read bounded and never through a link, and
written through an exclusive temp file and a rename (``forensics.safe_io``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from forensics import __version__, schema
from forensics.parsers.base import FileReport, MissingPeriod, ParseWarning
from forensics.safe_io import (
    MAX_CACHE_FILE, MAX_CASE_JSON, MAX_SIDE_FILE, UnsafePathError, atomic_write, read_bounded, refuse_link,
    refuse_linked_folder,
)

log = logging.getLogger(__name__)

CACHE_VERSION = 1
#: custody entry kinds that record and retire cache files
WRITTEN = "cache-written"
DISCARDED = "cache-discarded"


def _file_digest(path: str | None) -> str | None:
    if not path:
        return None
    try:  # bounded, and a FIFO or device named in options is refused rather than read forever
        return hashlib.sha256(read_bounded(path, MAX_SIDE_FILE, "identity file", follow=True)).hexdigest()
    except (OSError, UnsafePathError):
        return "unreadable"


def cache_key(sha256: str, parser: str, options: dict[str, Any]) -> str | None:
    """Everything the parsed rows depend on; None when they cannot be cached safely."""
    if options.get("maps_dir"):  # user map folders can change under us: always parse
        return None
    payload = json.dumps(
        {
            "cache": CACHE_VERSION,
            "tool": __version__,
            "columns": [f"{name}:{dtype}" for name, dtype in schema.COLUMNS.items()],
            "sha256": sha256,
            "parser": parser,
            "options": options,
            "identities": _file_digest(options.get("identities")),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@dataclass
class CachedFile:
    frame: pd.DataFrame
    report: dict[str, Any]

    def file_report(self, path: Path) -> FileReport:
        r = self.report
        report = FileReport(
            path=path,
            parser=r.get("parser", ""),
            source_format=r.get("source_format", ""),
            evidence_id=r.get("evidence_id", ""),
            records=int(r.get("records", 0)),
            accepted=int(r.get("accepted", 0)),
            rows=int(r.get("rows", 0)),
            bad=int(r.get("bad", 0)),
            warning_count=int(r.get("warning_count", 0)),
            notes=list(r.get("notes", [])),
            status="loaded",
        )
        report.skipped.update({str(k): int(v) for k, v in r.get("skipped", {}).items()})
        report.warnings = [ParseWarning(str(loc), str(msg)) for loc, msg in r.get("warnings", [])]
        report.missing = [MissingPeriod(*map(str, m)) for m in r.get("missing", []) if len(m) == 4]
        return report


@dataclass
class CacheProblem:
    """A cache that was not used because it could not be trusted (said loudly to the caller)."""

    key: str
    evidence: str  # the evidence file whose rows it held
    reason: str  # "modified" (bytes differ from the custody record), "unrecorded", "unsafe"
    message: str


@dataclass
class CacheRecord:
    """What custody recorded when a cache was written."""

    key: str
    parquet_sha256: str
    json_sha256: str
    seq: int | None


def cache_records(entries: Iterable[dict[str, Any]]) -> dict[str, CacheRecord]:
    """The cache files custody vouches for: the latest ``cache-written`` entry of each key,
    unless a later ``cache-discarded`` entry retired it."""
    records: dict[str, CacheRecord] = {}
    for entry in entries:
        key = entry.get("cache_key")
        if not isinstance(key, str):
            continue
        if entry.get("kind") == WRITTEN:
            records[key] = CacheRecord(key, str(entry.get("parquet_sha256", "")), str(entry.get("json_sha256", "")),
                                       entry.get("seq") if isinstance(entry.get("seq"), int) else None)
        elif entry.get("kind") == DISCARDED:
            records.pop(key, None)
    return records


@dataclass
class CacheRead:
    """The outcome of one cache lookup: rows to use, or the problem that stopped their use."""

    cached: CachedFile | None = None
    problem: CacheProblem | None = None
    found: dict[str, str] = field(default_factory=dict)  # SHA-256 of the files as found


class FrameCache:
    """The cache folder of one case."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.parquet", self.folder / f"{key}.json"

    def has(self, key: str | None) -> bool:
        """Whether both files of ``key`` are present (links count: they are refused on read)."""
        return key is not None and all(os.path.lexists(p) for p in self._paths(key))

    def read(self, key: str, record: CacheRecord | None, evidence: str) -> CacheRead:
        """Read a cache, checking both files against the hashes custody recorded for them.

        Each file is read once: the bytes hashed are the bytes parsed."""
        rows_path, meta_path = self._paths(key)
        out = CacheRead()
        try:
            refuse_linked_folder(self.folder, "cache folder")
            rows_raw = read_bounded(rows_path, MAX_CACHE_FILE, "cache file")
            meta_raw = read_bounded(meta_path, MAX_CASE_JSON, "cache file")
        except UnsafePathError as exc:
            out.problem = CacheProblem(key, evidence, "unsafe", f"CACHE NOT USED: {exc}; {evidence} was parsed again")
            return out
        except OSError as exc:
            log.warning("cannot read cache %s: %s", key, exc)
            return out
        out.found = {"parquet_sha256": hashlib.sha256(rows_raw).hexdigest(),
                     "json_sha256": hashlib.sha256(meta_raw).hexdigest()}
        if record is None:
            out.problem = CacheProblem(
                key, evidence, "unrecorded",
                f"CACHE NOT USED: the cached rows of {evidence} ({CACHE_DIR_NAME}/{key}.parquet) have no SHA-256 in "
                "the custody log (written by an older version, or placed there by hand); the file was parsed again",
            )
            return out
        changed = [name for name, recorded in (("parquet", record.parquet_sha256), ("json", record.json_sha256))
                   if out.found[f"{name}_sha256"] != recorded]
        if changed:
            files = " and ".join(f"{CACHE_DIR_NAME}/{key}.{name}" for name in changed)
            out.problem = CacheProblem(
                key, evidence, "modified",
                f"CACHE TAMPERED: {files} of {evidence} differ(s) from the SHA-256 recorded in custody entry "
                f"{record.seq} when the cache was written (edited afterwards); the cache was discarded and the "
                "file parsed again from the evidence",
            )
            return out
        try:
            meta = json.loads(meta_raw.decode("utf-8"))
            frame = pd.read_parquet(pa.BufferReader(rows_raw))  # zero-copy over the bytes just hashed
            if meta.get("key") != key or len(frame) != int(meta["report"].get("rows", -1)):
                raise ValueError("cache does not match its key or row count")
            frame = schema.conform(frame)
            if schema.validate(frame):
                raise ValueError("cached rows do not conform to the schema")
        except Exception as exc:  # noqa: BLE001 - a damaged cache is re-parsed, never trusted
            log.warning("ignoring damaged cache %s: %s", key, exc)
            return out
        out.cached = CachedFile(frame, meta["report"])
        return out

    def fetch(self, key: str | None, record: CacheRecord | None = None) -> CachedFile | None:
        """The cached rows of ``key`` if they match ``record`` (None without one)."""
        if key is None or not self.has(key):
            return None
        return self.read(key, record, key).cached

    def discard(self, key: str) -> None:
        """Remove both files (``unlink`` removes a link itself, never its target); nothing is
        removed through a linked cache folder."""
        if os.path.islink(self.folder):
            return
        for path in self._paths(key):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not remove cache file %s: %s", path, exc)

    def store(self, key: str | None, report: FileReport, rows: pd.DataFrame) -> dict[str, str] | None:
        """Keep a file's rows and accounting; returns the SHA-256 of both files for the
        custody record, or None when nothing was written (a full disk only costs speed)."""
        if key is None:
            return None
        rows_path, meta_path = self._paths(key)
        meta = {
            "key": key,
            "report": {
                "parser": report.parser, "source_format": report.source_format, "evidence_id": report.evidence_id,
                "records": report.records, "accepted": report.accepted, "rows": len(rows), "bad": report.bad,
                "skipped": dict(report.skipped), "warning_count": report.warning_count,
                "warnings": [[w.location, w.message] for w in report.warnings],
                "notes": [n for n in report.notes if "EVIDENCE CHANGED" not in n],
                "missing": [[m.start, m.end, m.label, m.mailbox] for m in report.missing],
            },
        }
        try:
            refuse_linked_folder(self.folder, "cache folder")
            self.folder.mkdir(parents=True, exist_ok=True)
            refuse_linked_folder(self.folder, "cache folder")
            buffer = io.BytesIO()
            rows.reset_index(drop=True).to_parquet(buffer, index=False)
            rows_raw = buffer.getvalue()
            meta_raw = json.dumps(meta).encode("utf-8")
            for path in (rows_path, meta_path):
                refuse_link(path, "cache file")
            atomic_write(rows_path, rows_raw, "cache file")
            atomic_write(meta_path, meta_raw, "cache file")
        except Exception as exc:  # noqa: BLE001
            log.warning("could not write cache %s: %s", key, exc)
            return None
        return {"parquet_sha256": hashlib.sha256(rows_raw).hexdigest(),
                "json_sha256": hashlib.sha256(meta_raw).hexdigest()}


CACHE_DIR_NAME = "cache"


@dataclass
class CacheVerification:
    """``verify``'s view of a case's caches: problems fail it, notes are informational."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return ([f"CACHE MISMATCH: {p}" for p in self.problems] + [f"cache note: {n}" for n in self.notes]
                + [f"caches: {self.checked} checked against custody, {len(self.problems)} problem(s)"])


def verify_caches(case_dir: str | os.PathLike[str], entries: Iterable[dict[str, Any]]) -> CacheVerification:
    """Check every cache file custody vouches for against its recorded SHA-256 (for ``verify``).

    A recorded cache whose bytes differ, or that became a link or a non-regular file, is a
    problem. A recorded cache that is gone, or a cache file with no record, is only a note:
    neither can be used (a reopen parses the evidence instead), so neither can change a result.
    """
    folder = Path(case_dir) / CACHE_DIR_NAME
    result = CacheVerification()
    if os.path.islink(folder):
        result.problems.append(f"{folder}: the cache folder is a symbolic link")
        return result
    records = cache_records(entries)
    for key, record in sorted(records.items()):
        for suffix, recorded in (("parquet", record.parquet_sha256), ("json", record.json_sha256)):
            path = folder / f"{key}.{suffix}"
            if not os.path.lexists(path):
                result.notes.append(f"{CACHE_DIR_NAME}/{key}.{suffix} recorded in custody entry {record.seq} is absent")
                continue
            result.checked += 1
            try:
                found = hashlib.sha256(read_bounded(path, MAX_CACHE_FILE if suffix == "parquet" else MAX_CASE_JSON,
                                                    "cache file")).hexdigest()
            except (UnsafePathError, OSError) as exc:
                result.problems.append(f"{CACHE_DIR_NAME}/{key}.{suffix}: {exc}")
                continue
            if found != recorded:
                result.problems.append(
                    f"{CACHE_DIR_NAME}/{key}.{suffix}: SHA-256 {found} differs from {recorded} recorded in custody "
                    f"entry {record.seq} (the cached rows were edited)"
                )
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix in (".parquet", ".json") and path.stem not in records:
                result.notes.append(f"{CACHE_DIR_NAME}/{path.name} has no record in custody: it will not be used")
    return result
