"""``choose``: an action argument that picks a member of a set, one transition per value of
the set's (finite) element type (`checker.lang.setops` has the set values and queries)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ModelError, error_at_caller
from .finite import finite_values


class choose:  # noqa: N801 - reads as a function in a decorator: @action(p=choose("plans"))
    """An action argument that picks a member of a set: ``@action(p=choose("plans"))`` or
    ``@action(p=choose("plans", lambda p: p > sys_free_value))``.

    Each value of the set's (finite) element type is its own transition, labelled with it
    (``take(p=3)``), enabled only where the set holds it and ``pred`` holds: an implicit
    ``require(set.contains(p) & pred(p))`` before the body. The set is the acting instance's
    own variable of that name, else a shared (Store) one. A nondeterministic choice is a
    choice of transition, since one action is one atomic step.
    """

    def __init__(self, set_name: str, pred: Callable[[Any], Any] | None = None):
        if not isinstance(set_name, str):
            raise error_at_caller(ModelError, f"choose(...) takes the set's name as a string, got {set_name!r}")
        self.set_name, self.pred = set_name, pred
        err = error_at_caller(ModelError, "")
        self.file, self.line = err.file, err.line

    def __repr__(self) -> str:
        return f"choose({self.set_name!r})"

    def _fail(self, message: str) -> ModelError:
        return ModelError(f"choose({self.set_name!r}): {message}", self.file, self.line)

    def choice_values(self, model: Any, inst: Any, act: Any, arg: str) -> list[Any]:
        """The candidates: every value of the set's element type (called while building the model)."""
        var = inst.vars.get(self.set_name)
        if var is None:
            var = model.var_by_name.get(self.set_name)
            if var is not None and not var.owner.is_store:
                var = None
        if var is None:
            raise self._fail(f"'{inst.name}' has no set '{self.set_name}' and no store declares one")
        if var.shape != "set":
            raise self._fail(f"'{var.name}' is not a set")
        if not var.sort.finite:
            raise self._fail(
                f"'{var.name}' holds {var.sort.elem.describe()}: an unbounded type has no finite list of "
                "transitions to pick from; bound the element type (Int(min=..., max=...)) or pass the "
                "candidates as the argument's domain and require(set.contains(x)) in the body"
            )
        return finite_values(var.sort.elem)

    def guard(self, inst_view: Any, sys_view: Any, value: Any) -> Any:
        """``set.contains(value) & pred(value)``, for the action's implicit `require`."""
        in_own = self.set_name in object.__getattribute__(inst_view, "_inst").vars
        view = getattr(inst_view, self.set_name) if in_own else getattr(sys_view, self.set_name)
        cond = view.contains(value)
        if self.pred is not None:
            cond = cond & self.pred(value)
        return cond
