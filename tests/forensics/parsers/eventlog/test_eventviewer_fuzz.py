"""Hostile input: randomly damaged Event Viewer exports never crash the parsers, and every
record is accounted for (rows + skipped + bad = records)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from forensics.errors import ParseError
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.eventviewer_csv import EventViewerCsvParser
from forensics.parsers.eventlog.eventviewer_xml import EventViewerXmlParser
from helpers.eventviewer_export import FOLDER_OPEN, csv_field, event_xml, export_xml, rendered
from helpers.run_parser import run_parser

AUDITING = "MSExchangeIS Auditing"


def xml_export() -> bytes:
    events = [event_xml(i, AUDITING, 10100, FOLDER_OPEN, rendered(AUDITING, 10100, FOLDER_OPEN) if i % 2 else None)
              for i in range(1, 9)]
    return export_xml(events).encode("utf-8")


def csv_export() -> bytes:
    row = ",".join(["Information", "3/14/2010 3:22:41 PM", AUDITING, "10100", "Folder Access",
                    csv_field(rendered(AUDITING, 10100, FOLDER_OPEN))])
    return ("Level,Date and Time,Source,Event ID,Task Category\r\n" + (row + "\r\n") * 8).encode("utf-16")


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        action = rng.random()
        pos = rng.randrange(len(data))
        if action < 0.4:
            data[pos] = rng.randrange(256)
        elif action < 0.6:
            del data[pos : pos + rng.randint(1, 200)]
        elif action < 0.8:
            data[pos:pos] = rng.choice([b"<", b">", b"\"", b"\r\n", b",", b"\x00", b"<Event>", b"</Event>", b"&x;"])
        else:
            data = data[: max(1, pos)]  # truncated copy
    return bytes(data)


@pytest.mark.parametrize(("parser", "make"), [(EventViewerXmlParser, xml_export), (EventViewerCsvParser, csv_export)])
def test_damaged_exports(tmp_path: Path, parser, make) -> None:
    rng = random.Random(20241129)
    original = make()
    path = tmp_path / "damaged"
    for _ in range(100):
        path.write_bytes(mutate(original, rng))
        try:
            frame, report = run_parser(parser, path, LoadOptions(source_tz="UTC", all_events=True))
        except ParseError:
            continue  # a whole-file refusal with a clear message is allowed
        assert report.balanced
        assert len(frame) == report.accepted
