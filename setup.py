"""Packaging detail pyproject.toml cannot express: the bundled example models live in ``models/``
in the repository but are installed as ``raceproof_models``, so that installing raceproof never
claims the generic top-level name ``models`` (a user's own ``models`` package must win)."""

from setuptools import find_packages, setup

BUNDLED = "raceproof_models"
models = find_packages(include=["models", "models.*"])
setup(
    packages=find_packages(include=["checker", "checker.*"]) + [BUNDLED + name[len("models") :] for name in models],
    package_dir={BUNDLED: "models"},
)
