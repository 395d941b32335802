"""Process identities in the random models (`tests.random_models`): a store ``rs`` that holds
`Ref`s to the replicas of one process component.

Drawn pieces, each written twice (the raceproof source and the plain reference text): a holder
``Ref(P, none=True)``, optionally a ``Set(Ref(P))`` and a ``Map(Ref(P), Int)``; an action of the
store granting to a replica given as a `Ref` argument (guarded on that replica's state, read
through ``sys.P[to]``); one releasing the holder that writes to the holder's state through
``sys.P[sys.rs_holder]``; ``claim`` on P storing ``self.ref``; sometimes a Ref constant that
singles ``P1`` out (``ref_asym``: the reference must find P asymmetric, and no engine may
reduce it). The reference renames the Refs itself (``REFS``/``REF_KEYED`` of the plain text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.random_parts import CompInfo, VarInfo, Writer

PX = tuple[str, str]


@dataclass
class RefPart:
    target: CompInfo
    with_set: bool
    with_map: bool
    asym: bool
    guard_var: VarInfo | None  # a scalar of P that the grant reads through sys.P[to]
    toggle_var: VarInfo | None  # a Bool of P that the release flips through sys.P[sys.rs_holder]
    prop_shape: int
    transitions: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return self.target.instances

    # -- the two texts
    def emit_process(self, w: Writer, p: Writer, transitions: list[str]) -> None:
        """``claim``/``release`` on P (inside its class; ``w`` at the class body's indent)."""
        P = self.target.attr
        for line in (
            "",
            "@action",
            "def claim(self, sys):",
            '    require(sys.rs_holder == "none")',
            "    sys.rs_holder = self.ref",
            "",
            "@action",
            "def release(self, sys):",
            "    require(sys.rs_holder == self.ref)",
            '    sys.rs_holder = "none"',
        ):
            w.line(line)
        p.line(f"def a_{P}_claim(c, me):")
        p.line("    c.req(c.s['rs_holder'] == 'none')")
        p.line("    c.w('rs_holder', me)")
        p.line()
        p.line(f"def a_{P}_release(c, me):")
        p.line("    c.req(c.s['rs_holder'] == me)")
        p.line("    c.w('rs_holder', 'none')")
        p.line()
        for inst in self.names:
            transitions += [f"({inst!r}, 'claim', {{}}, False, a_{P}_claim)"]
            transitions += [f"({inst!r}, 'release', {{}}, False, a_{P}_release)"]

    def emit_store(self, w: Writer, p: Writer, transitions: list[str]) -> None:
        P = self.target.attr
        w.line()
        w.line()
        w.line("class Rs(Store):")
        w.indent += 1
        w.line(f'rs_holder = Ref("{P}", none=True)')
        if self.with_set:
            w.line(f'rs_seen = Set(Ref("{P}"))')
        if self.with_map:
            w.line(f'rs_hits = Map(Ref("{P}"), Int(min=0, max=1))')
        cond_rp, cond_py = self._guard("sys." + P + "[to]", "to")
        w.line()
        w.line(f'@action(to=Ref("{P}"))')
        w.line("def grab(self, sys, to):")
        w.line(f'    require((sys.rs_holder == "none") & {cond_rp})')
        w.line("    sys.rs_holder = to")
        p.line("def a_rs_grab(c, me, to):")
        p.line("    s = c.s")
        p.line(f"    c.req(land(s['rs_holder'] == 'none', {cond_py}))")
        p.line("    c.w('rs_holder', to)")
        if self.with_set:
            w.line("    sys.rs_seen.add(to)")
            p.line("    c.add('rs_seen', to)")
        if self.with_map:
            w.line("    sys.rs_hits[to] = 1")
            p.line("    c.wa('rs_hits', to, 1)")
        p.line()
        w.line()
        w.line("@action")
        w.line("def drop(self, sys):")
        w.line('    require(sys.rs_holder != "none")')
        p.line("def a_rs_drop(c, me):")
        p.line("    s = c.s")
        p.line("    c.req(s['rs_holder'] != 'none')")
        if self.asym:  # the first replica's hold is never dropped: P is not symmetric
            w.line(f'    require(sys.rs_holder != "{self.names[0]}")')
            p.line(f"    c.req(s['rs_holder'] != {self.names[0]!r})")
        if self.toggle_var is not None:
            b = self.toggle_var.name
            held = f"sys.{P}[sys.rs_holder]"
            when_rp, when_py = self._guard(held, "s['rs_holder']")
            w.line(f"    with when({when_rp}):")
            w.line(f"        {held}.{b} = ~{held}.{b}")
            p.line(f"    with c.when({when_py}):")
            p.line(f"        c.w(s['rs_holder'] + '.{b}', not s[s['rs_holder'] + '.{b}'])")
        w.line('    sys.rs_holder = "none"')
        p.line("    c.w('rs_holder', 'none')")
        p.line()
        if self.with_set:
            w.line()
            w.line(f'@action(to=Ref("{P}"))')
            w.line("def forget(self, sys, to):")
            w.line("    require(sys.rs_seen.contains(to))")
            w.line("    sys.rs_seen.discard(to)")
            p.line("def a_rs_forget(c, me, to):")
            p.line("    c.req(to in c.s['rs_seen'])")
            p.line("    c.discard('rs_seen', to)")
            p.line()
        w.indent -= 1
        for inst in self.names:
            transitions.append(f"('rs', 'grab', {{'to': {inst!r}}}, False, a_rs_grab)")
            if self.with_set:
                transitions.append(f"('rs', 'forget', {{'to': {inst!r}}}, False, a_rs_forget)")
        transitions.append("('rs', 'drop', {}, False, a_rs_drop)")

    def _guard(self, view: str, key_py: str) -> PX:
        """A condition on a replica's state, read through a view of it (``sys.P[...]``)."""
        v = self.guard_var
        if v is None:
            return "True", "True"
        value = f"s[{key_py} + '.{v.name}']"
        if v.kind == "bool":
            return f"{view}.{v.name}", value
        if v.kind == "enum":
            return f"({view}.{v.name} == {v.names[0]!r})", f"({value} == {v.names[0]!r})"
        return f"({view}.{v.name} <= {v.init})", f"({value} <= {v.init})"

    def properties(self) -> list[tuple[str, PX]]:
        """A property over the holder and its replica (aggregated over the replicas, so symmetric)."""
        P = self.target.attr
        names = self.names
        out: list[tuple[str, PX]] = []
        v = self.guard_var
        if self.prop_shape == 0 and v is not None:
            atom_rp, atom_py = self._guard("q", "q")
            rp = f'implies(sys.rs_holder != "none", any_of((q.ref == sys.rs_holder) & {atom_rp} for q in sys.{P}))'
            py = f"implies(s['rs_holder'] != 'none', lor(*[land(q == s['rs_holder'], {atom_py}) for q in {names!r}]))"
            out.append(("invariant", (rp, py)))
        elif self.prop_shape == 1 and self.with_map:
            rp = "all_of(h == 1 for h in sys.rs_hits)"
            py = "land(*[h == 1 for h in s['rs_hits'].values()])"
            out.append(("reachable", (rp, py)))
        elif self.prop_shape == 2 and self.with_set:
            rp = 'sys.rs_seen.is_empty() | (sys.rs_holder != "none")'
            py = "lor(not s['rs_seen'], s['rs_holder'] != 'none')"
            out.append(("invariant", (rp, py)))
        return out

    # -- the plain model's data
    def init(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rs_holder": "none"}
        if self.with_set:
            out["rs_seen"] = frozenset()
        if self.with_map:
            out["rs_hits"] = dict.fromkeys(self.names, 0)
        return out

    def specs(self) -> dict[str, tuple[Any, ...]]:
        names = tuple(self.names)
        out: dict[str, tuple[Any, ...]] = {"rs_holder": ("enum", ("none", *names))}
        if self.with_set:
            out["rs_seen"] = ("enum", names)
        if self.with_map:
            out["rs_hits"] = ("int", 0, 1)
        return out

    def refs(self) -> dict[str, str]:
        return {"rs_holder": self.target.attr} | ({"rs_seen": self.target.attr} if self.with_set else {})

    def ref_keyed(self) -> dict[str, str]:
        return {"rs_hits": self.target.attr} if self.with_map else {}


@st.composite
def ref_part(draw: Any, comps: list[CompInfo], features: set[str]) -> RefPart | None:
    """A `RefPart` for one replicated process of ``comps``, or None (drawn)."""
    candidates = [c for c in comps if c.replicated and not c.store]
    if not candidates or draw(st.integers(0, 2)) != 0:
        return None
    target = draw(st.sampled_from(candidates))
    scalars = [v for v in target.vars if v.kind in ("bool", "enum", "int")]
    bools = [v for v in target.vars if v.kind == "bool"]
    part = RefPart(
        target,
        with_set=draw(st.booleans()),
        with_map=draw(st.booleans()),
        asym=draw(st.integers(0, 3)) == 0,
        guard_var=draw(st.sampled_from(scalars)) if scalars and draw(st.booleans()) else None,
        toggle_var=draw(st.sampled_from(bools)) if bools and draw(st.booleans()) else None,
        prop_shape=draw(st.integers(0, 3)),
    )
    features.add("ref")
    if part.asym:
        features.add("ref_asym")
    return part
