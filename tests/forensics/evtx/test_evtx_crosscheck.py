"""crosscheck: evtx vs python-evtx per record, known gaps reported, exit codes, clear errors."""

from __future__ import annotations

import faulthandler
import importlib.util
import struct
import sys
from pathlib import Path

import pytest

from forensics.cli.main import main
from forensics.evtx.chunks import HEADER_SIZE
from forensics.evtx.crosscheck import crosscheck, format_report, same_value

DATA = Path(__file__).resolve().parents[2] / "data" / "evtx"


def test_clean_file_agrees(capsys) -> None:
    assert main(["crosscheck", str(DATA / "Application_no_crc32.evtx")]) == 0
    out = capsys.readouterr().out
    assert "read by both: 17; agree on record id, event id, time and data strings: 17" in out
    assert "AGREE on every record both tools read" in out


def test_python_evtx_string_failures_are_a_known_gap() -> None:
    result = crosscheck(DATA / "dns_log_malformed.evtx")
    assert result.evtx_records == 5 and result.python_evtx_records == 1
    assert result.only_evtx == [2, 3, 4, 5] and result.ok
    text = format_report(result)
    assert "known python-evtx gap: python-evtx failed on 4 records" in text


def test_dirty_header_gap_and_disagreements_exit_1(capsys) -> None:
    code = main(["crosscheck", str(DATA / "system_dirty.evtx"), "--show", "3"])
    out = capsys.readouterr().out
    assert "only evtx read 1555 records (327-1881)" in out
    assert "header states 3 chunks but 15 are present" in out
    # python-evtx moves and repeats the items of string arrays holding empty strings (record 70:
    # evtx '', 'Intel(R) 82574L ...'; python-evtx 'Intel(R) 82574L ...', ''): a known defect
    assert "python-evtx string array with empty strings (items moved or repeated) x9" in out
    assert "DISAGREE" not in out and code == 0
    if importlib.util.find_spec("pyevtx") is not None:  # the third voter read what only evtx read
        assert "libevtx also read 1555 of the 1555 records only evtx read" in out


def test_the_third_voter_says_which_two_agree() -> None:
    """A record whose data string evtx and python-evtx render differently: libevtx decides."""
    pytest.importorskip("pyevtx")
    from forensics.evtx.crosscheck import Disagreement, RecordView, _third_voter, CrossCheck  # noqa: PLC0415

    result = CrossCheck(path=DATA / "x.evtx")
    result.disagreements = [Disagreement(5, "data string 1", "alpha", "beta"), Disagreement(6, "event_id", 1, 2),
                            Disagreement(7, "data string 1", "a", "b"), Disagreement(8, "time", None, None)]
    views = {5: RecordView(5, 1, None, ("alpha",)), 6: RecordView(6, 2, None, ()), 7: RecordView(7, 1, None, ("c",))}
    _third_voter(result, views)
    assert [d.agree for d in result.disagreements] == [
        "evtx and libevtx", "python-evtx and libevtx", "none", "libevtx did not read it"]
    text = format_report(result)
    assert "libevtx='alpha' -> evtx and libevtx agree" in text
    assert "with evtx 1x, with python-evtx 1x, with neither 1x, did not read 1" in text


def test_chunk_whose_string_table_loops_is_read_by_both_not_hung(tmp_path: Path, capsys) -> None:
    # both engines follow the table links with no loop check and never return: the entry is
    # cut in a copy (the evidence file is not written) and the report says so
    data = bytearray((DATA / "dns_log_malformed.evtx").read_bytes())
    struct.pack_into("<I", data, HEADER_SIZE + 128, 40)  # string table entry 0 -> 40 -> 128 -> 40 ...
    path = tmp_path / "loop.evtx"
    path.write_bytes(bytes(data))
    faulthandler.dump_traceback_later(120, exit=True, file=sys.__stderr__)  # a hang fails loudly, not a stall
    try:
        main(["crosscheck", str(path)])
    finally:
        faulthandler.cancel_dump_traceback_later()
    out = capsys.readouterr().out
    assert "evtx:        5 records" in out and "python-evtx: 1 records" in out
    assert "damaged chunk 0: its string table links loop" in out
    assert path.read_bytes() == bytes(data)


def test_limit() -> None:
    result = crosscheck(DATA / "ID4756-Exchange_admin_group_change.evtx", limit=5)
    assert result.evtx_records == 5 and result.both == 5 and result.ok


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.evtx", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: (d / "empty.evtx").write_bytes(b"") and d / "empty.evtx" or d / "empty.evtx", "file is empty"),
        (lambda d: (d / "text.evtx").write_text("hello\n") and d / "text.evtx", "not an EVTX file"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, capsys, make, message: str) -> None:
    path = make(tmp_path)
    assert main(["crosscheck", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("a", "b", "how"),
    [
        ("x", "x", "exact"),
        ("0xc3b3537", "0x000000000c3b3537", "hex width"),
        ("02000000-0001-0000-6A91-1A8F32FBD201", "{02000000-0001-0000-6a91-1a8f32fbd201}", "GUID braces/case"),
        ("2017-07-12T17:16:05.499259Z", "2017-07-12 17:16:05.499258+00:00", "time format"),
        ("true", "True", "bool case"),
        ("E44A", "5Eo=", "binary hex/base64"),
        ("0x10", "0x11", None),
        ("Intel", "", None),
    ],
)
def test_rendering_differences(a: str, b: str, how: str | None) -> None:
    assert same_value(a, b) == how
