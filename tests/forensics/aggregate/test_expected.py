"""Expected-access marks: reviewed pairs keep their numbers and query, move last, carry the
reason; marks that match nothing are reported."""

from __future__ import annotations

import pandas as pd

from forensics.aggregate import ExpectedAccess, findings
from forensics.aggregate.expected import (
    apply_marks,
    expected_column,
    mark_for,
    replace_mark,
    unmatched_marks,
    without_mark,
)
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


# -- the rows of marked pairs: the ``expected`` column and ``is:expected`` ---------------------
def _with_owner_and_change_rows() -> pd.DataFrame:
    extra = [dict(time="2024-03-05T09:00:00Z", mailbox="svc-backup", actor="svc-backup", logon_type="Owner",
                  operation="MessageOpen", evidence="e1", record_id=100),
             dict(time="2024-03-05T09:30:00Z", mailbox="ceo", actor="svc-backup", logon_type="Admin",
                  operation="PermissionChange", evidence="e1", record_id=101),
             dict(time="2024-03-05T10:00:00Z", mailbox=None, actor=None, logon_type="Delegate",
                  operation="MessageOpen", evidence="e1", record_id=102)]
    return conform(pd.concat([FRAME, conform(extra)], ignore_index=True).to_dict("records"))


def test_rows_of_marked_pairs_carry_the_reason_and_nothing_else_does() -> None:
    frame = _with_owner_and_change_rows()
    marks = [ExpectedAccess("SVC-Backup", "", "backup"), ExpectedAccess("svc-backup", "CFO", "CFO archive job"),
             ExpectedAccess("(not recorded)", "(not recorded)", "unattributed, checked")]
    column = expected_column(frame, marks)
    assert isinstance(column.dtype, pd.CategoricalDtype) and column.index.equals(frame.index)
    by_pair = pd.DataFrame({"actor": frame["actor"].astype(object), "mailbox": frame["mailbox"].astype(object),
                            "op": frame["operation"].astype(str), "expected": column.astype(object)})
    # pair marks beat the actor-wide one; owner access and administrative changes stay unexplained
    assert set(by_pair[(by_pair.actor == "svc-backup") & (by_pair.mailbox == "ceo") & (by_pair.op == "MessageOpen")]
               .expected) == {"backup"}
    assert set(by_pair[by_pair.mailbox == "cfo"].expected) == {"CFO archive job"}
    assert by_pair[by_pair.mailbox == "svc-backup"].expected.isna().all()  # its own mailbox (Owner)
    assert by_pair[by_pair.op == "PermissionChange"].expected.isna().all()  # a change, not an access
    assert by_pair[by_pair.actor == "pat"].expected.isna().all() and by_pair[by_pair.actor == "mallory"].expected.isna().all()
    assert set(by_pair[by_pair.actor.isna()].expected) == {"unattributed, checked"}  # labelled as findings label them


def test_is_expected_selects_exactly_the_rows_of_the_marked_pairs() -> None:
    frame = _with_owner_and_change_rows()
    marks = [ExpectedAccess("svc-backup", "", "backup"), ExpectedAccess("pat", "ceo", "calendar")]
    annotated = frame.assign(expected=expected_column(frame, marks))
    result = findings(annotated, expected=marks)
    marked_rows = sum(int(n) for n, e in zip(result.pairs["events"], result.pairs["expected"]) if e)
    assert compile_query("is:expected").count(annotated) == marked_rows == 9 + 8 + 3
    unexplained = compile_query("is:nonowner -is:change -is:expected").filter(annotated)
    assert sorted(set(unexplained["actor"].astype(object).dropna())) == ["mallory"]
    assert compile_query('expected:calendar').count(annotated) == 3
    # no marks: no column, and is:expected matches nothing (rather than failing)
    assert expected_column(frame, []).isna().all()
    assert compile_query("is:expected").count(frame) == 0 and compile_query("-is:expected").count(frame) == len(frame)


def test_marks_on_resolved_people_match_every_form_of_them() -> None:
    frame = FRAME.assign(actor_key=FRAME["actor"].astype(object).map(lambda a: f"{a.upper()} (resolved)"))
    column = expected_column(frame, [ExpectedAccess("SVC-BACKUP (resolved)", "", "backup")])
    assert column.notna().sum() == 17 and expected_column(frame, [ExpectedAccess("svc-backup", "", "x")]).isna().all()
