"""Microsoft 365 unified audit log as the Office 365 Management Activity API delivers it:
one JSON record per line (``evidence/ual/AuditLog_ManagementAPI.jsonl``), the shape SIEM
collectors store the API's content blobs in.

The records are the Purview CSV's ``AuditData`` for the same scenario and seed, byte for byte
(``UalEmitter``: same random stream, same aggregation of MailItemsAccessed binds, same
sign-ins), so a case holding both shows the same evidence twice, as a real one does. Written
only when asked for (``generate --formats ual-json``). UTF-8 without a BOM, ``\\n`` line ends.
"""

from __future__ import annotations

import json
import random
from collections import OrderedDict
from pathlib import Path

from forensics.synth.formats import ual
from forensics.synth.formats.base import Emitter, FormatTruth
from forensics.synth.formats.ual import UalEmitter, _Bind
from forensics.synth.scenario import Scenario

FILE_NAME = "AuditLog_ManagementAPI.jsonl"


class UalJsonEmitter(UalEmitter):
    """The UAL records as JSON lines (no CSV wrapper, no ResultIndex)."""

    def __init__(self, scenario: Scenario, out: Path, seed: int) -> None:
        Emitter.__init__(self, scenario, out)
        self.layout = "json"
        path = out / "evidence" / "ual" / FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        carries = " ".join((ual.__doc__ or "").split("Which accesses it carries")[1].split("``LogonType``")[0].split())
        self.truth = FormatTruth("ual-json", "ual", carries.lstrip("(): "), "utc", [path],
                                 extra={"layout": "management-activity-api-jsonl", "encoding": "utf-8"})
        self.truths = [self.truth]
        self.rng = random.Random(f"{scenario.name}:{seed}:ual")  # the CSV's random stream: the same records
        self.f = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed in close()
        self.index = 0
        self.org = scenario.org
        self.binds: OrderedDict[str, _Bind] = OrderedDict()
        self.bind_records = 0
        self.access_types = {"Bind": 0, "Sync": 0}

    def _write(self, record: dict, user: str) -> None:
        self.f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.truth.tally.records += 1
