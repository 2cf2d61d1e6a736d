"""Record-number continuity of a walked ``.evt`` and the file-level notes its structures support.

Every record carries a number one higher than the record before it; the end-of-file record
(or, without one, the header) names the oldest record and the next number to be given. So a
record removed from the middle (as log-editing tools do), records lost to damaged bytes, the
cut end of a truncated copy and records removed from either end all show, each named with the
bytes or fields it rests on and the explanations ruled out. What is *not* a gap is said too: a
wrapped log overwrote its oldest records (retention), and a dirty header is what every copy of
a log still open in the EventLog service carries.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timezone

from forensics.evt.structure import EOF_SIZE, FLAG_DIRTY, FLAG_LOGFULL, FLAG_WRAPPED
from forensics.evt.walk import Damage, Walk
from forensics.parsers.base import FileReport, MissingPeriod


def report_walk(walk: Walk, report: FileReport) -> None:
    """Count the unreadable byte ranges as bad records and add the file's notes."""
    for damage in walk.damage:
        report.bad_record(f"offset 0x{damage.offset:x}", _damage_text(damage))
    for offset, problem in walk.field_problems:
        report.bad_record(f"offset 0x{offset:x}", f"record frame is intact but {problem}: not read")
    for offset, warning in walk.warnings:
        report.warn(f"offset 0x{offset:x}", warning)
    _header_notes(walk, report)
    _gaps(walk, report)
    _slack_notes(walk, report)


def _slack_notes(walk: Walk, report: FileReport) -> None:
    """What lies outside the live log. The parser rows the new slack records and counts the
    copies and conflicts as skipped; here they are named."""
    new, copies, conflicts = walk.slack_split()
    if new:
        numbers = sorted(r.number for _, r in new)
        report.notes.append(
            f"RECORDS FROM SLACK: {len(new)} record(s) ({_numbers(numbers)}) were read from outside the live log (between "
            "its end-of-file record and its oldest record, or after its end: space the log had released but not yet "
            "overwritten); their rows say so in details. They are older than, or absent from, the live log as its "
            "end-of-file record describes it")
    if copies:
        report.notes.append(f"SLACK COPIES: {len(copies)} record(s) outside the live log are identical copies of records "
                            "read already (same number and content): counted as skipped, not rowed twice")
    for offset, record in conflicts[:20]:
        report.warn(f"offset 0x{offset:x}", f"a record numbered {record.number} outside the live log differs from the "
                                            "record of that number read already: counted as skipped")
    if conflicts:
        report.notes.append(f"RECORD CONFLICT: {len(conflicts)} record(s) outside the live log carry the number of a record "
                            "read already with other content (an edited or spliced log, or a number reused after a clear)")


def _numbers(numbers: list[int]) -> str:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs[:10])
    return text + (f", … ({len(runs) - 10} more runs)" if len(runs) > 10 else "")


def _damage_text(d: Damage) -> str:
    around = f"after record {d.before}" if d.before is not None else "before the first record read"
    if d.after is not None:
        around += f" and before record {d.after}"
    lost = ""
    if d.before is not None and d.after is not None and d.after > d.before + 1:
        lost = f"; {_records(d.before + 1, d.after - 1)} {'was' if d.after == d.before + 2 else 'were'} in these bytes"
    cut = "; the file ends here without an end-of-file record (a truncated copy)" if d.at_cut else ""
    return (f"{d.length} bytes {around} are not a readable record ({d.reason}){lost}{cut}; "
            "reading resumed at the next intact 'LfLe' record")


def _header_notes(walk: Walk, report: FileReport) -> None:
    h, eof = walk.header, walk.eof
    if eof is not None:
        stated = f"end-of-file record at offset 0x{eof.offset:x}: oldest record {eof.oldest_record}, next record {eof.next_record}, " \
                 f"start offset 0x{eof.start_offset:x}"
        differs = [name for name, a, b in (
            ("oldest record", h.oldest_record, eof.oldest_record), ("next record", h.next_record, eof.next_record),
            ("start offset", h.start_offset, eof.start_offset), ("end offset", h.end_offset, eof.offset)) if a != b]
    else:
        stated, differs = "", []
    if h.flags & FLAG_DIRTY:
        agree = (f"they differ from the {stated} in {', '.join(differs)}, which was used" if differs
                 else "they agree with the end-of-file record" if eof is not None
                 else "no end-of-file record was found, so the header's possibly stale values were used")
        report.notes.append(
            f"DIRTY LOG: header flag 0x1 (ELF_LOGFILE_HEADER_DIRTY) is set: the log was open in the EventLog service "
            f"when copied (a live copy, or the service stopped without closing it). The header's offsets and numbers "
            f"(oldest {h.oldest_record}, next {h.next_record}) are written only on a clean close; {agree}. "
            "Not a sign of tampering.")
    elif differs:
        report.notes.append(
            f"HEADER DISAGREES: the header is not flagged dirty, yet its {', '.join(differs)} differ from the {stated} "
            f"(header: oldest {h.oldest_record}, next {h.next_record}, start 0x{h.start_offset:x}, end 0x{h.end_offset:x}); "
            "the end-of-file record was used. A clean close writes both alike: one of them was edited, or the copy "
            "was taken while the service was closing the log.")
    if walk.wrapped or h.flags & FLAG_WRAPPED:
        oldest = walk.records[0].number if walk.records else (eof.oldest_record if eof else h.oldest_record)
        how = "header flag 0x2 (ELF_LOGFILE_HEADER_WRAP)" if h.flags & FLAG_WRAPPED else "no wrap flag"
        where = (f"the oldest record lies at 0x{walk.start:x}, after the end-of-file record at 0x{walk.end:x}"
                 if walk.wrapped and walk.end is not None else "the live log does not cross the end of the file")
        report.notes.append(
            f"WRAPPED: the log wrapped ({how}; {where}): records before number {oldest} were overwritten by newer ones "
            "(any still intact in the released space are read from slack). That is the log's retention, not a gap.")
    if h.flags & FLAG_LOGFULL:
        report.notes.append(
            "LOG FULL: header flag 0x4 (ELF_LOGFILE_LOGFULL_WRITTEN): a write failed because the log was full and its "
            "retention did not allow overwriting: events after the newest record here were not recorded.")


