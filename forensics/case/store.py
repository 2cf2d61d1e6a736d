"""A case is a folder: ``case.json`` (what was examined, how, and what the examiner noted),
the hash-chained custody log, and caches. This module creates, opens, saves and reloads it.

``case.json`` also stores the custody log's head (entry count + hash of the last entry) at
each save, so a log whose tail was cut off — which the hash chain alone cannot reveal — is
detected on the next open.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from forensics import schema
from forensics.aggregate.expected import ExpectedAccess
from forensics.case import verification
from forensics.case.cache import FrameCache, cache_key
from forensics.case.bookmarks import BookmarkBook
from forensics.case.review import CaseReview
from forensics.case.model import CASE_FORMAT, CASE_VERSION, Bookmark, EvidenceEntry, SavedQuery, now_stamp
from forensics.case.verification import EvidenceCheck
from forensics.custody.hashing import FileHashes, hash_file
from forensics.custody.history import FileHistory
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, ForensicsError, LoadCancelled
from forensics.ingest import EvidenceSource, LoadResult, ProgressCallback, load_evidence
from forensics.parsers.base import FileReport, LoadOptions
from forensics.parsers.iis_rollover import note_gap, refresh_gap_notes, rollover_gaps

CASE_FILE = "case.json"
CACHE_DIR = "cache"


class CaseError(ForensicsError):
    """A case folder cannot be created, read or written."""


@dataclass
class CaseLoad:
    """Everything a reload of the case produced, for the GUI's session and the next report."""

    frame: pd.DataFrame
    files: list[FileReport] = field(default_factory=list)
    sources: dict[str, EvidenceSource] = field(default_factory=dict)
    checks: list[EvidenceCheck] = field(default_factory=list)

    @property
    def problems(self) -> list[EvidenceCheck]:
        return [c for c in self.checks if c.problem]


