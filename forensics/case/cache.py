"""Per-file caches of parsed rows in the case folder (``cache/``).

Reopening a large case must still re-hash every evidence file (custody), but it need not
re-parse one whose content, parser, options and tool version are unchanged: its rows and
its accounting (records, skipped, warnings) are kept as Parquet + JSON, keyed by all of
those. A damaged or stale cache is ignored (the file is parsed again), never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forensics import __version__, schema
from forensics.parsers.base import FileReport, MissingPeriod, ParseWarning

log = logging.getLogger(__name__)

CACHE_VERSION = 1


def _file_digest(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def cache_key(sha256: str, parser: str, options: dict[str, Any]) -> str | None:
    """Everything the parsed rows depend on; None when they cannot be cached safely."""
    if options.get("maps_dir"):  # user map folders can change under us: always parse
        return None
    payload = json.dumps(
        {
            "cache": CACHE_VERSION,
            "tool": __version__,
            "columns": [f"{name}:{dtype}" for name, dtype in schema.COLUMNS.items()],
            "sha256": sha256,
            "parser": parser,
            "options": options,
            "identities": _file_digest(options.get("identities")),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@dataclass
class CachedFile:
    frame: pd.DataFrame
    report: dict[str, Any]

    def file_report(self, path: Path) -> FileReport:
        r = self.report
        report = FileReport(
            path=path,
            parser=r.get("parser", ""),
            source_format=r.get("source_format", ""),
            evidence_id=r.get("evidence_id", ""),
            records=int(r.get("records", 0)),
            accepted=int(r.get("accepted", 0)),
            rows=int(r.get("rows", 0)),
            bad=int(r.get("bad", 0)),
            warning_count=int(r.get("warning_count", 0)),
            notes=list(r.get("notes", [])),
            status="loaded",
        )
        report.skipped.update({str(k): int(v) for k, v in r.get("skipped", {}).items()})
        report.warnings = [ParseWarning(str(loc), str(msg)) for loc, msg in r.get("warnings", [])]
        report.missing = [MissingPeriod(*map(str, m)) for m in r.get("missing", []) if len(m) == 4]
        return report


class FrameCache:
    """The cache folder of one case."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.parquet", self.folder / f"{key}.json"

    def has(self, key: str | None) -> bool:
        return key is not None and all(p.is_file() for p in self._paths(key))

    def fetch(self, key: str | None) -> CachedFile | None:
        if not self.has(key):
            return None
        rows_path, meta_path = self._paths(key)  # type: ignore[arg-type]
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            frame = pd.read_parquet(rows_path)
            if meta.get("key") != key or len(frame) != int(meta["report"].get("rows", -1)):
                raise ValueError("cache does not match its key or row count")
            frame = schema.conform(frame)
            if schema.validate(frame):
                raise ValueError("cached rows do not conform to the schema")
        except Exception as exc:  # noqa: BLE001 - a damaged cache is re-parsed, never trusted
            log.warning("ignoring damaged cache %s: %s", key, exc)
            return None
        return CachedFile(frame, meta["report"])

    def store(self, key: str | None, report: FileReport, rows: pd.DataFrame) -> None:
        """Keep a file's rows and accounting (best effort: a full disk only costs speed)."""
        if key is None:
            return
        rows_path, meta_path = self._paths(key)
        meta = {
            "key": key,
            "report": {
                "parser": report.parser, "source_format": report.source_format, "evidence_id": report.evidence_id,
                "records": report.records, "accepted": report.accepted, "rows": len(rows), "bad": report.bad,
                "skipped": dict(report.skipped), "warning_count": report.warning_count,
                "warnings": [[w.location, w.message] for w in report.warnings],
                "notes": [n for n in report.notes if "EVIDENCE CHANGED" not in n],
                "missing": [[m.start, m.end, m.label, m.mailbox] for m in report.missing],
            },
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = rows_path.with_suffix(".parquet.tmp")
            rows.reset_index(drop=True).to_parquet(tmp, index=False)
            tmp.replace(rows_path)
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001
            log.warning("could not write cache %s: %s", key, exc)
