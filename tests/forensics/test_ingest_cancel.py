"""A cancel stops a load within a second, for every format, large XML exports included.

Evidence comes from the synthetic generator (``forensics.synth``: the Event Viewer XML/CSV
exports, the Purview UAL CSV, the Management Activity API JSON lines, the Exchange Auditing
.evtx) at 20,000 accesses, and a mailbox audit search result (``New-MailboxAuditLogSearch``
XML) made large by repeating its generated ``<Event>`` records. The cancel is raised from the
load's own progress callback once the file is being read, then the time until
``LoadCancelled`` is measured: what the user waits for after pressing Cancel. A load that
finished instead would not test anything, so it fails the test too. Marked slow (it
generates ~110 MB of evidence).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from forensics.custody.log import CustodyLog
from forensics.errors import LoadCancelled
from forensics.ingest import Progress, load_evidence

STOP_WITHIN_S = 1.0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forensics.synth.generate import generate

    out = tmp_path_factory.mktemp("cancel")
    generate("contoso", out, seed=3, events=20_000, formats=("xml", "csv", "ual", "ual-json", "mailbox-audit-xml", "evtx"),
             logs=("exchange-auditing",))
    search = next(out.rglob("SearchResult.xml"))
    text = search.read_text(encoding="utf-8")
    events = re.findall(r"<Event\b.*?</Event>", text, flags=re.DOTALL)
    assert events, "the generator's mailbox audit XML has <Event> records"
    head, tail = text[: text.index(events[0])], text[text.rindex(events[-1]) + len(events[-1]):]
    big = out / "big" / "SearchResult.xml"
    big.parent.mkdir()
    repeats = max(1, (24 << 20) // max(1, len("".join(events))))
    big.write_text(head + "".join(events * repeats) + tail, encoding="utf-8")
    return out


def _stop_time(path: Path, tmp_path: Path) -> float:
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def progress(p: Progress) -> None:
        if not cancel.is_set() and p.file_done >= min(p.file_total, 1 << 20):
            cancel.set()
            cancelled_at.append(time.perf_counter())

    with pytest.raises(LoadCancelled):
        load_evidence([path], custody=CustodyLog(tmp_path / "custody.jsonl", examiner="t"), progress=progress,
                      cancel=cancel.is_set)
    return time.perf_counter() - cancelled_at[0]


@pytest.mark.slow
@pytest.mark.parametrize("pattern", [
    "exports/ExchangeAuditing.xml",  # Event Viewer XML export
    "exports/ExchangeAuditing.csv",  # Event Viewer CSV export
    "ual/AuditLog_Purview.csv",  # Purview audit search CSV
    "ual/AuditLog_ManagementAPI.jsonl",  # Management Activity API JSON lines
    "big/SearchResult.xml",  # mailbox audit search result XML
    "evtx/Exchange Auditing.evtx",
])
def test_cancel_stops_the_load_within_a_second(corpus: Path, tmp_path: Path, pattern: str) -> None:
    path = next(corpus.rglob(pattern.split("/")[-1]), None) if "/" not in pattern else None
    path = path or next(p for p in corpus.rglob("*") if p.as_posix().endswith(pattern))
    assert path.stat().st_size > 10 << 20, "large enough that parsing it takes longer than the bound"
    assert _stop_time(path, tmp_path) <= STOP_WITHIN_S
