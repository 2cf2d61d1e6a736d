"""Shared fixtures: paths to bundled and shared sample data; isolated settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the examiner signing key is created on first use: never in the real user's data folder
os.environ.setdefault("MAILBOX_AUDIT_KEY_DIR", tempfile.mkdtemp(prefix="mailbox-audit-test-keys-"))

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SHARED_SAMPLES = REPO.parent / "shared" / "samples" / "evtx"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def shared_samples() -> Path:
    """The public .evtx corpus in ../shared; tests using it skip cleanly when absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/samples/evtx is not present")
    return SHARED_SAMPLES
