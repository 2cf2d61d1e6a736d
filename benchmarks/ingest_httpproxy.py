"""HttpProxy ingest speed: our parser (hash + parse + normalize) against a bare ``pandas.read_csv``.

Usage: ``.venv/bin/python benchmarks/ingest_httpproxy.py [--lines 1000000] [--repeats 5]``.
Generates ``benchmarks/corpus/httpproxy_<lines>.LOG`` (git-ignored) once: the 15.1 field list
(74 fields, latency fields filled as the front end fills them), a mix of MAPI, OWA, EWS,
ActiveSync, Autodiscover and RPC/HTTP lines with quoted user agents and GenericInfo, health
probes, static files and unauthenticated 401s. Target (issue 19): at least the IIS ratio
of today (0.15x of ``read_csv``, README speed table).

Methods run interleaved (one round of each, ``--repeats`` rounds), medians printed; the
baseline reads every field as ``read_csv`` does by default, the parser only those it uses.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import CORPUS, ingest_file  # noqa: E402
from forensics.ingest import load_evidence  # noqa: E402
from forensics.parsers.w3c.httpproxy import HttpProxyParser  # noqa: E402

from forensics.synth.formats.httpproxy import FIELDS, NAMES  # noqa: E402 - the 15.1 field list, written once
USERS = [f"alias{i:04d}" for i in range(400)]
# protocol, stem, method, query template, user agent (quoted when it holds a comma), anchor template
TEMPLATES = [
    ("Mapi", "/mapi/emsmdb/", "POST", "?MailboxId={g}@contoso.com", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.16731; Pro)", "MailboxGuid~{g}"),
    ("Owa", "/owa/service.svc", "POST", "?action=GetItem&UA=0&ID=-{n}&AC=1", '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"', "Smtp~{u}@contoso.com"),
    ("Eas", "/Microsoft-Server-ActiveSync/default.eas", "POST", "?Cmd=Sync&User={u}&DeviceId=DEV{n}&DeviceType=iPhone", "Apple-iPhone14C2/2001.67", "Sid~S-1-5-21-1-2-3-{n}"),
    ("Ews", "/EWS/Exchange.asmx", "POST", "", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4549; Pro)", "Sid~S-1-5-21-1-2-3-{n}"),
    ("Autodiscover", "/autodiscover/autodiscover.xml", "POST", "", "Microsoft Office/16.0", "Smtp~{u}@contoso.com"),
    ("RpcHttp", "/rpc/rpcproxy.dll", "RPC_IN_DATA", "?{g}@contoso.com:6001", "MSRPC", "MailboxGuid~{g}"),
    ("Owa", "/owa/prem/15.2.1118.7/scripts/boot.worker.min.js", "GET", "", "Mozilla/5.0", "Smtp~{u}@contoso.com"),
    ("Ews", "/ews/", "GET", "", "AMProbe/Local/ClientAccess", "Sid~S-1-5-21-1-2-3-1142"),
]
GENERIC = ('"BeginRequest=2024-03-05T{t}.100Z;CorrelationID=<empty>;ProxyState-Run=None;FEAuth=BEVersion-1942063431;'
           'BeginGetResponse=2024-03-05T{t}.110Z;ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest=2024-03-05T{t}.200Z;"')


def generate(path: Path, lines: int, seed: int = 7) -> None:
    """Write ``lines`` data lines under one header, reproducibly."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(TEMPLATES), size=lines, p=[0.3, 0.25, 0.15, 0.1, 0.08, 0.04, 0.05, 0.03])
    users = rng.integers(0, len(USERS), size=lines)
    secs = np.sort(rng.integers(0, 86400, size=lines))
    latency = ",".join(["0"] * 35)  # ServerLocatorLatency .. RouteRefresherLatency, as numbers
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\r\n") as out:
        out.write("#Software: Microsoft Exchange Server\n#Version: 15.02.1544.004\n#Log-type: HttpProxy Logs\n")
        out.write("#Date: 2024-03-05T00:00:00.000Z\n#Fields: " + FIELDS + "\n")
        for i in range(lines):
            proto, stem, method, query, agent, anchor = TEMPLATES[pick[i]]
            u = USERS[users[i]]
            s = int(secs[i])
            clock = f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
            g = f"{i:08x}-5b2f-4e86-9a0c-7d4b1f3e6c25"
            user, status = (f"CONTOSO\\{u}", 200) if i % 40 else ("", 401)
            if anchor.startswith("Sid~S-1-5-21-1-2-3-1142"):
                user = "CONTOSO\\HealthMailbox0a1b2c3"
            out.write(
                f"2024-03-05T{clock}.{i % 1000:03d}Z,{g},15,2,1544,4,,{proto},mail.contoso.com,{stem},,Negotiate,"
                f"{'true' if user else 'false'},{user},,{anchor.format(u=u, g=g, n=i % 5000)},{agent},"
                f"203.0.113.{i % 250},EXCH01,{status},{status},,{method},Proxy,exch02.contoso.com,15.02.1544.000,"
                f"IntraForest,MailboxGuidWithDomain,,,{latency},{query.format(u=u, g=g, n=i)},,"
                f"{GENERIC.format(t=clock)},,,,,,CafeV1\n"
            )


def baseline(path: Path) -> int:
    frame = pd.read_csv(path, sep=",", skiprows=5, header=None, names=NAMES, dtype=str)
    return len(frame)


def load(path: Path) -> int:
    return len(load_evidence([path]).frame)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = CORPUS / f"httpproxy_{args.lines}.LOG"
    if not path.exists():
        print(f"generating {path} ...")
        generate(path, args.lines)
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB, {args.lines:,} lines), median of {args.repeats} interleaved rounds")
    methods = {
        "pandas.read_csv (baseline)": lambda: baseline(path),
        "ours (hash+parse+normalize)": lambda: ingest_file(HttpProxyParser, path),
        "load_evidence (+identity)": lambda: load(path),
    }
    times: dict[str, list[float]] = {name: [] for name in methods}
    results: dict[str, object] = {}
    for _ in range(args.repeats):
        for name, func in methods.items():
            start = time.perf_counter()
            results[name] = func()
            times[name].append(time.perf_counter() - start)
    frame, report = results["ours (hash+parse+normalize)"]  # type: ignore[misc]
    assert results["pandas.read_csv (baseline)"] == args.lines and report.records == args.lines and report.balanced
    base = statistics.median(times["pandas.read_csv (baseline)"])
    print(f"{'':30}{'seconds':>10}{'lines/s':>14}{'vs baseline':>13}")
    for name, runs in times.items():
        seconds = statistics.median(runs)
        print(f"{name:30}{seconds:>10.2f}{args.lines / seconds:>14,.0f}{base / seconds:>12.2f}x")
    ours = statistics.median(times["ours (hash+parse+normalize)"])
    print(f"ratio ours/baseline (speed): {base / ours:.2f}x (target >= 0.15x, the IIS figure)")
    print(f"rows {len(frame):,}; skipped {dict(report.skipped)}; bad {report.bad}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
