"""Incomplete Microsoft 365 audit exports are named: a search that found more records than
the file holds (ResultIndex/ResultCount), and searches or downloads at the 50,000 cap."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from forensics.parsers.base import FileReport
from forensics.parsers.m365.ual_completeness import SEARCH_CAP, ExportCompleteness
from tests.forensics.parsers.m365.test_ual import SHAREPOINT_FILE, COMPOSITE_SEND_AS, parse

HEADER = ["RecordType", "CreationDate", "UserIds", "Operations", "AuditData", "ResultIndex", "ResultCount",
          "Identity", "IsValid", "ObjectState"]


def export_csv(rows: list[tuple[str, str]], record: dict = COMPOSITE_SEND_AS) -> str:
    """A ``Search-UnifiedAuditLog | Export-Csv`` file with the given (ResultIndex, ResultCount)."""
    out = io.StringIO()
    out.write("#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditLogRecord\n")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    for index, count in rows:
        writer.writerow(["ExchangeItem", "3/5/2024 9:20:03 AM", "assistant@contoso.com", record["Operation"],
                         json.dumps(record), index, count, record["Id"], "True", "Unchanged"])
    return out.getvalue()


def test_a_complete_search_is_quiet(tmp_path: Path) -> None:
    # re-sorted (indices out of order): still complete
    _, report, _ = parse(tmp_path, export_csv([("3", "3"), ("1", "3"), ("2", "3")]))
    assert report.notes == [] and not report.warnings


def test_pages_that_were_never_exported_are_named(tmp_path: Path) -> None:
    rows = [(str(i), "12") for i in (1, 2, 3, 4, 5, 9, 10)]
    frame, report, _ = parse(tmp_path, export_csv(rows))
    assert len(frame) == 7 and report.records == 7
    assert [w.message for w in report.warnings] == [
        "a search that found 12 records (ResultCount) is in this file with 7 of them: ResultIndex 6-8, 11-12 are "
        "missing (paging stopped early or pages were lost)"
    ]
    assert report.notes == ["EXPORT INCOMPLETE: 5 audit records the search found are not in this file (see the warnings)"]


def test_searches_appended_into_one_file_are_judged_each(tmp_path: Path) -> None:
    first = [(str(i), "3") for i in (1, 2, 3)]
    second = [(str(i), "4") for i in (1, 2, 4)]  # index 3 lost
    _, report, _ = parse(tmp_path, export_csv(first + second))
    assert len(report.warnings) == 1 and "found 4 records" in report.warnings[0].message
    assert "ResultIndex 3 is missing" in report.warnings[0].message
    assert report.notes[0].startswith("EXPORT INCOMPLETE: 1 audit record the search")


def test_indices_without_counts_must_still_run_from_one(tmp_path: Path) -> None:
    _, report, _ = parse(tmp_path, export_csv([("1", ""), ("2", ""), ("5", "")]))
    assert [w.message for w in report.warnings] == ["ResultIndex runs to 5 but 2 indices are absent: 3-4"]


def test_a_search_at_the_cap_may_have_found_more() -> None:
    completeness = ExportCompleteness("export-csv-10")
    index = pa.chunked_array([pa.array([str(i) for i in range(1, SEARCH_CAP + 1)])])
    count = pa.chunked_array([pa.array([str(SEARCH_CAP)] * SEARCH_CAP)])
    completeness.add({"resultindex": index, "resultcount": count}, SEARCH_CAP)
    report = FileReport(path=Path("x.csv"))
    assert completeness.report_to(report) == 0
    assert "the most one search or download returns" in report.warnings[0].message
    assert report.notes == [f"EXPORT MAY BE CAPPED at {SEARCH_CAP:,} records (see the warnings)"]


def test_a_classic_download_of_exactly_fifty_thousand_rows_is_flagged() -> None:
    completeness = ExportCompleteness("classic-4")
    completeness.add({"auditdata": pa.chunked_array([pa.array(["{}"] * 10)])}, SEARCH_CAP - 10)
    completeness.add({"auditdata": pa.chunked_array([pa.array(["{}"] * 10)])}, 10)
    report = FileReport(path=Path("x.csv"))
    completeness.report_to(report)
    assert report.warnings[0].message.startswith("this classic export holds exactly 50,000 rows")
    quiet = ExportCompleteness("classic-4")
    quiet.add({}, SEARCH_CAP - 1)
    assert quiet.report_to(FileReport(path=Path("y.csv"))) == 0


def test_hostile_index_text_is_ignored_not_fatal(tmp_path: Path) -> None:
    rows = [("1", "2"), ("x", "2"), ("2", "two"), ("99999999999999999999", "2"), ("-1", "-1")]
    _, report, _ = parse(tmp_path, export_csv(rows, SHAREPOINT_FILE))
    assert report.records == 5 and report.balanced
    # index 1 of the search of 2 is there; index 2 only appears with an unreadable count
    assert "ResultIndex 2 is missing" in report.warnings[0].message
    assert np.all([w.location == "file" for w in report.warnings])


def test_the_synthetic_powershell_export_is_complete(tmp_path: Path) -> None:
    """The generator writes ResultCount as the cmdlet does; a whole export raises nothing,
    the same export with a page cut out names the page."""
    from forensics.synth.generate import generate

    generate("contoso", tmp_path / "case", events=300, formats=["ual-powershell"])
    path = next((tmp_path / "case" / "evidence" / "ual").glob("*.csv"))
    _, report, _ = parse(tmp_path, path.read_text(encoding="utf-8-sig"))
    assert report.notes == [] and not any("ResultIndex" in w.message for w in report.warnings)
    with open(path, encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    total = len(rows) - 1
    assert {row[6] for row in rows[1:]} == {str(total)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerows(rows[:11] + rows[21:])  # ResultIndex 11-20 lost
    _, cut, _ = parse(tmp_path, out.getvalue(), "cut.csv")
    assert f"found {total:,} records (ResultCount)" in cut.warnings[0].message
    assert "ResultIndex 11-20 are missing" in cut.warnings[0].message
