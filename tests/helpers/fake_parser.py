"""A tiny line-based test format ("#TESTLOG") to exercise the ingest pipeline alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser


class FakeLineParser(Parser):
    name = "testlog"
    description = "test-only line format: time,actor,mailbox,operation"
    source_format = "testlog"
    extensions = (".testlog",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 90 if head.startswith(b"#TESTLOG") else 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        text = ctx.reader.read().decode("utf-8")
        rows = []
        for number, line in enumerate(text.splitlines()[1:], start=2):
            ctx.check_cancel()
            parts = line.split(",")
            if len(parts) != 4:
                ctx.report.bad_record(f"line {number}", f"expected 4 fields, found {len(parts)}")
                continue
            if parts[3] == "noise":
                ctx.report.skip("noise")
                continue
            ctx.report.accept()
            rows.append({"time": parts[0], "actor": parts[1], "mailbox": parts[2],
                         "operation": parts[3], "record_id": number, "raw_ref": number})
            if len(rows) == 2:
                yield pd.DataFrame(rows)
                rows = []
        if rows:
            yield pd.DataFrame(rows)

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        return path.read_text().splitlines()[int(raw_ref) - 1]


registry.register(FakeLineParser)

SAMPLE = (
    "#TESTLOG\n"
    "2024-03-05T22:10:00Z,CONTOSO\\pat,ceo@contoso.com,FolderOpen\n"
    "2024-03-05T22:11:00Z,CONTOSO\\ceo,ceo@contoso.com,MessageOpen\n"
    "garbage line\n"
    "2024-03-05T22:12:00Z,x,y,noise\n"
    "2024-03-05T22:13:00Z,CONTOSO\\pat,ceo@contoso.com,MessageOpen\n"
)
