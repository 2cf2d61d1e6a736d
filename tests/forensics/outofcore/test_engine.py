"""Only files whose SHA-256 matches custody are queried, and a file changed after its check
is refused at query time (issue 21 point 3; the trust issue's cache integrity, issue 16)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from forensics.outofcore.engine import (
    IntegrityError,
    OutOfCoreEngine,
    OutOfCoreError,
    SwapAfterCheck,
    hash_verified,
)

from .conftest import tricky_frame, write_parquet


def _two(tmp_path: Path) -> list[tuple[Path, str]]:
    return [(tmp_path / "a.parquet", write_parquet(tmp_path / "a.parquet", tricky_frame())),
            (tmp_path / "b.parquet", write_parquet(tmp_path / "b.parquet", tricky_frame().iloc[:5]))]


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_tampered_file_is_refused_and_reported(tmp_path: Path) -> None:
    recorded = _two(tmp_path)
    _flip_a_byte(recorded[0][0])
    with OutOfCoreEngine.open(recorded) as engine:
        assert [f.path.name for f in engine.files] == ["b.parquet"]
        (refused,) = engine.report.refused
        assert refused.path.name == "a.parquet" and "differs from" in refused.reason
        assert engine.count() == 5


def test_a_link_is_refused_even_to_the_right_bytes(tmp_path: Path) -> None:
    (path, sha), _ = _two(tmp_path)
    link = tmp_path / "link.parquet"
    link.symlink_to(path)
    with pytest.raises(IntegrityError, match="cannot open"):
        hash_verified(link, sha)


def test_nothing_verified_means_no_answer(tmp_path: Path) -> None:
    (path, _), _ = _two(tmp_path)
    with OutOfCoreEngine.open([(path, "0" * 64)]) as engine, pytest.raises(OutOfCoreError, match="no verified"):
        engine.count()


def test_swap_after_check_by_rename_is_detected(tmp_path: Path) -> None:
    recorded = _two(tmp_path)
    with OutOfCoreEngine.open(recorded) as engine:
        assert engine.count() == 21
        forged = tmp_path / "forged.parquet"
        write_parquet(forged, tricky_frame().iloc[:3])
        os.replace(forged, recorded[0][0])  # other bytes under the checked name
        with pytest.raises(SwapAfterCheck, match="changed on disk"):
            engine.count()


def test_in_place_rewrite_of_the_same_size_is_detected(tmp_path: Path) -> None:
    recorded = _two(tmp_path)
    with OutOfCoreEngine.open(recorded) as engine:
        path = recorded[1][0]
        before = path.stat()
        time.sleep(0.01)
        with open(path, "r+b") as handle:  # same inode, same size, one byte changed
            handle.seek(before.st_size // 2)
            byte = handle.read(1)
            handle.seek(before.st_size // 2)
            handle.write(bytes([byte[0] ^ 1]))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # even with mtime put back (ctime moves)
        with pytest.raises(SwapAfterCheck):
            engine.count()
        with pytest.raises(IntegrityError):
            hash_verified(path, recorded[1][1])


def test_the_engine_reads_no_other_file(tmp_path: Path) -> None:
    recorded = _two(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("a\n1\n")
    with OutOfCoreEngine.open(recorded) as engine:
        with pytest.raises(duckdb.PermissionException, match="(?i)disabled"):
            engine.fetchall("SELECT * FROM read_csv(?)", [str(other)])
        with pytest.raises(duckdb.Error, match="(?i)lock"):  # the configuration is locked
            engine.con.execute("SET enable_external_access = true")
        settings = engine.con.execute("SELECT current_setting('autoload_known_extensions'), "
                                      "current_setting('autoinstall_known_extensions')").fetchone()
        assert settings == (False, False)
        with pytest.raises(duckdb.Error):  # no extension can be fetched or loaded from disk
            engine.con.execute("INSTALL httpfs")
        with pytest.raises(duckdb.Error):
            engine.fetchall("SELECT count(*) FROM read_parquet('https://example.invalid/x.parquet')")


def test_open_case_uses_the_caches_custody_vouches_for(tmp_path: Path) -> None:
    """A real case (IIS W3C log with Exchange 2003 OWA lines, as tests/forensics/case/test_cache_integrity.py)."""
    from forensics.case import Case

    folder = tmp_path / "W3SVC2"
    folder.mkdir()
    header = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-01 09:00:00\n"
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
    line = ("2024-03-01 09:{m:02d}:00 10.0.0.2 GET /exchange/ceo@contoso.com/Inbox/Board+minutes+{m}.EML "
            "Cmd=open 443 CONTOSO\\pat 10.0.0.5 Mozilla/5.0 - 200 0 0 15\n")
    (folder / "u_ex240301.log").write_text(header + "".join(line.format(m=m) for m in range(10)))
    case = Case.create(tmp_path / "case", "ooc", examiner="E. Xam")
    case.add_evidence([folder / "u_ex240301.log"])
    case.save()
    with OutOfCoreEngine.open_case(case) as engine:
        assert engine.count() == 10 and not engine.report.refused
    (parquet,) = case.cache_dir.glob("*.parquet")
    _flip_a_byte(parquet)
    with OutOfCoreEngine.open_case(case) as engine:
        assert engine.files == [] and "differs from" in engine.report.refused[0].reason
    parquet.unlink()
    with OutOfCoreEngine.open_case(case) as engine:
        assert engine.files == [] and engine.report.refused[0].reason == "recorded in custody but absent"


def test_a_swap_and_swap_back_is_detected(tmp_path: Path) -> None:
    """Rename the checked file away (reads of other bytes could happen now) and back:
    the inode is the same again, but the rename moved its ctime."""
    recorded = _two(tmp_path)
    with OutOfCoreEngine.open(recorded) as engine:
        path = recorded[0][0]
        time.sleep(0.01)
        os.rename(path, tmp_path / "away.parquet")
        os.rename(tmp_path / "away.parquet", path)
        with pytest.raises(SwapAfterCheck):
            engine.count()


def test_work_beyond_the_memory_limit_spills_to_a_private_folder_removed_on_close(tmp_path: Path) -> None:
    recorded = _two(tmp_path)
    engine = OutOfCoreEngine.open(recorded)
    spill = engine.spill_dir
    assert spill.is_dir() and (spill.stat().st_mode & 0o077) == 0
    assert engine.con.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(spill)
    engine.close()
    assert not spill.exists()
