"""A proof shows its phase on the progress line: the engine, the ladder rung, Houdini, the
certificate's re-check; from the portfolio's worker processes too."""

from __future__ import annotations

from checker.engines.phases import announce, listening
from checker.engines.prove import prove
from checker.results import Verdict
from models.dns import Dns


def test_phases_reach_the_listener_and_nowhere_else() -> None:
    heard: list[str] = []
    announce("nobody listens")  # a no-op
    with listening(heard.append):
        announce("pdr: houdini at enactors=2")
    announce("after the block")
    assert heard == ["pdr: houdini at enactors=2"]


def test_pdr_in_process_reports_its_phases() -> None:
    heard: list[str] = []
    model = Dns.build(variant="version_cas")
    (result,) = prove(model, ["endpoint_never_empty"], "pdr", timeout=120, progress=heard.append)
    assert result.verdict is Verdict.PROVED, result.reason
    assert any(h.startswith("pdr: ") for h in heard), heard
    assert heard[-1] == "pdr: re-checking the invariant (certificate)", heard


def test_the_portfolio_shows_what_its_engines_are_doing() -> None:
    heard: list[str] = []
    model = Dns.build(variant="version_cas")
    (result,) = prove(model, ["plan_never_regresses"], "auto", timeout=120, progress=heard.append)
    assert result.verdict is Verdict.PROVED, result.reason
    # the parent's line names each running engine's own phase, sent from its process
    assert any("pdr: " in h or "k-induction: k = " in h or "bmc: depth " in h for h in heard), heard
