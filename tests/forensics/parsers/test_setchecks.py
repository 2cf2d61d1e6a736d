"""A parser's own evidence-set checks run through the registry: ingest, cases and sessions
call every registered check without naming it (a new format needs no change to ingest)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest

from forensics.custody.log import CustodyLog
from forensics.ingest import load_evidence
from forensics.parsers import registry
from forensics.parsers.base import FileReport
from forensics.parsers.setchecks import EvidenceSetCheck, refresh_checks
from forensics.parsers.w3c.iis_rollover import ROLLOVER_CHECK
from helpers.fake_parser import SAMPLE, FakeLineParser

PREFIX = "SET CHECK"


def _plan(paths: Iterable[Path]) -> list[str]:
    return sorted(p.name for p in paths)


def _note(report: FileReport, names: list[str]) -> None:
    report.notes[:] = [n for n in report.notes if not n.startswith(PREFIX)]
    if report.parser == "testset":
        report.notes.append(f"{PREFIX}: {len(names)} files planned: {', '.join(names)}")


def _refresh(reports: Sequence[FileReport]) -> None:
    present = [Path(r.path) for r in reports if r.parser == "testset" and r.status == "loaded"]
    for report in reports:
        _note(report, _plan(present))


SET_CHECK = EvidenceSetCheck("test-set", frozenset({"testset"}), _plan, _note, _refresh)


class SetCheckedParser(FakeLineParser):
    name = "testset"
    source_format = "testset"
    extensions = (".testset",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 95 if head.startswith(b"#TESTLOG") and path.suffix == ".testset" else 0

    @classmethod
    def evidence_set_checks(cls) -> tuple[EvidenceSetCheck, ...]:
        return (SET_CHECK,)


@pytest.fixture
def registered() -> Iterator[None]:
    registry.register(SetCheckedParser)
    try:
        yield
    finally:
        registry.PARSERS.remove(SetCheckedParser)


def test_registry_collects_each_parsers_checks(registered: None) -> None:
    checks = registry.evidence_set_checks()
    assert SET_CHECK in checks and ROLLOVER_CHECK in checks  # IIS contributes its day-gap check
    assert len(checks) == len(set(map(id, checks)))


def test_ingest_and_custody_carry_a_new_parsers_check(registered: None, tmp_path: Path) -> None:
    for name in ("a.testset", "b.testset"):
        (tmp_path / name).write_text(SAMPLE)
    (tmp_path / "c.testlog").write_text(SAMPLE.replace("pat", "kim"))  # another parser: no note
    custody = CustodyLog(tmp_path / "custody")
    result = load_evidence(sorted(tmp_path.glob("*.test*")), custody=custody)
    by_name = {Path(r.path).name: r for r in result.files}
    assert by_name["a.testset"].parser == "testset"
    assert f"{PREFIX}: 3 files planned: a.testset, b.testset, c.testlog" in by_name["b.testset"].notes
    assert not [n for n in by_name["c.testlog"].notes if n.startswith(PREFIX)]
    opened = [e for e in custody.entries() if e.get("kind") == "evidence-opened" and e["path"].endswith("a.testset")]
    assert opened and opened[-1]["notes"][0].startswith(PREFIX)  # recorded with the file

    by_name["b.testset"].status = "failed"  # the set changes: refresh recomputes, never piles up
    refresh_checks(result.files)
    assert by_name["a.testset"].notes == [f"{PREFIX}: 1 files planned: a.testset"]
