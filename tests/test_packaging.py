"""An installed wheel carries what `stepsense db upgrade` and the widget need,
so a deployment needs no checkout of the repository."""

import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_wheel_ships_the_migrations_widget_and_templates(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("stepsense-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = sorted(name for name in os.listdir(os.path.join(ROOT, "migrations", "versions")) if name.endswith(".py"))
    assert versions and {f"collector/migrations/versions/{name}" for name in versions} <= names
    assert {"collector/migrations/env.py", "collector/migrations/alembic.ini", "collector/migrations/script.py.mako"} <= names
    assert {"collector/static/widget.js", "collector/static/widget-ui.js"} <= names
    assert any(name.startswith("collector/templates/dashboard/") for name in names)
    assert not any("__pycache__" in name for name in names)
