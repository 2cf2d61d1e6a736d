"""Which days (or hours) of an IIS log folder are not in the evidence?

IIS starts a new file per day (``u_exYYMMDD.log``; ``exYYMMDD.log`` for IIS 6 ANSI logs) or per
hour (``u_exYYMMDDHH.log``), and creates it at the period's first request. An Exchange server
answers health probes around the clock, so a day without a file is a day whose requests are
not in the evidence (deleted, not collected, or logging stopped). The gap is found from the
names alone, among the files being loaded, and noted on the file that follows it, so it
travels with that file into the Evidence dock, its custody entry and the reports.

Which days are missing depends on the whole set of files loaded together, not on one load:
a day file added to a case later fills a gap (or a later one opens a gap). ``ingest`` notes
the gaps within one load (that is what its custody entries say); a session or a case calls
``refresh_gap_notes`` over everything it holds, so the notes shown and reported are those of
the current evidence set, never stale ones from an earlier load or a cache.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from forensics.parsers.base import FileReport, MissingPeriod
from forensics.parsers.setchecks import EvidenceSetCheck

_NAME = re.compile(r"^(?P<prefix>u_ex|ex)(?P<stamp>\d{6}|\d{8})\.log$", re.IGNORECASE)
#: gaps spelled out per note; a longer list is counted
MAX_LISTED = 5
#: how this module's notes begin (they are replaced, never piled up, when the set changes)
ROLLOVER_NOTES = ("DAYS MISSING", "HOURS MISSING")
#: file statuses whose requests are in the evidence (a duplicate's content is, once)
_PRESENT = ("loaded", "duplicate", "pending")


@dataclass(frozen=True)
class RolloverGap:
    """The periods missing before one file: its note and the span (UTC, as IIS names files)."""

    note: str
    period: MissingPeriod


def rollover_gaps(paths: Iterable[Path]) -> dict[Path, RolloverGap]:
    """The gap before each IIS log file that follows missing periods in its folder's series."""
    series: dict[tuple[Path, str, int], list[tuple[datetime, Path]]] = defaultdict(list)
    for path in paths:
        match = _NAME.match(path.name)
        if not match:
            continue
        stamp = match["stamp"]
        try:
            moment = datetime.strptime(stamp, "%y%m%d%H" if len(stamp) == 8 else "%y%m%d")
        except ValueError:
            continue
        series[(path.parent, match["prefix"].lower(), len(stamp))].append((moment, path))
    notes: dict[Path, RolloverGap] = {}
    for (folder, prefix, width), files in series.items():
        step = timedelta(hours=1) if width == 8 else timedelta(days=1)
        files.sort()
        for (before, _), (after, path) in zip(files, files[1:]):
            missing = int((after - before) / step) - 1
            if missing <= 0:
                continue
            note = _note(folder, prefix, width, before + step, missing, step)
            label = f"{note.split(':', 1)[0]} before {path.name}"
            period = MissingPeriod(_iso(before + step), _iso(after), label)
            notes[path] = RolloverGap(note, period)
    return notes


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _replace(report: FileReport, gap: RolloverGap | None) -> None:
    report.notes[:] = [n for n in report.notes if not n.startswith(ROLLOVER_NOTES)]
    report.missing[:] = [m for m in report.missing if not m.label.startswith(ROLLOVER_NOTES)]
    if gap is not None:
        report.notes.append(gap.note)
        report.missing.append(gap.period)


def note_gap(report: FileReport, gaps: Mapping[Path, RolloverGap]) -> None:
    """Give one file's report the gap ``gaps`` holds for it (dropping any older one); only
    files the IIS parser read carry one: for other files the name proves nothing."""
    _replace(report, gaps.get(report.path) if report.parser == "iis" else None)


def refresh_gap_notes(reports: Sequence[FileReport]) -> None:
    """Recompute the gap notes of every IIS file in ``reports`` (one session's or case's
    files) from the IIS files among them whose requests are loaded."""
    present = [r for r in reports if r.parser == "iis" and r.status in _PRESENT]
    resolved = {id(r): Path(r.path).resolve() for r in reports if r.parser == "iis"}
    gaps = rollover_gaps(resolved[id(r)] for r in present)
    for report in reports:
        if report.parser == "iis":
            _replace(report, gaps.get(resolved[id(report)]) if report.status in _PRESENT else None)


def _note(folder: Path, prefix: str, width: int, first: datetime, missing: int, step: timedelta) -> str:
    fmt = "%y%m%d%H" if width == 8 else "%y%m%d"
    names = [f"{prefix}{(first + i * step).strftime(fmt)}.log" for i in range(min(missing, MAX_LISTED))]
    if missing > MAX_LISTED:
        names.append(f"… {missing - MAX_LISTED} more")
    unit = "hour" if width == 8 else "day"
    period = first.strftime("%Y-%m-%d %H:00" if width == 8 else "%Y-%m-%d")
    if missing > 1:
        last = first + (missing - 1) * step
        period += " to " + last.strftime("%Y-%m-%d %H:00" if width == 8 else "%Y-%m-%d")
    return (f"{unit.upper()}S MISSING: the IIS logs loaded from {folder.name or folder} skip {missing} {unit}"
            f"{'s' if missing != 1 else ''} before this file ({period}; no {', '.join(names)}): requests then "
            "are not in the evidence")


def _plan(paths: Iterable[Path]) -> dict[Path, RolloverGap]:
    return rollover_gaps(paths)


#: registered by the IIS parser (``Parser.evidence_set_checks``)
ROLLOVER_CHECK = EvidenceSetCheck(
    name="iis-rollover", parsers=frozenset({"iis"}), plan=_plan, note=note_gap, refresh=refresh_gap_notes,
)
