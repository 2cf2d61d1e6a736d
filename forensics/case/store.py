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
from forensics.case import membership, verification
from forensics.case.cache import CacheProblem, cache_records
from forensics.case.bookmarks import BookmarkBook
from forensics.case.cached_load import CaseCachedLoad
from forensics.case.evidence_places import CaseEvidencePlaces
from forensics.case.format_rules import CaseFormatting, FormatRule
from forensics.case.review import CaseReview
from forensics.case.model import CASE_FORMAT, CASE_VERSION, Bookmark, EvidenceEntry, SavedQuery, now_stamp
from forensics.case.validate import case_problems
from forensics.case.verification import EvidenceCheck
from forensics.correlate import Correlation, correlate_files
from forensics.custody.history import FileHistory
from forensics.custody.log import CustodyLog
from forensics.errors import ForensicsError
from forensics.ingest import EvidenceSource, LoadResult, ProgressCallback, load_evidence
from forensics.parsers.base import FileReport, LoadOptions
from forensics.parsers.setchecks import plan_checks, refresh_checks
from forensics.containers.ingest import CONTAINER_PARSER
from forensics.safe_io import MAX_CASE_JSON, UnsafePathError, atomic_write, read_bounded

CASE_FILE = "case.json"
CACHE_DIR = "cache"


class CaseError(ForensicsError):
    """A case folder cannot be created, read or written."""


