"""Random models the counting proof (`checker.param.counting_proof`) accepts, for its cross-check
with the independent reference (tests/test_crosscheck_counting.py).

`counting_models()` is a hypothesis strategy of `CountingModel`s: interchangeable units whose
number is the parameter ``n`` (``Param(2, min=1)``), each with a finite local state (Bools and
bounded Ints, one initial value each), in one of two shapes:

* ``replicas``: a process ``W`` replicated ``count="n"``; its actions read their own state, a
  store's shared state and symmetric aggregates over the replicas (`count_of`, `sum_of`,
  `any_of`, `all_of`), and write their own and the shared state; the store's actions update
  the shared state under aggregate guards, or every replica at once (``for x in sys.w``);
* ``arrays``: parameter-sized arrays of one store, with actions over their indices
  (``@action(k="n")``) reading and writing element ``k``, the shared state and aggregates over
  one array (``count_of(x for x in self.a0)``, ``sum_of(self.a1)``).

Aggregates are read before the step writes anything (what the counting reading requires of a
step). Every drawing returns a pair ``(rp, py)``: the raceproof text and the plain text of the
same choice. The plain text is independent of ``n``: it names the units through ``UNITS``,
which `CountingModel.plain` defines per size (with the initial state and the transitions), so
that the reference (`tests.reference_model`, which imports nothing from `checker`) searches
the model at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.random_parts import PX, Writer

HEADER = (
    "from checker import (\n"
    "    Array, Bool, Int, Model, Param, Process, Store, action, all_of, any_of, count_of, implies, invariant, ite,\n"
    "    require, sum_of,\n"
    ")\n"
)


@dataclass
class Slot:
    """A variable: of each unit (``unit``) or shared; a Bool (``hi`` None) or an Int 0..hi."""

    name: str
    unit: bool
    hi: int | None
    init: Any

    @property
    def spec(self) -> tuple[Any, ...]:
        return ("bool",) if self.hi is None else ("int", 0, self.hi)


@dataclass
class CountingModel:
    shape: str  # replicas | arrays
    source: str
    body: str  # the plain functions (the same at every size)
    slots: list[Slot]
    #: (owner, action name, over indices) per action: owner "w" (a replica), "g" (the store)
    actions: list[tuple[str, str, bool]]
    invariants: list[str]

    def build_class(self) -> type:
        namespace: dict[str, Any] = {}
        exec(compile(self.source, "<random counting model>", "exec"), namespace)  # noqa: S102
        return namespace["Counting"]  # type: ignore[no-any-return]

    def plain(self, n: int) -> str:
        """The plain model at ``n`` units (for `tests.reference_model.PlainModel.from_source`)."""
        w = Writer()
        names = [f"w{i}" for i in range(1, n + 1)]
        w.line(f"UNITS = {names!r}" if self.shape == "replicas" else f"UNITS = {list(range(n))!r}")
        w.lines += self.body.splitlines()
        init: dict[str, Any] = {}
        specs: dict[str, tuple[Any, ...]] = {}
        for s in self.slots:
            if not s.unit:
                init[s.name], specs[s.name] = s.init, s.spec
            elif self.shape == "replicas":
                for u in names:
                    init[f"{u}.{s.name}"], specs[f"{u}.{s.name}"] = s.init, s.spec
            else:
                init[s.name], specs[s.name] = [s.init] * n, s.spec
        transitions = []
        for owner, name, indexed in self.actions:
            if owner == "w":
                transitions += [f"({u!r}, {name!r}, {{}}, False, f_{name})" for u in names]
            elif indexed:
                transitions += [f"('g', {name!r}, {{'k': {k}}}, False, f_{name})" for k in range(n)]
            else:
                transitions.append(f"('g', {name!r}, {{}}, False, f_{name})")
        w.line(f"INIT = {init!r}")
        w.line(f"SPECS = {specs!r}")
        w.line("REPLICAS = {}")  # symmetry is not what this cross-check is about
        w.line("LOCAL = {}")
        w.line(f"TRANSITIONS = [{', '.join(transitions)}]")
        w.line(f"PROPERTIES = {{{', '.join(f'{p!r}: ({chr(39)}invariant{chr(39)}, q_{p})' for p in self.invariants)}}}")
        return w.text()

    def __repr__(self) -> str:
        return f"CountingModel({self.shape}):\n{self.source}"


class CGen:
    """Draws the expressions and statements of one counting model."""

    def __init__(self, draw: Any, shape: str, slots: list[Slot]):
        self.draw, self.shape = draw, shape
        self.units = [s for s in slots if s.unit]
        self.shared = [s for s in slots if not s.unit]

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def const(self, hi: int) -> str:
        return str(self.draw(st.integers(0, hi)))

    # -- reads
    def own(self, s: Slot, store: bool) -> PX:
        """The acting unit's slot (a replica's own, or element ``k``)."""
        if self.shape == "replicas":
            return f"self.{s.name}", f's[me + ".{s.name}"]'
        return f"{'self' if store else 'sys'}.{s.name}[k]", f's["{s.name}"][k]'

    def shared_read(self, s: Slot, store: bool) -> PX:
        return f"{'self' if store else 'sys'}.{s.name}", f's["{s.name}"]'

    @staticmethod
    def test(s: Slot, read: PX, op: str, c: str) -> PX:
        if s.hi is None:
            return read if op == "==" else (f"~{read[0]}", f"(not {read[1]})")
        return f"({read[0]} {op} {c})", f"({read[1]} {op} {c})"

    def slot_test(self, s: Slot, read: PX) -> PX:
        return self.test(s, read, self.pick(["==", "!=", "<=", ">="]), self.const((s.hi or 0) + 1))

    # -- aggregates: symmetric in the units
    def aggregate(self, where: str) -> PX:
        """An int-valued `count_of`/`sum_of` over every unit, or a bool `any_of`/`all_of` comparison."""
        s = self.pick(self.units)
        if self.shape == "replicas":
            rp_x, py_x = f"x.{s.name}", f's[x + ".{s.name}"]'
            rp_units, py_units = f"{where}.w", "UNITS"
        else:
            rp_x = py_x = "x"
            rp_units, py_units = f"{where}.{s.name}", f's["{s.name}"]'
        test = self.slot_test(s, (rp_x, py_x))
        if self.shape == "replicas" and len(self.units) > 1 and self.draw(st.booleans()):
            other = self.pick([u for u in self.units if u is not s])
            t2 = self.slot_test(other, (f"x.{other.name}", f's[x + ".{other.name}"]'))
            test = f"({test[0]} & {t2[0]})", f"land({test[1]}, {t2[1]})"
        how = self.pick(["count", "count", "sum"] if s.hi is not None else ["count"])
        if how == "sum":
            if self.shape == "arrays" and self.draw(st.integers(0, 3)) == 0:  # the array itself as the iterable
                return f"sum_of({rp_units})", f"sum_of({py_units})"
            return f"sum_of({rp_x} for x in {rp_units})", f"sum_of([{py_x} for x in {py_units}])"
        return f"count_of({test[0]} for x in {rp_units})", f"count_of([{test[1]} for x in {py_units}])"

    def aggregate_atom(self, where: str, store: bool) -> PX:
        if self.draw(st.integers(0, 3)) == 0:
            s = self.pick(self.units)
            if self.shape == "replicas":
                t = self.slot_test(s, (f"x.{s.name}", f's[x + ".{s.name}"]'))
                units = f"{where}.w", "UNITS"
            else:
                t = self.slot_test(s, ("x", "x"))
                units = f"{where}.{s.name}", f's["{s.name}"]'
            fold = self.pick(["any_of", "all_of"])
            return f"{fold}({t[0]} for x in {units[0]})", f"{fold[:3]}([{t[1]} for x in {units[1]}])"
        a = self.aggregate(where)
        op = self.pick(["<=", ">=", "==", "<"])
        ints = [s for s in self.shared if s.hi is not None]
        if ints and self.draw(st.integers(0, 2)) == 0:  # against the shared state
            b = self.shared_read(self.pick(ints), store)
            c = self.const(1)
            return f"({a[0]} {op} {b[0]} + {c})", f"({a[1]} {op} {b[1]} + {c})"
        c = self.const(3)
        return f"({a[0]} {op} {c})", f"({a[1]} {op} {c})"

    def local_atom(self, store: bool, with_own: bool) -> PX:
        options = [s for s in self.shared] + ([s for s in self.units] if with_own else [])
        s = self.pick(options)
        read = self.own(s, store) if s.unit else self.shared_read(s, store)
        return self.slot_test(s, read)

    def cond(self, store: bool, with_own: bool, aggregates: bool, depth: int = 0) -> PX:
        kinds = (["local"] if self.shared or with_own else []) + (["agg", "agg"] if aggregates else [])
        if not kinds:  # nothing to read here
            return "True", "True"
        kinds += ["and", "or", "not"] if depth < 1 else []
        kind = self.pick(kinds)
        if kind == "local":
            return self.local_atom(store, with_own)
        if kind == "agg":
            return self.aggregate_atom("sys", store)
        if kind == "not":
            a = self.cond(store, with_own, aggregates, depth + 1)
            return f"~({a[0]})", f"(not {a[1]})"
        a, b = self.cond(store, with_own, aggregates, depth + 1), self.cond(store, with_own, aggregates, depth + 1)
        op, fold = ("&", "land") if kind == "and" else ("|", "lor")
        return f"({a[0]} {op} {b[0]})", f"{fold}({a[1]}, {b[1]})"

    def value(self, s: Slot, read: PX, store: bool, with_own: bool, aggregates: bool) -> PX:
        """A new value for slot ``s`` (now ``read``), always within its range."""
        how = self.pick(["const", "step", "ite"])
        if s.hi is None:
            if how == "const":
                b = str(self.draw(st.booleans()))
                return b, b
            if how == "step":
                return f"~{read[0]}", f"(not {read[1]})"
            return self.cond(store, with_own, aggregates)
        if how == "const":
            c = self.const(s.hi)
            return c, c
        if how == "step":
            return (
                f"ite({read[0]} < {s.hi}, {read[0]} + 1, {read[0]})",
                f"ite({read[1]} < {s.hi}, {read[1]} + 1, {read[1]})",
            )
        c = self.cond(store, with_own, aggregates)
        a, b = self.const(s.hi), self.const(s.hi)
        return f"ite({c[0]}, {a}, {b})", f"ite({c[1]}, {a}, {b})"

    def unit_step(self, w: Writer, p: Writer, store: bool) -> None:
        """The body of a unit's action: a guard, then writes (aggregates only before the first)."""
        if self.draw(st.integers(0, 3)) > 0:
            g = self.cond(store, True, True)
            w.line(f"require({g[0]})")
            p.line(f"c.req({g[1]})")
        targets = self.units + self.shared
        for n in range(self.draw(st.integers(1, 2))):
            s = self.pick(targets)
            read = self.own(s, store) if s.unit else self.shared_read(s, store)
            v = self.value(s, read, store, True, n == 0)
            w.line(f"{read[0]} = {v[0]}")
            key = (f'me + ".{s.name}"' if self.shape == "replicas" else None) if s.unit else f'"{s.name}"'
            if key is None:
                p.line(f'c.wa("{s.name}", k, {v[1]})')
            else:
                p.line(f"c.w({key}, {v[1]})")

    def store_step(self, w: Writer, p: Writer) -> None:
        """A store action: every replica at once, or the shared state under an aggregate guard."""
        if self.shape == "replicas" and self.draw(st.booleans()):
            s = self.pick(self.units)
            read = f"x.{s.name}", f's[x + ".{s.name}"]'
            how = self.pick(["const", "step", "ite"])
            if how == "ite" or (how == "step" and s.hi is None):
                o = self.pick(self.units)
                t = self.slot_test(o, (f"x.{o.name}", f's[x + ".{o.name}"]'))
                if self.shared and self.draw(st.booleans()):
                    t2 = self.local_atom(True, False)
                    t = f"({t[0]} | {t2[0]})", f"lor({t[1]}, {t2[1]})"
                if s.hi is None:
                    v = f"({read[0]} & {t[0]})", f"land({read[1]}, {t[1]})"
                else:
                    c = self.const(s.hi)
                    v = f"ite({t[0]}, {c}, {read[0]})", f"ite({t[1]}, {c}, {read[1]})"
            else:
                v = self.value(s, read, True, False, False)
            w.line("for x in sys.w:")
            w.line(f"    {read[0]} = {v[0]}")
            p.line("for x in UNITS:")
            p.line(f'    c.w(x + ".{s.name}", {v[1]})')
            return
        g = self.cond(True, False, True)
        w.line(f"require({g[0]})")
        p.line(f"c.req({g[1]})")
        s = self.pick(self.shared)
        read = self.shared_read(s, True)
        v = self.value(s, read, True, False, False)
        w.line(f"{read[0]} = {v[0]}")
        p.line(f'c.w("{s.name}", {v[1]})')


