"""Scenario model, shipped scenarios and the access stream."""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections import Counter

import pytest

from forensics.synth.accesses import generate_accesses, incident_store_count
from forensics.synth.scenario import STORE_OPERATIONS, Step
from forensics.synth.scenarios import SCENARIOS, get_scenario, with_staff


def test_shipped_scenarios_validate_and_hold_the_required_stories() -> None:
    for scenario in SCENARIOS.values():
        scenario.validate()
    kinds = {i.kind for i in get_scenario("contoso").incidents}
    assert {"after-hours-delegate", "admin-sweep", "delegate-send", "compromised-owa"} <= kinds
    ops = Counter(step.operation for i in get_scenario("contoso").incidents for step in i.steps)
    assert ops["SendAs"] == 1 and ops["SendOnBehalf"] == 1
    sweep = next(i for i in get_scenario("contoso").incidents if i.kind == "admin-sweep")
    assert sweep.admin_rights and len(sweep.mailboxes) >= 3
    owa = next(i for i in get_scenario("contoso").incidents if i.kind == "compromised-owa")
    assert owa.channel == "owa" and not owa.client_ip.startswith("10.")


def test_every_identity_form_is_derived_consistently() -> None:
    ceo = get_scenario("contoso").person("ceo")
    forms = ceo.forms()
    assert forms["smtp"] == "amorgan@contoso.com"
    assert forms["account"] == "CONTOSO\\amorgan"
    assert forms["legacy_dn"].endswith("/cn=Recipients/cn=amorgan")
    assert forms["sid"].startswith("S-1-5-21-") and forms["sid"].endswith("-1101")
    assert len(forms["mailbox_guid"]) == 36
    system = get_scenario("contoso").person("system")
    assert system.account == "NT AUTHORITY\\SYSTEM" and system.sid == "S-1-5-18"


def test_validate_rejects_unknown_people_and_operations() -> None:
    s = get_scenario("after-hours")
    bad = dataclasses.replace(s.incidents[0], actor="nobody")
    with pytest.raises(ValueError, match="unknown person"):
        dataclasses.replace(s, incidents=(bad,)).validate()
    bad = dataclasses.replace(s.incidents[0], steps=(Step("Delete", "/Inbox"),))
    with pytest.raises(ValueError, match="unknown operation"):
        dataclasses.replace(s, incidents=(bad,)).validate()
    bad_change = dataclasses.replace(s.admin_changes[0], actor="nobody")
    with pytest.raises(ValueError, match="admin change"):
        dataclasses.replace(s, admin_changes=(bad_change,)).validate()
    with pytest.raises(KeyError, match="known: "):
        get_scenario("nope")


def test_stream_is_time_ordered_exact_and_deterministic() -> None:
    s = with_staff(get_scenario("contoso"), 8)
    first = list(generate_accesses(s, seed=3, events=2000))
    again = list(generate_accesses(s, seed=3, events=2000))
    other = list(generate_accesses(s, seed=4, events=2000))
    assert [(a.time, a.operation, a.actor.key, a.subject) for a in first] == \
        [(a.time, a.operation, a.actor.key, a.subject) for a in again]
    assert [(a.time, a.actor.key) for a in first] != [(a.time, a.actor.key) for a in other]
    assert all(x.time <= y.time for x, y in zip(first, first[1:]))
    assert sum(a.operation in STORE_OPERATIONS for a in first) == 2000
    start, end = s.start_utc, s.end_utc
    assert all(start <= a.time < end for a in first)


def test_incidents_are_fixed_whatever_the_size() -> None:
    s = get_scenario("contoso")
    small = [(a.time, a.operation, a.subject) for a in generate_accesses(s, 1, incident_store_count(s)) if a.incident]
    big = [(a.time, a.operation, a.subject) for a in generate_accesses(s, 1, 5000) if a.incident]
    assert small == big
    only = [a for a in generate_accesses(s, 1, incident_store_count(s)) if a.is_store]
    assert all(a.incident for a in only)
    with pytest.raises(ValueError, match="at least"):
        next(generate_accesses(s, 1, incident_store_count(s) - 1))


def test_after_hours_incident_is_after_hours_and_delegate() -> None:
    s = get_scenario("contoso")
    acc = [a for a in generate_accesses(s, 1, 1000) if a.incident == "assistant-after-hours"]
    local = [a.time.astimezone(s.zone) for a in acc]
    assert all(t.hour >= s.normal.work_end or t.hour < s.normal.work_start for t in local)
    assert {a.logon_type for a in acc} == {"Delegate"}
    assert {a.mailbox.key for a in acc} == {"ceo"} and {a.actor.key for a in acc} == {"assistant"}
    assert {a.operation for a in acc} == {"Logon", "FolderOpen", "MessageOpen"}


def test_stream_memory_does_not_grow_with_events() -> None:
    s = with_staff(get_scenario("contoso"), 50)

    def peak(n: int) -> int:
        tracemalloc.start()
        for _ in generate_accesses(s, 1, n):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(5_000), peak(40_000)
    # 8x the events must not need anywhere near 8x the memory (one hour is buffered)
    assert large < 3 * small + 2_000_000
