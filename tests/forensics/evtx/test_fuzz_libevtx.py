"""Mutation fuzzing against libevtx (``benchmarks/evtx_fuzz.py``): on every mutated log we read at
least the records libevtx renders, and every record id a chunk header announces is read or named.

The mutations follow the damage real copies show (``shared/EVTX_FORMAT.md`` §8, libyal's "Windows
XML Event Log (EVTX)" *Corruption scenarios*). libevtx (``libevtx-python``) is a test dependency;
the tests skip cleanly without it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]


def fuzz_module() -> ModuleType:
    pytest.importorskip("pyevtx")
    spec = importlib.util.spec_from_file_location("evtx_fuzz", REPO / "benchmarks" / "evtx_fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["evtx_fuzz"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def check(files: int, seed: int) -> object:
    figures = fuzz_module().run(files, seed)
    report = "\n".join(figures.lines() + figures.examples)
    assert figures.files == files
    assert figures.crashed == 0, report
    # where the evtx engine cannot render a record libevtx renders (damaged Binary XML), the
    # record is a bad record named by chunk, offset and id: never lost without a name
    assert figures.fewer_no_warning == 0 and figures.fewer_unexplained == 0, report
    assert figures.ours >= figures.theirs, report
    assert figures.unnamed_files == 0, report  # every announced id read or named
    return figures


def test_200_mutated_logs_lose_no_record_without_a_name() -> None:
    figures = check(200, seed=2017)
    assert figures.fewer_files == 0  # on these 200, not one record fewer than libevtx


@pytest.mark.slow
def test_5000_mutated_logs_lose_no_record_without_a_name() -> None:
    check(5000, seed=17)
