"""Run one parser on one file the way ``ingest`` does, without the rest of the registry.

Why: parser tests should not depend on every other parser importing cleanly; this mirrors
``forensics.ingest.parse_one`` (hashing reader, context, ``schema.conform``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics import schema
from forensics.custody.hashing import HashingReader
from forensics.parsers.base import FileReport, LoadOptions, ParseContext, Parser


def run_parser(
    parser_cls: type[Parser], path: Path, options: LoadOptions | None = None
) -> tuple[pd.DataFrame, FileReport]:
    report = FileReport(path=path, parser=parser_cls.name, source_format=parser_cls.source_format)
    options = options or LoadOptions()
    with HashingReader(path) as reader:
        ctx = ParseContext(reader=reader, path=path, options=options, report=report)
        frames = [
            schema.conform(batch, defaults={"source_format": parser_cls.source_format})
            for batch in parser_cls().parse(ctx)
            if len(batch)
        ]
        report.hashes = reader.finish()
    frame = schema.concat(frames)
    report.rows = len(frame)
    return frame, report
