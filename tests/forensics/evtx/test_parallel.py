"""Batches of chunks mapped in worker processes give exactly a single-process load: the same
rows in the same order, the same counts, warnings and continuity notes, the same custody
digests (over every byte of the file), on a clean log and on a damaged one.

The log is the synthetic Exchange Auditing log (``forensics.synth``: events 10100-10106 of
``MSExchangeIS Auditing`` with the unnamed data strings of the seed example); batches are
made 3 chunks long so a small file spans many batches and both workers get several.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from forensics.evtx import parallel
from forensics.ingest import load_evidence
from forensics.parsers.eventlog import evtx_parser
from forensics.parsers.base import FileReport, LoadOptions
from forensics.synth.evtx_damage import break_chunk_crc, chunk_count, corrupt_chunk_magic, hide_record, zero_from_record
from forensics.synth.generate import generate


@pytest.fixture(scope="module")
def exchange_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parallel")
    generate("contoso", out, seed=3, events=6000, formats=("evtx",), logs=("exchange-auditing",))
    path = next(out.rglob("*.evtx"))
    assert chunk_count(path) >= 12  # several batches of 3 chunks each
    return path


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """3-chunk batches, and a record of the worker counts the pool was started with."""
    monkeypatch.setattr(evtx_parser, "BATCH_CHUNKS", 3)
    started: list[int] = []
    real = parallel.run_ordered

    def spy(jobs, work, workers):  # type: ignore[no-untyped-def]
        started.append(workers)
        return real(jobs, work, workers)

    monkeypatch.setattr(parallel, "run_ordered", spy)
    return started


def _load(path: Path, workers: int) -> tuple[pd.DataFrame, FileReport]:
    result = load_evidence([path], options=LoadOptions(workers=workers))
    report = result.files[0]
    assert report.status == "loaded", report.error
    return result.frame, report


def _same(path: Path, started: list[int]) -> FileReport:
    single, one = _load(path, 1)
    assert started == []  # workers=1: no pool
    multi, two = _load(path, 2)
    assert started == [2]  # the parallel path did run
    assert len(single) > 0
    pd.testing.assert_frame_equal(single, multi)
    for name in ("records", "accepted", "bad", "rows", "skipped", "warning_count", "notes", "missing"):
        assert getattr(one, name) == getattr(two, name), name
    assert [str(w) for w in one.warnings] == [str(w) for w in two.warnings]
    assert one.hashes is not None and two.hashes is not None
    data = path.read_bytes()
    for report in (one, two):  # every byte of the file, read once, in order
        assert report.hashes.sha256 == hashlib.sha256(data).hexdigest()
        assert report.hashes.sha1 == hashlib.sha1(data).hexdigest()
        assert report.hashes.md5 == hashlib.md5(data).hexdigest()
    assert one.balanced and two.balanced
    return one


def test_clean_log_parallel_equals_single_process(exchange_log: Path, small_batches: list[int]) -> None:
    report = _same(exchange_log, small_batches)
    assert report.bad == 0 and report.accepted == report.records


def test_damaged_log_parallel_equals_single_process(exchange_log: Path, tmp_path: Path, small_batches: list[int]) -> None:
    path = tmp_path / exchange_log.name
    shutil.copy(exchange_log, path)
    corrupt_chunk_magic(path, 2)  # a chunk the engine refuses: its records are named missing
    break_chunk_crc(path, 5)  # a checksum mismatch
    hide_record(path, 2500)  # a record unlinked from its chunk: a continuity gap
    zero_from_record(path, 4000, keep=40)  # a record cut part-way: read by the walk, or counted bad
    report = _same(path, small_batches)
    notes = " ".join(report.notes + [str(w) for w in report.warnings])
    assert "chunk 2" in notes and "chunk 5" in notes  # the damage is reported, in either mode
    assert "2500" in notes
