"""Run a call that must not hang (FIFOs, devices) under a time limit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """Run ``call`` in a daemon thread; fail the test (instead of hanging the suite) when it
    takes longer than ``seconds``. Exceptions from ``call`` are raised in the test."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s (a FIFO or device was read as a file?)")
    if "error" in box:
        raise box["error"]
    return box.get("value")
