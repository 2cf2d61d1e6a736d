"""Reopening a case re-hashes every file but re-parses only what changed (row caches)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.fake_parser import SAMPLE, FakeLineParser  # registers the test-only parser
from forensics import schema
from forensics.case import Case
from forensics.case import verification
from forensics.custody.hashing import hash_file
from forensics.parsers.base import LoadOptions


@pytest.fixture
def case(tmp_path: Path) -> Case:
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "a.testlog").write_text(SAMPLE)
    (folder / "b.testlog").write_text(SAMPLE.replace("pat", "kim"))
    case = Case.create(tmp_path / "case", "Cache")
    case.add_evidence([folder], LoadOptions(source_tz="+01:00"))
    case.save()
    return case


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, ctx):  # type: ignore[no-untyped-def]
        raise AssertionError(f"{ctx.path.name} was parsed although its rows are cached")

    monkeypatch.setattr(FakeLineParser, "parse", refuse)


def test_reopen_uses_cached_rows_but_still_rehashes(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = Case.open(case.folder).load(use_cache=False)
    _no_parsing(monkeypatch)
    cached = Case.open(case.folder).load()
    assert [c.status for c in cached.checks] == [verification.VERIFIED] * 2
    key = ["evidence", "record_id"]
    pd.testing.assert_frame_equal(
        cached.frame.sort_values(key).reset_index(drop=True), fresh.frame.sort_values(key).reset_index(drop=True),
        check_categorical=False,
    )
    assert schema.validate(cached.frame) == []
    report = next(f for f in cached.files if f.path.name == "a.testlog")
    parsed = next(f for f in fresh.files if f.path.name == "a.testlog")
    assert (report.records, report.accepted, report.bad, report.rows) == (parsed.records, parsed.accepted, parsed.bad, parsed.rows)
    assert report.skipped == parsed.skipped and report.skipped["noise"] == 1
    assert [str(w) for w in report.warnings] == [str(w) for w in parsed.warnings] and report.warnings
    opened = [e for e in case.custody.entries() if e["kind"] == "evidence-opened"][-2:]
    assert all(e["rows_from_cache"] for e in opened)
    assert {e["sha256"] for e in opened} == {hash_file(f.path).sha256 for f in cached.files}


def test_modified_file_is_parsed_again_and_reported(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(case.evidence[0].path)
    path.write_text(SAMPLE + "2024-03-06T09:00:00Z,CONTOSO\\pat,cfo@contoso.com,MessageOpen\n")
    loaded = Case.open(case.folder).load()
    assert sorted(c.status for c in loaded.checks) == [verification.MODIFIED, verification.VERIFIED]
    assert len(loaded.frame) == 3 + 4


def test_damaged_cache_is_ignored(case: Case) -> None:
    for parquet in case.cache_dir.glob("*.parquet"):
        parquet.write_bytes(b"not parquet at all")
    loaded = Case.open(case.folder).load()
    assert len(loaded.frame) == 6
    assert [c.status for c in loaded.checks] == [verification.VERIFIED] * 2


def test_changed_identity_file_misses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = tmp_path / "a.testlog"
    evidence.write_text(SAMPLE)
    identities = tmp_path / "ids.csv"
    identities.write_text("DisplayName,Alias,PrimarySmtpAddress\nPat,pat,pat@contoso.com\n")
    case = Case.create(tmp_path / "case", "Ids")
    case.add_evidence([evidence], LoadOptions(identities=identities))
    case.save()
    identities.write_text("DisplayName,Alias,PrimarySmtpAddress\nPat,pat,ceo@contoso.com\n")
    _no_parsing(monkeypatch)
    (report,) = Case.open(case.folder).load().files
    assert report.status == "failed" and "was parsed although" in report.error  # parsed: cache missed


def test_iis_day_gap_notes_follow_the_case_not_the_cached_load(tmp_path: Path) -> None:
    header = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem cs-username c-ip sc-status\n"
    folder = tmp_path / "W3SVC1"
    folder.mkdir()
    for day in ("01", "04"):
        (folder / f"u_ex2403{day}.log").write_text(header + f"2024-03-{day} 09:00:00 GET /owa/ceo@contoso.com/ CONTOSO\\pat 10.0.0.5 200\n")
    case = Case.create(tmp_path / "case", "Days")
    case.add_evidence([folder / "u_ex240301.log"])
    case.add_evidence([folder / "u_ex240304.log"])  # a separate load: alone it shows no gap
    case.save()

    def notes() -> dict[str, list[str]]:
        loaded = Case.open(case.folder).load()
        return {f.path.name: [n[:30] for n in f.notes] for f in loaded.files}

    assert notes() == {"u_ex240301.log": [], "u_ex240304.log": ["DAYS MISSING: the IIS logs loa"]}
    opened = [e for e in case.custody.entries() if e["kind"] == "evidence-opened"][-1]
    assert opened["rows_from_cache"] and opened["notes"][0].startswith("DAYS MISSING")  # custody says so too
    for day in ("02", "03"):
        (folder / f"u_ex2403{day}.log").write_text(header + f"2024-03-{day} 09:00:00 GET /owa/ceo@contoso.com/ CONTOSO\\pat 10.0.0.5 200\n")
    reopened = Case.open(case.folder)
    reopened.add_evidence([folder / "u_ex240302.log", folder / "u_ex240303.log"])
    reopened.save()
    assert notes() == {f"u_ex2403{d}.log": [] for d in ("01", "02", "03", "04")}  # the gap is filled


def test_missing_periods_survive_the_cache(tmp_path: Path) -> None:
    from forensics.case.cache import CacheRecord, FrameCache
    from forensics.parsers.base import FileReport, MissingPeriod

    period = MissingPeriod("2024-03-05T10:00:00Z", "2024-03-06T10:00:00Z", "AUDIT THROTTLED: x", "ceo@contoso.com")
    report = FileReport(path=tmp_path / "a.csv", parser="ual", missing=[period])
    cache = FrameCache(tmp_path / "cache")
    digests = cache.store("k" * 32, report, schema.empty_frame())
    record = CacheRecord("k" * 32, digests["parquet_sha256"], digests["json_sha256"], 1)
    assert cache.fetch("k" * 32, record).file_report(report.path).missing == [period]
    assert cache.fetch("k" * 32) is None  # without the custody record the cache is never trusted
