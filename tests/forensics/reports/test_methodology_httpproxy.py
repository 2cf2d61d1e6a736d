"""The methodology says what HttpProxy rows rest on and which checks they did not get."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics.parsers.base import FileReport
from forensics.reports.methodology import HTTPPROXY_UNCHECKED, completeness_statement, identity_statement


def test_httpproxy_files_are_said_to_be_unchecked_for_gaps() -> None:
    evtx = FileReport(path=Path("Exchange Auditing.evtx"), parser="evtx")
    proxy = FileReport(path=Path("HttpProxy_2023010601-1.LOG"), parser="httpproxy")
    assert HTTPPROXY_UNCHECKED not in completeness_statement([evtx])
    assert HTTPPROXY_UNCHECKED in completeness_statement([evtx, proxy])


def test_identity_statement_names_the_anchor_limit_only_for_httpproxy_rows() -> None:
    frame = pd.DataFrame({"logon_rule": pd.Categorical(["directory"]), "source_format": pd.Categorical(["iis"])})
    assert "AnchorMailbox" not in identity_statement(frame)
    frame["source_format"] = pd.Categorical(["httpproxy"])
    assert "AnchorMailbox" in identity_statement(frame)


def test_identity_statement_names_the_submitter_guid_limit_for_tracking_rows() -> None:
    frame = pd.DataFrame({"logon_rule": pd.Categorical(["submitter-guid-unresolved"]),
                          "source_format": pd.Categorical(["msgtrk"])})
    assert "ExchangeGuid" in identity_statement(frame) and "AnchorMailbox" not in identity_statement(frame)
