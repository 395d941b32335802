"""How values read in the reports of replay, conform and validate."""

from __future__ import annotations

from typing import Any


def fmt(value: Any) -> str:
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(str(v) for v in sorted(value)) + "}"
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
