"""An installed wheel carries what `stepsense db upgrade` and the widget need,
so a deployment needs no checkout of the repository."""

import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_wheel(source: str, out) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("stepsense-*.whl")
    return zipfile.ZipFile(wheel)


@pytest.mark.parametrize("route", ["from the checkout", "through an sdist"])
def test_the_wheel_ships_the_migrations_widget_and_templates(tmp_path, route):
    source = ROOT
    if route == "through an sdist":  # what `python -m build` and `pip install stepsense-*.tar.gz` do
        made = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        source = str(tmp_path / made.stdout.strip().splitlines()[-1])
    wheel = build_wheel(source, tmp_path / "wheel")
    names = set(wheel.namelist())
    versions = sorted(name for name in os.listdir(os.path.join(ROOT, "migrations", "versions")) if name.endswith(".py"))
    assert versions and {f"collector/migrations/versions/{name}" for name in versions} <= names
    assert {
        "collector/migrations/env.py",
        "collector/migrations/alembic.ini",
        "collector/migrations/script.py.mako",
    } <= names
    assert {"collector/static/widget.js", "collector/static/widget-ui.js"} <= names
    assert any(name.startswith("collector/templates/dashboard/") for name in names)
    assert not any("__pycache__" in name for name in names)
