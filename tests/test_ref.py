"""Process identities as values (`Ref`), with symmetry kept (issue 13 §3).

The lease lock of tests/models/refs.py stores its holder as a `Ref`, keeps a `Set` of waiting
clients and a `Map` of grants keyed by client, grants through a `Ref` action argument and writes
through ``sys.client[sys.holder]``. Its clients stay interchangeable: the exact orbit counts of
every explicit backend equal those of the independent reference (tests/reference_model.py, fed
a plain description of the same lock written here by hand), which decides symmetry on the
reachable graph itself and counts orbits by enumerating every permutation. The same lock with
``self.id`` is not reduced and says why; one that treats ``client1`` specially through a Ref
constant is rightly not reduced, and forcing the reduction on it gives wrong answers (the
control that these tests can fail).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from checker.encoding import Encoding
from checker.engines import bmc_unroll as bmc  # where the unrolling decides on symmetry
from checker.engines.bmc import run_bmc
from checker.engines.explicit import engine as explicit
from checker.engines.explicit import run_explicit
from checker.engines.prove import prove
from checker.errors import ModelError
from checker.results import PropertyResult, Verdict
from checker.symmetry import SymmetryDecision, decide, replica_groups
from tests.conftest import run_cli
from tests.models.refs import BadDeref, DefaultFirst, Gossip, IdLock, RefLock, SmallRefLock, VipLock
from tests.reference_model import Ctx, PlainModel, explore, implies, land

WriteSpec = Callable[..., Path]
LOCK_PROPS = ["one_writer", "holder_is_busy", "warned_holds", "everyone_granted"]


def length(r: PropertyResult) -> int | None:
    return len(r.trace) if r.trace is not None else None


# ---------------------------------------------------------------------------- the plain reference lock
def plain_lock(n: int) -> PlainModel:
    """tests.models.refs.RefLock with ``n`` clients, as the reference's plain functions."""
    names = [f"client{i}" for i in range(1, n + 1)]
    init: dict[str, Any] = {}
    specs: dict[str, tuple[Any, ...]] = {}
    for c in names:
        init[f"{c}.pc"], specs[f"{c}.pc"] = "idle", ("enum", ("idle", "waiting", "holding", "writing"))
        init[f"{c}.warned"], specs[f"{c}.warned"] = False, ("bool",)
    who = ("enum", ("none", *names))
    init |= {"holder": "none", "last_writer": "none", "waiting": frozenset(), "grants": dict.fromkeys(names, 0)}
    specs |= {"holder": who, "last_writer": who, "waiting": ("enum", tuple(names)), "grants": ("int", 0, 1)}

    def request(ctx: Ctx, me: str) -> None:
        ctx.req(ctx.s[f"{me}.pc"] == "idle")
        ctx.w(f"{me}.pc", "waiting")
        ctx.add("waiting", me)

    def start_write(ctx: Ctx, me: str) -> None:
        ctx.req(ctx.s[f"{me}.pc"] == "holding")
        ctx.w(f"{me}.pc", "writing")

    def finish(ctx: Ctx, me: str) -> None:
        ctx.req(ctx.s[f"{me}.pc"] == "writing")
        ctx.w(f"{me}.pc", "idle")
        ctx.w(f"{me}.warned", False)
        ctx.w("last_writer", me)
        with ctx.when(ctx.s["holder"] == me):
            ctx.w("holder", "none")

    def grant(ctx: Ctx, me: str, to: str) -> None:
        ctx.req(land(ctx.s["holder"] == "none", to in ctx.s["waiting"]))
        ctx.w("holder", to)
        ctx.discard("waiting", to)
        ctx.w(f"{to}.pc", "holding")
        ctx.wa("grants", to, min(ctx.at("grants", to) + 1, 1))

    def warn(ctx: Ctx, me: str) -> None:
        ctx.req(ctx.s["holder"] != "none")
        ctx.req(not ctx.s[f"{ctx.s['holder']}.warned"])
        ctx.w(f"{ctx.s['holder']}.warned", True)

    def expire(ctx: Ctx, me: str) -> None:
        ctx.req(ctx.s["holder"] != "none")
        ctx.w("holder", "none")

    transitions: list[tuple[str, str, dict[str, Any], bool, Callable[..., None]]] = []
    for c in names:
        transitions += [(c, f.__name__, {}, False, f) for f in (request, start_write, finish)]
    transitions += [("lock", "grant", {"to": c}, False, grant) for c in names]
    transitions += [("lock", "warn", {}, False, warn), ("lock", "expire", {}, False, expire)]

    def busy(s: dict[str, Any], c: str) -> bool:
        return s[f"{c}.pc"] in ("holding", "writing")

    properties = {
        "one_writer": ("invariant", lambda ctx, s: sum(s[f"{c}.pc"] == "writing" for c in names) <= 1),
        "holder_is_busy": ("invariant", lambda ctx, s: s["holder"] == "none" or busy(s, s["holder"])),
        "warned_holds": ("invariant", lambda ctx, s: all(implies(s[f"{c}.warned"], s["holder"] == c) for c in names)),
        "everyone_granted": ("reachable", lambda ctx, s: all(v == 1 for v in s["grants"].values())),
    }
    return PlainModel(
        init=init,
        specs=specs,
        replicas={"client": names},
        local={c: [f"{c}.pc", f"{c}.warned"] for c in names},
        transitions=transitions,
        properties=properties,
        refs={"holder": "client", "last_writer": "client", "waiting": "client"},
        ref_keyed={"grants": "client"},
    )


