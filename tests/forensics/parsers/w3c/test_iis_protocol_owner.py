"""ActiveSync opens only the signed-in user's own mailbox: no ``User=`` spelling makes a row Delegate.

Lines follow the real Exchange 2013+ ActiveSync line of ``reference/evidence-formats.md`` §3
(Microsoft Q&A: ``User=seanryan&DeviceId=…&DeviceType=iPad&Cmd=Search`` with cs-username
``XXXXXXX\\seanryan``) and the Exchange 2010 line with ``Log=…_SmtpAdrs:…`` that Microsoft's
Log Parser Studio ActiveSync queries extract. MS-ASHTTP: the command runs for the
authenticated user; ``User=`` is the client's own spelling of that account (a UPN, the
bare alias, or a client that drops the separators, ``domain.localjohndoe``).
"""

from __future__ import annotations

from pathlib import Path

from forensics.aggregate.findings import findings
from forensics.ingest import load_evidence
from forensics.query import compile_query

FIELDS = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
HEAD = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-05 00:00:00\n"


def eas(time: str, user: str, username: str, extra: str = "", status: str = "200") -> str:
    query = f"User={user}&DeviceId=N273TC3QE567H90G6LH4LTK89G&DeviceType=iPhone&Cmd=Sync{extra}&CorrelationID=<empty>;"
    return (f"2024-03-05 {time} 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas {query} 443 {username} "
            f"203.0.113.7 Apple-iPhone15C2/2104.361 - {status} 0 0 40")


def test_activesync_user_in_another_form_is_owner_by_protocol(tmp_path: Path) -> None:
    lines = [
        eas("09:00:00", "john.doe%40domain.com", "DOMAIN\\jdoe"),  # UPN vs down-level logon name
        eas("09:01:00", "domain.localjohndoe", "DOMAIN\\jdoe"),  # a client's sanitised spelling
        eas("09:02:00", "jdoe", "john.doe@domain.com", "&Log=V141_Ver1:141_SmtpAdrs:john.doe%40domain.com_Fid:5"),
        eas("09:03:00", "mallory", "-", status="401"),  # unauthenticated: nobody's mailbox is fixed
    ]
    path = tmp_path / "u_ex240305.log"
    path.write_text(HEAD + FIELDS + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    frame = load_evidence([path]).frame
    rows = frame.sort_values("time").to_dict("records")
    assert [r["logon_type"] for r in rows[:3]] == ["Owner"] * 3
    assert [r["logon_rule"] for r in rows[:3]] == ["protocol:ActiveSync"] * 3
    assert [r["mailbox"] for r in rows[:3]] == ["DOMAIN\\jdoe", "DOMAIN\\jdoe", "john.doe@domain.com"]
    assert "User=john.doe@domain.com" in rows[0]["details"] and "User=domain.localjohndoe" in rows[1]["details"]
    assert rows[0]["mailbox_ids"] == "john.doe@domain.com"
    # the anonymous 401 names a User= but nobody signed in: not Owner by protocol
    assert len(rows) == 4 and rows[3]["logon_type"] != "Owner" and rows[3]["logon_rule"] != "protocol:ActiveSync"
    nonowner = frame[compile_query("is:nonowner").mask(frame)]
    assert nonowner["actor"].isna().all()  # only the unauthenticated request is left for review
    pairs = findings(frame).pairs
    assert not (pairs["actor"] == "jdoe").any() and not (pairs["actor"] == "john.doe").any()