def _slot(draw: Any, name: str, unit: bool) -> Slot:
    hi = draw(st.sampled_from([None, None, 1, 2, 3]))
    init = draw(st.booleans()) if hi is None else draw(st.integers(0, hi))
    return Slot(name, unit, hi, init)


def _decl(s: Slot, shape: str) -> str:
    base = f"Bool(init={s.init})" if s.hi is None else f"Int(init={s.init}, min=0, max={s.hi})"
    if s.unit and shape == "arrays":
        elem = "Bool()" if s.hi is None else f"Int(min=0, max={s.hi})"
        return f'Array({elem}, size="n", init={s.init})'
    return base


@st.composite
def counting_models(draw: Any) -> CountingModel:
    shape = draw(st.sampled_from(["replicas", "replicas", "arrays"]))
    units = [_slot(draw, f"u{j}", True) for j in range(draw(st.integers(1, 2)))]
    shared = [_slot(draw, f"g{j}", False) for j in range(draw(st.integers(0 if shape == "replicas" else 1, 2)))]
    gen = CGen(draw, shape, units + shared)
    w, p = Writer(), Writer()
    w.lines += HEADER.splitlines()
    actions: list[tuple[str, str, bool]] = []
    if shape == "replicas":
        w.line()
        w.line()
        w.line("class W(Process):")
        for s in units:
            w.line(f"    {s.name} = {_decl(s, shape)}")
        for i in range(draw(st.integers(1, 3))):
            name = f"w_act{i}"
            w.line()
            w.line("    @action")
            w.line(f"    def {name}(self, sys):")
            p.line(f"def f_{name}(c, me):")
            p.line("    s = c.s")
            body, plain = Writer(), Writer()
            body.indent = plain.indent = 0
            gen.unit_step(body, plain, False)
            w.lines += ["        " + x for x in body.lines]
            p.lines += ["    " + x for x in plain.lines]
            p.line()
            actions.append(("w", name, False))
    count = draw(st.integers(1, 3) if shape == "arrays" else st.integers(0, 2))
    has_store = shape == "arrays" or bool(shared) or count > 0
    if has_store:
        w.line()
        w.line()
        w.line("class G(Store):")
        for s in units if shape == "arrays" else []:
            w.line(f"    {s.name} = {_decl(s, shape)}")
        for s in shared:
            w.line(f"    {s.name} = {_decl(s, shape)}")
    for i in range(count if has_store else 0):
        indexed = shape == "arrays" and (i == 0 or not shared or draw(st.booleans()))
        name = f"g_act{i}"
        w.line()
        w.line('    @action(k="n")' if indexed else "    @action")
        w.line(f"    def {name}(self, sys{', k' if indexed else ''}):")
        p.line(f"def f_{name}(c, me{', k' if indexed else ''}):")
        p.line("    s = c.s")
        body, plain = Writer(), Writer()
        if indexed:
            gen.unit_step(body, plain, True)
        elif shape == "replicas" and not shared:
            _forall_only(gen, body, plain)
        else:
            gen.store_step(body, plain)
        w.lines += ["        " + x for x in body.lines]
        p.lines += ["    " + x for x in plain.lines]
        p.line()
        actions.append(("g", name, indexed))
    w.line()
    w.line()
    w.line("class Counting(Model):")
    w.line("    n = Param(2, min=1)")
    if shape == "replicas":
        w.line('    w = W(count="n")')
    if has_store:
        w.line("    g = G()")
    invariants = []
    for i in range(draw(st.integers(1, 3))):
        name = f"inv{i}"
        form = draw(st.sampled_from(["agg", "agg", "implies", "or"]))
        a = gen.aggregate_atom("sys", False)
        if form != "agg" and shared:
            b = gen.local_atom(False, False)
            a = (f"implies({b[0]}, {a[0]})", f"implies({b[1]}, {a[1]})") if form == "implies" else (
                f"({a[0]} | {b[0]})", f"lor({a[1]}, {b[1]})")  # fmt: skip
        w.line()
        w.line("    @invariant")
        w.line(f"    def {name}(sys):")
        w.line(f"        return {a[0]}")
        p.line(f"def q_{name}(c, s):")
        p.line(f"    return {a[1]}")
        p.line()
        invariants.append(name)
    return CountingModel(shape, w.text(), p.text(), units + shared, actions, invariants)


def _forall_only(gen: CGen, w: Writer, p: Writer) -> None:
    """A store action of a model without shared state: every replica at once."""
    s = gen.pick(gen.units)
    read = f"x.{s.name}", f's[x + ".{s.name}"]'
    v = gen.value(s, read, True, False, False)
    w.line("for x in sys.w:")
    w.line(f"    {read[0]} = {v[0]}")
    p.line("for x in UNITS:")
    p.line(f'    c.w(x + ".{s.name}", {v[1]})')
