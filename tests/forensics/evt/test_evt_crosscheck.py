"""Our .evt reader against libevt (libyal's C library, the second reader): the same records and
fields on clean, wrapped and edited logs, and on mutated logs no record libevt reads is lost by
us without a name (read by us, or inside a span a bad record or RECORDS MISSING note names)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from forensics.evt.continuity import report_walk
from forensics.evt.crosscheck import EvtCrossCheck, crosscheck, format_report, libevt_views
from forensics.evt.structure import HEADER_SIZE
from forensics.evt.walk import walk
from forensics.parsers.base import FileReport
from helpers.evt_build import write_log

pytest.importorskip("pyevt")


@pytest.mark.parametrize("kw", [{}, {"n": 300, "max_size": 12288}, {"remove": (4, 9)}])
def test_agree_record_by_record(tmp_path: Path, kw: dict) -> None:
    result = crosscheck(write_log(tmp_path / "a.evt", **kw))
    assert result.ok, format_report(result)
    assert result.agreed == result.ours == result.theirs > 0


def test_damaged_signature_both_read_the_rest(tmp_path: Path) -> None:
    path = write_log(tmp_path / "a.evt", 10)
    data = bytearray(path.read_bytes())
    offset = walk(bytes(data)).offsets[3]
    data[offset + 4 : offset + 8] = b"XXXX"
    path.write_bytes(bytes(data))
    result = crosscheck(path)
    # libevt's normal iteration stops at the damage; its recovery scan finds the 6 after it
    assert result.ok and result.ours == result.theirs == 9 and result.theirs_recovered == 6


def test_disagreement_is_reported(tmp_path: Path) -> None:
    result = EvtCrossCheck(tmp_path / "a.evt", ours=3, theirs=3, agreed=2, only_theirs=[7, 8, 9, 12],
                           disagreements=[(2, "strings", ("a",), ("b",))])
    text = format_report(result)
    assert not result.ok and "read only by libevt: 7-9, 12" in text and "record 2: strings" in text
    assert text.endswith("DISAGREE (see above)")


def _named_spans(report: FileReport) -> list[tuple[int, int]]:
    spans = []
    for text in report.notes + [w.message for w in report.warnings]:
        for a, b in re.findall(r"records? (\d+)(?:-(\d+))?", text):
            spans.append((int(a), int(b or a)))
    return spans


def test_mutated_logs_lose_nothing_libevt_reads(tmp_path: Path) -> None:
    base = write_log(tmp_path / "m.evt", 60, max_size=6000).read_bytes()
    rng = random.Random(2026)
    ours_total = theirs_total = 0
    for _ in range(200):
        data = bytearray(base)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(HEADER_SIZE, len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(HEADER_SIZE, len(data))]
        found = walk(bytes(data))
        report = FileReport(path=tmp_path / "m.evt")
        report_walk(found, report)
        ours = {r.number for r in found.records}
        theirs, _ = libevt_views(bytes(data))
        spans = _named_spans(report)
        lost = [n for n in set(theirs) - ours if not any(a <= n <= b for a, b in spans)]
        assert not lost, (lost, report.notes)
        ours_total += len(ours)
        theirs_total += len(theirs)
    assert ours_total >= theirs_total
