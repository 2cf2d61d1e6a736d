"""Reading a case's evidence rows back from the integrity-checked frame cache, and writing
them there after a parse.

Every cached file is still fully re-hashed; its cache files are used only while they match
the SHA-256 custody recorded when they were written (``forensics.case.cache``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forensics import schema
from forensics.case import verification
from forensics.case.cache import DISCARDED, WRITTEN, CacheRecord, FrameCache, cache_key, cache_records
from forensics.case.model import EvidenceEntry
from forensics.case.verification import EvidenceCheck
from forensics.custody.hashing import FileHashes, hash_file
from forensics.custody.history import FileHistory
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, LoadCancelled
from forensics.ingest import EvidenceSource, LoadResult
from forensics.parsers.base import LoadOptions
from forensics.parsers.setchecks import PlannedChecks

if TYPE_CHECKING:
    from forensics.case.store import CaseLoad


class CaseCachedLoad:
    """Mixed into ``Case``: it provides ``evidence``, ``custody``, ``cache_dir``,
    ``cache_warnings`` and ``_found`` (the custody hash baseline of the current reload)."""

    evidence: list[EvidenceEntry]
    custody: CustodyLog
    cache_warnings: list[str]
    _found: dict[str, FileHistory] | None
    cache_dir: Path  # a property of Case

    @property
    def frame_cache(self) -> FrameCache:
        return FrameCache(self.cache_dir)

    def remember_rows(self, result: LoadResult, options: LoadOptions) -> None:
        """Cache the rows of every file a load parsed, for a fast reopen."""
        cache = self.frame_cache
        evidence = result.frame["evidence"].astype("string") if len(result.frame) else None
        records = None
        for report in result.files:
            if report.status != "loaded" or report.hashes is None:
                continue
            key = cache_key(report.hashes.sha256, report.parser, options.as_dict())
            if key is None:
                continue
            if cache.has(key):
                records = cache_records(self.custody.entries()) if records is None else records
                if key in records:
                    continue  # recorded; checked when read
                cache.discard(key)  # unrecorded files are never trusted: replace them
            rows = result.frame[(evidence == report.evidence_id).fillna(False).to_numpy()] if evidence is not None \
                else result.frame.iloc[0:0]
            digests = cache.store(key, report, rows)
            if digests is not None:  # the record every later read is checked against
                self.custody.append(WRITTEN, cache_key=key, evidence_id=report.evidence_id, path=str(Path(report.path).resolve()),
                                    rows=len(rows), **digests)

    def _load_cached(
        self,
        index: int,
        path: Path,
        checks: dict[int, EvidenceCheck],
        out: CaseLoad,
        frames: list[pd.DataFrame],
        seen: set[str],
        cancel: Callable[[], bool] | None,
        gaps: PlannedChecks,
        records: dict[str, CacheRecord],
    ) -> bool:
        """Use the cached rows of evidence ``index`` if its fresh full hash still matches and
        both cache files still match the SHA-256 custody recorded when they were written."""
        entry = self.evidence[index]
        key = cache_key(entry.sha256, entry.parser, entry.options)
        cache = self.frame_cache
        if not cache.has(key):
            return False
        if cancel is not None and cancel():
            self.custody.append("load-cancelled", path=str(path), note="load cancelled by the user; no rows from this load were kept")
            raise LoadCancelled(f"load cancelled while reading {path.name}")
        try:
            hashes = hash_file(path)  # the full re-hash is never skipped
            mtime = path.stat().st_mtime
        except (EvidenceError, OSError):
            return False
        if hashes.sha256 != entry.sha256:
            return False  # modified: parse it for real (and report the mismatch)
        read = cache.read(key, records.get(key), path.name)
        if read.problem is not None:
            out.cache_problems.append(read.problem)
            self.custody.append(
                DISCARDED, cache_key=key, evidence_id=entry.evidence_id, path=str(path.resolve()), reason=read.problem.reason,
                message=read.problem.message, recorded_entry=records[key].seq if key in records else None,
                recorded_parquet_sha256=records[key].parquet_sha256 if key in records else None,
                recorded_json_sha256=records[key].json_sha256 if key in records else None, **read.found,
            )
            cache.discard(key)
            records.pop(key, None)
            return False
        cached = read.cached
        if cached is None:
            return False
        report = cached.file_report(path)
        report.hashes, report.mtime = hashes, mtime
        report.first_time, report.last_time = schema.time_span(cached.frame)
        report.evidence_id = entry.evidence_id
        gaps.note(report)  # the cached note was the gap among the files of an earlier load
        if entry.evidence_id in seen:
            report.status = "duplicate"
            report.notes.append("same content already loaded; rows not added again")
        record = self.custody.record_open(
            path, hashes, mtime, evidence_id=entry.evidence_id, parser=report.parser, options=entry.options,
            status=report.status, records=report.records, rows=report.rows, bad_records=report.bad,
            skipped=dict(report.skipped), warnings=report.warning_count, error=None, notes=report.notes or None,
            rows_from=report.first_time or None, rows_to=report.last_time or None, rows_from_cache=True,
        )
        report.custody_seq = record["seq"]
        if report.status == "loaded":
            frame = cached.frame
            frame["evidence"] = schema.constant_category(entry.evidence_id, len(frame))
            frames.append(frame)
            out.sources[entry.evidence_id] = EvidenceSource(entry.evidence_id, path.resolve(), report.parser)
            seen.add(entry.evidence_id)
        out.files.append(report)
        checks[index] = self._compare(entry, path, hashes)
        return True

    def _compare(self, entry: EvidenceEntry, path: Path, hashes: FileHashes) -> EvidenceCheck:
        return verification.compare(entry, path, hashes, verification.history_for(entry, path, self._found))

    def _note_cache_problems(self, out: CaseLoad) -> None:
        """Put each cache problem on the file it concerns (Evidence dock, reports) and keep
        them for the caller (``cache_warnings``)."""
        self.cache_warnings = out.warnings
        if not out.cache_problems:
            return
        by_name: dict[str, list[str]] = {}
        for problem in out.cache_problems:
            by_name.setdefault(problem.evidence, []).append(problem.message)
        for report in out.files:
            for message in by_name.get(Path(report.path).name, []):
                if message not in report.notes:
                    report.notes.append(message)
