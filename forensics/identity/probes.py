"""Exchange's own health and test traffic: machines probing, not people opening mailboxes.

One definition for every place that must tell them apart: the IIS parser (their requests are
counted under a skip reason, or marked "not an access" with ``--all-events``), the IIS
LOGGING GAP clock (``iis_silence`` times exactly the requests this rule names), and the
query shorthand ``is:probe`` that keeps such rows of any source out of the findings pairs
and the heatmap while they stay visible and counted.

What is recognised (Microsoft: "Managed Availability Probes", Exchange Team Blog 2014 --
recurrent probes log on to monitoring mailboxes over EAS, OWA, EWS, RPC and MAPI/HTTP every
few minutes; ``reference/evidence-formats.md`` §3.3 "Noise"):

* user agents of Managed Availability and its clients: ``AMProbe/Local``, any ``…Probe/Local``
  or ``…_Probe/Local``, ``ActiveMonitoringClient``, ``MSEXCHMONITORING``, Exchange's internal
  ``MapiHttpClient`` (the MAPI/HTTP probes' client; Outlook says ``Microsoft Office/…``), and the
  ``Test-*Connectivity`` cmdlets (``TestActiveSyncConnectivity``, ``Test-OwaConnectivity`` …);
* accounts: the ``HealthMailbox<hex>`` monitoring mailboxes (Exchange 2013+) and the
  ``extest_<hex>`` test users of ``New-TestCasConnectivityUser.ps1`` (Exchange 2007/2010),
  in any form (``DOMAIN\\``, UPN, ``/o=…/cn=``, canonical path).

A person's own user agent never matches these (browsers, Outlook, phones); an attacker can
spoof a user agent, so the accounts and agents rule only says "Exchange-like test traffic",
and the rows stay countable with ``is:probe``.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: user agents of Exchange's health probes and connectivity tests
PROBE_AGENT = (
    r"(?i)(?:activemonitoring|msexchmonitoring|amprobe|exchange.*monitoring|probe/local"
    r"|mapihttpclient|test-?[a-z]*connectivity)"
)
#: monitoring / test accounts, in any identity form (the name starts after ``\``, ``/``, ``=`` or the start)
PROBE_ACCOUNT = r"(?i)(?:^|[\\/=])(?:healthmailbox|extest_)"
#: the load balancers' health page (no account, no user agent needed)
PROBE_PATH = r"(?i)healthcheck\.htm"

_AGENT = re.compile(PROBE_AGENT)
_ACCOUNT = re.compile(PROBE_ACCOUNT)


def is_probe(account: str | None = None, agent: str | None = None) -> bool:
    """Whether one request/row is health or test traffic (the rule for one row)."""
    return bool((account and _ACCOUNT.search(account)) or (agent and _AGENT.search(agent)))


def agent_mask(values: pa.Array) -> np.ndarray:
    """Per value of a text array: a probe's user agent (nulls: False)."""
    return _mask(values, PROBE_AGENT)


def account_mask(values: pa.Array) -> np.ndarray:
    """Per value of a text array: a monitoring or test account (nulls: False)."""
    return _mask(values, PROBE_ACCOUNT)


def _mask(values: pa.Array, pattern: str) -> np.ndarray:
    if not len(values):
        return np.zeros(0, dtype=bool)
    hit = pc.match_substring_regex(values.cast(pa.large_string()), pattern)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
