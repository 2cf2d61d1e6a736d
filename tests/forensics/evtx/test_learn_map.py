"""Learned event maps: an export whose <Data> order differs from the bundled maps is learned,
and a data-only record (XML export, .evtx) is then read right with ``--maps``."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from forensics.cli.main import main
from forensics.evtx.exchange import map_event
from forensics.evtx.learn import learn
from forensics.evtx.maps import load_maps, parse_map
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.eventviewer_xml import EventViewerXmlParser
from helpers.eventviewer_export import bundled, event_xml, export_xml, rendered
from helpers.run_parser import run_parser

AUDITING = "MSExchangeIS Auditing"
STORE = "MSExchangeIS Mailbox Store"

# "The server's real layout": a permutation of the bundled order (bundled position -> data index)
SERVER_10100 = [2, 0, 1, 11, 3, 4, 5, 6, 7, 8, 9, 10]  # mailbox first, then folder, actor, …
SERVER_1016 = [1, 0]  # mailbox before the account


def values_10100(rng: random.Random, i: int) -> list[str]:
    """Bundled-order values of one folder access, varied across records."""
    alias = rng.choice(["pat", "eve", "sam", "lee"])
    empty_client = i % 3 == 0
    return [
        rng.choice(["/Inbox", "/Sent Items", "/Calendar", "/Inbox/Board"]),
        rng.choice(["CEO Mailbox", "CFO Mailbox", "Legal"]),
        f"CONTOSO\\{alias}",
        alias if i % 5 == 0 else f"{alias.title()} Person",  # sometimes equal to nothing else
        f"/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn={alias}",
        rng.choice(["True", "False"]),
        f"{{{i:08x}-1111-2222-3333-444455556666}}",
        "" if empty_client else f"WKS{rng.randint(1, 99):03d}",
        "" if empty_client else f"10.1.{rng.randint(0, 9)}.{rng.randint(1, 250)}",
        "" if empty_client else "OUTLOOK.EXE",
        "" if empty_client else str(rng.randint(100, 9999)),
        "",
    ]


def server_order(values: list[str], layout: list[int]) -> list[str]:
    data = [""] * len(layout)
    for bundled_pos, index in enumerate(layout):
        data[index] = values[bundled_pos]
    return data


def make_export(path: Path, n: int = 60, conflicts: int = 0) -> list[list[str]]:
    rng = random.Random(5)
    events = []
    truth = []
    for i in range(n):
        values = values_10100(rng, i)
        data = server_order(values, SERVER_10100)
        if i < conflicts:  # a few records where the strings disagree with the message
            data[2], data[0] = data[0], data[2]
        events.append(event_xml(i + 1, AUDITING, 10100, data, rendered(AUDITING, 10100, values)))
        truth.append(values)
    for i in range(20):
        values = [f"CONTOSO\\svc{i % 3}", f"user{i}@contoso.com"]
        events.append(event_xml(100 + i, STORE, 1016, server_order(values, SERVER_1016),
                                rendered(STORE, 1016, values), channel="Application"))
    events.append(event_xml(200, "Service Control Manager", 7036, ["x", "y"], "The x service entered the y state.",
                            channel="System"))
    path.write_text(export_xml(events), encoding="utf-8")
    return truth


def learned_dir(tmp_path: Path, conflicts: int = 0) -> tuple[Path, list[list[str]], str]:
    export = tmp_path / "evidence" / "server-export.xml"
    export.parent.mkdir()
    truth = make_export(export, conflicts=conflicts)
    out = tmp_path / "maps"
    assert main(["learn-map", str(export), "--out", str(out)]) == 0
    return out, truth, export.name


def test_learned_positions_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _, _ = learned_dir(tmp_path)
    printed = capsys.readouterr().out
    assert "layout differs from the map it started from" in printed
    files = sorted(p.name for p in out.iterdir())
    assert files == ["MSExchangeIS_Auditing-10100.json", "MSExchangeIS_Mailbox_Store-1016.json"]
    learned = parse_map(out / "MSExchangeIS_Auditing-10100.json")  # the same validator as --maps
    base = bundled(AUDITING, 10100)
    expected = [None] * 12
    for bundled_pos, index in enumerate(SERVER_10100):
        expected[index] = base.fields[bundled_pos].name
    assert [f.name for f in learned.fields] == expected
    assert learned.message.startswith("The folder %3 in Mailbox '%1' was opened by user %2.")
    assert "Display Name: %12" in learned.message and "Application Id: %11" in learned.message
    assert [f.name for f in parse_map(out / "MSExchangeIS_Mailbox_Store-1016.json").fields] == ["mailbox", "actor"]
    assert "learned by 'mailbox-audit learn-map' from server-export.xml" in learned.source


def test_data_only_records_read_right_with_the_learned_maps(tmp_path: Path) -> None:
    out, truth, _ = learned_dir(tmp_path)
    values = truth[1]
    data = server_order(values, SERVER_10100)
    # the bundled map gets this record wrong (it must fall back to guessing) ...
    wrong = map_event(AUDITING, 10100, data, load_maps())
    assert wrong["mapping"] == "inferred" or wrong["mailbox"] != values[1]
    # ... the learned map reads it positionally and right, as the .evtx parser will
    right = map_event(AUDITING, 10100, data, load_maps(out))
    assert right["mapping"] == "map:MSExchangeIS_Auditing-10100.json"
    assert (right["folder"], right["mailbox"], right["actor"]) == (values[0], values[1], values[2])
    # a data-only XML export with --maps
    export = tmp_path / "data-only.xml"
    export.write_text(export_xml([event_xml(1, AUDITING, 10100, data)]), encoding="utf-8")
    frame, report = run_parser(EventViewerXmlParser, export, LoadOptions(maps_dir=out))
    assert (frame.folder.iloc[0], frame.mailbox.iloc[0], frame.actor.iloc[0]) == (values[0], values[1], values[2])
    # and a rendered message still parses with the learned (renumbered) template
    with_message = tmp_path / "rendered.xml"
    with_message.write_text(export_xml([event_xml(1, AUDITING, 10100, data, rendered(AUDITING, 10100, values))]),
                            encoding="utf-8")
    frame, _ = run_parser(EventViewerXmlParser, with_message, LoadOptions(maps_dir=out))
    assert (frame.mapping.iloc[0], frame.mailbox.iloc[0], frame.client_ip.iloc[0]) == ("rendered", values[1], values[8])


def test_evtx_with_the_learned_maps(tmp_path: Path) -> None:
    pytest.importorskip("forensics.parsers.eventlog.evtx_parser")
    from forensics.parsers.eventlog.evtx_parser import EvtxParser
    from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter

    out, truth, _ = learned_dir(tmp_path)
    path = tmp_path / "Exchange Auditing.evtx"
    writer = EvtxWriter(path, channel="Exchange Auditing", computer="EXMBX01.contoso.com")
    for i, values in enumerate(truth[:10]):
        writer.write(ClassicEvent(provider=AUDITING, event_id=10100, qualifiers=16384, level=4, task=1,
                                  time=datetime(2024, 3, 4, 10, i, tzinfo=timezone.utc),
                                  data=server_order(values, SERVER_10100), keywords=0x80000000000000))
    writer.close()
    frame, _ = run_parser(EvtxParser, path, LoadOptions(maps_dir=out))
    assert list(frame.mailbox) == [v[1] for v in truth[:10]]
    assert list(frame.actor) == [v[2] for v in truth[:10]]
    assert (frame.mapping == "map:MSExchangeIS_Auditing-10100.json").all()


def test_conflicting_records_are_reported_and_outvoted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _, _ = learned_dir(tmp_path, conflicts=4)
    printed = capsys.readouterr().out
    assert "CONFLICT" in printed and "disagreeing" in printed
    learned = json.loads((out / "MSExchangeIS_Auditing-10100.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in learned["fields"]][:3] == ["mailbox", "actor", "folder"]
    assert "CONFLICTS" in learned["source"]


def test_ambiguous_values_are_decided_by_elimination() -> None:
    maps = load_maps()
    base = bundled(AUDITING, 10100)
    events = []
    for i in range(3):
        values = ["/Inbox", "Box", "CONTOSO\\x", "X", "/o=C/cn=x", "False", f"{{{i:08x}-1111-2222-3333-444455556666}}",
                  "", "", "", "", ""]
        events.append((AUDITING, 10100, server_order(values, SERVER_10100), rendered(AUDITING, 10100, values)))
    (result,) = learn(events, maps)
    # the five empty client fields are found at several positions in every record: they
    # cannot be told apart, and the learner says so instead of guessing
    assert result.records == 3
    assert {base.fields[s - 1].name for s in result.unresolved} == {
        "client_host", "client_ip", "process_name", "process_id", "application_id"}
    assert result.positions[1] == SERVER_10100[0] and result.positions[2] == SERVER_10100[1]


def test_refuses_to_write_next_to_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export.xml"
    make_export(export, n=3)
    for out in (tmp_path, tmp_path / "maps"):
        assert main(["learn-map", str(export), "--out", str(out)]) == 2
        assert "refusing to write next to evidence" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.xml"]


def test_export_without_messages_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "evidence").mkdir()
    export = tmp_path / "evidence" / "export.xml"
    export.write_text(export_xml([event_xml(1, AUDITING, 10100, ["/Inbox"] * 12)]), encoding="utf-8")
    assert main(["learn-map", str(export), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no Exchange event with both <Data> strings and a rendered message" in err and "Traceback" not in err


def test_export_is_hashed_into_the_custody_log(tmp_path: Path) -> None:
    (tmp_path / "evidence").mkdir()
    export = tmp_path / "evidence" / "export.xml"
    make_export(export, n=5)
    case = tmp_path / "case"
    assert main(["learn-map", str(export), "--out", str(tmp_path / "maps"), "--case", str(case)]) == 0
    entries = [json.loads(line) for line in (case / "custody.jsonl").read_text(encoding="utf-8").splitlines()]
    opened = [e for e in entries if e.get("kind") == "evidence-opened" or e.get("event") == "evidence-opened"]
    assert opened and opened[-1]["parser"] == "learn-map" and opened[-1]["path"] == str(export.resolve())


def test_extra_data_strings_become_ignored_positions(tmp_path: Path) -> None:
    rng = random.Random(9)
    events = []
    for i in range(12):
        values = values_10100(rng, i + 1)
        data = ["EXTRA-" + str(i)] + server_order(values, SERVER_10100)  # the server logs one more string first
        events.append((AUDITING, 10100, data, rendered(AUDITING, 10100, values)))
    (result,) = learn(events, load_maps())
    from forensics.evtx.learn import learned_map

    doc = learned_map(result, "test")
    assert result.n_strings == 13 and doc["fields"][0] == {"name": "ignored", "kind": "text"}
    assert [f["name"] for f in doc["fields"][1:4]] == ["mailbox", "actor", "folder"]
    assert doc["message"].startswith("The folder %4 in Mailbox '%2' was opened by user %3.")


def test_synthetic_export_confirms_the_bundled_layouts(tmp_path: Path) -> None:
    """On the generator's XML export (written with the bundled layouts) learning finds
    exactly those layouts back, with no conflict."""
    from forensics.evtx.learn import events_from_export
    from forensics.synth.generate import generate

    generate("contoso", tmp_path / "case", seed=5, events=400, formats=("xml",))
    results = []
    for name in ("ExchangeAuditing.xml", "Application.xml"):
        data = (tmp_path / "case" / "evidence" / "exports" / name).read_bytes()
        chunks = iter([data])
        events = events_from_export(lambda n: next(chunks, b""), data[:4096], name, lambda *a: None)
        results += learn(events, load_maps())
    learned = {(r.base.providers[0], r.event_id): r for r in results if r.records}
    assert {key[1] for key in learned} >= {10100, 10102, 1009, 1016}
    for result in learned.values():
        assert not result.differs and not result.conflicts, (result.event_id, result.conflicts)
        assert result.positions == {slot: slot - 1 for slot in result.positions}