def plain_gossip(n: int) -> PlainModel:
    """tests.models.refs.Gossip with ``n`` nodes: Refs inside the replicas (a set, a map keyed
    by node, a scalar), as the reference's plain functions."""
    names = [f"node{i}" for i in range(1, n + 1)]
    init: dict[str, Any] = {}
    specs: dict[str, tuple[Any, ...]] = {}
    refs, keyed = {}, {}
    for m in names:
        init |= {f"{m}.knows": frozenset(), f"{m}.told": dict.fromkeys(names, False), f"{m}.last": "none"}
        specs |= {f"{m}.knows": ("enum", tuple(names)), f"{m}.told": ("bool",), f"{m}.last": ("enum", ("none", *names))}
        refs |= {f"{m}.knows": "node", f"{m}.last": "node"}
        keyed[f"{m}.told"] = "node"

    def wake(ctx: Ctx, me: str) -> None:
        ctx.req(me not in ctx.s[f"{me}.knows"])
        ctx.add(f"{me}.knows", me)

    def tell(ctx: Ctx, me: str, to: str) -> None:
        ctx.req(land(bool(ctx.s[f"{me}.knows"]), not ctx.at(f"{me}.told", to)))
        for k in sorted(ctx.s[f"{me}.knows"]):
            ctx.add(f"{to}.knows", k)
        ctx.wa(f"{me}.told", to, True)
        ctx.w(f"{me}.last", to)

    transitions: list[tuple[str, str, dict[str, Any], bool, Callable[..., None]]] = []
    for m in names:
        transitions.append((m, "wake", {}, False, wake))
        transitions += [(m, "tell", {"to": t}, False, tell) for t in names]
    everyone = ("reachable", lambda ctx, s: all(set(names) <= s[f"{m}.knows"] for m in names))
    return PlainModel(
        init=init,
        specs=specs,
        replicas={"node": names},
        local={m: [f"{m}.knows", f"{m}.told", f"{m}.last"] for m in names},
        transitions=transitions,
        properties={"everyone_knows_everyone": everyone},
        refs=refs,
        ref_keyed=keyed,
    )


# ---------------------------------------------------------------------------- the symmetric lock
@pytest.mark.parametrize("clients", [2, 3])
def test_ref_lock_is_reduced_to_the_references_exact_orbits(clients: int) -> None:
    """Holder, last writer, the waiting Set and the grants Map all name clients: permuting the
    clients renames them all, and the orbit counts are the reference's, in both backends."""
    ref = explore(plain_lock(clients), bound=12, max_states=100_000)
    assert ref.symmetric == ["client"] and ref.asymmetric == {}
    orbits = ref.orbits[frozenset({"client"})]
    assert orbits < ref.states  # a real reduction
    model = RefLock.build(clients=clients)
    assert decide(Encoding(model), ["explored", *LOCK_PROPS]).reduced == ["client"]
    for backend in ("numpy", "python"):
        for symmetry, states in ((True, orbits), (False, ref.states)):
            model = RefLock.build(clients=clients)
            found = run_explicit(model, ["explored", *LOCK_PROPS], symmetry=symmetry, backend=backend)
            assert found[0].extra["states"] == states, (backend, symmetry)
            assert found[0].extra["symmetry"] is symmetry
            assert [length(r) for r in found[1:]] == [ref.shortest[p] for p in LOCK_PROPS], (backend, symmetry)


