"""Hostile input for Exchange's own logs: random damage to HttpProxy and message tracking
files never crashes a parser, every data line is accounted for (rows + skipped + bad =
records), and the rows conform to the table."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics import schema
from forensics.parsers.w3c.httpproxy import HttpProxyParser
from forensics.parsers.w3c.msgtrk import MessageTrackingParser
from helpers.run_parser import run_parser
from tests.forensics.parsers.w3c.test_httpproxy import EAS_SID, HEAD, FIELDS, MAPI_OTHER, MAPI_OWN, OWA_QUOTED, PROBE, UNAUTH_401
from tests.forensics.parsers.w3c.test_msgtrk import FIELDS_15, HEAD as TRK_HEAD, NOTIFY, OWN, SEND_AS, SMTP_SEND

JUNK = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
    st.sampled_from(['"', '""', ",,,", "#Fields: DateTime,Protocol", "#Fields:", "#bogus", "\r", "DateTime,RequestId"]),
)
SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _damaged(head: str, good: list[str], damage: list[tuple[int, str]], cut: int, raw: bytes) -> bytes:
    lines = list(good)
    for where, junk in damage:
        lines.insert(where, junk)
    text = (head + "\r\n".join(lines)).encode("utf-8") + raw
    return text[: max(len(text) - cut, 1)]


@SETTINGS
@given(damage=st.lists(st.tuples(st.integers(0, 12), JUNK), max_size=6), cut=st.integers(0, 300),
       raw=st.binary(max_size=40))
def test_httpproxy_random_damage(tmp_path_factory, damage, cut, raw) -> None:
    good = [MAPI_OWN, OWA_QUOTED, EAS_SID, PROBE, UNAUTH_401, MAPI_OTHER] * 2
    path = tmp_path_factory.mktemp("hp") / "HttpProxy_x.LOG"
    path.write_bytes(_damaged(HEAD + "#Fields: " + FIELDS + "\r\n", good, damage, cut, raw))
    frame, report = run_parser(HttpProxyParser, path)
    assert report.balanced and schema.validate(frame) == []
    assert report.rows == len(frame) <= report.records


@SETTINGS
@given(damage=st.lists(st.tuples(st.integers(0, 8), JUNK), max_size=6), cut=st.integers(0, 300),
       raw=st.binary(max_size=40))
def test_tracking_random_damage(tmp_path_factory, damage, cut, raw) -> None:
    good = [NOTIFY, OWN, SMTP_SEND, SEND_AS] * 2
    path = tmp_path_factory.mktemp("trk") / "MSGTRK_x.LOG"
    path.write_bytes(_damaged(TRK_HEAD + "#Fields: " + FIELDS_15 + "\r\n", good, damage, cut, raw))
    frame, report = run_parser(MessageTrackingParser, path)
    assert report.balanced and schema.validate(frame) == []
    assert report.rows == len(frame) <= report.records