class CaseFileInvalid(CaseError):
    """``case.json`` parsed but fails validation; ``problems`` has one line per problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: damaged case file ({len(problems)} problem(s)):\n  " + "\n  ".join(problems))


def read_case_file(folder: Path) -> dict[str, Any]:
    """Read and validate ``case.json``: bounded, never through a link, never a crash.

    A case folder may come from someone else, so a link, a FIFO, a huge or deeply nested
    file and every wrongly typed field end in a ``CaseError`` naming the problem.
    """
    path = folder / CASE_FILE
    if not os.path.lexists(path):
        raise CaseError(f"{folder}: not a case folder (no {CASE_FILE})")
    try:
        raw = read_bounded(path, MAX_CASE_JSON, CASE_FILE)
        data = json.loads(raw.decode("utf-8"))
    except UnsafePathError as exc:
        raise CaseError(str(exc)) from exc
    except OSError as exc:
        raise CaseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CaseError(f"{path}: not UTF-8 text (byte {exc.start}): the case file is damaged") from exc
    except json.JSONDecodeError as exc:
        raise CaseError(f"{path}: not valid JSON (line {exc.lineno}): the case file is damaged") from exc
    except RecursionError as exc:
        raise CaseError(f"{path}: nested too deeply to be a case file: the case file is damaged") from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise CaseError(f"{path}: holds a value that cannot be read ({exc}): the case file is damaged") from exc
    problems = case_problems(data)
    if problems:
        raise CaseFileInvalid(path, problems)
    return data


@dataclass
class CaseLoad:
    """Everything a reload of the case produced, for the GUI's session and the next report."""

    frame: pd.DataFrame
    files: list[FileReport] = field(default_factory=list)
    sources: dict[str, EvidenceSource] = field(default_factory=dict)
    checks: list[EvidenceCheck] = field(default_factory=list)
    #: caches not used because they could not be trusted (tampered, unrecorded, links)
    cache_problems: list[CacheProblem] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What the Evidence dock, the CLI and reports say about this load beyond per-file notes."""
        return [p.message for p in self.cache_problems]

    @property
    def cache_tampered(self) -> bool:
        return any(p.reason in ("modified", "unsafe") for p in self.cache_problems)
    correlation: Correlation | None = None  # the same access across sources (forensics.correlate)

    @property
    def problems(self) -> list[EvidenceCheck]:
        return [c for c in self.checks if c.problem]


class Case(CaseReview, CaseFormatting, CaseEvidencePlaces, CaseCachedLoad):
    """One investigation's persistent state. Not thread-safe: one writer (GUI or CLI) at a time.
    Findings review (expected-access marks, work hours) comes from ``CaseReview``, the
    examiner's highlight rules from ``CaseFormatting``, where evidence may be opened from
    ``CaseEvidencePlaces``, and reading rows back from the checked cache ``CaseCachedLoad``."""

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
        self.format_rules: list[FormatRule] = []  # the examiner's highlight rules, first wins
        self.notes = ""
        self.expected: list[ExpectedAccess] = []  # the examiner's review marks on findings pairs
        self.work_hours_text = ""  # WorkHours.to_text() of the case's work hours, "" = none set
        self.custody = CustodyLog(self.folder, examiner=examiner or None)
        #: problems found when the case was opened (custody log edited or truncated)
        self.integrity_problems: list[str] = []
        #: evidence checks from the last reload (shown until the next one)
        self.last_checks: list[EvidenceCheck] = []
        #: the examiner confirmed evidence outside the case's evidence folders (CLI flag / GUI)
        self.allow_outside_evidence = False
        #: cache problems of the last reload (tampered or unrecorded caches), for the caller
        self.cache_warnings: list[str] = []
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
        data = read_case_file(folder)
        case = cls(folder, name=str(data.get("name") or folder.name), examiner=examiner or data.get("examiner") or "")
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
            self.number = str(data.get("number") or "")
            self.created = str(data.get("created") or "")
            self.display_tz = str(data.get("display_tz") or "UTC")
            self.evidence = [EvidenceEntry.from_dict(e) for e in data.get("evidence") or []]
            self.queries = [SavedQuery.from_dict(q) for q in data.get("queries") or []]
            self.current_query = str(data.get("current_query") or "")
            self.current_filters = dict(data.get("current_filters") or {})
            self.bookmarks = BookmarkBook(Bookmark.from_dict(b) for b in data.get("bookmarks") or [])
            self.format_rules = [FormatRule.from_dict(r) for r in data.get("format_rules") or []]
            self.notes = str(data.get("notes") or "")
            self.expected = [ExpectedAccess.from_dict(m) for m in data.get("expected_access") or []]
            self.work_hours_text = str(data.get("work_hours", "") or "")
        except (TypeError, AttributeError, ValueError) as exc:  # validated before: a bug, but never a crash
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
            "format_rules": [r.to_dict() for r in self.format_rules],
            "notes": self.notes,
            "expected_access": [m.to_dict() for m in self.expected],
            "work_hours": self.work_hours_text,
            "custody_head": self.custody.signed_head(lines),  # signed: a rewritten head shows
        }

    def save(self) -> None:
        """Write case.json atomically (a crash never leaves half a case file)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # a unique temp file created exclusively, then renamed: never writes through a
            # planted case.json or case.json.tmp link
            atomic_write(self.case_file, (text + "\n").encode("utf-8"), CASE_FILE)
        except UnsafePathError as exc:
            raise CaseError(str(exc)) from exc
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
        identities = None  # hashed once per call, only if a file is recorded
        for report in files:
            if report.hashes is None:  # never opened: nothing to record
                continue
            if report.container:  # inside an image or collection: the container is the evidence entry
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
            if identities is None:
                identities = membership.identities_digest(options)
            entry.identities_sha256 = identities
            self.evidence.append(entry)
            known.add((path, entry.sha256))
            added.append(entry)
        if added:
            logged = {(e.get("path"), e.get("sha256")) for e in self.custody.entries()
                      if e.get("kind") in ("evidence-opened", "evidence-added")}
            for entry in added:
                if (entry.path, entry.sha256) not in logged:  # opened under another log (e.g. a GUI session's)
                    self.custody.append("evidence-added", path=entry.path, sha256=entry.sha256,
                                        evidence_id=entry.evidence_id, size=entry.size,
                                        note="added to the case from a load logged outside this case's custody log")
        return added

    def adopt_custody_evidence(self) -> list[EvidenceEntry]:
        """Record the evidence a custody log already in the folder lists (e.g. from
        ``mailbox-audit load --case DIR``), so a case made later covers that evidence."""
        latest: dict[str, dict[str, Any]] = {}
        for entry in self.custody.entries():
            if entry.get("kind") == "evidence-opened" and entry.get("sha256") and entry.get("path"):
                if entry.get("status") in ("loaded", "duplicate", None) or (
                        entry.get("status") == "container" and entry.get("segment") == 1):  # an image: its first file
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
                   if c.status not in (verification.MISSING, verification.UNREADABLE, verification.REFUSED)]
        gaps = plan_checks((c.path, e.parser) for e, c in present)  # for cached files' custody entries
        records = cache_records(self.custody.entries()) if use_cache else {}
        for index, (entry, check) in enumerate(zip(self.evidence, quick)):
            if check.status in (verification.MISSING, verification.UNREADABLE, verification.REFUSED):
                checks[index] = check
                continue
            if entry.parser.startswith(CONTAINER_PARSER):  # an image or collection: re-opened on its own
                groups.setdefault(CONTAINER_PARSER + str(index), []).append((index, check.path))
                continue
            if use_cache and self._load_cached(index, check.path, checks, out, frames, seen, cancel, gaps, records):
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
            # a container's own report comes first, its inner files after it (custody logs each)
            reports = [r for r in result.files if not r.container]
            for (index, path), report in zip(members, reports):
                entry = self.evidence[index]
                if report.hashes is None:
                    checks[index] = EvidenceCheck(
                        entry, verification.UNREADABLE, path, report.error or "could not be read"
                    )
                else:
                    checks[index] = self._compare(entry, path, report.hashes)
            if not any(r.container for r in result.files):  # rows from inside containers are re-read, not cached
                self.remember_rows(result, options)
            out.files.extend(result.files)
            out.sources.update(result.sources)
            seen |= set(result.sources)
            frames.append(result.frame)
        out.checks = [checks[i] for i in range(len(self.evidence))]
        out.frame, out.correlation = correlate_files(schema.concat(frames), out.files)  # across all files
        self._note_cache_problems(out)
        refresh_checks(out.files)  # over the whole case: cached notes may be from a smaller set
        self._annotate(out)
        membership.check_identities(self, out)
        for check in out.problems:
            self._log_mismatch(check)
        self.last_checks = out.checks
        return out

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
            # a refused path was never opened: it is not evidence that changed
            "evidence-refused" if check.status == verification.REFUSED else "evidence-mismatch",
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
        checks = [c if c.problem else verification.rehash(c.entry, self.folder, found) for c in self.quick_checks()]
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
