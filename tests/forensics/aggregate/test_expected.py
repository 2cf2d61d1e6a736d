"""Expected-access marks: reviewed pairs keep their numbers and query, move last, carry the
reason; marks that match nothing are reported."""

from __future__ import annotations

import pandas as pd

from forensics.aggregate import ExpectedAccess, findings
from forensics.aggregate.expected import apply_marks, mark_for, replace_mark, unmatched_marks, without_mark
from forensics.query import compile_query
from forensics.schema import conform


def _rows(actor: str, mailbox: str, n: int) -> list[dict]:
    return [dict(time=f"2024-03-05T1{i % 10}:00:00Z", mailbox=mailbox, actor=actor, logon_type="Delegate",
                 operation="MessageOpen", evidence="e1", record_id=i) for i in range(n)]


FRAME = conform(_rows("svc-backup", "ceo", 9) + _rows("svc-backup", "cfo", 8) + _rows("pat", "ceo", 3)
                + _rows("mallory", "hr", 1))


def test_without_marks_every_pair_is_unreviewed_and_ordered_by_events() -> None:
    result = findings(FRAME)
    assert result.pairs["expected"].tolist() == ["", "", "", ""]
    assert result.pairs["events"].tolist() == [9, 8, 3, 1] and result.expected_pairs == 0 and result.unmatched == []


def test_marked_pairs_move_last_with_reason_and_keep_numbers_and_query() -> None:
    marks = [ExpectedAccess("SVC-Backup", "", "backup service account", "K. Diaz"),
             ExpectedAccess("pat", "CEO", "FullAccess for calendar work")]
    result = findings(FRAME, expected=marks)
    pairs = result.pairs
    assert list(zip(pairs["actor"], pairs["mailbox"])) == [
        ("mallory", "hr"), ("svc-backup", "ceo"), ("svc-backup", "cfo"), ("pat", "ceo")]
    assert pairs["expected"].tolist() == [
        "", "backup service account (K. Diaz)", "backup service account (K. Diaz)", "FullAccess for calendar work"]
    assert result.expected_pairs == 3 and pairs["events"].tolist() == [1, 9, 8, 3]
    for _, row in pairs.iterrows():  # reviewed or not, each line's query still selects exactly its rows
        assert compile_query(row["query"]).count(FRAME) == row["events"]


def test_a_pair_mark_beats_the_actor_wide_one_and_replacing_keeps_one_per_scope() -> None:
    marks = [ExpectedAccess("svc-backup", "", "backup"), ExpectedAccess("svc-backup", "cfo", "CFO archive job")]
    assert mark_for(marks, "svc-backup", "cfo").reason == "CFO archive job"
    assert mark_for(marks, "SVC-BACKUP", "ceo").reason == "backup"
    assert mark_for(marks, "pat", "ceo") is None
    marks = replace_mark(marks, ExpectedAccess("SVC-backup", "", "nightly backup"))
    assert [m.reason for m in marks] == ["CFO archive job", "nightly backup"]
    assert [m.reason for m in without_mark(marks, "svc-backup", "CFO")] == ["nightly backup"]


def test_marks_that_match_no_pair_are_named() -> None:
    marks = [ExpectedAccess("svc-backup", "", "backup"), ExpectedAccess("pat", "cfo", "gone"),
             ExpectedAccess("nobody", "", "left the company")]
    result = findings(FRAME, expected=marks)
    assert [m.scope for m in result.unmatched] == ["pat → cfo", "nobody → every mailbox"]
    assert unmatched_marks(result.pairs, []) == []


def test_empty_frame_and_round_trip_through_dicts() -> None:
    empty = apply_marks(pd.DataFrame({"actor": [], "mailbox": []}), [ExpectedAccess("a", "", "r")])
    assert list(empty.columns) == ["actor", "mailbox", "expected"] and empty.empty
    mark = ExpectedAccess("a", "b", "why", "examiner", "2026-11-29T10:00:00Z")
    assert ExpectedAccess.from_dict({**mark.to_dict(), "added_later": 1}) == mark