def _gaps(walk: Walk, report: FileReport) -> None:
    records = walk.records
    eof, h = walk.eof, walk.header
    source = "end-of-file record" if eof is not None else "header"
    oldest = eof.oldest_record if eof is not None else h.oldest_record
    next_record = eof.next_record if eof is not None else h.next_record
    if not records:
        if next_record > oldest > 0:
            report.notes.append(f"RECORDS MISSING: the {source} names records {_span(oldest, next_record - 1)} but none could "
                                "be read (see the bad records)")
        return
    damage_between = {(d.before, d.after) for d in walk.damage}
    first = records[0].number
    if oldest and first > oldest:
        if (None, first) in damage_between:
            why = "in the unreadable bytes before it (counted as a bad record)"
        else:
            why = ("absent with no unreadable bytes before it: removed from the start (a wrap would have moved the "
                   f"{source}'s oldest number too)")
        report.notes.append(f"RECORDS MISSING: {_records(oldest, first - 1)}: the {source} names {oldest} as the "
                            f"oldest record but the first record read is {first}; {why}")
    numbers = [r.number for r in records]
    # out of order (spliced or renumbered): a jump then names only numbers read nowhere in the file
    read_anywhere = sorted(set(numbers)) if any(b <= a for a, b in zip(numbers, numbers[1:])) else None
    for index in range(1, len(records)):
        prev, cur = records[index - 1], records[index]
        if cur.number == prev.number + 1:
            continue
        at = f"record {cur.number} at offset 0x{walk.offsets[index]:x} follows record {prev.number} at 0x{walk.offsets[index - 1]:x}"
        if cur.number <= prev.number:
            report.notes.append(f"RECORD ORDER: {at}: numbers run backwards or repeat (a spliced or edited log; the "
                                "EventLog service numbers records in the order it writes them)")
            continue
        if (prev.number, cur.number) in damage_between:
            why = "lost in the unreadable bytes between them (counted as a bad record)"
        else:
            why = ("their bytes are adjacent and intact: removed (as log-editing tools do); not a wrap (a wrap drops "
                   "the oldest records, not middle ones), not damage (no unreadable bytes between them)")
        absent = _absent(prev.number + 1, cur.number - 1, read_anywhere)
        if not absent:
            continue
        label = f"RECORDS MISSING: {absent}: {at}; {why}"
        report.notes.append(label)
        report.missing.append(MissingPeriod(_iso(prev.generated), _iso(cur.generated), label[:200]))
    last = records[-1].number
    if next_record and last < next_record - 1:
        damaged_tail = any(d.before == last and d.after is None for d in walk.damage)
        if eof is None and walk.size < h.end_offset + EOF_SIZE:
            why = (f"no end-of-file record was found and the file ends at byte {walk.size}, before the header's "
                   f"end-of-file offset 0x{h.end_offset:x}: a truncated copy")
        elif eof is None:
            why = (f"no end-of-file record was found (the file ends at byte {walk.size}): a truncated copy, or a damaged "
                   "end-of-file record")
        elif damaged_tail:
            why = "in the unreadable bytes after the last record read (counted as a bad record)"
        else:
            why = ("absent with no unreadable bytes after the last record: removed from the end")
        report.notes.append(f"RECORDS MISSING: {_records(last + 1, next_record - 1)}: the {source} says the next "
                            f"record is {next_record} but the last record read is {last}; {why}")
    elif next_record and last > next_record and eof is not None:
        # ">" and not ">=": Microsoft defines the field as the next number to be given (so the
        # newest record is next - 1), libyal's documentation calls it the newest record number;
        # a record equal to it is left unremarked rather than risk a false claim on real files
        report.notes.append(f"RECORD ORDER: record {last} is present but the end-of-file record says the next record "
                            f"is {next_record} (an edited end-of-file record or a spliced log)")


def _absent(a: int, b: int, read_sorted: list[int] | None) -> str:
    """``a``..``b`` as text, leaving out numbers read elsewhere in the file ("" when all were)."""
    if read_sorted is None:
        return _records(a, b)
    runs: list[str] = []
    cursor = a
    for n in read_sorted[bisect_left(read_sorted, a) : bisect_right(read_sorted, b)]:
        if n > cursor:
            runs.append(_records(cursor, n - 1))
        cursor = n + 1
    if cursor <= b:
        runs.append(_records(cursor, b))
    return ", ".join(runs)


def _records(a: int, b: int) -> str:
    return f"record {a}" if a == b else f"records {_span(a, b)}"


def _span(a: int, b: int) -> str:
    return f"{a}" if a == b else f"{a}-{b} ({b - a + 1})"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
