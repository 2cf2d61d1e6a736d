"""Ground truth of a generated case: what happened, and what each evidence file must yield.

``truth.json`` (written next to ``evidence/`` by ``mailbox-audit synth``) is what parser
round-trip tests compare against. Layout (all times ISO-8601 UTC with ``Z``)::

    {
      "truth_version": 1,
      "scenario": "contoso", "seed": 1, "events": 3000,      # events = store accesses
      "command": "mailbox-audit synth --scenario contoso ...",
      "span": {"start": "...Z", "end": "...Z"},
      "timezones": {"organization": "America/New_York",       # work hours are local here
                    "export": "America/New_York"},             # CSV exports' local times
      "people": [{"key", "display_name", "alias", "smtp", "upn", "account", "legacy_dn",
                  "sid", "mailbox_guid", "kind", "title", "workstation", "ip"}, ...],
      "identities_csv": "identities.csv",                     # the same as a directory export
      "accesses": {<tally of the underlying accesses, see below>},
      "incidents": [{"id", "title", "kind", "description",
                     "actor": <person key>, "actor_account", "actor_display_name",
                     "mailboxes": [<person key>...], "mailbox_aliases": [...],
                     "channel", "client_ip", "client_host", "client_app", "logon_type",
                     "admin_rights", "first", "last",          # store accesses, UTC
                     "logons": n, "operations": {"FolderOpen": 4, ...},
                     "items": [subjects...], "folders": [...],
                     "rows": {<format>: <rows of this incident in that format>}}],
      "admin_changes": [{"time", "actor", "actor_account", "cmdlet", "parameters", "outcome",
                         "operation", "target", "mailbox", "incident", "note"}],
                                                      # the scenario's cmdlets (the routine
                                                      # Get-MailboxStatistics are only counted)
      "formats": {<format name>: {
          "files": ["evidence/evtx/Exchange Auditing.evtx", ...],   # relative to truth.json
          "source_format": "evtx",          # the schema's source_format of its rows
          "carries": "what accesses the format holds (one sentence)",
          "time_basis": "utc" | "local:America/New_York",
          "records": 1234,                  # records in the files (lines / events / CSV rows),
                                            # noise and 401 challenges included
          "noise_records": 12,              # records that are no mailbox access (counted,
                                            # not rowed, unless --all-events)
          "challenge_records": 0,           # IIS 401 halves of challenge pairs (not rowed)
          <tally>}}
    }

Format names (``formats`` keys), their ``source_format`` and files::

    evtx-exchangeauditing       evtx           evidence/evtx/Exchange Auditing.evtx
    evtx-application            evtx           evidence/evtx/Application.evtx
    evtx-msexchangemanagement   evtx           evidence/evtx/MSExchange Management.evtx (admin cmdlets)
    xml-exchangeauditing        evtx-xml       evidence/exports/ExchangeAuditing.xml
    xml-application             evtx-xml       evidence/exports/Application.xml
    csv-exchangeauditing        evtx-csv       evidence/exports/ExchangeAuditing.csv (UTF-16LE)
    csv-application             evtx-csv       evidence/exports/Application.csv (UTF-8 BOM)
    csv2003-exchangeauditing    evtx-csv       evidence/exports/ExchangeAuditing-w2003.csv (9 columns, cp1252)
    csv2003-application         evtx-csv       evidence/exports/Application-w2003.csv
    iis                         iis            evidence/iis/W3SVC1/u_ex*.log (2013+)
    iis-2003                    iis            evidence/iis2003/W3SVC1/ex*.log
    mailbox-audit               mailbox-audit  evidence/mailbox-audit/SearchMailboxAuditLog.csv
    mailbox-audit-xml           mailbox-audit  evidence/mailbox-audit/SearchResult.xml (times with offset)
    ual                         ual            evidence/ual/AuditLog_Purview.csv (8 columns)
    ual-classic                 ual            evidence/ual/AuditLog_Classic.csv (4 columns)
    ual-powershell              ual            evidence/ual/SearchUnifiedAuditLog.csv (10 columns)
    msgtrk                      msgtrk         evidence/msgtrk/MSGTRK*.LOG (message tracking; only when asked)
    admin-audit                 admin-audit    evidence/admin-audit/SearchAdminAuditLog.csv (only when asked)

The representations of one Windows log (evtx, xml, csv, csv2003) share one tally. Extra keys where they apply:
``encoding``, ``timezone`` (local-time formats), ``layout`` (UAL), ``bind_records`` and
``rows_by_mail_access_type`` (UAL MailItemsAccessed). What each format carries is its
``carries`` sentence and the docstring of its emitter in ``forensics.synth.formats``.
``identities_csv`` is relative to truth.json (the demo keeps it beside the folder).

A *tally* describes the normalized rows a correct parser produces (one per access; a
MailItemsAccessed Bind record gives one row per item, a Sync record one per folder)::

    "rows": n,
    "by_operation": {"FolderOpen": n, ...},        # normalized operation names (schema)
    "by_source_operation": {...},                   # the name the format itself uses
    "by_mailbox": {"amorgan": n, ...},             # mailbox as recorded in the format
                                                   # ("" = the record names no mailbox)
    "by_actor": {"CONTOSO\\pquinn": n, ...},       # actor as recorded
    "by_mailbox_person": {"ceo": n, ...},          # the same, as person keys ("" = none)
    "by_actor_person": {"assistant": n, ...},
    "by_logon_type": {"Owner": n, "Delegate": n, "Admin": n, "Unknown": n},
                                                   # what identity resolution (with
                                                   # identities.csv) must decide from what
                                                   # the format says
    "by_client_ip": {"10.1.10.15": n, ...},        # "" = not recorded
    "by_event_id": {"10100": n, ...},              # formats with event ids only
    "by_day": {"2024-03-04": n, ...},              # UTC day of the row time
    "first": "...Z", "last": "...Z",
    "epoch_seconds_sum": s                         # sum of row times in whole Unix seconds

``epoch_seconds_sum`` lets a test compare every row time at once, vectorized:
``(frame.time.astype("int64") // 10**9).sum() == tally["epoch_seconds_sum"]``.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TRUTH_VERSION = 1


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_DIMENSIONS = ("operation", "source_operation", "mailbox", "actor", "mailbox_person", "actor_person",
               "logon_type", "client_ip", "event_id", "day")


class Tally:
    """Counts the rows one format (or the underlying stream) must yield.

    ``row`` is on the generator's hot path: it bumps one counter keyed by the row's whole
    combination of dimensions; the per-dimension counts (``by``) are folded from it on demand.
    """

    def __init__(self) -> None:
        self.rows = 0
        self.records = 0
        self.noise_records = 0
        self.challenge_records = 0
        self._combos: Counter[tuple] = Counter()
        self._first = self._last = None  # epoch seconds
        self.epoch_sum = 0
        self.incident_rows: Counter[str] = Counter()

    def row(self, time: datetime, operation: str, mailbox: str, actor: str, mailbox_person: str,
            actor_person: str, logon_type: str, client_ip: str, *, source_operation: str | None = None,
            event_id: int | None = None, incident: str = "", n: int = 1) -> None:
        """Count ``n`` identical rows."""
        self.rows += n
        self._combos[(operation, source_operation or operation, mailbox, actor, mailbox_person, actor_person,
                      logon_type, client_ip, event_id, time.date())] += n
        ts = int(time.timestamp())
        self.epoch_sum += ts * n
        if self._first is None or ts < self._first:
            self._first = ts
        if self._last is None or ts > self._last:
            self._last = ts
        if incident:
            self.incident_rows[incident] += n

    @property
    def by(self) -> dict[str, Counter]:
        """Row counts per value of each dimension (``day`` keys are dates)."""
        out: dict[str, Counter] = {name: Counter() for name in _DIMENSIONS}
        for combo, n in self._combos.items():
            for name, value in zip(_DIMENSIONS, combo):
                if value is not None:
                    out[name][value if name != "event_id" else str(value)] += n
        return out

    @property
    def first(self) -> datetime | None:
        return None if self._first is None else datetime.fromtimestamp(self._first, timezone.utc)

    @property
    def last(self) -> datetime | None:
        return None if self._last is None else datetime.fromtimestamp(self._last, timezone.utc)

    def as_dict(self, with_records: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if with_records:
            out.update(records=self.records, noise_records=self.noise_records,
                       challenge_records=self.challenge_records)
        out["rows"] = self.rows
        for name, counter in self.by.items():  # folded once here
            if name == "event_id" and not counter:
                continue
            items = ((k.isoformat() if name == "day" else k, v) for k, v in counter.items())
            out[f"by_{name}"] = dict(sorted(items))
        out["first"] = iso(self.first) if self.first else None
        out["last"] = iso(self.last) if self.last else None
        out["epoch_seconds_sum"] = self.epoch_sum
        return out


def write_truth(path: Path, truth: dict[str, Any]) -> None:
    """Write ``truth.json`` deterministically (sorted keys where order carries no meaning)."""
    path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_truth(path: str | Path) -> dict[str, Any]:
    """Read a ``truth.json`` (a folder is accepted: its ``truth.json``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "truth.json"
    data = json.loads(p.read_text(encoding="utf-8"))
    if data.get("truth_version") != TRUTH_VERSION:
        raise ValueError(f"{p}: unsupported truth_version {data.get('truth_version')}")
    return data
