"""What a proof engine is doing now, for the progress line ("pdr: houdini at enactors=2").

Engines `announce` their phase as it starts; whoever runs them `listen`s: the portfolio's
worker processes send each phase to the parent over their answer pipe, and a proof run in the
command's own process passes it straight to the progress line. Nobody listening: a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listener: Callable[[str], None] | None = None


def announce(text: str) -> None:
    if _listener is not None:
        _listener(text)


@contextmanager
def listening(fn: Callable[[str], None] | None) -> Iterator[None]:
    """Phases announced inside the block go to ``fn``."""
    global _listener
    before, _listener = _listener, fn
    try:
        yield
    finally:
        _listener = before
