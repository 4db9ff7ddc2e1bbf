"""Helpers for the browser tests: where screenshots go, and waiting for what a page
sends to land. The fixtures (browser, live collector, host site, widget) are in
tests/browser/conftest.py."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, message: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)
