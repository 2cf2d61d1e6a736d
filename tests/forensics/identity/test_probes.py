"""Exchange's health and test traffic is recognised by one rule, and is nobody's access.

Names follow Microsoft's documentation of Managed Availability (Exchange Team Blog, "Managed
Availability Probes", 2014: recurrent probes log on to ``HealthMailbox…`` monitoring
mailboxes over EAS, OWA, EWS, RPC and MAPI/HTTP) and Exchange 2010's
``New-TestCasConnectivityUser.ps1`` (``extest_<hex>`` users for ``Test-*Connectivity``).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from forensics import schema
from forensics.aggregate.findings import findings
from forensics.aggregate.views import mailbox_by_time
from forensics.identity.probes import account_mask, agent_mask, is_probe
from forensics.query import compile_query

ACCOUNTS = ["CONTOSO\\HealthMailbox0f1e2d3c4b5a4f", "HealthMailbox0f1e@contoso.com",
            "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=HealthMailbox0f1e",
            "contoso.com/Microsoft Exchange System Objects/Monitoring Mailboxes/HealthMailbox0f1e",
            "CONTOSO\\extest_4c2f1a9e0b3d4"]
PEOPLE = ["CONTOSO\\pat", "healthy.person@contoso.com", "Mailbox Health Team", "CONTOSO\\mextest_x", "texttest_1"]
AGENTS = ["AMProbe/Local/ClientAccess", "ActiveSync_Probe/Local", "ActiveMonitoringClient", "MapiHttpClient",
          "TestActiveSyncConnectivity", "Test-OwaConnectivity", "MSEXCHMONITORING"]
BROWSERS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4549; Pro)",
            "Apple-iPhone15C2/2104.361", "Outlook-iOS/2.0"]


def test_one_rule_for_rows_and_columns() -> None:
    assert all(is_probe(account=a) for a in ACCOUNTS) and not any(is_probe(account=p) for p in PEOPLE)
    assert all(is_probe(agent=a) for a in AGENTS) and not any(is_probe(agent=b) for b in BROWSERS)
    assert account_mask(pa.array(ACCOUNTS + PEOPLE + [None])).tolist() == [True] * 5 + [False] * 6
    assert agent_mask(pa.array(AGENTS + BROWSERS)).tolist() == [True] * 7 + [False] * 4


def test_probe_rows_stay_visible_but_are_not_findings_or_heatmap_access() -> None:
    t = pd.Timestamp("2024-03-05 03:00", tz="UTC")
    rows = [
        # a monitoring mailbox's logon recorded as another mailbox's Delegate (e.g. a store logon event)
        {"time": t, "operation": "Logon", "actor": "CONTOSO\\HealthMailbox0f1e", "mailbox": "ceo@contoso.com",
         "logon_type": "Delegate", "source_format": "evtx"},
        {"time": t, "operation": "MessageOpen", "actor": "CONTOSO\\pat", "mailbox": "ceo@contoso.com",
         "logon_type": "Delegate", "client_app": "MapiHttpClient", "source_format": "iis"},
        {"time": t, "operation": "MessageOpen", "actor": "CONTOSO\\eve", "mailbox": "ceo@contoso.com",
         "logon_type": "Delegate", "client_app": "Outlook", "source_format": "evtx"},
    ]
    frame = schema.conform(pd.DataFrame(rows))
    assert compile_query("is:probe").mask(frame).tolist() == [True, True, False]
    pairs = findings(frame).pairs
    assert pairs["actor"].tolist() == ["CONTOSO\\eve"]
    pivot = mailbox_by_time(frame, tz="UTC", nonowner_only=True)
    assert int(pivot.counts.sum()) == 1
