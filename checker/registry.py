"""Finding models: by short name (a package under `models/`) or by ``module:Class``."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
from types import ModuleType

from .errors import ModelError, SpecError, model_location_from_traceback
from .model import Model


def known_models() -> dict[str, str]:
    """Short names of the bundled models with their descriptions."""
    import models

    found = {}
    for info in pkgutil.iter_modules(models.__path__):
        if not info.ispkg:
            continue
        try:
            cls = load_model(info.name)
        except (ModelError, SpecError):
            found[info.name] = "(fails to load: run `raceproof check` on one of its specs)"
            continue
        found[info.name] = cls.description or (cls.__doc__ or "").strip().splitlines()[0]
    return found


def load_model(ref: str) -> type[Model]:
    """The `Model` subclass named by ``ref``: ``dns`` (models.dns) or ``pkg.module:Class``."""
    module_name, _, attr = ref.partition(":")
    if not _REF.fullmatch(ref):
        raise SpecError(f"model '{ref}' is not a model name (e.g. dns) or a reference like 'package.module:Class'")
    if ":" not in ref and "." not in ref:
        module_name = f"models.{ref}"
    _importable_from_cwd()
    module = _import(module_name, ref)
    if attr:
        cls = getattr(module, attr, None)
    else:
        cls = getattr(module, "MODEL", None)
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        what = f"'{attr}'" if attr else "MODEL"
        raise SpecError(f"model '{ref}': {module_name} has no {what} that is a checker.Model subclass")
    return cls


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_REF = re.compile(rf"{_IDENT}(\.{_IDENT})*(:{_IDENT})?")


def _importable_from_cwd() -> None:
    """Let ``package.module:Class`` name a module of the project raceproof is run in.

    ``python -m`` puts the current directory on ``sys.path``; the ``raceproof`` script does
    not. Appended last, it never shadows an installed package.
    """
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)


def _import(module_name: str, ref: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            known = ", ".join(_bundled()) or "none"
            raise SpecError(
                f"unknown model '{ref}' (bundled models: {known}; or give 'package.module:Class')"
            ) from None
        raise _located(exc, ref) from None
    except SyntaxError as exc:
        raise ModelError(f"model '{ref}' has a syntax error: {exc.msg}", exc.filename, exc.lineno) from None
    except (ModelError, SpecError):
        raise
    except (Exception, SystemExit) as exc:  # an error while importing model code is a model error, at its line
        raise _located(exc, ref) from None


def _located(exc: BaseException, ref: str) -> ModelError:
    file, line = model_location_from_traceback(exc.__traceback__)
    return ModelError(f"loading model '{ref}' raised {type(exc).__name__}: {exc}", file, line)


def _bundled() -> list[str]:
    try:
        import models
    except ImportError:  # pragma: no cover - the package ships with raceproof
        return []
    return sorted(i.name for i in pkgutil.iter_modules(models.__path__) if i.ispkg)
