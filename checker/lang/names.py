"""Names that cannot collide: refused at model load, located at the declaration.

Model code reaches state and components by name: ``self.<var>`` (a component's variables,
then its class's methods), ``sys.<name>`` (components, then shared store variables, and
``sys.params``), ``sys.params.<name>``. Two things with one name there hide each other and
the model fails far away (``'InstanceView' object is not subscriptable``) or, worse, reads
the wrong thing. Every such collision is a `ModelError` at the line of the declaration
that loses (or, when a class body binds a name twice, at the later binding)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ..errors import ModelError
from .declare import Component, Param, Store
from .types import StateDecl

if TYPE_CHECKING:
    from .model import Model


def _reserved(view: str) -> frozenset[str]:
    """What a view of model code (``self``, ``sys``) answers itself, before any state: its
    properties (``self.id``, ``self.name``) and slots (``sys.params``)."""
    from . import views  # the views import the model, which imports this module: not at module level

    return frozenset(n for n in vars(getattr(views, view)) if not n.startswith("__"))


def _what(value: Any) -> str | None:
    """What a declaration is, for messages; None for anything else (a helper, a constant)."""
    if isinstance(value, StateDecl):
        return "state variable"
    if isinstance(value, Component):
        return "component"
    if isinstance(value, Param):
        return "parameter"
    for attr, what in (("_rp_action", "action"), ("_rp_property", "property"), ("_rp_initial", "@initial hook")):
        if getattr(value, attr, None) is not None:
            return what
    return None


def _where(value: Any) -> tuple[str | None, int | None]:
    if isinstance(value, StateDecl | Component | Param):
        return getattr(value, "file", None), getattr(value, "line", None)
    fn = inspect.unwrap(value) if callable(value) else None
    code = getattr(fn, "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else (None, None)


def _describe(name: str, value: Any) -> str:
    what = _what(value) or ("method" if callable(value) else "attribute")
    return f"{what} '{name}'"


def check_names(model: type[Model]) -> None:
    """Raise a located `ModelError` for the first collision in ``model`` (see the module doc)."""
    from .model import Model

    _api(model, Model)  # first: the API's own methods (``params()``) are what the other checks call
    for comp in _declared(model, Component):
        _api(type(comp), Component)
    for klass in _classes(model):
        _rebound(klass)
    for comp in model.components().values():
        _component(type(comp))
    _system(model)
    _model_members(model)


def _declared(klass: type, kind: type) -> list[Any]:
    return [v for k in klass.__mro__ for v in vars(k).values() if isinstance(v, kind)]


def _api(klass: type, base: type) -> None:
    """A declaration named like a method or attribute of raceproof's base class (``Model.params``,
    ``Component.state_decls``): it would replace what raceproof itself calls."""
    for k in klass.__mro__:
        if k is base or not issubclass(k, base):
            continue
        for name, value in vars(k).items():
            if _what(value) is not None and name in vars(base) and not name.startswith("__"):
                file, line = _where(value)
                raise ModelError(
                    f"the {_describe(name, value)} of {k.__name__} has the name of {base.__name__}.{name}, which "
                    "raceproof uses itself; give it another name",
                    file,
                    line,
                )


def _classes(model: type[Model]) -> list[type]:
    seen: list[type] = []
    for klass in [*model.__mro__, *(k for c in model.components().values() for k in type(c).__mro__)]:
        if klass not in seen and hasattr(klass, "_rp_rebound"):
            seen.append(klass)
    return seen


def _rebound(klass: type) -> None:
    for name, old, new, file, line in vars(klass).get("_rp_rebound", []):
        if _what(old) is None and _what(new) is None:
            continue  # e.g. a property's setter: not a declaration
        raise ModelError(
            f"class {klass.__name__} binds '{name}' twice: the {_describe(name, new)} here replaces the "
            f"{_describe(name, old)} declared before (give one of them another name)",
            file,
            line,
        )


def _component(klass: type[Component]) -> None:
    for name, decl in klass.state_decls().items():
        if name in _reserved("InstanceView") or name.startswith("_"):
            why = {"id": "a replica's number", "name": "the instance's name"}.get(name, "kept for raceproof's own use")
            raise decl.fail(f"self.{name} is {why}; give the variable another name")
        found = inspect.getattr_static(klass, name)
        if found is not decl:
            file, line = _where(found)
            at = f" ({file}:{line})" if file else ""
            raise decl.fail(
                f"the {_describe(name, found)}{at} of {klass.__name__} has the same name and hides it "
                f"(self.{name} would be the {_what(found) or 'method'}); rename one of them"
            )


def _system(model: type[Model]) -> None:
    components = model.components()
    for attr, comp in components.items():
        if attr in _reserved("SystemView") or attr.startswith("_"):
            raise ModelError(
                f"component '{attr}': sys.{attr} is kept for raceproof's own use; give the component another name",
                comp.file,
                comp.line,
            )
    for comp in components.values():
        if not isinstance(comp, Store):
            continue
        for name, decl in type(comp).state_decls().items():
            if name in _reserved("SystemView"):
                raise decl.fail(f"sys.{name} is the model's parameters; give the shared variable another name")
            other = components.get(name)
            if other is not None:
                at = f" ({other.file}:{other.line})" if other.file else ""
                raise decl.fail(
                    f"a shared variable of {type(comp).__name__} and the component '{name}'{at} have the same "
                    f"name: sys.{name} would be the component; rename one of them"
                )


def _model_members(model: type[Model]) -> None:
    """A parameter, component, property or hook hidden by another member of the model (from a
    base class: within one class body the rebinding is caught by `_rebound`)."""
    from .initial import initial_decls

    members: list[tuple[str, Any]] = [
        *((n, p) for n, p in model.params().items()),
        *((n, c) for n, c in model.components().items()),
        *((n, d.fn) for n, d in model.property_decls().items()),
        *((d.name, d.fn) for d in initial_decls(model)),
    ]
    for name, value in members:
        if name.startswith("_") and isinstance(value, Param):
            raise ModelError(f"parameter '{name}': sys.params.{name} is kept for raceproof's own use")
        found = inspect.getattr_static(model, name, None)
        if found is value or getattr(found, "_rp_property", None) is not None and _what(value) == "property":
            continue
        file, line = _where(found)
        raise ModelError(
            f"the {_describe(name, found)} of {model.__name__} hides the {_describe(name, value)} declared in a base "
            "class; rename one of them",
            file,
            line,
        )
