"""``mailbox-audit findings``: the findings as JSON/CSV without a GUI, on the demo case."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from forensics.cli.main import main

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "resources" / "demo"
IDENTITIES = REPO / "resources" / "demo-identities.csv"
FIELDS = {"actor", "mailbox", "actor_forms", "mailbox_forms", "operations", "rows", "sources", "first", "last",
          "after_hours", "client_ips", "client_hosts", "admin"}


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not (DEMO / "truth.json").is_file():
        pytest.skip("demo case not generated")
    out = tmp_path_factory.mktemp("findings") / "findings.json"
    assert main(["findings", str(DEMO / "evidence"), "--identities", str(IDENTITIES), "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_json_lists_pairs_by_access_with_rows_beside(demo_json: dict) -> None:
    assert demo_json["count"] == "accesses"
    pairs = demo_json["pairs"]
    assert pairs and all(FIELDS <= set(p) for p in pairs)
    dana = next(p for p in pairs if p["actor"] == "Dana White" and p["mailbox"] == "Jordan Lee")
    assert {k: dana["operations"][k] for k in ("FolderOpen", "MessageOpen")} == {"FolderOpen": 3, "MessageOpen": 7}
    assert {k: dana["rows"][k] for k in ("FolderOpen", "MessageOpen")} == {"FolderOpen": 12, "MessageOpen": 14}
    assert set(dana["sources"]) == {"evtx", "iis", "mailbox-audit", "ual"}
    assert "CONTOSO\\dwhite" in dana["actor_forms"] and "jlee@contoso.com" in dana["mailbox_forms"]
    assert dana["client_ips"] == ["203.0.113.77"] and dana["admin"] is False
    assert dana["first"].endswith("Z") and dana["first"] <= dana["last"]
    assert [p["accesses"] for p in pairs] == sorted((p["accesses"] for p in pairs), reverse=True)
    assert any(c["operation"] == "AuditConfigChange" for c in demo_json["admin_changes"])


def test_csv_is_the_same_flattened(tmp_path: Path, demo_json: dict) -> None:
    out = tmp_path / "f.csv"
    assert main(["findings", str(DEMO / "evidence"), "--identities", str(IDENTITIES), "--count", "rows",
                 "--filter", "actor_key:=\"Dana White\"", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["mailbox"] for r in rows] == ["Jordan Lee"]
    assert "FolderOpen=3" in rows[0]["operations"] and "MessageOpen=14" in rows[0]["rows"]


def test_an_unknown_output_format_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", str(DEMO / "evidence"), "--out", str(tmp_path / "f.txt")]) == 2
    assert "--format json|csv" in capsys.readouterr().err


def test_load_prints_distinct_accesses_and_clock_offsets(capsys: pytest.CaptureFixture[str]) -> None:
    if not (DEMO / "truth.json").is_file():
        pytest.skip("demo case not generated")
    assert main(["load", str(DEMO / "evidence"), "--identities", str(IDENTITIES)]) == 0
    out = capsys.readouterr().out
    assert "distinct in 5,319 rows" in out
    assert "SearchResult.xml: clock:" in out and "median offset of +0.0 s" in out
