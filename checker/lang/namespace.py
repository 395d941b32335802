"""Class bodies that remember a name bound twice: the later binding silently replaces the
earlier (a method ``channel`` written after a state variable ``channel`` removes the
variable), so `checker.lang.names` needs to know it happened, and where, to refuse it."""

from __future__ import annotations

import sys
from typing import Any


class _Namespace(dict):  # type: ignore[type-arg]
    def __init__(self) -> None:
        super().__init__()
        #: (name, earlier value, later value, file, line of the later binding)
        self.rebound: list[tuple[str, Any, Any, str, int]] = []

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self and not key.startswith("__"):
            caller = sys._getframe(1)  # the class body doing the binding
            self.rebound.append((key, self[key], value, caller.f_code.co_filename, caller.f_lineno))
        super().__setitem__(key, value)


class DeclaringMeta(type):
    """Metaclass of `Model` and `Component`: records ``_rp_rebound`` on each class."""

    @classmethod
    def __prepare__(mcs, name: str, bases: tuple[type, ...], **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return _Namespace()

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> DeclaringMeta:
        cls = super().__new__(mcs, name, bases, dict(namespace), **kwargs)
        cls._rp_rebound = list(getattr(namespace, "rebound", []))  # type: ignore[attr-defined]
        return cls
