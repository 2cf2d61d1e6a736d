"""Second-reader check of a ``.evt``: our walk against libevt (``pyevt``, libyal's C library),
record by record (number, event code, source, computer, time, strings).

Why libevt is the second reader and not the first: see ``docs/evt-reader.md``. It is asked
through a copy of the bytes in memory (the evidence file is opened once, read-only), and its
record objects are used one at a time: the binding frees a record's memory when the next one
is fetched from ``file.records`` (reading an earlier one then gives garbage or crashes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from forensics.errors import EvidenceError
from forensics.evt.records import EvtRecord
from forensics.evt.walk import walk


@dataclass(frozen=True)
class View:
    number: int
    code: int
    source: str
    computer: str
    generated: int
    strings: tuple[str, ...]


@dataclass
class EvtCrossCheck:
    path: Path
    ours: int = 0
    theirs: int = 0
    theirs_recovered: int = 0
    agreed: int = 0
    only_ours: list[int] = field(default_factory=list)
    only_theirs: list[int] = field(default_factory=list)
    disagreements: list[tuple[int, str, object, object]] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not (self.error or self.only_ours or self.only_theirs or self.disagreements)


def _ours(record: EvtRecord) -> View:
    return View(record.number, record.code, record.source, record.computer, record.generated, tuple(record.strings))


def libevt_views(data: bytes) -> tuple[dict[int, View], int]:
    """libevt's records (normal and recovered) by number, and how many were recovered ones."""
    import pyevt  # noqa: PLC0415 - optional: the test extra installs it

    handle = pyevt.file()
    handle.open_file_object(io.BytesIO(data))
    views: dict[int, View] = {}
    recovered = 0
    try:
        for getter, count, is_recovered in ((handle.get_record, handle.number_of_records, False),
                                            (handle.get_recovered_record, handle.number_of_recovered_records, True)):
            for index in range(count):
                try:
                    rec = getter(index)
                    view = View(rec.identifier, rec.event_identifier, rec.source_name or "", rec.computer_name or "",
                                rec.get_creation_time_as_integer(),
                                tuple(rec.get_string(i) or "" for i in range(rec.number_of_strings)))
                except (OSError, IOError):
                    continue
                if view.number not in views:
                    views[view.number] = view
                    recovered += is_recovered
    finally:
        handle.close()
    return views, recovered


def crosscheck(path: Path) -> EvtCrossCheck:
    result = EvtCrossCheck(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        found = walk(data)
        ours = {r.number: _ours(r) for r in found.records + [record for _, record in found.slack_split()[0]]}
    except ValueError as exc:
        raise EvidenceError(f"{path}: {exc}") from exc
    try:
        theirs, result.theirs_recovered = libevt_views(data)
    except ImportError:
        result.error = "libevt-python (pyevt) is not installed: pip install 'libevt-python>=20240101'"
        return result
    except OSError as exc:
        result.error = f"libevt refused the file: {exc}"
        theirs = {}
    result.ours, result.theirs = len(ours), len(theirs)
    result.only_ours = sorted(set(ours) - set(theirs))
    result.only_theirs = sorted(set(theirs) - set(ours))
    for number in sorted(set(ours) & set(theirs)):
        a, b = ours[number], theirs[number]
        diffs = [(name, getattr(a, name), getattr(b, name)) for name in ("code", "source", "computer", "generated", "strings")
                 if getattr(a, name) != getattr(b, name)]
        result.disagreements += [(number, *d) for d in diffs]
        result.agreed += not diffs
    return result


def format_report(result: EvtCrossCheck, show: int = 20) -> str:
    lines = [f"{result.path}: ours {result.ours} records, libevt {result.theirs} "
             f"({result.theirs_recovered} of them recovered), {result.agreed} identical"]
    if result.error:
        lines.append(f"NOT CHECKED: {result.error}")
    if result.only_ours:
        lines.append(f"read only by us: {_ranges(result.only_ours)}")
    if result.only_theirs:
        lines.append(f"read only by libevt: {_ranges(result.only_theirs)}")
    for number, name, a, b in result.disagreements[:show]:
        lines.append(f"record {number}: {name}: ours {a!r}, libevt {b!r}")
    if len(result.disagreements) > show:
        lines.append(f"... {len(result.disagreements) - show} more disagreements")
    lines.append("AGREE on every record" if result.ok else "DISAGREE (see above)")
    return "\n".join(lines)


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)
