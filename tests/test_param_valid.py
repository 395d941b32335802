"""The readings' validity checks (`checker.param.valid`): only unsat accepts; an unknown answer
(a stray interrupt of the shared z3 context) is asked again in a fresh context."""

from __future__ import annotations

import pytest
import z3

from checker.param import valid as v


def _first_unknown(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The first check answers unknown, as a check that an interrupt meant for another one hit."""
    contexts: list[object] = []
    real = v._check

    def check(negated, timeout_ms, ctx=None):  # type: ignore[no-untyped-def]
        contexts.append(ctx)
        if len(contexts) == 1:
            return z3.unknown, "canceled"
        return real(negated, timeout_ms, ctx)

    monkeypatch.setattr(v, "_check", check)
    return contexts


def test_a_valid_claim_is_accepted_even_when_the_first_answer_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    contexts = _first_unknown(monkeypatch)
    x = z3.Int("x")
    assert v.valid(z3.Implies(x > 2, x > 1), 5_000)
    assert contexts[0] is None and isinstance(contexts[1], z3.Context)  # the retry: a context of its own


def test_an_invalid_claim_is_refused_on_the_retry_too(monkeypatch: pytest.MonkeyPatch) -> None:
    _first_unknown(monkeypatch)
    x = z3.Int("x")
    assert not v.valid(z3.Implies(x > 1, x > 2), 5_000)


def test_sat_is_refused_without_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = v._check
    monkeypatch.setattr(v, "_check", lambda n, t, ctx=None: calls.append(ctx) or real(n, t, ctx))
    x = z3.Int("x")
    assert not v.valid(x > 0, 5_000)
    assert calls == [None]
    assert v.valid(z3.Or(x > 0, x <= 0), 5_000)