class Case(CaseReview):
    """One investigation's persistent state. Not thread-safe: one writer (GUI or CLI) at a time.
    Findings review (expected-access marks, work hours) comes from ``CaseReview``."""

    def __init__(self, folder: str | os.PathLike[str], *, name: str, examiner: str = "") -> None:
        self.folder = Path(folder).resolve()
        self.name = name
        self.number = ""
        self.examiner = examiner
        self.created = now_stamp()
        self.display_tz = "UTC"
        self.evidence: list[EvidenceEntry] = []
        self.queries: list[SavedQuery] = []
        self.current_query = ""
        self.current_filters: dict[str, Any] = {}  # the grid's quick filters etc. beside current_query
        self.bookmarks = BookmarkBook()
        self.notes = ""
        self.expected: list[ExpectedAccess] = []  # the examiner's review marks on findings pairs
        self.work_hours_text = ""  # WorkHours.to_text() of the case's work hours, "" = none set
        self.custody = CustodyLog(self.folder, examiner=examiner or None)
        #: problems found when the case was opened (custody log edited or truncated)
        self.integrity_problems: list[str] = []
        #: evidence checks from the last reload (shown until the next one)
        self.last_checks: list[EvidenceCheck] = []
        #: custody history per evidence path, read at the start of a reload (the hash baseline)
        self._found: dict[str, FileHistory] | None = None

    # -- files ----------------------------------------------------------------------------
    @property
    def case_file(self) -> Path:
        return self.folder / CASE_FILE

    @property
    def cache_dir(self) -> Path:
        return self.folder / CACHE_DIR

    @staticmethod
    def is_case(folder: str | os.PathLike[str]) -> bool:
        return (Path(folder) / CASE_FILE).is_file()

    @classmethod
    def create(
        cls,
        folder: str | os.PathLike[str],
        name: str,
        *,
        number: str = "",
        examiner: str = "",
        display_tz: str = "UTC",
    ) -> "Case":
        """Start a new case in an empty or new folder (never overwrites an existing case)."""
        folder = Path(folder)
        if cls.is_case(folder):
            raise CaseError(f"{folder}: already holds a case (open it instead)")
        if folder.exists() and not folder.is_dir():
            raise CaseError(f"{folder}: is a file, not a folder")
        case = cls(folder, name=name or folder.name, examiner=examiner)
        case.number = number
        case.display_tz = display_tz
        try:
            case.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CaseError(f"cannot create case folder {folder}: {exc.strerror or exc}") from exc
        adopted = case.adopt_custody_evidence()
        case.custody.append("case-created", case_name=case.name, case_number=number,
                            evidence_from_custody=len(adopted) or None)
        case.save()
        return case

    @classmethod
    def open(cls, folder: str | os.PathLike[str], *, examiner: str = "") -> "Case":
        """Read ``case.json`` and check the custody log (chain and recorded head)."""
        folder = Path(folder)
        path = folder / CASE_FILE
        if not path.is_file():
            raise CaseError(f"{folder}: not a case folder (no {CASE_FILE})")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise CaseError(f"cannot read {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise CaseError(f"{path}: not valid JSON (line {exc.lineno}): the case file is damaged") from exc
        if not isinstance(data, dict) or data.get("format") != CASE_FORMAT:
            raise CaseError(f"{path}: not a Mailbox Audit case file")
        case = cls(folder, name=str(data.get("name", folder.name)), examiner=examiner or data.get("examiner", ""))
        case._load_dict(data)
        case.integrity_problems = case._check_custody(data.get("custody_head"))
        case.custody.append(
            "case-opened",
            case_name=case.name,
            custody_problems=case.integrity_problems or None,
        )
        return case

    @classmethod
    def open_or_create(
        cls, folder: str | os.PathLike[str], *, name: str = "", examiner: str = "", number: str = ""
    ) -> "Case":
        if cls.is_case(folder):
            return cls.open(folder, examiner=examiner)
        return cls.create(folder, name or Path(folder).resolve().name, examiner=examiner, number=number)

    def _load_dict(self, data: dict[str, Any]) -> None:
        try:
            self.number = str(data.get("number", ""))
            self.created = str(data.get("created", ""))
            self.display_tz = str(data.get("display_tz", "UTC"))
            self.evidence = [EvidenceEntry.from_dict(e) for e in data.get("evidence", [])]
            self.queries = [SavedQuery.from_dict(q) for q in data.get("queries", [])]
            self.current_query = str(data.get("current_query", ""))
            self.current_filters = dict(data.get("current_filters") or {})
            self.bookmarks = BookmarkBook(Bookmark.from_dict(b) for b in data.get("bookmarks", []))
            self.notes = str(data.get("notes", ""))
            self.expected = [ExpectedAccess.from_dict(m) for m in data.get("expected_access", [])]
            self.work_hours_text = str(data.get("work_hours", "") or "")
        except (TypeError, AttributeError) as exc:
            raise CaseError(f"{self.case_file}: damaged case file ({exc})") from exc

    def to_dict(self) -> dict[str, Any]:
        lines = self.custody.lines()
        return {
            "format": CASE_FORMAT,
            "version": CASE_VERSION,
            "name": self.name,
            "number": self.number,
            "examiner": self.examiner,
            "created": self.created,
            "saved": now_stamp(),
            "display_tz": self.display_tz,
            "evidence": [asdict(e) for e in self.evidence],
            "queries": [asdict(q) for q in self.queries],
            "current_query": self.current_query,
            "current_filters": self.current_filters,
            "bookmarks": [b.to_dict() for b in self.bookmarks],
            "notes": self.notes,
            "expected_access": [m.to_dict() for m in self.expected],
            "work_hours": self.work_hours_text,
            "custody_head": self.custody.signed_head(lines),  # signed: a rewritten head shows
        }

    def save(self) -> None:
        """Write case.json atomically (a crash never leaves half a case file)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        tmp = self.case_file.with_name(CASE_FILE + ".tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text + "\n", encoding="utf-8")
            os.replace(tmp, self.case_file)
        except OSError as exc:
            raise CaseError(f"cannot save {self.case_file}: {exc.strerror or exc}") from exc

    def _check_custody(self, head: Any) -> list[str]:
        """Chain, signatures, custody.head.json, and the head case.json recorded at its last save."""
        return self.custody.verify_chain(recorded_head=head, where=f"{CASE_FILE} (custody_head)")

    # -- evidence -------------------------------------------------------------------------
    def evidence_ids(self) -> set[str]:
        return {e.evidence_id for e in self.evidence}

    def record_files(self, files: Iterable[FileReport], options: LoadOptions) -> list[EvidenceEntry]:
        """Add every hashed file of a load to the evidence list (once per path and content)."""
        known = {(e.path, e.sha256) for e in self.evidence}
        added = []
        for report in files:
            if report.hashes is None:  # never opened: nothing to record
                continue
            path = str(Path(report.path).resolve())
            if (path, report.hashes.sha256) in known:
                continue
            try:
                relative = os.path.relpath(path, self.folder)
            except ValueError:  # another drive on Windows
                relative = None
            entry = EvidenceEntry(
                path=path,
                evidence_id=report.evidence_id or report.hashes.sha256[:16],
                sha256=report.hashes.sha256,
                sha1=report.hashes.sha1,
                md5=report.hashes.md5,
                size=report.hashes.size,
                mtime=float(report.mtime or 0.0),
                parser=report.parser,
                options=options.as_dict(),
                relative=relative,
                added=now_stamp(),
                added_by=self.custody.examiner,
            )
            self.evidence.append(entry)
            known.add((path, entry.sha256))
            added.append(entry)
        return added

    def adopt_custody_evidence(self) -> list[EvidenceEntry]:
        """Record the evidence a custody log already in the folder lists (e.g. from
        ``mailbox-audit load --case DIR``), so a case made later covers that evidence."""
        latest: dict[str, dict[str, Any]] = {}
        for entry in self.custody.entries():
            if entry.get("kind") == "evidence-opened" and entry.get("sha256") and entry.get("path"):
                if entry.get("status") in ("loaded", "duplicate", None):
                    latest.setdefault(entry["path"], entry)  # the first (acquisition) hash
        known = {(e.path, e.sha256) for e in self.evidence}
        adopted = []
        for path, entry in latest.items():
            if (path, entry["sha256"]) in known:
                continue
            try:
                mtime = datetime.fromisoformat(str(entry.get("mtime", "")).replace("Z", "+00:00")).timestamp()
            except ValueError:
                mtime = 0.0
            try:
                relative = os.path.relpath(path, self.folder)
            except ValueError:
                relative = None
            record = EvidenceEntry(
                path=path, evidence_id=entry.get("evidence_id") or entry["sha256"][:16], sha256=entry["sha256"],
                sha1=entry.get("sha1", ""), md5=entry.get("md5", ""), size=int(entry.get("size", 0)),
                mtime=mtime, parser=entry.get("parser", ""), options=dict(entry.get("options") or {}),
                relative=relative, added=str(entry.get("time", "")), added_by=str(entry.get("examiner", "")),
            )
            self.evidence.append(record)
            adopted.append(record)
        return adopted

    def add_evidence(
        self,
        paths: Sequence[str | os.PathLike[str]],
        options: LoadOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: Callable[[], bool] | None = None,
        already_loaded: Iterable[str] = (),
    ) -> LoadResult:
        """Load new evidence into the case; content already loaded is not loaded twice."""
        options = options or LoadOptions()
        result = load_evidence(
            paths,
            options=options,
            custody=self.custody,
            progress=progress,
            cancel=cancel,
            already_loaded=already_loaded,
        )
        self.record_files(result.files, options)
        self.remember_rows(result, options)
        return result

    def quick_checks(self) -> list[EvidenceCheck]:
        """Instant size/mtime look at every evidence file (before the re-hash)."""
        return [verification.quick_check(e, self.folder) for e in self.evidence]

    def load(
        self,
        *,
        progress: ProgressCallback | None = None,
        cancel: Callable[[], bool] | None = None,
        use_cache: bool = True,
    ) -> CaseLoad:
        """Reload every evidence file with its recorded options and judge each against its
        recorded hashes; problems are logged in custody. Every file is re-hashed; one whose
        parsed rows are cached (same content, parser, options, tool) is not parsed again."""
        quick = self.quick_checks()
        self._found = self.custody.histories()  # the baseline: first recorded hashes, not case.json
        checks: dict[int, EvidenceCheck] = {}
        groups: dict[str, list[tuple[int, Path]]] = {}
        frames: list[pd.DataFrame] = []
        out = CaseLoad(frame=schema.empty_frame())
        seen: set[str] = set()
        present = [(e, c) for e, c in zip(self.evidence, quick)
                   if c.status not in (verification.MISSING, verification.UNREADABLE)]
        gaps = rollover_gaps(c.path for e, c in present if e.parser == "iis")  # for cached files' custody entries
        for index, (entry, check) in enumerate(zip(self.evidence, quick)):
            if check.status in (verification.MISSING, verification.UNREADABLE):
                checks[index] = check
                continue
            if use_cache and self._load_cached(index, check.path, checks, out, frames, seen, cancel, gaps):
                continue
            key = json.dumps(entry.options, sort_keys=True, default=str)
            groups.setdefault(key, []).append((index, check.path))
        for members in groups.values():
            options = self.evidence[members[0][0]].load_options()
            result = load_evidence(
                [path for _, path in members],
                options=options,
                custody=self.custody,
                progress=progress,
                cancel=cancel,
                already_loaded=seen,
            )
            for (index, path), report in zip(members, result.files):
                entry = self.evidence[index]
                if report.hashes is None:
                    checks[index] = EvidenceCheck(
                        entry, verification.UNREADABLE, path, report.error or "could not be read"
                    )
                else:
                    checks[index] = self._compare(entry, path, report.hashes)
            self.remember_rows(result, options)
            out.files.extend(result.files)
            out.sources.update(result.sources)
            seen |= set(result.sources)
            frames.append(result.frame)
        out.checks = [checks[i] for i in range(len(self.evidence))]
        out.frame = schema.concat(frames)
        refresh_gap_notes(out.files)  # over the whole case: cached notes may be from a smaller set
        self._annotate(out)
        for check in out.problems:
            self._log_mismatch(check)
        self.last_checks = out.checks
        return out

    # -- caches ---------------------------------------------------------------------------
    @property
    def frame_cache(self) -> FrameCache:
        return FrameCache(self.cache_dir)

    def remember_rows(self, result: LoadResult, options: LoadOptions) -> None:
        """Cache the rows of every file a load parsed, for a fast reopen."""
        cache = self.frame_cache
        evidence = result.frame["evidence"].astype("string") if len(result.frame) else None
        for report in result.files:
            if report.status != "loaded" or report.hashes is None:
                continue
            key = cache_key(report.hashes.sha256, report.parser, options.as_dict())
            if key is None or cache.has(key):
                continue
            rows = result.frame[(evidence == report.evidence_id).fillna(False).to_numpy()] if evidence is not None \
                else result.frame.iloc[0:0]
            cache.store(key, report, rows)

    def _load_cached(
        self,
        index: int,
        path: Path,
        checks: dict[int, EvidenceCheck],
        out: CaseLoad,
        frames: list[pd.DataFrame],
        seen: set[str],
        cancel: Callable[[], bool] | None,
        gaps: dict[Path, str],
    ) -> bool:
        """Use the cached rows of evidence ``index`` if its fresh full hash still matches."""
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
        cached = cache.fetch(key)
        if cached is None:
            return False
        report = cached.file_report(path)
        report.hashes, report.mtime = hashes, mtime
        report.first_time, report.last_time = schema.time_span(cached.frame)
        report.evidence_id = entry.evidence_id
        note_gap(report, gaps)  # the cached note was the gap among the files of an earlier load
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

    @staticmethod
    def _annotate(out: CaseLoad) -> None:
        """Make problems loud where files are listed (Evidence dock, CLI summaries): a
        modified file gets a note, a missing or unreadable one a failed file report."""
        reports = {str(Path(f.path).resolve()): f for f in out.files}
        for check in out.problems:
            report = reports.get(str(Path(check.path).resolve()))
            text = f"{check.status} since it was added to the case: {check.message}"
            if report is None:
                report = FileReport(path=Path(check.path), status="failed", error=text,
                                    evidence_id=check.entry.evidence_id, parser=check.entry.parser)
                out.files.append(report)
            elif check.status == verification.MODIFIED and not any("EVIDENCE CHANGED" in n for n in report.notes):
                report.notes.append("EVIDENCE CHANGED: " + text)

    def _log_mismatch(self, check: EvidenceCheck) -> None:
        if check.status not in verification.LOGGED:  # already in the log, or about case.json
            return
        self.custody.append(
            "evidence-mismatch",
            path=str(check.path),
            evidence_id=check.entry.evidence_id,
            status=check.status,
            recorded_sha256=check.entry.sha256,
            current_sha256=check.current.sha256 if check.current else None,
            message=check.message,
        )

    def rehash_all(self) -> list[EvidenceCheck]:
        """Full re-hash of every evidence file without parsing (for reports and Verify)."""
        found = self.custody.histories()
        checks = [verification.rehash(e, self.folder, found) for e in self.evidence]
        for check in checks:
            if check.problem:
                self._log_mismatch(check)
        self.last_checks = checks
        return checks

    def acknowledge_mismatch(self, entry: int, reason: str) -> dict[str, Any]:
        """The examiner's explicit, logged acknowledgement of a custody mismatch entry
        (``CustodyLog.acknowledge``); reports print it and ``verify`` then accepts it."""
        return self.custody.acknowledge(entry, reason)

    # -- queries and notes ----------------------------------------------------------------
    def save_query(self, name: str, text: str, toggles: dict[str, Any] | None = None) -> SavedQuery:
        """Save (or replace by name) a query the examiner wants to come back to."""
        self.queries = [q for q in self.queries if q.name != name]
        query = SavedQuery(name=name, text=text, toggles=dict(toggles or {}), created=now_stamp())
        self.queries.append(query)
        return query
