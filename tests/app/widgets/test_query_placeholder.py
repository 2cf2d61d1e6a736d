"""Issue 22: the query placeholder is an example that matches something in the open case
(built from the loaded rows), and the demo case's example when nothing is loaded."""

from __future__ import annotations

from pathlib import Path

from conftest import ROWS, load, write_guitest
from forensics.query import compile_query
from forensics.schema import conform

DEMO_AUDIT_LOG = Path(__file__).resolve().parents[3] / "resources" / "demo" / "evidence" / "evtx" / "Exchange Auditing.evtx"


def _example(text: str) -> str:
    assert text.startswith("Query (Ctrl+L) — e.g.") and "(Help > Query syntax)" in text
    return text.split("e.g.", 1)[1].split("(Help", 1)[0].strip()


def test_placeholder_follows_the_open_case(qtbot, window, tmp_path) -> None:
    from app.widgets.query_example import DEMO_EXAMPLE

    w = window
    assert _example(w.query_bar.edit.placeholderText()) == DEMO_EXAMPLE  # nothing loaded yet
    load(qtbot, w, [write_guitest(tmp_path / "a.guitest", ROWS)])
    example = _example(w.query_bar.edit.placeholderText())
    # pat is the commonest non-owner actor of ROWS; ceo@contoso.com the mailbox pat opened
    assert example.startswith("actor:pat mailbox:ceo operation:") and example.endswith("is:nonowner")
    w.set_query(example)
    assert w.session.query_error is None and 0 < w.model.rowCount() < len(ROWS)
    # another case, other people: the example follows
    w.session.clear()
    load(qtbot, w, [write_guitest(tmp_path / "b.guitest", [
        ("2024-05-01T10:00:00Z", "FABRIKAM\\kim", "boss@fabrikam.com", "SendAs", "Delegate", "Success"),
        ("2024-05-01T11:00:00Z", "FABRIKAM\\boss", "boss@fabrikam.com", "Logon", "Owner", "Success")])])
    assert _example(w.query_bar.edit.placeholderText()) == "actor:kim mailbox:boss operation:SendAs is:nonowner"


def test_example_matches_odd_values_and_owner_only_cases() -> None:
    from app.widgets.query_example import example_query

    frame = conform([dict(time="2024-03-05T08:00:00Z", actor="BlackBerry Service", mailbox='o"brien@x.com',
                          operation="FolderOpen", logon_type="Delegate"),
                     dict(time="2024-03-05T09:00:00Z", actor="ann", mailbox="ann@x.com", operation="Logon",
                          logon_type="Owner")])
    text = example_query(frame)
    assert compile_query(text).mask(frame).sum() == 1 and "is:nonowner" in text
    owners = frame[frame["logon_type"] == "Owner"].reset_index(drop=True)
    text = example_query(owners)
    assert "is:nonowner" not in text and compile_query(text).mask(owners).all()


def test_demo_example_matches_the_demo_case() -> None:
    """The example shown before anything is loaded finds the demo case's planted incident
    (resources/demo/README.md: Pat Quinn opens the CEO's (amorgan) messages)."""
    from app.widgets.query_example import DEMO_EXAMPLE
    from forensics.ingest import load_evidence

    frame = load_evidence([DEMO_AUDIT_LOG]).frame
    assert compile_query(DEMO_EXAMPLE).mask(frame).sum() > 0


def test_example_prefers_someone_reading_mail_over_a_service_logon() -> None:
    """A backup account logging on to every mailbox outnumbers the assistant reading one;
    the example shows the reading (it looks like the question an examiner asks)."""
    from app.widgets.query_example import example_query

    rows = [dict(time=f"2024-03-05T0{i}:00:00Z", actor="CONTOSO\\svc-backup", mailbox=f"user{i}@x.com",
                 operation="Logon", logon_type="Delegate") for i in range(6)]
    rows += [dict(time="2024-03-05T22:47:00Z", actor="CONTOSO\\pat", mailbox="ceo@x.com", operation="MessageOpen",
                  logon_type="Delegate"),
             dict(time="2024-03-05T08:00:00Z", actor="CONTOSO\\ceo", mailbox="ceo@x.com", operation="Logon",
                  logon_type="Owner")]
    frame = conform(rows)
    text = example_query(frame)
    assert text == "actor:pat mailbox:ceo operation:MessageOpen is:nonowner"
    assert compile_query(text).mask(frame).sum() == 1
