"""``mailbox-audit synth`` and ``benchmarks/make_corpus.py`` end to end (small sizes)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from forensics.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def test_synth_writes_the_case_and_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["synth", "--scenario", "compromised-owa", "--events", "400", "--seed", "9", "--formats", "evtx", "iis", "ual"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "evtx-exchangeauditing" in out and "400 records" in out
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    truth = json.loads((tmp_path / "a" / "truth.json").read_text(encoding="utf-8"))
    assert set(truth["formats"]) == {"evtx-exchangeauditing", "evtx-application", "evtx-msexchangemanagement", "iis", "ual"}
    assert truth["command"].startswith("mailbox-audit synth --scenario=compromised-owa --seed=9")
    for path in (tmp_path / "a").rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes(), path
    assert (tmp_path / "a" / "README.md").read_text(encoding="utf-8").startswith("# Synthetic case: compromised-owa")


def test_synth_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--scenario", "contoso", "--events", "5", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "error: --events must be at least" in err and "Traceback" not in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["synth", "--scenario", "after-hours", "--out", str(blocker)]) == 2
    assert "not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["synth", "--scenario", "nope", "--out", str(tmp_path / "y")])


def test_make_corpus_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("make_corpus", REPO / "benchmarks" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path), "--events", "3000", "--formats", "evtx", "ual"]) == 0
    out = capsys.readouterr().out
    assert "Exchange Auditing records/s" in out and "MiB" in out
    truth = json.loads((tmp_path / "contoso_3000" / "truth.json").read_text(encoding="utf-8"))
    assert truth["formats"]["evtx-exchangeauditing"]["records"] == 3000
    assert "evtx-application" not in truth["formats"]  # corpora hold the Exchange Auditing log only
