"""Issue 22 regressions: a report lists its events in the order it says (time ascending,
stable, from the command line; the grid's own order from the GUI), prints the columns it is
given, and takes its format from the file name's extension (a mismatch is refused)."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from forensics import schema
from forensics.custody.log import CustodyLog
from forensics.errors import ReportError
from forensics.reports import build_report, export_report
from forensics.reports.content import TIME_ORDER
from forensics.reports.export import format_for


def _two_files() -> pd.DataFrame:
    """Two evidence files loaded one after the other, each in time order, the second starting
    earlier than the first ends: load order jumps back in time (as when a second server's
    log is added), and two rows share a time (the tie must keep load order)."""
    rows = []
    for evidence, start, record in (("aaaa", "2024-03-05T10:00:00Z", 100), ("bbbb", "2024-03-05T08:00:00Z", 200)):
        for i in range(3):
            rows.append({"time": pd.Timestamp(start) + pd.Timedelta(hours=i), "operation": "MessageOpen",
                         "mailbox": "ceo@contoso.com", "actor": "CONTOSO\\pat", "logon_type": "Delegate",
                         "evidence": evidence, "record_id": record + i, "source_format": "evtx"})
    return schema.conform(rows)


def test_cli_style_report_sorts_by_time_stably_and_says_so(tmp_path: Path) -> None:
    frame = _two_files()
    assert not frame["time"].is_monotonic_increasing  # load order goes back in time
    data = build_report(frame=frame, heatmaps=False)
    times = data.events["time"]
    assert times.is_monotonic_increasing
    # 10:00 of file aaaa and 10:00 of file bbbb: equal times keep load order (aaaa first)
    tied = data.events[data.events["time"] == pd.Timestamp("2024-03-05T10:00:00Z")]
    assert tied["evidence"].tolist() == ["aaaa", "bbbb"]
    assert data.events_order == TIME_ORDER
    out = export_report(data, tmp_path / "r.html").path
    assert f"Listed in {TIME_ORDER}." in out.read_text(encoding="utf-8")


def test_grid_order_and_visible_columns_are_kept_and_stated(tmp_path: Path) -> None:
    frame = _two_files()
    view = frame.iloc[[5, 0, 4, 1]]  # e.g. sorted by time descending in the grid, filtered
    order = "the grid's order: time descending"
    data = build_report(frame=frame, view=view, keep_order=True, order=order,
                        columns=["record_id", "time", "tag", "actor"], heatmaps=False)
    assert data.events["record_id"].tolist() == [202, 100, 201, 101]
    assert data.event_columns == ["record_id", "time", "actor"]  # 'tag' is no schema column
    html = unescape(export_report(data, tmp_path / "r.html").path.read_text(encoding="utf-8"))
    assert f"Listed in {order}." in html
    section = html[html.index('id="events"'):]
    assert "<thead><tr><th>record id</th><th>time</th><th>actor</th></tr></thead>" in section
    sheet = export_report(data, tmp_path / "r.xlsx").path
    import openpyxl

    summary = {r[0]: r[1] for r in openpyxl.load_workbook(sheet, read_only=True)["Summary"].iter_rows(values_only=True)}
    assert summary["Events order"] == order


@pytest.mark.parametrize(("name", "requested", "expected"), [
    ("case1.pdf", None, "pdf"), ("case1.PDF", "pdf", "pdf"), ("case1.htm", None, "html"),
    ("case1", "xlsx", "xlsx"), ("case1.v2", "csv", "csv"),
])
def test_format_comes_from_the_extension(name: str, requested: str | None, expected: str) -> None:
    assert format_for(Path(name), requested) == expected


def test_extension_and_chosen_format_disagreeing_is_refused_and_nothing_is_logged(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"case1.pdf: the name ends in .pdf but the HTML format was chosen"):
        format_for(Path("case1.pdf"), "html")
    with pytest.raises(ReportError, match="unknown report format"):
        format_for(Path("case1.docx"), None)
    custody = CustodyLog(tmp_path / "case", examiner="E. Xam")
    data = build_report(frame=_two_files(), heatmaps=False)
    with pytest.raises(ReportError, match="ends in .pdf"):
        export_report(data, tmp_path / "out" / "case1.pdf", fmt="html", custody=custody)
    assert not (tmp_path / "out" / "case1.pdf").exists()
    assert not [e for e in custody.entries() if e["kind"] == "report-exported"]
    result = export_report(data, tmp_path / "out" / "case1.pdf", custody=custody)
    assert result.format == "pdf" and result.path.read_bytes().startswith(b"%PDF")
    assert custody.entries()[-1]["format"] == "pdf"


def test_cli_report_says_its_order_and_work_hours_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.fake_parser import SAMPLE  # registers the test-only parser
    from forensics.cli.main import main

    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / "a.testlog").write_text(SAMPLE)
    out = tmp_path / "out" / "r.html"
    assert main(["report", str(folder), "--out", str(out), "--source-tz", "America/New_York"]) == 0
    printed = capsys.readouterr().out
    assert f"listed in {TIME_ORDER}" in printed
    assert "(America/New_York): the zone the case's evidence was loaded with" in printed
    assert "Work-hours zone: the zone the case's evidence was loaded with" in unescape(out.read_text(encoding="utf-8"))
    assert main(["report", str(folder), "--out", str(tmp_path / "out" / "r2.pdf"), "--format", "html"]) == 2
    assert "the name ends in .pdf but the HTML format was chosen" in capsys.readouterr().err
