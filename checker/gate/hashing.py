"""The inputs of a spec, hashed without importing anything.

A spec's verdict depends on the spec file, on the model its ``model = ...`` resolves to (from
the spec's own project, see `checker.registry.resolve`: the resolved file is part of the key),
on the project modules that model imports (transitively), and on raceproof, z3, numpy and
Python. Modules are located the way `checker.registry` would import them, but parsed (ast),
never executed: hashing must not cost an import of z3 or of the model. Library modules (the
standard library, site-packages) are left out: they change with versions, not with a pull
request. raceproof's own package (and its bundled models, when installed) is hashed as a whole,
once per run: its version and the digest of its sources.

This static view cannot see a dynamic import or a data file: the gate also records what each
run actually read (`checker.gate.recorder`) and keeps those files' hashes in the cache entry.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.machinery
import json
import os
import site
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path

#: bump when the key's recipe or the record's shape changes: old entries then never match
KEY_FORMAT = 2

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # checker/


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _installed_bundled_models() -> Path | None:
    """The bundled models when installed (a checkout's models/ are project files, hashed as such)."""
    from ..project import bundled_models_dir

    folder = bundled_models_dir()
    return folder if folder is not None and folder.parent != _PACKAGE_DIR.parent else None


@functools.cache
def raceproof_sources() -> tuple[Path, ...]:
    bundled = _installed_bundled_models()
    return tuple(sorted(_PACKAGE_DIR.rglob("*.py"))) + (tuple(sorted(bundled.rglob("*.py"))) if bundled else ())


@functools.cache
def raceproof_fingerprint() -> str:
    """raceproof's version and a digest of its source files (and of its installed bundled models)."""
    from .. import __version__

    digest = hashlib.sha256()
    bundled = _installed_bundled_models()
    for path in raceproof_sources():
        name = path.relative_to(_PACKAGE_DIR if path.is_relative_to(_PACKAGE_DIR) else bundled.parent)  # type: ignore[union-attr]
        digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"


def _dist_version(module: str, dist: str) -> str | None:
    """An installed distribution's version, from its metadata folder's name, found next to the
    package without importing it (importlib.metadata alone costs 20 ms)."""
    spec = _locate(module, sys.path)
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent.parent
        names = sorted(p.name for p in folder.glob(f"{dist}-*.dist-info"))
        if len(names) == 1:
            return names[0].removeprefix(f"{dist}-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@functools.cache
def z3_version() -> str:
    found = _dist_version("z3", "z3_solver")
    if found is None:  # z3 built from source: its own idea of its version
        import z3

        return str(z3.get_version_string())
    return found


@functools.cache
def numpy_version() -> str | None:
    """numpy's version: the explicit engine computes with it."""
    return _dist_version("numpy", "numpy")


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    dirs.add(site.getusersitepackages())
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


@functools.cache
def _library_prefixes() -> tuple[str, ...]:
    # the interpreter's own files (lib/, share/ of its prefixes), not everything under them: a
    # project may live under /usr/src
    parts = {
        os.path.realpath(os.path.join(p, d)) + os.sep
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)
        for d in ("lib", "lib64", "share", "bin")
    }
    return (*_library_dirs(), *sorted(parts))


_INSTALLED = tuple(f"{os.sep}{d}{os.sep}" for d in ("site-packages", "dist-packages"))


def is_project_file(path: str, any_suffix: bool = False) -> bool:
    """A file of the user's (not of a library, nor raceproof's own package): a verdict's input.
    Whatever is installed (any site-packages, e.g. of a base environment) is a library."""
    real = os.path.realpath(path)
    if any(part in real for part in _INSTALLED):
        return False
    if real.startswith(str(_PACKAGE_DIR) + os.sep):
        return False  # raceproof itself: in the fingerprint
    bundled = _installed_bundled_models()
    if bundled is not None and real.startswith(os.path.realpath(bundled) + os.sep):
        return False  # installed with raceproof: in the fingerprint
    if not any_suffix and not path.endswith(".py"):
        return False
    return not real.startswith(_library_prefixes() if any_suffix else _library_dirs())


def _locate(name: str, path: list[str]) -> ModuleSpec | None:
    """Where ``name`` would be found on ``path`` (its parents as packages), importing nothing.
    raceproof's own modules are taken from this process (they are in the fingerprint)."""
    loaded = sys.modules.get(name)
    if name.split(".")[0] == "checker" and loaded is not None and getattr(loaded, "__spec__", None) is not None:
        return loaded.__spec__
    parent, _, _ = name.rpartition(".")
    try:
        if parent:
            outer = _locate(parent, path)
            if outer is None or outer.submodule_search_locations is None:
                return None
            return importlib.machinery.PathFinder.find_spec(name, list(outer.submodule_search_locations))
        if name in sys.builtin_module_names:
            return None
        return importlib.machinery.PathFinder.find_spec(name, [p for p in path if p not in ("", ".")])
    except (ImportError, ValueError, AttributeError, TypeError):
        return None


#: parsed import lists by the hash of a file's bytes: specs share their model's modules
_IMPORTS: dict[tuple[str, str], frozenset[str]] = {}


def _imports(path: Path, module: str, source: bytes) -> frozenset[str]:
    """Every module ``path`` may import, anywhere in its code (a lazy import counts too)."""
    memo = (module, hashlib.sha256(source).hexdigest())
    if memo not in _IMPORTS:
        _IMPORTS[memo] = _parse_imports(path, module, source)
    return _IMPORTS[memo]


def _parse_imports(path: Path, module: str, source: bytes) -> frozenset[str]:
    try:
        tree = ast.parse(source, filename=str(path))
    except (SyntaxError, ValueError):
        return frozenset()  # loading the model will report it; the file's hash still changes
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                stem = f"{base}.{node.module}" if node.module else base
            else:
                stem = node.module or ""
            if stem:
                names.add(stem)
                names.update(f"{stem}.{alias.name}" for alias in node.names if alias.name != "*")
    return frozenset(names)


def project_modules(root_module: str, path: list[str]) -> dict[str, tuple[Path, str]]:
    """The project modules ``root_module`` imports, transitively, with their package ``__init__``s,
    located on ``path``: module name -> (file, sha256 of its bytes)."""
    found: dict[str, tuple[Path, str]] = {}
    pending = [root_module]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or not name:
            continue
        seen.add(name)
        parts = name.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # importing a.b.c runs a and a.b
        spec = _locate(name, path)
        if spec is None or not spec.origin or not spec.has_location or not is_project_file(spec.origin):
            continue
        file = Path(spec.origin)
        try:
            source = file.read_bytes()
        except OSError:
            continue
        found[name] = (file, hashlib.sha256(source).hexdigest())
        pending.extend(_imports(file, name, source))
    return found


@dataclass
class SpecInputs:
    spec: Path
    model_ref: str | None
    modules: dict[str, tuple[Path, str]]  # module name -> (file, sha256)
    key: str | None  # None: the spec cannot be keyed (unreadable, no model): never cached

    def files(self) -> list[Path]:
        """Every file the verdict depends on (raceproof's sources included), for --changed-since."""
        return [self.spec, *(file for file, _ in self.modules.values()), *raceproof_sources()]


def spec_inputs(path: Path) -> SpecInputs:
    from ..errors import RaceproofError, SpecError, read_input
    from ..registry import resolve

    try:  # the one reader: a FIFO named *.toml must not hang the gate (loading the spec says why)
        raw = read_input(path, SpecError, "spec").encode("utf-8")
        ref = tomllib.loads(raw.decode("utf-8")).get("model")
    except (RaceproofError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return SpecInputs(path, None, {}, None)
    if not isinstance(ref, str) or not ref:
        return SpecInputs(path, None, {}, None)
    try:
        source = resolve(ref, path)  # where the model is found from this spec: part of the key
    except RaceproofError:  # not found: loading the spec will say why, uncached
        return SpecInputs(path, ref, {}, None)
    if source.kind == "bundled":  # installed: in the fingerprint; a checkout's models/: hashed here
        modules = {}
        if is_project_file(str(source.origin)):
            folder = source.origin.parent if source.origin.name == "__init__.py" else None
            files = [source.location / "__init__.py", *(sorted(folder.rglob("*.py")) if folder else [source.origin])]
            modules = {str(f): (f, sha256_file(f)) for f in files if f.is_file()}
    else:
        search = ([str(source.entry)] if source.entry is not None else []) + sys.path
        modules = project_modules(source.module, search)
    recipe = {
        "format": KEY_FORMAT,
        "raceproof": raceproof_fingerprint(),
        "z3": z3_version(),
        "numpy": numpy_version(),
        "python": sys.version_info[:3],
        "spec": hashlib.sha256(raw).hexdigest(),
        "model": [source.kind, source.module, str(source.origin)],
        "modules": {name: digest for name, (_, digest) in sorted(modules.items())},
    }
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return SpecInputs(path, ref, modules, key)
