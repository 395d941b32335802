"""Packaging detail pyproject.toml cannot express: the bundled example models live in ``models/``
in the repository but are installed as ``raceproof_models``, so that installing raceproof never
claims the generic top-level name ``models`` (a user's own ``models`` package must win)."""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

BUNDLED = "raceproof_models"


class BuildPy(build_py):
    """An earlier build's ``build/lib/models`` (from before the rename) must not reach the wheel."""

    def run(self) -> None:
        shutil.rmtree(Path(self.build_lib) / "models", ignore_errors=True)
        super().run()


models = find_packages(include=["models", "models.*"])
setup(
    packages=find_packages(include=["checker", "checker.*"]) + [BUNDLED + name[len("models") :] for name in models],
    package_dir={BUNDLED: "models"},
    cmdclass={"build_py": BuildPy},
)
