"""Load evidence files into the normalized table, hashing and logging each one.

The one entry point the CLI, the GUI worker and reports share: ``load_evidence``. It takes
plain ``progress`` and ``cancel`` callables so it runs anywhere (no Qt).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from forensics import schema
from forensics.containers.ingest import (
    log_unread_member, member_earlier_hashes, member_recorder, open_containers, parse_member,
)
from forensics.containers.members import Member
from forensics.containers.session import Container
from forensics.correlate import Correlation, correlate_files
from forensics.custody.hashing import HashingReader
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, ForensicsError, LoadCancelled, UnsupportedFormatError
from forensics.parsers import registry
from forensics.parsers.setchecks import plan_checks
from forensics.safe_io import regular_file_problem
from forensics.parsers.base import SNIFF_BYTES, FileReport, LoadOptions, ParseContext

#: seconds between GIL hand-offs while a file is parsed: hashing and interpreting threads
#: give up the GIL while they work and, at Python's default 5 ms, wait that long to get it back
PARSE_SWITCH_INTERVAL = 0.0005
#: the custody status of a file that was opened and hashed but that no parser recognised
UNRECOGNISED = "unrecognised"


class _WorkerFailure(Exception):
    """A file a worker process could not load (its message is the user's message)."""


@dataclass
class Progress:
    file_index: int  # 0-based
    file_count: int
    path: Path
    file_done: int  # bytes
    file_total: int
    overall_done: int
    overall_total: int

    @property
    def file_fraction(self) -> float:
        return self.file_done / self.file_total if self.file_total else 1.0

    @property
    def overall_fraction(self) -> float:
        return self.overall_done / self.overall_total if self.overall_total else 1.0


ProgressCallback = Callable[[Progress], None]


@dataclass
class EvidenceSource:
    """Where a loaded evidence id came from: enough to re-read raw records."""

    evidence_id: str
    path: Path
    parser: str
    container: Path | None = None  # the image or collection it was read from, if any
    inner: str | None = None  # its locator inside that container


@dataclass
class LoadResult:
    frame: pd.DataFrame
    files: list[FileReport] = field(default_factory=list)
    sources: dict[str, EvidenceSource] = field(default_factory=dict)
    #: the options every file of this load was read with (a case records them per file)
    options: LoadOptions | None = None
    #: the same access across sources (forensics.correlate): counts and clock offsets per file
    correlation: Correlation | None = None

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "failed"]


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, and folders searched recursively for files of a supported type.

    A folder contributes files whose extension a parser claims (``.json`` only when a parser
    recognises the content: ``registry.folder_claims``); files given explicitly are always tried.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if registry.folder_claims(child):
                    out.append(child)
        else:
            out.append(path)
    return out


def check_readable(path: Path) -> None:
    """Raise a one-line EvidenceError for the problems a user can cause."""
    if not path.exists():
        raise EvidenceError(f"{path}: no such file")
    if path.is_dir():
        raise EvidenceError(f"{path}: is a directory (give files, or a folder to search)")
    kind = regular_file_problem(path)  # FIFOs and devices would hang or never end
    if kind is not None and kind.startswith("is "):
        raise EvidenceError(f"{path}: {kind}; refusing to read it as evidence")
    if not os.access(path, os.R_OK):
        raise EvidenceError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise EvidenceError(f"{path}: file is empty")


def parse_one(
    path: Path,
    options: LoadOptions,
    report: FileReport,
    on_bytes: Callable[[int, int], None],
    cancelled: Callable[[], bool],
) -> pd.DataFrame:
    check_readable(path)
    with HashingReader(path, progress=on_bytes) as reader:
        return parse_reader(reader, path, options, report, cancelled)


