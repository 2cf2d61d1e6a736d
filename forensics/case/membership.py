"""Which files belong to a case: adopting evidence that was already open before the case
existed, removing evidence from a case, and checking that a reopen reads each file with the
same directory export it was first read with.

Kept apart from ``store`` (which reads and writes ``case.json``) because each of these is a
custody event of its own: nothing enters or leaves a case without an entry in its log.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from forensics.case.model import EvidenceEntry
from forensics.custody.hashing import hash_file
from forensics.errors import EvidenceError, ForensicsError
from forensics.ingest import custody_status
from forensics.parsers.base import FileReport, LoadOptions

if TYPE_CHECKING:
    from forensics.case.store import Case, CaseLoad

#: the note a file report gets when its directory export is not the one recorded
IDENTITIES_CHANGED = "DIRECTORY EXPORT CHANGED"


class MembershipError(ForensicsError):
    """Evidence named for removal is not in the case (nothing was removed)."""


def identities_digest(options: LoadOptions) -> str:
    """SHA-256 of the directory export a load used ("" without one, "unreadable" when it
    cannot be read), recorded per evidence file so a reopen can tell it changed."""
    if options.identities is None:
        return ""
    path = Path(options.identities)
    if not path.is_file():  # a device or FIFO named in a received case.json would never end
        return "missing or not a regular file"
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return "unreadable"


# -- adopting evidence already open -----------------------------------------------------
@dataclass
class Adoption:
    """What happened to the files that were open when the case was created."""

    adopted: list[EvidenceEntry] = field(default_factory=list)
    #: (file report, why not): files that changed since they were opened, or are gone
    refused: list[tuple[FileReport, str]] = field(default_factory=list)


def adopt_open_files(case: "Case", files: Sequence[tuple[FileReport, LoadOptions]]) -> Adoption:
    """Re-hash files opened before ``case`` existed and, when each still equals what was
    loaded, log it in the case's custody (a fresh ``evidence-opened`` entry, ``adopted``)
    and record it with the options it was read with. A file whose bytes changed since it
    was opened is refused and logged: the rows on screen are not what it holds now."""
    out = Adoption()
    for report, options in files:
        if report.hashes is None:
            continue  # never read: nothing to adopt
        path = Path(report.path)
        try:
            now = hash_file(path)
            mtime = path.stat().st_mtime
        except (EvidenceError, OSError) as exc:
            reason = exc.user_message if isinstance(exc, EvidenceError) else f"{path}: {exc.strerror or exc}"
            _refuse(case, out, report, reason)
            continue
        if now.sha256 != report.hashes.sha256:
            _refuse(case, out, report, f"SHA-256 is now {now.sha256}, it was {report.hashes.sha256} when opened")
            continue
        record = case.custody.record_open(
            path, now, mtime, evidence_id=report.evidence_id, parser=report.parser, options=options.as_dict(),
            status=custody_status(report), records=report.records, rows=report.rows, bad_records=report.bad,
            skipped=dict(report.skipped), warnings=report.warning_count, error=report.error or None,
            notes=report.notes or None, rows_from=report.first_time or None, rows_to=report.last_time or None,
            adopted=True, note="open before the case was created; re-hashed into this case by the examiner's choice",
        )
        report.custody_seq = record["seq"]
        out.adopted.extend(case.record_files([report], options))
    return out


def _refuse(case: "Case", out: Adoption, report: FileReport, reason: str) -> None:
    case.custody.append("evidence-not-adopted", path=str(Path(report.path).resolve()),
                        evidence_id=report.evidence_id or None, reason=reason)
    out.refused.append((report, reason))


def leave_out_open_files(case: "Case", files: Iterable[FileReport]) -> int:
    """Log that the examiner chose not to bring the open files into the new case."""
    names = [str(Path(f.path).resolve()) for f in files if f.hashes is not None]
    if names:
        case.custody.append("evidence-left-out", paths=names,
                            note="open before the case was created; the examiner chose to leave it out (closed)")
    return len(names)


# -- removing evidence --------------------------------------------------------------------
def matching_entries(case: "Case", selectors: Iterable[str | os.PathLike[str]]) -> list[EvidenceEntry]:
    """The evidence entries named by path, evidence id or full SHA-256; every selector must
    name at least one (a typo removes nothing)."""
    chosen: list[EvidenceEntry] = []
    unknown: list[str] = []
    for selector in selectors:
        text = str(selector).strip()
        resolved = str(Path(text).resolve()) if text else ""
        hits = [e for e in case.evidence
                if text and (text.lower() in (e.evidence_id.lower(), e.sha256.lower()) or resolved == e.path
                             or (e.relative and str((case.folder / e.relative).resolve()) == resolved))]
        if not hits:
            unknown.append(text or "(empty)")
        chosen.extend(h for h in hits if h not in chosen)
    if unknown:
        raise MembershipError(
            "not evidence of this case: " + ", ".join(unknown)
            + " (name a file by its path, its evidence id or its SHA-256; `mailbox-audit case show` lists them)")
    return chosen


def remove_evidence(case: "Case", entries: Sequence[EvidenceEntry], reason: str = "") -> list[EvidenceEntry]:
    """Take evidence out of the case, one ``evidence-removed`` custody entry per file (its
    path and hashes, and the reason). The custody history of the file stays; its rows no
    longer load with the case. Bookmarks on its rows are kept (shown as not loaded)."""
    removed = [e for e in entries if e in case.evidence]
    for entry in removed:
        case.custody.append("evidence-removed", path=entry.path, evidence_id=entry.evidence_id,
                            sha256=entry.sha256, reason=reason or None)
    case.evidence = [e for e in case.evidence if e not in removed]
    return removed


# -- reopening with the recorded options ----------------------------------------------------
def check_identities(case: "Case", out: "CaseLoad") -> list[str]:
    """Each file's directory export against the one recorded when it was added; a change is
    noted on the file (Evidence dock, reports) and logged once per reopen."""
    problems: list[str] = []
    reports = {str(Path(f.path).resolve()): f for f in out.files}
    digests: dict[str, str] = {}
    for entry in case.evidence:
        if not entry.identities_sha256:
            continue
        export = str(entry.options.get("identities") or "")
        if export not in digests:
            digests[export] = identities_digest(entry.load_options())
        current = digests[export]
        if current == entry.identities_sha256:
            continue
        text = (f"{IDENTITIES_CHANGED}: {export} has SHA-256 {current}, recorded {entry.identities_sha256} when "
                "this file was added; logon types and people may differ from the first load")
        problems.append(f"{entry.path}: {text}")
        report = reports.get(str(Path(entry.path).resolve()))
        if report is not None and text not in report.notes:
            report.notes.append(text)
    if problems:
        case.custody.append("load-options-changed", problems=problems)
    return problems
