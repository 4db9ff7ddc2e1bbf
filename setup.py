"""Ship the top-level ``migrations/`` inside the wheel, as ``collector/migrations``.

The Alembic scripts live at the top of the repository (``stepsense db upgrade``
in a checkout finds them there); an installed package has no checkout, so the
build copies them into the package, where ``create_app`` looks first.
MANIFEST.in puts them in the sdist, so a wheel built from it has them too.
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithMigrations(build_py):
    def run(self) -> None:
        super().run()
        target = os.path.join(self.build_lib, "collector", "migrations")
        shutil.rmtree(target, ignore_errors=True)  # a revision removed since the last build must not linger
        shutil.copytree("migrations", target, ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildWithMigrations})
