"""Reading rendered messages with regexes derived from the event maps' templates."""

from __future__ import annotations

from dataclasses import replace

from forensics.evtx.maps import load_maps
import time

from forensics.evtx.rendered import (
    line_patterns,
    match_many,
    match_slots,
    parse_rendered,
    render,
    strings_without_description,
)
from helpers.eventviewer_export import FOLDER_OPEN

MAPS = load_maps()
FOLDER = MAPS.get("MSExchangeIS Auditing", 10100)
MESSAGE = MAPS.get("MSExchangeIS Auditing", 10102)


def test_every_bundled_template_reads_back_what_it_renders() -> None:
    for emap in {id(m): m for m in MAPS.maps}.values():
        strings = [f"value {i}" if f.kind == "text" else f"x{i}" for i, f in enumerate(emap.fields, 1)]
        slots, status = match_slots(emap, render(emap, strings))
        assert status == "full", emap.file
        assert slots == {i: s for i, s in enumerate(strings, 1) if f"%{i}" in emap.message}


def test_layout_variations_of_exports() -> None:
    text = render(FOLDER, FOLDER_OPEN)
    variants = {
        "LF": text.replace("\r\n", "\n"),
        "flattened (one line)": " ".join(text.split()),
        "no final period on the sentence": text.replace("CONTOSO\\pat.", "CONTOSO\\pat"),
        "trailing whitespace": text + "\r\n\r\n  ",
    }
    for name, variant in variants.items():
        values, status = parse_rendered(FOLDER, variant)
        assert status == "full", name
        assert (values["folder"], values["mailbox"], values["actor"], values["client_ip"]) == (
            "/Inbox", "CEO Mailbox", "CONTOSO\\pat", "10.1.2.3"), name


def test_values_with_spaces_quotes_and_slashes() -> None:
    strings = list(FOLDER_OPEN)
    strings[0] = "/Inbox/Project 'Falcon' / Q3"
    strings[1] = "O'Brien, Mary"
    values, status = parse_rendered(FOLDER, render(FOLDER, strings))
    assert status == "full" and values["folder"] == strings[0] and values["mailbox"] == strings[1]


def test_partial_message_keeps_what_it_can() -> None:
    text = render(MESSAGE, ["/Inbox/Merger", *FOLDER_OPEN[1:]])
    text = text.replace("Address: 10.1.2.3\r\n", "").replace("Process Id: 4321", "Process ID (new): 4321")
    values, status = parse_rendered(MESSAGE, text)
    assert status == "partial"
    assert values["item"] == "/Inbox/Merger" and values["mailbox"] == "CEO Mailbox"
    assert values["client_host"] == "WKS042" and "client_ip" not in values and "process_id" not in values


def test_regexes_follow_the_template_not_the_code() -> None:
    # a localized (or corrected) template changes what is read, without any code change
    german = replace(FOLDER, message="Der Ordner %1 im Postfach '%2' wurde von %3 geöffnet.\r\nAnzeigename: %4")
    values, status = parse_rendered(german, "Der Ordner /Posteingang im Postfach 'Chef' wurde von CONTOSO\\pat geöffnet.\n"
                                            "Anzeigename: Pat")
    assert status == "full"
    assert values == {"folder": "/Posteingang", "mailbox": "Chef", "actor": "CONTOSO\\pat", "actor_display": "Pat"}
    assert parse_rendered(FOLDER, "Der Ordner /Posteingang im Postfach 'Chef' wurde von X geöffnet.")[1] == "none"
    # reordered placeholders (a learned map) map back to the right names
    learned = replace(FOLDER, message=FOLDER.message.replace("%1", "%X").replace("%2", "%1").replace("%X", "%2"),
                      fields=(FOLDER.fields[1], FOLDER.fields[0], *FOLDER.fields[2:]))
    values, _ = parse_rendered(learned, render(FOLDER, FOLDER_OPEN))
    assert (values["folder"], values["mailbox"]) == ("/Inbox", "CEO Mailbox")
    assert len(line_patterns(FOLDER.message)) == 10
    repeated = replace(FOLDER, message="%1 and %1.")
    assert match_slots(repeated, "a and b") == ({1: "a"}, "full")


def test_strings_printed_when_the_message_dll_is_missing() -> None:
    text = ("The description for Event ID 10100 from source MSExchangeIS Auditing cannot be found. Either the "
            "component that raises this event is not installed on your local computer or the installation is "
            "corrupted. You can install or repair the component on the local computer.\n\nIf the event originated "
            "on another computer, the display information had to be saved with the event.\n\nThe following "
            "information was included with the event: \n\n/Inbox\nCEO Mailbox\nCONTOSO\\pat\n\nThe message "
            "resource is present but the message is not found in the string/message table\n")
    assert strings_without_description(text) == ["/Inbox", "CEO Mailbox", "CONTOSO\\pat"]
    assert strings_without_description("The folder /Inbox was opened.") is None


def test_hostile_messages_take_linear_time() -> None:
    # a backtracking engine needs minutes for these; RE2 answers at once
    repeated = "The folder " + "/x in Mailbox 'a' was opened by user b. Display Name: " * 4000
    many_lines = "The folder /a in Mailbox 'b' was opened by user c.\n" + "Display Name: x\n" * 20000
    started = time.monotonic()
    assert match_slots(FOLDER, repeated)[1] in ("partial", "none")
    assert match_slots(FOLDER, many_lines)[1] == "partial"
    assert time.monotonic() - started < 5


def test_batches_mix_full_partial_and_missing() -> None:
    full = render(FOLDER, FOLDER_OPEN)
    results = match_many(FOLDER, [full, None, "", full.replace("Address: 10.1.2.3", "IP: 10.1.2.3"), "junk"])
    assert [status for _, status in results] == ["full", "none", "none", "partial", "none"]
    assert results[0][0][2] == "CEO Mailbox" and 9 not in results[3][0] and results[3][0][8] == "WKS042"
