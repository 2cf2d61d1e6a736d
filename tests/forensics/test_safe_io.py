"""safe_io: writes never go through links, reads are bounded and refuse FIFOs and devices.

The attacks are the ones a case folder received from someone else can carry (issue 16):
planted symbolic links where the tool writes, hard links to evidence, FIFOs and devices
where it reads. FIFO and device tests run under a timeout so a regression fails, not hangs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.timeouts import within
from forensics.errors import ReportError
from forensics.safe_io import (
    UnsafePathError, append_bytes, atomic_write, evidence_identities, read_bounded, refuse_evidence_output,
)

posix_only = pytest.mark.skipif(os.name == "nt", reason="FIFOs, /dev/zero and symlinks without privileges are POSIX")


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "evidence" / "u_ex240301.log"
    path.parent.mkdir()
    path.write_bytes(b"#Fields: date time cs-uri-stem\n2024-03-01 09:00:00 /owa/\n")
    return path


@posix_only
def test_atomic_write_refuses_a_symlinked_target(tmp_path: Path, evidence: Path) -> None:
    before = evidence.read_bytes()
    target = tmp_path / "case.json"
    target.symlink_to(evidence)
    with pytest.raises(UnsafePathError, match=r"case\.json: case\.json is a symbolic link; refusing to follow it"):
        atomic_write(target, b"{}", "case.json")
    assert evidence.read_bytes() == before


@posix_only
def test_atomic_write_replaces_a_hard_link_without_writing_into_it(tmp_path: Path, evidence: Path) -> None:
    before = evidence.read_bytes()
    target = tmp_path / "case.json"
    os.link(evidence, target)
    atomic_write(target, b"{}", "case.json")
    assert target.read_bytes() == b"{}" and evidence.read_bytes() == before  # a new inode took the name
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@posix_only
def test_atomic_write_ignores_planted_fixed_temp_names(tmp_path: Path, evidence: Path) -> None:
    before = evidence.read_bytes()
    for name in ("case.json.tmp", "custody.head.json.tmp"):
        (tmp_path / name).symlink_to(evidence)
    atomic_write(tmp_path / "case.json", b"{}", "case.json")
    assert evidence.read_bytes() == before


@posix_only
def test_append_refuses_links_fifos_and_hard_links(tmp_path: Path, evidence: Path) -> None:
    before = evidence.read_bytes()
    link = tmp_path / "custody.jsonl"
    link.symlink_to(evidence)
    with pytest.raises(UnsafePathError, match="custody log is a symbolic link"):
        append_bytes(link, b"{}\n", "custody log")
    link.unlink()
    os.link(evidence, link)
    with pytest.raises(UnsafePathError, match="custody log has 2 hard links"):
        append_bytes(link, b"{}\n", "custody log")
    link.unlink()
    os.mkfifo(link)
    with pytest.raises(UnsafePathError, match=r"custody log is a FIFO \(named pipe\), not a regular file"):
        within(10, lambda: append_bytes(link, b"{}\n", "custody log"))
    assert evidence.read_bytes() == before


@posix_only
def test_read_bounded_refuses_fifo_device_link_and_oversize(tmp_path: Path, evidence: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePathError, match=r"identity file is a FIFO \(named pipe\)"):
        within(10, lambda: read_bounded(fifo, 1000, "identity file", follow=True))
    with pytest.raises(UnsafePathError, match="identity file is a character device"):
        within(10, lambda: read_bounded("/dev/zero", 1000, "identity file", follow=True))
    link = tmp_path / "case.json"
    link.symlink_to(evidence)
    with pytest.raises(UnsafePathError, match="case.json is a symbolic link"):
        read_bounded(link, 1000, "case.json")
    assert read_bounded(link, 1000, "directory export", follow=True) == evidence.read_bytes()
    with pytest.raises(UnsafePathError, match=r"is 57 bytes, more than the 10 allowed"):
        read_bounded(evidence, 10, "case.json")


@posix_only
def test_outputs_are_compared_with_evidence_by_inode(tmp_path: Path, evidence: Path) -> None:
    ids = evidence_identities([evidence, tmp_path / "gone.log"])  # a missing file is no identity
    hard = tmp_path / "report.html"
    os.link(evidence, hard)
    soft = tmp_path / "report.csv"
    soft.symlink_to(evidence)
    for out in (evidence, hard, soft, tmp_path / "evidence" / ".." / "evidence" / evidence.name):
        with pytest.raises(ReportError, match=rf"is the evidence file {evidence} \(same device and inode\)"):
            refuse_evidence_output(out, ids, ReportError)
    refuse_evidence_output(tmp_path / "new.html", ids, ReportError)  # not evidence: allowed
    copy = tmp_path / "copy.log"
    copy.write_bytes(evidence.read_bytes())
    refuse_evidence_output(copy, ids, ReportError)  # same bytes, another file: allowed