def parse_reader(
    reader: HashingReader,
    path: Path,
    options: LoadOptions,
    report: FileReport,
    cancelled: Callable[[], bool],
) -> pd.DataFrame:
    """Detect and parse what ``reader`` yields (a file on disk, or a file inside a
    container): the hashes in ``report`` cover exactly the bytes parsed."""
    report.mtime = reader.mtime
    head = reader.peek(SNIFF_BYTES)
    try:
        fallback = "iis" if options.w3c_fields else None  # header-less W3C lines, fields given
        parser_cls = registry.get(options.parser) if options.parser else registry.detect(head, path, fallback)
    except UnsupportedFormatError:
        if not options.parser:  # opened but not recognised: hashed all the same, so custody covers it
            report.hashes = reader.finish()
        raise
    report.parser = parser_cls.name
    report.source_format = parser_cls.source_format
    ctx = ParseContext(reader=reader, path=path, options=options, report=report, cancelled=cancelled)
    frames = []
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, PARSE_SWITCH_INTERVAL))
    reader.cancelled = cancelled  # reads check it too: a parser busy reading stops within a block
    stopped = False
    try:
        for batch in parser_cls().parse(ctx):
            ctx.check_cancel()
            if len(batch):
                frames.append(schema.conform(batch, defaults={"source_format": parser_cls.source_format}))
    except LoadCancelled:
        stopped = True
        raise
    finally:
        sys.setswitchinterval(switch)
        reader.cancelled = None
        if not stopped:  # a cancelled load records no digests (its custody entry says so):
            report.hashes = reader.finish()  # hashing the unread rest would delay the stop
    frame = schema.concat(frames, consume=True)
    del frames
    report.rows = len(frame)
    report.first_time, report.last_time = schema.time_span(frame)
    return frame


def load_evidence(
    paths: Sequence[str | os.PathLike[str]],
    *,
    options: LoadOptions | None = None,
    custody: CustodyLog | None = None,
    progress: ProgressCallback | None = None,
    cancel: Callable[[], bool] | None = None,
    already_loaded: Iterable[str] = (),
    select: Sequence[str] = (),
) -> LoadResult:
    """Hash, detect, parse and normalize every file; log each in custody.

    A file that fails is reported and the others still load. A cancel discards everything
    (no partial rows), logs the cancellation and raises ``LoadCancelled``. Evidence whose
    content (SHA-256) is already loaded is not loaded twice.
    """
    options = options or LoadOptions()
    if select and not options.select:  # recorded with the load's options, so a case reopens the same choice
        options = replace(options, select=tuple(select))
    select = list(options.select or ())
    custody = custody or CustodyLog(None)
    cancelled = cancel or (lambda: False)
    result = LoadResult(frame=schema.empty_frame(), options=options)
    with ExitStack() as stack:
        def on_hash(file: Path, done: int, total: int) -> None:  # a container hashed as acquired
            if progress is not None:
                progress(Progress(0, 1, file, done, total, done, total))

        files, members = open_containers(expand_paths(paths), custody, result, stack, list(select), cancelled, on_hash)
        frames = _load_items(files, members, options, custody, progress, cancelled, set(already_loaded), result)
    from forensics.identity.resolve import resolve_logon_types  # late: identity is optional

    from forensics.evtx.group_nesting import promote_nested

    combined = promote_nested(schema.concat(frames, consume=True))  # across files: nesting may be in another log
    resolved = resolve_logon_types(combined, directory_path=options.identities)
    result.frame, result.correlation = correlate_files(resolved, result.files)  # needs the person keys
    return result


