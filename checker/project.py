"""The project a spec (or a trace) belongs to: where its model code is looked up.

A project is the directory tree a file lives in: the nearest ancestor with ``pyproject.toml``
or ``.git`` (without either, the file's own folder). Its ``pyproject.toml`` may say where its
code is::

    [tool.raceproof]
    models = "models"          # the folder of short-named models: model = "dns" -> models/dns
    pythonpath = ["."]         # folders 'package.module:Class' is imported from, first to last

(both relative to the project root; these are the defaults). Nothing here imports anything.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.machinery
import os
import tomllib
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path

from .errors import SpecError

#: the package the toolkit's example models are installed as (never the generic name ``models``)
BUNDLED_PACKAGE = "raceproof_models"

_CHECKER_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Project:
    root: Path
    models_dir: Path  # may not exist
    pythonpath: tuple[Path, ...]
    config: Path | None  # the pyproject.toml read, if any
    marked: bool = True  # False: no pyproject.toml or .git above the file, its own folder stands in

    def contains(self, path: str | Path) -> bool:
        return _inside(path, self.root)


def _inside(path: str | Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def find_project(start: str | Path) -> Project:
    """The project of the file or folder ``start`` (see the module's docstring)."""
    here = Path(os.path.realpath(start))
    if not here.is_dir():
        here = here.parent
    root = next((d for d in (here, *here.parents) if (d / "pyproject.toml").is_file() or (d / ".git").exists()), None)
    if root is None:
        return dataclasses.replace(_project(here), marked=False)
    return _project(root)


@functools.cache
def _project_cached(root: Path, stamp: tuple[int, int] | None) -> Project:
    config = root / "pyproject.toml"
    settings: dict[str, object] = {}
    if stamp is not None:
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SpecError(f"cannot read [tool.raceproof]: {exc}", str(config)) from None
        tool = data.get("tool")
        found = tool.get("raceproof", {}) if isinstance(tool, dict) else {}
        if not isinstance(found, dict):
            raise SpecError("[tool.raceproof] must be a table", str(config))
        settings = found
    unknown = sorted(set(settings) - {"models", "pythonpath"})
    if unknown:
        raise SpecError(f"unknown key '{unknown[0]}' in [tool.raceproof] (known: models, pythonpath)", str(config))
    models = settings.get("models", "models")
    if not isinstance(models, str) or not models:
        raise SpecError("[tool.raceproof] models must be a folder name (a string)", str(config))
    paths = settings.get("pythonpath", ["."])
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise SpecError("[tool.raceproof] pythonpath must be a list of folders (strings)", str(config))
    return Project(
        root=root,
        models_dir=(root / models).resolve(),
        pythonpath=tuple((root / p).resolve() for p in paths),
        config=config if stamp is not None else None,
    )


def _project(root: Path) -> Project:
    config = root / "pyproject.toml"
    try:
        st = config.stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    return _project_cached(root, stamp)


def bundled_models_dir() -> Path | None:
    """The folder of the toolkit's example models: the installed ``raceproof_models`` package, or
    ``models/`` next to ``checker/`` when raceproof runs from its source checkout."""
    checkout = _CHECKER_DIR.parent / "models"
    if (checkout / "__init__.py").is_file() and (_CHECKER_DIR.parent / "pyproject.toml").is_file():
        return checkout  # a source checkout: its own models go with its own checker
    spec = importlib.machinery.PathFinder.find_spec(BUNDLED_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return None


def toolkit_dirs() -> tuple[Path, ...]:
    """raceproof's own code: the checker package and the bundled models."""
    bundled = bundled_models_dir()
    return (_CHECKER_DIR, *([bundled] if bundled else []))


def locate(module: str, path: list[str]) -> ModuleSpec | None:
    """Where ``module`` would be found on ``path`` (its parents as packages), importing nothing."""
    parts = module.split(".")
    spec = importlib.machinery.PathFinder.find_spec(parts[0], path)
    for n in range(1, len(parts)):
        if spec is None or spec.submodule_search_locations is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: n + 1]), list(spec.submodule_search_locations))
    return spec
