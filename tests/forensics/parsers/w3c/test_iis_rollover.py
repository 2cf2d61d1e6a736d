"""Days (and hours) missing from an IIS log folder are noted on the file after the gap."""

from __future__ import annotations

from pathlib import Path

from forensics.ingest import load_evidence
from forensics.parsers.base import FileReport, MissingPeriod
from forensics.parsers.w3c.iis_rollover import refresh_gap_notes, rollover_gaps

HEADER = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time cs-method cs-uri-stem cs-uri-query cs-username c-ip cs(User-Agent) sc-status\n"


def w3c_log(path: Path, day: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{day} 09:00:00 GET /owa/ceo@contoso.com/ ae=Item&id=1 CONTOSO\\pat 10.0.0.5 Mozilla/5.0 200\n")
    return path


def test_daily_gaps_are_noted_on_the_file_after_them() -> None:
    folder = Path("/evidence/W3SVC1")
    names = ["u_ex240301.log", "u_ex240302.log", "u_ex240305.log", "u_ex240306.log", "u_ex240315.log"]
    notes = rollover_gaps([folder / n for n in reversed(names)])
    assert set(notes) == {folder / "u_ex240305.log", folder / "u_ex240315.log"}
    assert notes[folder / "u_ex240305.log"].note == (
        "DAYS MISSING: the IIS logs loaded from W3SVC1 skip 2 days before this file (2024-03-03 to 2024-03-04; "
        "no u_ex240303.log, u_ex240304.log): requests then are not in the evidence"
    )
    assert "skip 8 days" in notes[folder / "u_ex240315.log"].note and "… 3 more" in notes[folder / "u_ex240315.log"].note
    assert notes[folder / "u_ex240305.log"].period == MissingPeriod(
        "2024-03-03T00:00:00Z", "2024-03-05T00:00:00Z", "DAYS MISSING before u_ex240305.log")


def test_hourly_series_folders_and_prefixes_are_kept_apart() -> None:
    a, b = Path("/e/W3SVC1"), Path("/e/W3SVC2")
    paths = [a / "u_ex24030109.log", a / "u_ex24030111.log", a / "u_ex240301.log", b / "u_ex240302.log",
             a / "ex240303.log", a / "EX240304.LOG", a / "notes.log", a / "u_ex241399.log", a / "u_ex240301_x.log"]
    notes = rollover_gaps(paths)
    assert list(notes) == [a / "u_ex24030111.log"]
    assert notes[a / "u_ex24030111.log"].period.start == "2024-03-01T10:00:00Z"
    assert notes[a / "u_ex24030111.log"].note.startswith(
        "HOURS MISSING: the IIS logs loaded from W3SVC1 skip 1 hour before this file (2024-03-01 10:00; no u_ex24030110.log)")


def test_load_notes_the_gap_on_iis_files_only(tmp_path: Path) -> None:
    folder = tmp_path / "W3SVC1"
    w3c_log(folder / "u_ex240301.log", "2024-03-01")
    w3c_log(folder / "u_ex240304.log", "2024-03-04")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "ex240301.log").write_text("not an IIS log\n")
    (tmp_path / "other" / "ex240309.log").write_text("not an IIS log either\n")
    result = load_evidence([folder, tmp_path / "other"])
    notes = {r.path.name: r.notes for r in result.files}
    assert notes["u_ex240301.log"] == []
    assert notes["u_ex240304.log"] == [
        "DAYS MISSING: the IIS logs loaded from W3SVC1 skip 2 days before this file (2024-03-02 to 2024-03-03; "
        "no u_ex240302.log, u_ex240303.log): requests then are not in the evidence"
    ]
    assert notes["ex240309.log"] == []  # not read as IIS: no claim about its days


def test_refresh_follows_the_evidence_set_not_the_load(tmp_path: Path) -> None:
    folder = tmp_path / "W3SVC1"
    first = load_evidence([w3c_log(folder / "u_ex240301.log", "2024-03-01")]).files
    later = load_evidence([w3c_log(folder / "u_ex240304.log", "2024-03-04")]).files
    assert later[0].notes == []  # each load alone sees no gap
    files = first + later
    refresh_gap_notes(files)
    assert files[1].notes[0].startswith("DAYS MISSING") and "skip 2 days" in files[1].notes[0]
    assert [(m.start, m.end) for m in files[1].missing] == [("2024-03-02T00:00:00Z", "2024-03-04T00:00:00Z")]
    files += load_evidence([w3c_log(folder / "u_ex240302.log", "2024-03-02")]).files
    files[1].notes.append("EVIDENCE CHANGED: kept")
    refresh_gap_notes(files)
    assert files[1].notes[0] == "EVIDENCE CHANGED: kept" and len(files[1].notes) == 2  # replaced, not piled up
    assert files[1].notes[1].startswith("DAYS MISSING") and "skip 1 day " in files[1].notes[1]
    files += load_evidence([w3c_log(folder / "u_ex240303.log", "2024-03-03")]).files
    refresh_gap_notes(files)
    assert [f.notes for f in files] == [[], ["EVIDENCE CHANGED: kept"], [], []]
    assert [f.missing for f in files] == [[], [], [], []]


def test_refresh_counts_only_iis_files_whose_requests_are_loaded(tmp_path: Path) -> None:
    reports = [FileReport(path=tmp_path / name, parser=parser, status=status) for name, parser, status in (
        ("u_ex240301.log", "iis", "loaded"), ("u_ex240302.log", "iis", "failed"),
        ("u_ex240303.log", "evtx", "loaded"), ("u_ex240304.log", "iis", "duplicate"))]
    refresh_gap_notes(reports)
    assert [len(r.notes) for r in reports] == [0, 0, 0, 1]
    assert "skip 2 days" in reports[3].notes[0]  # a failed file's day is not in the evidence