def _load_items(
    files: list[Path],
    members: dict[Path, tuple[Container, Member]],
    options: LoadOptions,
    custody: CustodyLog,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool],
    seen: set[str],
    result: LoadResult,
) -> list[pd.DataFrame]:
    """Parse each file (or container member) in turn, logging each in custody; the frames
    of the files that loaded."""
    sizes = [members[f][1].size if f in members else (f.stat().st_size if f.is_file() else 0) for f in files]
    overall_total = sum(sizes)
    set_checks = plan_checks((f, None) for f in files)  # e.g. IIS days missing between the files loaded
    frames: list[pd.DataFrame] = []
    done_before = 0
    outcomes = None
    if options.workers >= 2 and len(files) >= 2 and not members:  # a container's members are read from it here
        from forensics.parallel_files import parse_files

        outcomes = parse_files(files, options, cancelled)
    for index, path in enumerate(files):
        report = FileReport(path=path)
        result.files.append(report)
        member = members.get(path)
        if member is not None:
            report.container = str(member[0].path.resolve())

        def on_bytes(done: int, total: int, index: int = index, path: Path = path, base: int = done_before) -> None:
            if progress is not None:
                progress(Progress(index, len(files), path, done, total, base + done, overall_total))

        try:
            if member is not None:
                frame = parse_member(member[0], member[1], path, options, report, on_bytes, cancelled)
            elif outcomes is None:
                frame = parse_one(path, options, report, on_bytes, cancelled)
            else:  # parsed in a worker process (--workers N): its report replaces this one
                outcome = next(outcomes, None)
                if outcome is None or cancelled():
                    raise LoadCancelled(f"load cancelled while reading {path.name}")
                report = outcome.report
                result.files[-1] = report
                on_bytes(sizes[index], sizes[index])
                if outcome.kind != "ok":
                    raise _WorkerFailure(outcome.error)
                frame = outcome.frame
        except LoadCancelled:
            if outcomes is not None:
                outcomes.close()  # stops the worker processes
            report.status = "cancelled"
            custody.append(
                "load-cancelled",
                path=str(path.resolve()),
                files_requested=[str(f) for f in files],
                note="load cancelled by the user; no rows from this load were kept",
            )
            raise
        except _WorkerFailure as exc:
            report.status = "failed"
            report.error = str(exc)
            frame = None
        except ForensicsError as exc:
            report.status = "failed"
            report.error = exc.user_message
            frame = None
        except Exception as exc:  # noqa: BLE001 - hostile input must never crash the program
            report.status = "failed"
            report.error = f"{path.name}: parser crashed: {type(exc).__name__}: {exc}"
            frame = None
        done_before += sizes[index]
        set_checks.note(report)
        if member is not None and report.hashes is None:  # never read: the entry says why
            report.custody_seq = log_unread_member(custody, *member, report)["seq"]

        if report.hashes is not None:
            evidence_id = report.hashes.sha256[:16]
            report.evidence_id = evidence_id
            earlier = (custody.earlier_hashes(path) if member is None
                       else member_earlier_hashes(custody, *member)) - {report.hashes.sha256}
            if earlier:
                report.notes.append(
                    "EVIDENCE CHANGED: this file's SHA-256 differs from the hash recorded "
                    f"earlier in this case ({', '.join(sorted(earlier))})"
                )
            if frame is not None and evidence_id in seen:
                report.status = "duplicate"
                report.notes.append("same content already loaded; rows not added again")
                frame = None
            record = custody.record_open if member is None else member_recorder(custody, *member)
            entry = record(
                path,
                report.hashes,
                report.mtime or 0.0,
                evidence_id=evidence_id,
                parser=report.parser,
                options=options.as_dict(),
                status=custody_status(report),
                records=report.records,
                rows=report.rows,
                rows_from=report.first_time or None,
                rows_to=report.last_time or None,
                bad_records=report.bad,
                skipped=dict(report.skipped),
                warnings=report.warning_count,
                error=report.error or None,
                notes=report.notes or None,
            )
            report.custody_seq = entry["seq"]
            if frame is not None:
                frame["evidence"] = schema.constant_category(evidence_id, len(frame))
                frames.append(frame)
                seen.add(evidence_id)
                result.sources[evidence_id] = (
                    EvidenceSource(evidence_id, path.resolve(), report.parser) if member is None
                    else EvidenceSource(evidence_id, path, report.parser, container=member[0].path.resolve(),
                                        inner=member[1].inner)
                )
        if report.status == "pending":
            report.status = "loaded"
    if outcomes is not None:
        outcomes.close()
    return frames


def custody_status(report: FileReport) -> str:
    """The status a custody entry records: a failed file no parser claimed says so."""
    if report.status == "failed" and not report.parser:
        return UNRECOGNISED
    return report.status if report.status != "pending" else "loaded"


def fetch_raw(sources: dict[str, EvidenceSource], evidence_id: str, raw_ref: int | None, record_id: int | None) -> str:
    """The untouched raw record behind a row, re-read from its evidence file on demand
    (so no raw text is held in memory for millions of rows)."""
    source = sources.get(evidence_id)
    if source is None:
        raise EvidenceError(f"evidence {evidence_id} is not loaded")
    if source.container is not None and source.inner is not None:
        from forensics.containers.raw import member_raw_record

        return member_raw_record(source.container, source.inner, registry.get(source.parser), raw_ref, record_id)
    return registry.get(source.parser).raw_record(source.path, raw_ref, record_id)
