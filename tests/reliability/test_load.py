"""bench/load.py, small: a bounded mixed load against gunicorn ends with 0 errors and no lost answer."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mixed_load_has_no_errors_and_loses_no_acknowledged_answer():
    database = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    result = subprocess.run(
        [
            sys.executable,
            "bench/load.py",
            "--database",
            database,
            "--duration",
            "20",
            "--requests",
            "600",
            "--clients",
            "4",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    print(result.stdout[-2000:])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "lost: 0, stored twice: 0" in result.stdout
