"""UAL ingest speed: our parser (hash + CSV + JSON + normalize) against a bare ``pandas.read_csv``.

Usage: ``.venv/bin/python benchmarks/ingest_ual.py [--records 1000000] [--repeats 3]``.
Generates ``benchmarks/corpus/ual_<records>.csv`` (git-ignored) once: a Purview 8-column export
with a realistic mix (MailItemsAccessed Bind with 1-6 items and Sync, FolderBind, SendAs,
MailboxLogin, SoftDelete, New-InboxRule, and Azure AD sign-ins as non-Exchange noise).
Target (issue 4): at least 50,000 records/s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import CORPUS, ingest_file, median_seconds, print_table  # noqa: E402
from forensics.parsers.m365.ual import UalParser  # noqa: E402

COLUMNS = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
           "AssociatedAdminUnits", "AssociatedAdminUnitsNames"]
KINDS = ("bind", "sync", "folderbind", "sendas", "login", "softdelete", "inboxrule", "aad")
WEIGHTS = (0.35, 0.15, 0.1, 0.03, 0.15, 0.05, 0.02, 0.15)


def _record(i: int, kind: str, rng: np.random.Generator) -> dict:
    user, owner = f"user{rng.integers(0, 500):04d}@contoso.com", f"user{rng.integers(0, 500):04d}@contoso.com"
    logon = 0 if user == owner else 2
    base = {
        "CreationTime": f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}",
        "Id": f"{i:08x}-7d2a-4c55-9e31-0a8f2b6d4c11", "OrganizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c",
        "ResultStatus": "Succeeded", "UserKey": "10032001A4F7C2D9", "UserType": 0, "Version": 1, "Workload": "Exchange",
        "ClientIP": f"203.0.113.{i % 250}:{1024 + i % 50000}", "UserId": user, "AppId": "00000002-0000-0ff1-ce00-000000000000",
        "ClientAppId": "", "ClientIPAddress": f"203.0.113.{i % 250}", "ClientInfoString": "Client=OWA;Action=ViaProxy",
        "ExternalAccess": False, "InternalLogonType": logon, "LogonType": logon,
        "LogonUserSid": "S-1-5-21-1111111111-2222222222-3333333333-4001", "MailboxGuid": "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25",
        "MailboxOwnerSid": "S-1-5-21-1111111111-2222222222-3333333333-1001", "MailboxOwnerUPN": owner,
        "OrganizationName": "contoso.onmicrosoft.com", "OriginatingServer": "DB9PR04MB8462 (15.20.8005.017)\r\n",
        "SessionId": "7e2d4b91-c6a3-4f58-8b1e-0a4c9d2e6f10",
    }
    if kind in ("bind", "sync"):
        base.update(Operation="MailItemsAccessed", RecordType=50)
        if kind == "bind":
            items = [{"Id": f"RgAAAA{i}{k}", "InternetMessageId": f"<{i}.{k}@contoso.com>", "SizeInBytes": 4096}
                     for k in range(1 + i % 6)]
            base["OperationProperties"] = [{"Name": "MailAccessType", "Value": "Bind"}, {"Name": "IsThrottled", "Value": "False"}]
            base["Folders"] = [{"Id": "LgAAAACklF6sEsJgSK", "Path": "\\Inbox", "FolderItems": items}]
            base["OperationCount"] = len(items)
        else:
            base["OperationProperties"] = [{"Name": "MailAccessType", "Value": "Sync"}]
            base["Folders"] = [{"Id": "LgAAAACklF6sEsJgSK", "Path": "\\Inbox"}]
            base["OperationCount"] = 1
    elif kind == "folderbind":
        base.update(Operation="FolderBind", RecordType=3, Folder={"Id": "LgAAAA", "Path": "\\Inbox"})
    elif kind == "sendas":
        base.update(Operation="SendAs", RecordType=2, SendAsUserSmtp=owner,
                    Item={"Id": "RgAAAA", "Subject": f"Invoice {i}", "InternetMessageId": f"<{i}@contoso.com>",
                          "ParentFolder": {"Id": "LgAAAA", "Path": "\\Sent Items"}, "SizeInBytes": 1234})
    elif kind == "login":
        base.update(Operation="MailboxLogin", RecordType=2)
    elif kind == "softdelete":
        base.update(Operation="SoftDelete", RecordType=3, AffectedItems=[
            {"Subject": f"Old {i}", "InternetMessageId": f"<d{i}@contoso.com>", "ParentFolder": {"Path": "\\Inbox"}}])
    elif kind == "inboxrule":
        base.update(Operation="New-InboxRule", RecordType=1, UserType=2, Parameters=[
            {"Name": "Name", "Value": "Direct"}, {"Name": "DeleteMessage", "Value": "True"}])
    else:
        base = {"CreationTime": base["CreationTime"], "Id": base["Id"], "Operation": "UserLoggedIn", "RecordType": 15,
                "ResultStatus": "Success", "UserType": 0, "Version": 1, "Workload": "AzureActiveDirectory",
                "ClientIP": base["ClientIPAddress"], "UserId": user, "ObjectId": "00000002-0000-0ff1-ce00-000000000000"}
    return base


def generate(path: Path, records: int, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KINDS), size=records, p=WEIGHTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for i in range(records):
            r = _record(i, KINDS[kinds[i]], rng)
            writer.writerow([r["Id"], "3/5/2024 9:14:22 AM", r["RecordType"], r["Operation"], r["UserId"],
                             json.dumps(r, separators=(",", ":")), "", ""])


def baseline(path: Path) -> int:
    return len(pd.read_csv(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = CORPUS / f"ual_{args.records}.csv"
    if not path.exists():
        print(f"generating {path} ...")
        generate(path, args.records)
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB, {args.records:,} records), median of {args.repeats}")
    base, n = median_seconds(lambda: baseline(path), args.repeats)
    ours, (frame, report) = median_seconds(lambda: ingest_file(UalParser, path), args.repeats)
    assert n == args.records and report.records == args.records and report.balanced, report
    print_table("records", args.records, ours, base, "ours (hash+parse+normalize)")
    print(f"rows {len(frame):,} (MailItemsAccessed exploded); skipped {dict(report.skipped)}; bad {report.bad}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
