"""The row cache is checked like evidence (issue 16, point 1).

The attack: edit ``cache/*.parquet`` (and make its ``.json`` sidecar agree) beside untouched
evidence, so a reopen shows rows moved to another actor and notes removed. Now each cache
file's SHA-256 is recorded in custody when written; a reopen that finds other bytes
discards the cache, parses the evidence again, says so (warning, file note, custody entry),
and ``verify`` fails on it.

Evidence: an IIS 10 W3C log with the default Exchange 2010–2019 field set and back-end OWA
lines in the Exchange 2003 ``/exchange/<mailbox>/<folder>/<item>.EML`` form
(reference/evidence-formats.md §3.1–3.2, the msexchangeguru sample line).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from forensics.case import Case
from forensics.case.cache import FrameCache, verify_caches

HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-01 09:00:00\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
)
LINE = ("2024-03-01 09:{minute:02d}:00 10.0.0.2 GET /exchange/ceo@contoso.com/Inbox/Board+minutes+{minute}.EML "
        "Cmd=open 443 {actor} 10.0.0.5 Mozilla/5.0 - 200 0 0 15\n")


@pytest.fixture
def case(tmp_path: Path) -> Case:
    folder = tmp_path / "W3SVC2"
    folder.mkdir()
    lines = [LINE.format(minute=m, actor="CONTOSO\\pat" if m % 2 else "CONTOSO\\ceo") for m in range(10)]
    (folder / "u_ex240301.log").write_text(HEADER + "".join(lines))
    case = Case.create(tmp_path / "case", "Cache integrity", examiner="E. Xam")
    case.add_evidence([folder / "u_ex240301.log"])
    case.save()
    return case


def _cache_files(case: Case) -> tuple[Path, Path]:
    (parquet,) = case.cache_dir.glob("*.parquet")
    return parquet, parquet.with_suffix(".json")


def _pat_rows(frame: pd.DataFrame) -> int:
    return int(frame["actor"].astype("string").str.contains("pat", na=False).sum())


def test_writing_a_cache_records_both_hashes_in_custody(case: Case) -> None:
    parquet, sidecar = _cache_files(case)
    (written,) = [e for e in case.custody.entries() if e["kind"] == "cache-written"]
    assert written["cache_key"] == parquet.stem and written["rows"] == 10
    assert written["parquet_sha256"] == hashlib.sha256(parquet.read_bytes()).hexdigest()
    assert written["json_sha256"] == hashlib.sha256(sidecar.read_bytes()).hexdigest()
    reopened = Case.open(case.folder).load()
    assert reopened.warnings == [] and reopened.files[0].notes == []
    assert [e for e in case.custody.entries() if e["kind"] == "evidence-opened"][-1]["rows_from_cache"] is True


def test_edited_parquet_is_discarded_reparsed_warned_and_logged(case: Case) -> None:
    first = Case.open(case.folder).load()
    assert _pat_rows(first.frame) == 5
    parquet, sidecar = _cache_files(case)
    rows = pd.read_parquet(parquet)
    rows["actor"] = rows["actor"].astype("string").str.replace("pat", "ceo").astype("category")  # pat vanishes
    rows.to_parquet(parquet, index=False)  # same row count, consistent sidecar: only the hash tells
    tampered_sha = hashlib.sha256(parquet.read_bytes()).hexdigest()

    loaded = Case.open(case.folder).load()
    assert _pat_rows(loaded.frame) == 5  # the evidence's rows, not the edited cache's
    (written,) = [e for e in case.custody.entries() if e["kind"] == "cache-written"][:1]
    message = (f"CACHE TAMPERED: cache/{parquet.stem}.parquet of u_ex240301.log differ(s) from the SHA-256 recorded "
               f"in custody entry {written['seq']} when the cache was written (edited afterwards); the cache was "
               "discarded and the file parsed again from the evidence")
    assert loaded.warnings == [message] and loaded.cache_tampered
    assert message in loaded.files[0].notes  # the Evidence dock and reports list file notes
    (discarded,) = [e for e in case.custody.entries() if e["kind"] == "cache-discarded"]
    assert discarded["reason"] == "modified" and discarded["parquet_sha256"] == tampered_sha
    assert discarded["recorded_parquet_sha256"] == written["parquet_sha256"]
    assert discarded["recorded_entry"] == written["seq"]
    # a fresh cache, recorded again, serves the next reopen quietly
    again = Case.open(case.folder).load()
    assert again.warnings == [] and _pat_rows(again.frame) == 5


def test_edited_sidecar_is_discarded(case: Case) -> None:
    parquet, sidecar = _cache_files(case)
    meta = json.loads(sidecar.read_text())
    assert meta["report"]["records"] == 10
    meta["report"]["records"] = 9  # hides a record from the accounting
    sidecar.write_text(json.dumps(meta))
    loaded = Case.open(case.folder).load()
    assert len(loaded.warnings) == 1
    assert loaded.warnings[0].startswith(f"CACHE TAMPERED: cache/{parquet.stem}.json of u_ex240301.log differ(s)")
    assert [e["reason"] for e in case.custody.entries() if e["kind"] == "cache-discarded"] == ["modified"]
    assert loaded.files[0].records == 10  # the accounting of the evidence, not of the edited sidecar


def test_verify_caches_fails_on_a_tampered_cache_and_notes_unrecorded_ones(case: Case) -> None:
    assert verify_caches(case.folder, case.custody.entries()).ok
    parquet, sidecar = _cache_files(case)
    sidecar.write_text(sidecar.read_text().replace('"records": 10', '"records": 11'))
    result = verify_caches(case.folder, case.custody.entries())
    assert not result.ok and len(result.problems) == 1
    assert result.problems[0].startswith(f"cache/{parquet.stem}.json: SHA-256 ")
    assert result.problems[0].endswith("(the cached rows were edited)")
    (case.cache_dir / ("f" * 32 + ".parquet")).write_bytes(b"planted")
    assert f"cache/{'f' * 32}.parquet has no record in custody: it will not be used" in \
        verify_caches(case.folder, case.custody.entries()).notes


def test_a_cache_without_a_custody_record_is_never_used(tmp_path: Path, case: Case) -> None:
    """A cache custody does not vouch for (an older version's, or one placed by hand) is not trusted."""
    parquet, sidecar = _cache_files(case)
    saved = parquet.read_bytes(), sidecar.read_bytes()
    planted = Case.create(tmp_path / "other", "Planted")  # a log with no cache-written entry
    for entry in case.evidence:
        planted.evidence.append(entry)
    planted.custody.append("evidence-opened", path=case.evidence[0].path, sha256=case.evidence[0].sha256)
    planted.save()
    FrameCache(planted.cache_dir).folder.mkdir()
    (planted.cache_dir / parquet.name).write_bytes(saved[0])
    (planted.cache_dir / sidecar.name).write_bytes(saved[1])
    loaded = Case.open(planted.folder).load()
    assert loaded.warnings == [
        f"CACHE NOT USED: the cached rows of u_ex240301.log (cache/{parquet.stem}.parquet) have no SHA-256 in the "
        "custody log (written by an older version, or placed there by hand); the file was parsed again"]
    assert not loaded.cache_tampered
    assert [e["reason"] for e in planted.custody.entries() if e["kind"] == "cache-discarded"] == ["unrecorded"]
    assert [e["kind"] for e in planted.custody.entries()].count("cache-written") == 1  # replaced and recorded
