"""``--workers N``: files parsed in worker processes give the rows, reports and custody entries of
a one-process load, in the same order, and a file that fails in a worker fails as it would.

The evidence is the synthetic Contoso case's IIS 2013+ W3C day files (``forensics.synth``: the
``#Fields:`` header and OWA/EWS/ActiveSync request lines of ``reference/evidence-formats.md``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forensics.custody.log import CustodyLog
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from forensics.synth.generate import generate

#: custody fields that differ between two loads of the same files (when, by which process)
_VOLATILE = {"time", "prev", "seq", "sig", "utc", "host", "pid", "signature"}


@pytest.fixture(scope="module")
def iis_days(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("iis_days")
    generate("contoso", out, seed=5, events=3000, formats=("iis",))
    files = sorted(out.rglob("*.log"))
    assert len(files) >= 4
    return files


def _load(files: list[Path], workers: int, case: Path) -> tuple[pd.DataFrame, list, list[dict]]:
    log = CustodyLog(case, examiner="Test")
    result = load_evidence(files, options=LoadOptions(workers=workers), custody=log)
    entries = [{k: v for k, v in e.items() if k not in _VOLATILE} for e in log.entries() if e.get("kind") != "examiner-key"]
    return result.frame, result.files, entries


def test_files_in_workers_equal_one_process(iis_days: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "u_ex240399.log"
    broken.write_bytes(b"\x00\x01not a log\xff" * 10)  # unrecognised: hashed, logged, failed
    files = [*iis_days[:2], broken, *iis_days[2:]]
    one_frame, one_files, one_log = _load(files, 1, tmp_path / "case1")
    two_frame, two_files, two_log = _load(files, 2, tmp_path / "case2")
    assert len(one_frame) > 0
    pd.testing.assert_frame_equal(one_frame, two_frame)
    assert [f.status for f in one_files] == [f.status for f in two_files]
    assert [f.status for f in two_files][2] == "failed" and two_files[2].error == one_files[2].error
    for a, b in zip(one_files, two_files):
        assert (a.records, a.rows, a.bad, a.skipped, a.hashes, a.notes, a.evidence_id) == \
            (b.records, b.rows, b.bad, b.skipped, b.hashes, b.notes, b.evidence_id)
        assert [str(w) for w in a.warnings] == [str(w) for w in b.warnings]
    assert len(one_log) >= len(files) and all("sha256" in str(e) for e in one_log[:1])
    assert one_log == two_log
