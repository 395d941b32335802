"""Where `raceproof prove --for-all` uses the counting proof (`checker.param.counting_proof`).

- A model without a replica count (NLB's ``azs``: arrays and actions over a size): after the
  exhaustive search at every declared value (`checker.param.each`), each safety property
  is tried with counters from the size after the largest violated one; a proof covers every
  size from there on, beyond the declared maximum too. The violated sizes keep their
  replayed counterexamples from the search.
- A replica count the quantified reading refuses (DWFM's workers, read through
  ``count_of``/``any_of`` over the replicas and a clock's for-all update): the safety
  properties with counters, for every count from its minimum.

Liveness (``eventually``, ``recoverable``) is checked on the spec's instance only, by either reading: said
in the output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lang.model import ModelInstance
from .counting_proof import Counted, count_for_all

LIVENESS = ("eventually", "recoverable")


def after_search(
    model: ModelInstance, param: str, properties: list[str], violated: dict[str, list[int]], timeout: float | None
) -> dict[str, Counted]:
    """Per property: the counting proof from the size after its largest violated declared one
    (None where it is violated at the declared maximum: no larger size was sought)."""
    decl = model.model.params()[param]
    out: dict[str, Counted] = {}
    groups: dict[int, list[str]] = {}
    for n in properties:
        bad = violated.get(n, [])
        if bad and decl.max is not None and max(bad) >= decl.max:
            out[n] = Counted(False, f"violated up to the largest size the model declares ({param}={decl.max}); "
                             "no size from which it holds was sought")  # fmt: skip
            continue
        groups.setdefault(max(bad) + 1 if bad else (decl.min or 1), []).append(n)
    share = None if timeout is None else timeout / max(len(groups), 1)
    for start, names in groups.items():
        found = count_for_all(model, param, names, share, start)
        if not found.proved and len(names) > 1:  # one may hold where another does not: each alone
            for n in names:
                out[n] = count_for_all(model, param, [n], share, start, helpers=names)
        else:
            out |= dict.fromkeys(names, found)
    return out


def note_on(r: Any, c: Counted, lo: int, holds_before: bool, certificate: str | None) -> None:
    """Add the counting proof's finding to a `PropertyResult` of the exhaustive search."""
    if not c.proved:
        failure = r.extra.get("for_all_failure")
        if isinstance(failure, str):
            r.extra["for_all_failure"] = f"{failure}; with counters: {c.why}"
        r.reason = r.reason.replace("; this instance (", f"; with counters: {c.why}; this instance (", 1)
        return
    r.reason = r.reason.replace("; this instance (", f"; {c.why}; this instance (", 1)
    if isinstance(r.extra.get("for_all_failure"), str):
        r.extra["for_all_failure"] = f"{r.extra['for_all_failure']}; {c.why}"
    elif holds_before and c.from_size is not None and c.from_size <= lo:
        r.extra["for_all_holds"] = True
    r.extra["for_all_from"] = c.from_size
    r.extra["for_all_invariant"] = c.invariant
    if certificate and c.certificate_text is not None:
        path = Path(certificate)
        path = path.with_name(f"{path.stem}.for_all.{r.name}{path.suffix or '.smt2'}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(c.certificate_text)
        r.extra["for_all_certificate"] = str(path)


def liveness_note(r: Any, param: str, this: str) -> None:
    """A liveness property under --for-all: its verdict is this instance's only; say so."""
    why = (f"not attempted: {r.kind} properties are checked on this instance only (--for-all proves invariants "
           f"and action invariants for every value of {param})")  # fmt: skip
    r.extra["for_all_instance"] = {"at": this, "reason": r.reason}
    r.reason = f"for all {param}: {why}; this instance ({this}): {r.reason}"
    r.extra["for_all"] = param
    r.extra["for_all_failure"] = why
