"""Finding a spec's model: by short name (``dns``) or by reference (``package.module:Class``).

A model is looked up in the spec's own project first (see `checker.project`), wherever the
command runs from: ``model = "dns"`` is the project's ``models/dns`` package if it has one, else
the toolkit's bundled example of that name (installed as ``raceproof_models``, never as the
generic ``models``); ``package.module:Class`` is imported from the project's ``pythonpath``
folders (default: its root), else from the interpreter's import path (installed packages,
PYTHONPATH). The working directory is never searched because it is the working directory.

Two projects in one process (a gate over several trees, a pytest session) each get their own
modules: before a project's package is imported, another project's modules of the same
top-level name are set aside (and put back when that project is loaded again), so one
project's ``models`` never shadows another's. A module whose file changed since it was
imported here is imported afresh: a long-lived process checks the code as it is on disk.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .errors import ModelError, SpecError, model_location_from_traceback
from .lang.model import Model
from .project import BUNDLED_PACKAGE, Project, bundled_models_dir, find_project, locate, toolkit_dirs

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_REF = re.compile(rf"{_IDENT}(\.{_IDENT})*(:{_IDENT})?")


@dataclass(frozen=True)
class ModelSource:
    """Where a model reference leads, found without importing anything."""

    ref: str
    module: str  # the module imported
    attr: str  # the class's name in it ("" for the module's MODEL)
    origin: Path  # the module's file
    location: Path  # the top-level package's folder (or file): what is imported
    entry: Path | None  # the import-path folder the project's code is imported from (None: the toolkit's)
    kind: str  # "project", "bundled" or "python path"

    def describe(self) -> str:
        return {"project": "the spec's project", "bundled": "raceproof's bundled models"}.get(self.kind, "Python path")


def _check_ref(ref: str) -> None:
    if not _REF.fullmatch(ref):
        raise SpecError(f"model '{ref}' is not a model name (e.g. dns) or a reference like 'package.module:Class'")


def resolve(ref: str, base: str | Path | None = None, *, python_path: bool = True) -> ModelSource:
    """Where ``ref`` leads for a file (spec, trace) at ``base`` (default: the working directory).

    ``python_path=False`` looks only in the project and the toolkit (a trace's model: opening
    a file must not run code from anywhere else)."""
    _check_ref(ref)
    project = find_project(base if base is not None else Path.cwd())
    module, _, attr = ref.partition(":")
    if ":" not in ref and "." not in ref:  # a short name
        found = _in_folder(f"{project.models_dir.name}.{ref}", project.models_dir.parent, project.models_dir)
        if found is not None:
            return ModelSource(ref, f"{project.models_dir.name}.{ref}", "", *found, "project")
        bundled = _bundled(f"{BUNDLED_PACKAGE}.{ref}", ref, "")
        if bundled is not None:
            return bundled
        raise SpecError(_unknown(ref, project))
    for folder in project.pythonpath:
        found = _in_folder(module, folder, None)
        if found is not None:
            return ModelSource(ref, module, attr, *found, "project")
    if module.split(".")[0] in _bundled_names():  # e.g. a trace of a bundled model: raceproof_models.dns.model
        bundled = _bundled(module, ref, attr)
        if bundled is not None:
            return bundled
    if python_path:
        for entry in sys.path:
            if entry in ("", ".") or not os.path.isdir(entry):  # "" is the working directory: never implicitly
                continue
            found = _in_folder(module, Path(entry), None)
            if found is not None:
                return ModelSource(ref, module, attr, *found, "python path")
    raise SpecError(_unknown(ref, project))


def _in_folder(module: str, folder: Path, inside: Path | None) -> tuple[Path, Path, Path] | None:
    """(origin, top-level location, folder) of ``module`` found in ``folder``, or None."""
    try:
        spec = locate(module, [str(folder)])
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.has_location:
        return None
    origin = Path(spec.origin)
    if inside is not None and not _within(origin, inside):
        return None
    return origin, _top_location(module.split(".")[0], folder), folder


def _top_location(top: str, folder: Path) -> Path:
    spec = locate(top, [str(folder)])
    assert spec is not None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin or folder / top)


def _bundled_names() -> tuple[str, ...]:
    folder = bundled_models_dir()
    return (BUNDLED_PACKAGE, folder.name) if folder is not None else (BUNDLED_PACKAGE,)


def _bundled(module: str, ref: str, attr: str) -> ModelSource | None:
    """``<bundled>.<tail>`` in the toolkit's bundled models: installed, the ``raceproof_models``
    package; in raceproof's source checkout, its ``models`` package (imported under that name, from
    the checkout, so that worker processes find it by name too)."""
    folder = bundled_models_dir()
    if folder is None:
        return None
    tail = module.split(".")[1:]
    path = folder.joinpath(*tail)
    candidates = [path / "__init__.py", path.with_suffix(".py")] if tail else [folder / "__init__.py"]
    origin = next((c for c in candidates if c.is_file()), None)
    if origin is None:
        return None
    installed = folder.name == BUNDLED_PACKAGE
    name = ".".join([folder.name, *tail])
    return ModelSource(ref, name, attr, origin, folder, None if installed else folder.parent, "bundled")


def _within(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def _unknown(ref: str, project: Project) -> str:
    if ":" not in ref and "." not in ref:
        known = ", ".join(bundled_names()) or "none"
        return (
            f"unknown model '{ref}': no package {project.models_dir.name}/{ref} in the project at {project.root}, "
            f"and no bundled model of that name (bundled: {known}); or give 'package.module:Class'"
        )
    folders = ", ".join(str(p) for p in project.pythonpath)
    return f"unknown model '{ref}': module {ref.partition(':')[0]} is not in the project ({folders}) nor installed"


# ---------------------------------------------------------------------------- importing
def load_model(ref: str, base: str | Path | None = None) -> type[Model]:
    """The `Model` subclass named by ``ref`` for a spec at ``base`` (see `resolve`)."""
    return load(resolve(ref, base))


def load(source: ModelSource) -> type[Model]:
    module = _import(source)
    cls = getattr(module, source.attr, None) if source.attr else getattr(module, "MODEL", None)
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        what = f"'{source.attr}'" if source.attr else "MODEL"
        raise SpecError(f"model '{source.ref}': {source.module} has no {what} that is a checker.Model subclass")
    return cls


def model_file(cls: type) -> str | None:
    """The file whose code defines ``cls`` (what the output names as the model's source)."""
    try:
        return inspect.getsourcefile(cls)
    except (OSError, TypeError):
        return getattr(sys.modules.get(cls.__module__), "__file__", None)


#: modules set aside: (top-level name, its location) -> the modules of that tree
_SET_ASIDE: dict[tuple[str, str], dict[str, ModuleType]] = {}
_STAMP = "__raceproof_stamp__"


def _location(module: ModuleType) -> str | None:
    own = vars(module)  # not getattr: a lazy module's __getattr__ may import
    paths = own.get("__path__")
    if paths:
        return os.path.realpath(next(iter(paths)))
    file = own.get("__file__")
    return os.path.realpath(file) if isinstance(file, str) else None


def _tree(top: str) -> list[str]:
    return [name for name in list(sys.modules) if name == top or name.startswith(top + ".")]


def _stale(modules: list[ModuleType]) -> bool:
    for module in modules:
        stamp = vars(module).get(_STAMP)
        if stamp is not None and stamp != _stat(vars(module).get("__file__")):
            return True
    return False


def _stat(file: str | None) -> tuple[int, int] | None:
    if not file:
        return None
    try:
        st = os.stat(file)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def activate(top: str, location: Path) -> None:
    """Make ``sys.modules[top]`` (and its submodules) the tree at ``location``, or nothing yet."""
    want = os.path.realpath(location)
    current = sys.modules.get(top)
    if current is not None and _location(current) != want:
        where = _location(current) or "?"
        _SET_ASIDE[(top, where)] = {name: sys.modules.pop(name) for name in _tree(top)}
        back = _SET_ASIDE.pop((top, want), None)
        if back is not None and not _stale(list(back.values())):
            sys.modules.update(back)
    elif current is not None and _stale([sys.modules[name] for name in _tree(top)]):
        for name in _tree(top):  # edited on disk since imported here: import afresh
            del sys.modules[name]


def _import(source: ModelSource) -> ModuleType:
    top = source.module.split(".")[0]
    activate(top, source.location)
    if source.entry is not None and source.kind != "python path":  # (that one is on sys.path already)
        # the project's own top-level modules (helpers next to its models) come before installed ones
        entry = str(source.entry)
        if sys.path[:1] != [entry]:
            while entry in sys.path:
                sys.path.remove(entry)
            sys.path.insert(0, entry)
    before = set(sys.modules)
    try:
        if top not in sys.modules:
            _import_top(top, source.location)
        module = importlib.import_module(source.module)
    except BaseException as exc:
        for name in set(_tree(top)) - before:  # a half-imported model is not kept (libraries it loaded are)
            sys.modules.pop(name, None)
        if isinstance(exc, SyntaxError):
            raise ModelError(f"model '{source.ref}' has a syntax error: {exc.msg}", exc.filename, exc.lineno) from None
        if isinstance(exc, ModelError | SpecError) or not isinstance(exc, Exception | SystemExit):
            raise
        raise _located(exc, source.ref) from None  # an error while importing model code: at its line
    for name in set(sys.modules) - before:
        new = sys.modules.get(name)
        if not (name == top or name.startswith(top + ".")):
            continue  # only the model's own tree is checked for edits (see activate)
        if new is not None and _STAMP not in vars(new):
            try:
                setattr(new, _STAMP, _stat(vars(new).get("__file__")))
            except (AttributeError, TypeError):  # an extension module or a proxy: no stamp
                pass
    return module


def _import_top(top: str, location: Path) -> None:
    """Import the top-level package from ``location`` itself, whatever else has that name."""
    spec: importlib.machinery.ModuleSpec | None
    if location.is_dir() and not (location / "__init__.py").is_file():  # a namespace package
        spec = importlib.machinery.ModuleSpec(top, None, is_package=True)
        spec.submodule_search_locations = [str(location)]
    elif location.is_dir():
        spec = importlib.util.spec_from_file_location(
            top, location / "__init__.py", submodule_search_locations=[str(location)]
        )
    else:
        spec = importlib.util.spec_from_file_location(top, location)
    if spec is None:
        raise ModuleNotFoundError(f"No module named '{top}'", name=top)
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    try:
        if spec.loader is not None:
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(top, None)
        raise


def _located(exc: BaseException, ref: str) -> ModelError:
    file, line = model_location_from_traceback(exc.__traceback__)
    return ModelError(f"loading model '{ref}' raised {type(exc).__name__}: {exc}", file, line)


# ---------------------------------------------------------------------------- listing
def bundled_names() -> list[str]:
    folder = bundled_models_dir()
    if folder is None:  # pragma: no cover - the models ship with raceproof
        return []
    return sorted(i.name for i in pkgutil.iter_modules([str(folder)]) if i.ispkg)


def known_models(base: str | Path | None = None) -> dict[str, str]:
    """Short names of the models a spec at ``base`` can name (the project's, then the bundled
    ones it does not hide), with their descriptions."""
    project = find_project(base if base is not None else Path.cwd())
    names: list[str] = []
    if project.models_dir.is_dir() and project.models_dir.name.isidentifier():
        names += sorted(i.name for i in pkgutil.iter_modules([str(project.models_dir)]) if i.ispkg)
    names += [n for n in bundled_names() if n not in names]
    found = {}
    for name in names:
        try:
            cls = load_model(name, base)
        except (ModelError, SpecError):
            found[name] = "(fails to load: run `raceproof check` on one of its specs)"
            continue
        found[name] = cls.description or (cls.__doc__ or "").strip().splitlines()[0]
    return found


def is_toolkit_file(path: str | Path) -> bool:
    return any(_within(Path(path), folder) for folder in toolkit_dirs())
