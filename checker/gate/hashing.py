"""The inputs of a spec, hashed without importing anything.

A spec's verdict depends on the spec file, on the project modules its model imports
(transitively), and on raceproof and z3. Modules are found the way the import system would
find them (the same search path as `checker.registry`), but located and parsed (ast), never
executed: hashing must not cost an import of z3 or of the model. Library modules (the
standard library, site-packages) are left out: they change with versions, not with a pull
request. raceproof's own package is hashed as a whole, once per run: its version and the
digest of its sources (a source checkout changes without a version bump).
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
KEY_FORMAT = 1

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # checker/


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache
def raceproof_sources() -> tuple[Path, ...]:
    return tuple(sorted(_PACKAGE_DIR.rglob("*.py")))


@functools.cache
def raceproof_fingerprint() -> str:
    """raceproof's version and a digest of its source files."""
    from .. import __version__

    digest = hashlib.sha256()
    for path in raceproof_sources():
        digest.update(str(path.relative_to(_PACKAGE_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:16]}"


@functools.cache
def z3_version() -> str:
    """The installed z3-solver's version, from its distribution's metadata folder name, found
    next to the package without importing it (importlib.metadata alone costs 20 ms)."""
    spec = _locate("z3")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent.parent
        names = sorted(p.name for p in folder.glob("z3_solver-*.dist-info"))
        if len(names) == 1:
            return names[0].removeprefix("z3_solver-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("z3-solver")
    except PackageNotFoundError:  # z3 built from source: its own idea of its version
        import z3

        return z3.get_version_string()


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    dirs = {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    dirs.add(site.getusersitepackages())
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


def _is_project_file(path: str) -> bool:
    real = os.path.realpath(path)
    if real.startswith(str(_PACKAGE_DIR) + os.sep):
        return False  # raceproof itself: in the fingerprint
    return path.endswith(".py") and not real.startswith(_library_dirs())


def _search_path() -> list[str]:
    # checker.registry appends the working directory when it loads a model: so do we
    cwd = os.getcwd()
    return sys.path + ([cwd] if cwd not in sys.path and "" not in sys.path else [])


def _locate(name: str) -> ModuleSpec | None:
    """The module spec the import system would use for ``name``, without importing anything."""
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__spec__", None) is not None:
        return loaded.__spec__
    parent, _, _ = name.rpartition(".")
    if parent:
        outer = _locate(parent)
        if outer is None or outer.submodule_search_locations is None:
            return None
        return importlib.machinery.PathFinder.find_spec(name, list(outer.submodule_search_locations))
    for finder in sys.meta_path:
        try:
            if finder is importlib.machinery.PathFinder:
                found = importlib.machinery.PathFinder.find_spec(name, _search_path())
            else:
                found = finder.find_spec(name, None)  # type: ignore[call-arg]
        except (ImportError, ValueError, AttributeError, TypeError):
            continue
        if found is not None:
            return found
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


def model_module(ref: str) -> str:
    """The module a spec's ``model = ...`` names (the rule of `checker.registry.load_model`)."""
    module = ref.partition(":")[0]
    return f"models.{ref}" if ":" not in ref and "." not in ref else module


def project_modules(root_module: str) -> dict[str, tuple[Path, str]]:
    """The project modules ``root_module`` imports, transitively, with their package ``__init__``s:
    module name -> (file, sha256 of its bytes)."""
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
        spec = _locate(name)
        if spec is None or not spec.origin or not spec.has_location or not _is_project_file(spec.origin):
            continue
        path = Path(spec.origin)
        try:
            source = path.read_bytes()
        except OSError:
            continue
        found[name] = (path, hashlib.sha256(source).hexdigest())
        pending.extend(_imports(path, name, source))
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

    try:  # the one reader: a FIFO named *.toml must not hang the gate (loading the spec says why)
        raw = read_input(path, SpecError, "spec").encode("utf-8")
        ref = tomllib.loads(raw.decode("utf-8")).get("model")
    except (RaceproofError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return SpecInputs(path, None, {}, None)
    if not isinstance(ref, str) or not ref:
        return SpecInputs(path, None, {}, None)
    module = model_module(ref)
    modules = project_modules(module)
    if module not in modules:  # the model was not found (or is a library): let loading say why, uncached
        return SpecInputs(path, ref, modules, None)
    recipe = {
        "format": KEY_FORMAT,
        "raceproof": raceproof_fingerprint(),
        "z3": z3_version(),
        "python": sys.version_info[:2],
        "spec": hashlib.sha256(raw).hexdigest(),
        "modules": {name: digest for name, (_, digest) in sorted(modules.items())},
    }
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()
    return SpecInputs(path, ref, modules, key)
