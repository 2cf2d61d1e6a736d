"""Hours in which an IIS log's health probes fall silent are noted as a LOGGING GAP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from forensics.parsers.w3c import iis as iis_module
from forensics.parsers.base import MissingPeriod
from forensics.parsers.w3c.iis import IisParser
from forensics.parsers.w3c.iis_requests import SKIP_PROBE
from forensics.parsers.w3c.iis_silence import MIN_PROBES, probe_silences, silence_note
from helpers.run_parser import run_parser

START = datetime(2024, 3, 5, tzinfo=timezone.utc)
FIELDS = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem cs-username c-ip cs(User-Agent) sc-status\n"


def ns(minutes: np.ndarray) -> np.ndarray:
    return (int(START.timestamp()) * 10**9 + (minutes * 60e9)).astype(np.int64)


def test_a_silence_far_beyond_the_probes_rhythm_is_found() -> None:
    minutes = np.arange(0, 24 * 60, 2.0)  # a probe every two minutes, all day
    minutes = minutes[(minutes < 120) | (minutes >= 300)]  # nothing from 02:00 to 05:00
    silences = probe_silences(ns(np.random.default_rng(1).permutation(minutes)))
    assert silences == [(int(ns(np.array([118.0]))[0]), int(ns(np.array([300.0]))[0]))]
    note = silence_note(silences, len(minutes))
    assert note == (
        f"LOGGING GAP: the Exchange health probes that run around the clock ({len(minutes):,} in this file) fall silent "
        "1 time: 2024-03-05 01:58:00 to 2024-03-05 05:00:00 (3 h 02 min) UTC. Requests in that window are not in "
        "this log (IIS or its logging stopped, the server was down, or lines were removed)"
    )


def test_irregular_probes_short_pauses_and_few_probes_are_not_gaps() -> None:
    rng = np.random.default_rng(7)
    jittered = np.cumsum(rng.exponential(1.5, size=2000))  # bursty but steady on average
    assert probe_silences(ns(jittered)) == []
    steady = np.arange(0, 600, 1.0)
    paused = steady[(steady < 100) | (steady >= 112)]  # a 12-minute restart: under the floor
    assert probe_silences(ns(paused)) == []
    sparse = np.arange(0, (MIN_PROBES - 2) * 120, 120.0)  # with the last one, too few to show a rhythm
    assert probe_silences(ns(np.append(sparse, 20_000.0))) == []
    assert silence_note([], 0) is None


def _log(path: Path, lines: list[tuple[datetime, str]]) -> Path:
    body = "".join(f"{t:%Y-%m-%d %H:%M:%S} {rest}\n" for t, rest in sorted(lines))
    path.write_text(FIELDS + body)
    return path


def test_iis_parser_notes_the_gap_from_probes_across_batches(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(iis_module, "ROWS_PER_BATCH", 100)  # probes spread over many batches
    probes = [START + timedelta(minutes=m) for m in range(0, 24 * 60, 3) if not 600 <= m < 780]
    users = [START + timedelta(minutes=m, seconds=7) for m in range(0, 24 * 60, 20)]  # users in the gap too
    lines = [(t, "GET /owa/healthcheck.htm - 10.0.0.1 AMProbe/Local/ClientAccess 200") for t in probes]
    lines += [(t, "GET /owa/ceo@contoso.com/ CONTOSO\\eve 10.0.0.9 Mozilla/5.0 200") for t in users]
    frame, report = run_parser(IisParser, _log(tmp_path / "u_ex240305.log", lines))
    assert len(frame) == len(users) and report.skipped[SKIP_PROBE] == len(probes)
    assert report.balanced
    (note,) = report.gap_notes()
    assert note.startswith(f"LOGGING GAP: the Exchange health probes that run around the clock ({len(probes):,} in this file) "
                           "fall silent 1 time: 2024-03-05 09:57:00 to 2024-03-05 13:00:00 (3 h 03 min) UTC.")
    assert report.missing == [MissingPeriod("2024-03-05T09:57:00Z", "2024-03-05T13:00:00Z",
                                            "LOGGING GAP: health probes silent for 3 h 03 min")]


def test_a_log_without_probes_makes_no_claim(tmp_path: Path) -> None:
    users = [START + timedelta(minutes=m) for m in list(range(0, 60)) + list(range(600, 700))]  # a quiet morning
    lines = [(t, "GET /owa/ceo@contoso.com/ CONTOSO\\eve 10.0.0.9 Mozilla/5.0 200") for t in users]
    _, report = run_parser(IisParser, _log(tmp_path / "u_ex240305.log", lines))
    assert report.notes == [] and report.missing == []


def test_every_kind_of_probe_is_one_clock_and_never_an_access(tmp_path: Path) -> None:
    """Managed Availability and test traffic recognised by user agent or account alone
    (Exchange Team Blog "Managed Availability Probes"; evidence-formats §3.3): the same rule
    makes them skipped probes and the LOGGING GAP clock. Agents/accounts are the documented
    kinds: ``…Probe/Local``, ``ActiveMonitoringClient``, ``MapiHttpClient``, ``Test*Connectivity``,
    ``extest_`` users (New-TestCasConnectivityUser.ps1), ``HealthMailbox…`` mailboxes."""
    kinds = [
        "POST /Microsoft-Server-ActiveSync/default.eas CONTOSO\\jdoe 10.0.0.1 ActiveSync_Probe/Local 200",
        "POST /mapi/emsmdb/ CONTOSO\\jdoe 10.0.0.1 MapiHttpClient 200",
        "POST /EWS/Exchange.asmx CONTOSO\\jdoe 10.0.0.1 ActiveMonitoringClient 200",
        "GET /owa/ CONTOSO\\extest_4c2f1a9e0b3d4 10.0.0.1 Mozilla/5.0 200",
        "POST /Microsoft-Server-ActiveSync/default.eas CONTOSO\\jdoe 10.0.0.1 TestActiveSyncConnectivity 200",
        "POST /mapi/emsmdb/ HealthMailbox0f1e2d3c4b5a@contoso.com 10.0.0.1 Microsoft+Office/16.0 200",
    ]
    probes = [(START + timedelta(minutes=m), kinds[(m // 2) % len(kinds)])
              for m in range(0, 24 * 60, 2) if not 300 <= m < 600]
    users = [(START + timedelta(minutes=m, seconds=9), "GET /owa/ CONTOSO\\jdoe 10.0.0.9 Mozilla/5.0 200")
             for m in range(0, 24 * 60, 30)]
    frame, report = run_parser(IisParser, _log(tmp_path / "u_ex240305.log", probes + users))
    assert len(frame) == len(users) and report.skipped[SKIP_PROBE] == len(probes)
    assert set(frame["client_app"]) == {"OWA: Mozilla/5.0"}
    (note,) = report.gap_notes()
    assert "fall silent 1 time: 2024-03-05 04:58:00 to 2024-03-05 10:00:00" in note
