"""A small generated case shared by the synth tests (generated once per session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.synth.generate import generate


@pytest.fixture(scope="session")
def contoso_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("contoso")
    generate("contoso", out, seed=7, events=1500, command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))
