"""The committed demo case is what ``make demo`` writes, and it loads cleanly."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from forensics.cli.main import main
from forensics.ingest import load_evidence
from forensics.synth.truth import load_truth

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "resources" / "demo"


def _make_demo_args() -> list[str]:
    line = next(l for l in (REPO / "Makefile").read_text().splitlines() if l.startswith("demo:"))
    command = line.split("forensics.cli.main", 1)[1]
    return shlex.split(command)


def test_demo_is_reproduced_byte_for_byte_by_make_demo(tmp_path: Path) -> None:
    args = _make_demo_args()
    args[args.index("--out") + 1] = str(tmp_path / "demo")
    args[args.index("--identities-out") + 1] = str(tmp_path / "demo-identities.csv")
    assert main(args) == 0
    committed = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file())
    assert committed == sorted(p.relative_to(tmp_path / "demo") for p in (tmp_path / "demo").rglob("*") if p.is_file())
    for rel in committed:
        assert (DEMO / rel).read_bytes() == (tmp_path / "demo" / rel).read_bytes(), rel
    assert (REPO / "resources" / "demo-identities.csv").read_bytes() == (tmp_path / "demo-identities.csv").read_bytes()


def test_demo_loads_without_failures_and_holds_the_incidents() -> None:
    truth = load_truth(DEMO)
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 6 * 2**20  # a few MB at most
    result = load_evidence([DEMO])
    assert [r.path.name for r in result.files if r.status != "loaded"] == []
    frame = result.frame
    assert len(frame) == sum(f["rows"] for f in truth["formats"].values()) >= 3000
    assert set(frame["source_format"].astype(str)) == {"evtx", "iis", "mailbox-audit", "ual"}
    owa = next(i for i in truth["incidents"] if i["id"] == "compromised-owa")
    accesses = frame["mailbox"].notna()  # the UAL sign-in from the same address is no incident row
    assert ((frame["client_ip"] == owa["client_ip"]) & accesses).sum() == sum(owa["rows"].values()) - owa["rows"]["evtx-application"]
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert all(i["title"] in readme for i in truth["incidents"])
    assert re.search(r"`mailbox-audit synth [^`]*--events=1500", readme)
