"""Every generated file is well-formed, and truth.json counts what the files really hold.

The counts are re-derived here by reading the files with independent, generic readers
(``evtx``, defusedxml, the csv module, plain line splitting, json), never by the emitters.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as DET
import evtx
import pytest

from forensics.synth.formats.eventlog import load_map, render
from forensics.synth.formats.mailbox_audit import COLUMNS as MAL_COLUMNS
from forensics.synth.generate import generate

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
OPS = {10100: "FolderOpen", 10102: "MessageOpen", 10104: "SendOnBehalf", 10106: "SendAs", 1009: "Logon", 1016: "Logon"}


def _files(root: Path, fmt: dict) -> list[Path]:
    return [root / f for f in fmt["files"]]


def _position(event_id: int, name: str) -> int:
    provider = "MSExchangeIS Auditing" if event_id >= 10000 else "MSExchangeIS Mailbox Store"
    return [f["name"] for f in load_map(provider, event_id)["fields"]].index(name)


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 5), (b, 5), (c, 6)):
        generate("delegate-send", out, seed=seed, events=300)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert len(files_a) > 10
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    differs = [rel for rel in files_a if (c / rel).exists() and (a / rel).read_bytes() != (c / rel).read_bytes()]
    assert differs, "another seed must give other evidence"


def test_every_format_is_present(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case
    assert set(truth["formats"]) == {
        "evtx-exchangeauditing", "xml-exchangeauditing", "csv-exchangeauditing", "evtx-application",
        "evtx-msexchangemanagement", "csv2003-exchangeauditing", "csv2003-application", "mailbox-audit-xml",
        "ual-classic", "ual-powershell",
        "xml-application", "csv-application", "iis", "iis-2003", "mailbox-audit", "ual"}
    for name, fmt in truth["formats"].items():
        assert fmt["rows"] > 0, name
        for path in _files(root, fmt):
            assert path.is_file() and path.stat().st_size > 0, path
    assert truth["events"] == 1500
    assert truth["formats"]["evtx-exchangeauditing"]["records"] == 1500  # nobody in contoso bypasses except backup
    people = {p["key"] for p in truth["people"]}
    assert {"ceo", "assistant", "admin", "sales"} <= people
    header = (root / "identities.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("DisplayName,Alias,PrimarySmtpAddress")


def _evtx_records(path: Path) -> list[dict]:
    return [json.loads(r["data"])["Event"] for r in evtx.PyEvtxParser(str(path)).records_json()]


@pytest.mark.parametrize("log", ["exchangeauditing", "application"])
def test_evtx_readable_and_counts_match_truth(contoso_case: tuple[Path, dict], log: str) -> None:
    root, truth = contoso_case
    fmt = truth["formats"][f"evtx-{log}"]
    events = _evtx_records(_files(root, fmt)[0])
    assert len(events) == fmt["records"]
    ids = Counter()
    mailboxes = Counter()
    epoch = 0
    for e in events:
        system = e["System"]
        eid = system["EventID"]["#text"] if isinstance(system["EventID"], dict) else system["EventID"]
        if eid not in OPS:
            continue
        ids[str(eid)] += 1
        data = e["EventData"]["Data"]["#text"]
        data = data if isinstance(data, list) else [data]
        mailboxes[data[_position(eid, "mailbox")]] += 1
        t = datetime.strptime(system["TimeCreated"]["#attributes"]["SystemTime"][:19], "%Y-%m-%dT%H:%M:%S")
        epoch += int(t.replace(tzinfo=timezone.utc).timestamp())
    assert dict(ids) == fmt["by_event_id"]
    assert dict(mailboxes) == fmt["by_mailbox"]
    assert epoch == fmt["epoch_seconds_sum"]
    assert sum(ids.values()) == fmt["rows"] == fmt["records"] - fmt["noise_records"]


def test_cmdlet_log_holds_the_admin_changes(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case
    fmt = truth["formats"]["evtx-msexchangemanagement"]
    events = _evtx_records(_files(root, fmt)[0])
    assert len(events) == fmt["records"] == fmt["rows"]
    ids, cmdlets, callers = Counter(), Counter(), Counter()
    for e in events:
        system = e["System"]
        assert system["Provider"]["#attributes"]["Name"] == "MSExchange CmdletLogs"
        assert system["Channel"] == "MSExchange Management"
        eid = system["EventID"]["#text"] if isinstance(system["EventID"], dict) else system["EventID"]
        data = e["EventData"]["Data"]["#text"]
        ids[str(eid)] += 1
        cmdlets[data[0]] += 1
        callers[data[2]] += 1
        assert (eid == 6) == bool(data[11])  # failures carry the error as the 12th string
    assert dict(ids) == fmt["by_event_id"] and ids["6"] == 1
    assert dict(cmdlets) == fmt["by_source_operation"]
    assert dict(callers) == fmt["by_actor"]
    changes = truth["admin_changes"]
    assert any("Bypass-Access-Auditing" in c["parameters"] and c["operation"] == "AuditConfigChange" for c in changes)
    assert sum(c["operation"] == "PermissionChange" for c in changes) == fmt["by_operation"]["PermissionChange"]


@pytest.mark.parametrize("log", ["exchangeauditing", "application"])
def test_xml_export_parses_safely_and_messages_render_the_data(contoso_case: tuple[Path, dict], log: str) -> None:
    root, truth = contoso_case
    fmt = truth["formats"][f"xml-{log}"]
    tree = DET.parse(_files(root, fmt)[0])
    events = tree.getroot().findall(f"{NS}Event")
    assert tree.getroot().tag == "Events" and len(events) == fmt["records"]
    ops, actors, record_ids = Counter(), Counter(), []
    for e in events:
        eid = int(e.find(f"{NS}System/{NS}EventID").text)
        record_ids.append(int(e.find(f"{NS}System/{NS}EventRecordID").text))
        data = [d.text or "" for d in e.findall(f"{NS}EventData/{NS}Data")]
        message = e.find(f"{NS}RenderingInfo/{NS}Message").text
        if eid in OPS:
            provider = e.find(f"{NS}System/{NS}Provider").get("Name")
            template = load_map(provider, eid)["message"]
            assert message.replace("\r\n", "\n") == render(template, data).replace("\r\n", "\n")
            ops[OPS[eid]] += 1
            actors[data[_position(eid, "actor")]] += 1
    assert record_ids == list(range(1, len(events) + 1))
    assert dict(ops) == fmt["by_operation"]
    assert dict(actors) == fmt["by_actor"]


@pytest.mark.parametrize("log,encoding", [("exchangeauditing", "utf-16"), ("application", "utf-8-sig")])
def test_csv_export_shape_encoding_and_local_times(contoso_case: tuple[Path, dict], log: str, encoding: str) -> None:
    root, truth = contoso_case
    fmt = truth["formats"][f"csv-{log}"]
    raw = _files(root, fmt)[0].read_bytes()
    assert raw.startswith(b"\xff\xfe" if encoding == "utf-16" else b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    assert rows[0] == ["Level", "Date and Time", "Source", "Event ID", "Task Category"]
    body = rows[1:]
    assert len(body) == fmt["records"] and all(len(r) == 6 for r in body)
    zone = ZoneInfo(truth["timezones"]["export"])
    epoch, ids = 0, Counter()
    for r in body:
        if int(r[3]) not in OPS:
            continue
        ids[r[3]] += 1
        local = datetime.strptime(r[1], "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=zone)
        epoch += int(local.timestamp())
    assert dict(ids) == fmt["by_event_id"]
    assert epoch == fmt["epoch_seconds_sum"]  # local times convert back to the truth's UTC
    if log == "exchangeauditing":
        assert all("\n" in r[5] for r in body)  # multi-line descriptions


@pytest.mark.parametrize("log", ["exchangeauditing", "application"])
def test_windows_2003_csv_export(contoso_case: tuple[Path, dict], log: str) -> None:
    root, truth = contoso_case
    fmt = truth["formats"][f"csv2003-{log}"]
    raw = _files(root, fmt)[0].read_bytes()
    assert not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe"))
    rows = list(csv.reader(io.StringIO(raw.decode("cp1252"), newline="")))
    assert len(rows) == fmt["records"] and all(len(r) == 9 for r in rows)  # no header row
    zone = ZoneInfo(truth["timezones"]["export"])
    epoch, ids = 0, Counter()
    for r in rows:
        if int(r[5]) in OPS:
            ids[r[5]] += 1
            local = datetime.strptime(f"{r[0]} {r[1]}", "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=zone)
            epoch += int(local.timestamp())
    assert dict(ids) == fmt["by_event_id"] and epoch == fmt["epoch_seconds_sum"]
    assert {r[3] for r in rows} <= {"Information", "Success Audit"}


def test_mailbox_audit_xml_report(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case
    fmt = truth["formats"]["mailbox-audit-xml"]
    events = DET.parse(_files(root, fmt)[0]).getroot().findall("Event")
    assert len(events) == fmt["records"] == truth["formats"]["mailbox-audit"]["records"]
    assert dict(Counter(e.get("Operation") for e in events)) == fmt["by_source_operation"]
    assert dict(Counter(e.get("LogonUserDN") for e in events)) == fmt["by_actor"]
    epoch = sum(int(datetime.fromisoformat(e.get("LastAccessed")).timestamp()) for e in events)
    assert epoch == fmt["epoch_seconds_sum"]
    binds = [e for e in events if e.get("Operation") == "MessageBind"]
    assert binds and all(e.find("SourceItems/SourceItem").get("Subject") for e in binds)


@pytest.mark.parametrize("name", ["iis", "iis-2003"])
def test_iis_logs_are_w3c_and_counts_match(contoso_case: tuple[Path, dict], name: str) -> None:
    root, truth = contoso_case
    fmt = truth["formats"][name]
    records = challenges = 0
    field_blocks = 0
    for path in _files(root, fmt):
        fields: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#Fields: "):
                fields = line[9:].split(" ")
                field_blocks += 1
                continue
            if line.startswith("#"):
                continue
            parts = line.split(" ")
            assert len(parts) == len(fields), (path, line)
            row = dict(zip(fields, parts))
            records += 1
            challenges += row["sc-status"] == "401"
    assert records == fmt["records"]
    assert challenges == fmt["challenge_records"] > 0
    assert fmt["rows"] + fmt["noise_records"] + fmt["challenge_records"] == fmt["records"]
    if name == "iis":
        assert field_blocks == len(fmt["files"]) + 1  # one IIS restart with another field list


def test_mailbox_audit_csv_counts_match(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case
    fmt = truth["formats"]["mailbox-audit"]
    with open(_files(root, fmt)[0], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(MAL_COLUMNS)
    assert len(rows) == fmt["records"] == fmt["rows"]
    assert dict(Counter(r["Operation"] for r in rows)) == fmt["by_source_operation"]
    assert dict(Counter(r["LogonType"] for r in rows)) == fmt["by_logon_type"]
    assert dict(Counter(r["MailboxOwnerUPN"] for r in rows)) == fmt["by_mailbox"]
    assert "Owner" not in fmt["by_logon_type"]


def test_ual_csv_counts_match_and_mail_items_accessed_has_several_items(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case
    fmt = truth["formats"]["ual"]
    with open(_files(root, fmt)[0], encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        records = list(reader)
    assert header == ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
                      "AssociatedAdminUnits", "AssociatedAdminUnitsNames"]
    assert len(records) == fmt["records"] and all(len(r) == 8 for r in records)
    rows, ops, types, epoch = 0, Counter(), Counter(), 0
    max_items = 0
    for r in records:
        data = json.loads(r[5])
        assert data["Id"] == r[0] and data["Operation"] == r[3]
        if data["Workload"] != "Exchange" and data["Operation"] != "UserLoggedIn":  # sign-ins are Logon rows
            continue
        created = int(datetime.fromisoformat(data["CreationTime"]).replace(tzinfo=timezone.utc).timestamp())
        if data["Operation"] == "MailItemsAccessed":
            kind = data["OperationProperties"][0]["Value"]
            n = sum(len(f.get("FolderItems", [])) for f in data["Folders"]) if kind == "Bind" else len(data["Folders"])
            assert n == data["OperationCount"]
            types[kind] += n
            max_items = max(max_items, n)
        else:
            n = 1
        rows += n
        ops[data["Operation"]] += n
        epoch += created * n
    assert rows == fmt["rows"]
    assert dict(ops) == fmt["by_source_operation"]
    assert dict(types) == fmt["rows_by_mail_access_type"]
    assert epoch == fmt["epoch_seconds_sum"]
    assert max_items >= 3 and types["Sync"] > 0
    assert ops["UserLoggedIn"] > 0 and fmt["by_operation"]["SendAs"] == 1


def test_ual_layouts_wrap_the_same_records(contoso_case: tuple[Path, dict]) -> None:
    root, truth = contoso_case

    def read(name: str) -> tuple[list[str], list[list[str]]]:
        with open(_files(root, truth["formats"][name])[0], encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        return rows[0], rows[1:]

    _, purview = read("ual")
    head4, classic = read("ual-classic")
    head10, ps = read("ual-powershell")
    assert head4 == ["CreationDate", "UserIds", "Operations", "AuditData"] and len(head10) == 10
    assert [r[5] for r in purview] == [r[3] for r in classic] == [r[4] for r in ps]
    assert all(r[0].endswith(".0000000Z") for r in classic)
    assert {r[0] for r in ps} >= {"ExchangeItemAggregated", "ExchangeItem"}
    for name in ("ual-classic", "ual-powershell"):
        assert {k: v for k, v in truth["formats"][name].items() if k not in ("files", "layout")} == \
            {k: v for k, v in truth["formats"]["ual"].items() if k not in ("files", "layout")}


def test_incident_truth(contoso_case: tuple[Path, dict]) -> None:
    _, truth = contoso_case
    incidents = {i["id"]: i for i in truth["incidents"]}
    owa = incidents["compromised-owa"]
    assert owa["client_ip"] == "203.0.113.77" and owa["channel"] == "owa" and owa["mailboxes"] == ["cfo"]
    assert owa["rows"]["iis"] == sum(owa["operations"].values())
    sweep = incidents["admin-exec-sweep"]
    assert sweep["admin_rights"] and sweep["logon_type"] == "Admin" and len(sweep["mailboxes"]) == 3
    assert sweep["rows"]["mailbox-audit"] == sum(sweep["operations"].values())  # admins' binds all audited
    late = incidents["assistant-after-hours"]
    assert late["first"] < late["last"] and late["operations"]["MessageOpen"] >= 5
    assert incidents["delegate-sendas"]["operations"] == {"SendAs": 1}
    assert incidents["delegate-sendonbehalf"]["operations"] == {"SendOnBehalf": 1}
    for inc in incidents.values():
        assert inc["rows"]["evtx-exchangeauditing"] == sum(inc["operations"].values())


def _rows_xml(xml: str) -> tuple:
    root = DET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    system = root.find(f"{NS}System")
    return (int(system.find(f"{NS}EventRecordID").text), int(system.find(f"{NS}EventID").text),
            system.find(f"{NS}EventID").get("Qualifiers"), system.find(f"{NS}Provider").get("Name"),
            system.find(f"{NS}TimeCreated").get("SystemTime")[:19].replace(" ", "T"), system.find(f"{NS}Channel").text,
            tuple(d.text or "" for d in root.findall(f"{NS}EventData/{NS}Data")))


def test_scenario_evtx_reads_the_same_in_three_parsers(tmp_path: Path) -> None:
    """The scenario's own logs (not only the writer's test events) agree across parsers."""
    import Evtx.Evtx as PyEvtx

    generate("admin-sweep", tmp_path, seed=2, events=120, formats=("evtx",))
    for name in ("Exchange Auditing", "Application"):
        path = tmp_path / "evidence" / "evtx" / f"{name}.evtx"
        rust = [_rows_xml(r["data"]) for r in evtx.PyEvtxParser(str(path)).records()]
        with PyEvtx.Evtx(str(path)) as log:
            python = [_rows_xml(r.xml()) for r in log.records()]
        assert rust == python and len(rust) > 100
        try:
            import pyevtx
        except ImportError:
            continue
        log = pyevtx.file()
        log.open(str(path))
        lib = [_rows_xml(log.get_record(i).xml_string) for i in range(log.number_of_records)]
        log.close()
        assert lib == rust
