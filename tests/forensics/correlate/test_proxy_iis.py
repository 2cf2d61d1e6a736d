"""A request the front end logged twice, in its HttpProxy log and its IIS log, is one access.

Lines: the HttpProxy MAPI line of ``test_httpproxy`` (15.1 fields, shapes from public samples
cited there) and the same request as the front end's IIS 10 log writes it (the MAPI/HTTP line
shape of ``test_iis``, a Microsoft Q&A sample): same user, mailbox (``mailboxId=``), client
address, protocol, within a second.
"""

from __future__ import annotations

from pathlib import Path

from forensics.ingest import load_evidence
from tests.forensics.parsers.w3c import test_iis as iis
from tests.forensics.parsers.w3c.test_httpproxy import GUID_BOB, MAPI_OWN, write

UA = "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.16731;+Pro)"


def _iis_line(when: str, client: str = "10.1.1.20", user: str = "CONTOSO\\bob") -> str:
    return (f"{when} 10.0.0.2 POST /mapi/emsmdb/ mailboxId={GUID_BOB}@contoso.test&CorrelationID=<empty>;"
            f"&cafeReqId=39a2; 443 {user} {client} {UA} - 200 0 0 15")


def _iis(tmp_path: Path, name: str, *lines: str) -> Path:
    return iis.write(tmp_path, iis.HEAD + iis.F_2013 + "\n" + "\n".join(lines) + "\n", name=name)


def test_proxy_and_iis_lines_of_one_request_are_one_access(tmp_path: Path) -> None:
    later = MAPI_OWN.replace("2023-01-06T01:00:04.124Z", "2023-01-06T01:00:20.000Z")  # another request
    proxy = write(tmp_path, MAPI_OWN, later)
    front = _iis(tmp_path, "u_ex230106.log", _iis_line("2023-01-06 01:00:04"),
                 _iis_line("2023-01-06 01:00:04", client="10.9.9.9"))  # same second, another client
    frame = load_evidence([proxy, front]).frame
    assert len(frame) == 4
    joined = frame[frame["access_rule"].astype(str) == "httpproxy-iis ±2s"]
    assert len(joined) == 1 and joined["source_format"].iloc[0] == "httpproxy"
    access = joined["access_id"].iloc[0]
    pair = frame[frame["access_id"] == access]
    assert sorted(pair["source_format"].astype(str)) == ["httpproxy", "iis"]
    assert pair["client_ip"].astype(str).unique().tolist() == ["10.1.1.20"]
    assert (pair["access_operation"].astype(str) == "WebRequest").all() and (pair["access_sources"] == 2).all()
    assert frame["access_id"].nunique() == 3  # the pair, the other client's request, the later request


def test_two_iis_logs_never_join_each_other_as_web_requests(tmp_path: Path) -> None:
    """Two servers' IIS logs hold different requests, even identical-looking ones in one second."""
    proxy = write(tmp_path, MAPI_OWN.replace("2023-01-06T01:00:04.124Z", "2023-01-06T02:00:00.000Z"))
    one = _iis(tmp_path, "u_ex230106.log", _iis_line("2023-01-06 01:00:04"))
    (tmp_path / "cas2").mkdir()
    two = _iis(tmp_path / "cas2", "u_ex230106.log", "", _iis_line("2023-01-06 01:00:04"))
    frame = load_evidence([proxy, one, two]).frame
    iis_rows = frame[frame["source_format"].astype(str) == "iis"]
    assert len(iis_rows) == 2 and iis_rows["access_id"].nunique() == 2


def test_without_httpproxy_iis_web_requests_stay_uncorrelated(tmp_path: Path) -> None:
    """No HttpProxy log loaded: IIS WebRequest rows keep their behaviour (each its own access)."""
    one = _iis(tmp_path, "u_ex230106.log", _iis_line("2023-01-06 01:00:04"))
    (tmp_path / "cas2").mkdir()
    two = _iis(tmp_path / "cas2", "u_ex230106.log", _iis_line("2023-01-06 01:00:05"))
    frame = load_evidence([one, two]).frame
    assert frame["access_id"].nunique() == 2 and set(frame["access_rule"].astype(str)) == {"alone"}
