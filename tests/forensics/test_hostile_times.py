"""Times no table can hold (year 21, year 9999, February 30th) in every text format:
such a record is counted and described, and the rest of the file still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions

SUFFIXES = (".csv", ".xml", ".log")


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from forensics.synth.generate import generate

    out = tmp_path_factory.mktemp("hostile-times")
    generate("contoso", out, seed=5, events=60)
    files = sorted(p for p in (out / "evidence").rglob("*") if p.suffix in SUFFIXES)
    return [p for p in files if p.suffix != ".log"] + [p for p in files if p.suffix == ".log"][:2]


@pytest.mark.parametrize("old, new", [("2024", "0021"), ("2024", "9999"), ("2024-03-0", "2024-02-3")])
def test_impossible_times_never_fail_a_file(evidence: list[Path], tmp_path: Path, old: str, new: str) -> None:
    assert {p.suffix for p in evidence} == set(SUFFIXES)
    for path in evidence:
        raw = path.read_bytes()
        encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
        damaged = tmp_path / path.name
        damaged.write_bytes(raw.decode(encoding).replace(old, new, 8).encode(encoding))
        report = load_evidence([damaged], options=LoadOptions(source_tz="UTC")).files[0]
        assert report.status == "loaded", (path.name, report.error)
        assert report.balanced, path.name