def test_engines_agree_on_the_ref_lock() -> None:
    """BMC (with symmetry breaking), explicit search and the proof engines: same verdicts and
    the same shortest lengths."""
    ref = explore(plain_lock(3), bound=12, max_states=100_000)
    expected = {
        "one_writer": Verdict.VIOLATED,
        "holder_is_busy": Verdict.HOLDS,
        "warned_holds": Verdict.VIOLATED,
        "everyone_granted": Verdict.WITNESSED,
    }
    ex = run_explicit(RefLock.build(), LOCK_PROPS)
    assert {r.name: (r.verdict, length(r)) for r in ex} == {p: (v, ref.shortest[p]) for p, v in expected.items()}
    b = run_bmc(RefLock.build(), LOCK_PROPS, 10)
    assert b[0].extra["symmetry_reduction"]["reduced"] == ["client"]
    got = {r.name: (r.verdict, length(r)) for r in b}
    assert got.pop("holder_is_busy")[0] in (Verdict.HOLDS, Verdict.HOLDS_TO_DEPTH)
    assert got == {p: (v, ref.shortest[p]) for p, v in expected.items() if p != "holder_is_busy"}
    small = explore(plain_lock(2), bound=12, max_states=100_000)  # the proofs on 2 clients: quicker
    for name in ("holder_is_busy", "one_writer"):
        r = prove(RefLock.build(clients=2), [name], engine="auto", timeout=120)[0]
        want = Verdict.PROVED if expected[name] is Verdict.HOLDS else Verdict.VIOLATED
        assert r.verdict is want, (name, r.verdict)
        if want is Verdict.VIOLATED:
            assert length(r) == small.shortest[name]


@pytest.mark.parametrize(
    ("nodes", "backends"), [(2, ("numpy", "python")), pytest.param(3, ("numpy",), marks=pytest.mark.slow)]
)
def test_refs_inside_the_replicas_are_permuted_to_exact_orbits(nodes: int, backends: tuple[str, ...]) -> None:
    """Each node's Set of nodes, Map keyed by node and last-told Ref move with the node and are
    renamed: the replicas' local states hold each other's names."""
    ref = explore(plain_gossip(nodes), bound=12, max_states=100_000)
    assert ref.symmetric == ["node"]
    orbits = ref.orbits[frozenset({"node"})]
    for backend in backends:
        for symmetry, states in ((True, orbits), (False, ref.states)):
            found = run_explicit(
                Gossip.build(nodes=nodes), ["explored", "everyone_knows_everyone"], symmetry=symmetry, backend=backend
            )
            assert found[0].extra["states"] == states, (backend, symmetry)
            assert length(found[1]) == ref.shortest["everyone_knows_everyone"]
    b = run_bmc(Gossip.build(nodes=nodes), ["everyone_knows_everyone"], 2 * nodes + 1)[0]
    assert b.extra["symmetry_reduction"]["reduced"] == ["node"]
    assert (b.verdict, length(b)) == (Verdict.WITNESSED, ref.shortest["everyone_knows_everyone"])


def test_parallel_search_keeps_the_orbit_count() -> None:
    one = run_explicit(RefLock.build(), ["explored", "one_writer"], workers=1)
    two = run_explicit(RefLock.build(), ["explored", "one_writer"], workers=2)
    assert [(r.verdict, r.extra["states"], length(r)) for r in two] == [
        (Verdict.HOLDS, 692, None),
        (Verdict.VIOLATED, 692, 7),
    ]
    assert [(r.verdict, r.extra["states"]) for r in one] == [(r.verdict, r.extra["states"]) for r in two]


def test_small_ref_lock_orbits() -> None:
    """3 clients, owner a Ref: 20 states, 7 orbits (idle/none; one waiting-free holder ...)."""
    for backend in ("numpy", "python"):
        sym = run_explicit(SmallRefLock.build(), ["explored"], backend=backend)[0]
        full = run_explicit(SmallRefLock.build(), ["explored"], backend=backend, symmetry=False)[0]
        assert (sym.extra["states"], full.extra["states"]) == (7, 20)


# ---------------------------------------------------------------------------- where symmetry stays off
def everything_symmetric(enc: Encoding, properties: object = None) -> SymmetryDecision:
    """The unsound behaviour: every replicated component reduced."""
    return SymmetryDecision(list(replica_groups(enc.model).values()))


def test_a_ref_constant_that_singles_a_replica_out_is_not_reduced() -> None:
    decision = decide(Encoding(VipLock.build()))
    assert decision.reduced == []
    why = decision.not_reduced["client"]
    assert "lock.expire" in why and "client1 and client2 are swapped" in why and "refs.py:" in why, why
    for backend in ("numpy", "python"):
        r = run_explicit(VipLock.build(), ["explored", "expired_holder"], backend=backend)
        assert r[0].extra["states"] == 12 and r[0].extra["symmetry"] is False
        assert (r[1].verdict, length(r[1])) == (Verdict.WITNESSED, 2)
    assert [(r.verdict, length(r)) for r in run_bmc(VipLock.build(), ["expired_holder"], 4)] == [(Verdict.WITNESSED, 2)]


def test_forcing_the_reduction_on_the_vip_lock_gives_wrong_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: client1's lease never expires, so the clients are not interchangeable."""
    monkeypatch.setattr(bmc, "decide_symmetry", everything_symmetric)
    monkeypatch.setattr(explicit, "decide_symmetry", everything_symmetric)
    # BMC: only client1 may move first from the symmetric initial state, and it never expires
    assert run_bmc(VipLock.build(), ["expired_holder"], 4)[0].verdict is not Verdict.WITNESSED
    for backend in ("numpy", "python"):
        assert run_explicit(VipLock.build(), ["explored"], backend=backend)[0].extra["states"] != 12


def test_self_id_is_not_reduced_and_the_output_says_use_self_ref(write_spec: WriteSpec) -> None:
    decision = decide(Encoding(IdLock.build()))
    assert decision.reduced == []
    why = decision.not_reduced["client"]
    assert re.search(r"client\d\.(acquire|release)", why) and "refs.py:" in why and "self.ref" in why, why
    spec = write_spec('model = "tests.models.refs:IdLock"\n[expect]\none_holder = "violated"\n')
    text = run_cli("check", str(spec), "--engine", "explicit")
    assert text.exit_code == 1, text.output
    assert "client not reduced" in text.stdout and "reads .id" in text.stdout and "self.ref" in text.stdout
    out = run_cli("check", str(spec), "--engine", "explicit", "--json")
    record = json.loads(out.stdout)["specs"][0]["symmetry"]
    assert record["reduced"] == [] and "self.ref" in record["not_reduced"]["client"]


def test_a_default_that_names_the_first_replica_is_asymmetric() -> None:
    decision = decide(Encoding(DefaultFirst.build()))
    assert decision.not_reduced["worker"] == "the initial state changes when worker1 and worker2 are swapped (last)"


# ---------------------------------------------------------------------------- values and errors
def test_ref_values_print_as_replica_names(write_spec: WriteSpec, tmp_path: Path) -> None:
    spec = write_spec('model = "tests.models.refs:RefLock"\n[expect]\nwarned_holds = "violated"\n')
    itf = tmp_path / "trace.itf.json"
    out = run_cli("check", str(spec), "--engine", "explicit", "--json", "--itf", str(itf))
    assert out.exit_code == 1, out.output
    record = json.loads(out.stdout)["specs"][0]
    assert record["symmetry"]["reduced"] == ["client"]
    text = json.dumps(record)
    assert '"holder": "client' in text or "'holder': 'client" in text or "lock.grant(to=client" in text, text[:2000]
    states = json.loads(itf.read_text())["states"]
    assert any(s["holder"] not in ("none",) and str(s["holder"]).startswith("client") for s in states), states
    assert any(isinstance(s["waiting"], dict) for s in states)  # an ITF set of names
    shown = run_cli("check", str(spec), "--engine", "explicit")
    assert "grant(to=client" in shown.stdout and "holder" in shown.stdout


def test_a_ref_that_names_no_replica_is_a_model_error_when_the_step_fires() -> None:
    """``sys.client[sys.owner]`` with owner "none": an error only where the step fires, alike
    in every engine (a `require` that disables the step first makes it none)."""
    for engine in ("numpy", "python", "bmc"):
        with pytest.raises(ModelError, match="names no replica") as found:
            if engine == "bmc":
                run_bmc(BadDeref.build(), ["explored"], 3)
            else:
                run_explicit(BadDeref.build(), ["explored"], backend=engine)
        assert "refs.py" in str(found.value), engine
    for backend in ("numpy", "python"):  # the guarded read is fine
        assert run_explicit(SmallRefLock.build(), ["explored"], backend=backend)[0].verdict is Verdict.HOLDS


def test_ref_declaration_errors() -> None:
    from checker import Model, Process, Ref, Store

    class Holder(Store):
        who = Ref("nobody")

    class Bad(Model):
        worker = Process(count=2)
        store = Holder()

    with pytest.raises(ModelError, match="no component 'nobody'"):
        Bad.build()

    class Single(Store):
        who = Ref("store")

    class Bad2(Model):
        store = Single()

    with pytest.raises(ModelError, match="not replicated"):
        Bad2.build()


def test_too_many_replicas_for_the_canonical_form_are_not_reduced_and_say_so() -> None:
    decision = decide(Encoding(RefLock.build(clients=7)), ["explored"])
    assert decision.reduced == []
    assert "7 replicas that Refs point at" in decision.not_reduced["client"]
    assert "more than 720 permutations" in decision.not_reduced["client"]


def test_self_ref_of_a_single_component_is_an_error() -> None:
    from checker import Model, Process, Ref, Store, action

    class Holder(Store):
        who = Ref("worker", none=True)

        @action
        def grab(self, sys):
            sys.who = self.ref

    class Bad(Model):
        worker = Process(count=2)
        store = Holder()

    with pytest.raises(ModelError, match="not replicated: it has no .ref"):
        run_explicit(Bad.build(), [])
