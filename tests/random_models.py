"""Random small models for cross-checking the engines (tests/test_crosscheck.py).

`models()` is a hypothesis strategy of `RandomModel`s. Each carries two texts written from
the same random choices by two separate emitters:

* ``source``: the model class, written with the public model API as an author would write it;
* ``plain``: the same model as plain Python functions over a dict state, for the independent
  reference (`tests.reference_model`, which imports nothing from `checker`). Every drawing
  function below returns a pair ``(rp, py)``: the raceproof text and the plain text.

Features (each drawn at random, see ``FEATURES``): processes (replicated 1-3 times, the count
sometimes a parameter) and stores; bounded and unbounded `Int` (increments kept finite by
guards), products of ints beyond int64, `Bool`, `Enum`; arrays (constant or parameter size),
`Map`s over enum keys, finite sets and unbounded `Set(Int())` (grown at the top, trimmed at the
bottom with `discard_if`: the interval encoding; or with gaps: the array encoding); actions
with arguments, `require`, assignments, `ite`, nested `when`, set updates, reads at state keys
and divisions (guarded, or not: a model error every engine must report), first-match scans
over replicas; fair actions. Properties: invariants, action invariants, reachables,
`recoverable` and `eventually`; aggregates over replicas, and properties and actions that tell
replicas apart in many ways (indexing, `list(...)[i]`, tuple unpacking, `zip`, `enumerate`,
`.name`, iteration order), which no engine may reduce by symmetry.
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

ENUM_POOL = ("a", "b", "c")
PARAM_PREFIX = "n_"
BIG_INITS = (3_000_000_000, 4_000_000_000, 2**40)
BIG_LIMIT = 10**19  # beyond int64 (9.2e18)
PX = tuple[str, str]  # (raceproof text, plain text)


# ---------------------------------------------------------------------------- what a model holds
@dataclass
class VarInfo:
    name: str  # attribute name on its component
    kind: str  # int | uint | big | bool | enum | array | map | set | uset
    comp: CompInfo
    lo: int | None = 0  # ints, array/map values, set elements
    hi: int | None = 1
    names: tuple[str, ...] = ()  # enums; map keys
    size: int = 0  # arrays
    size_param: bool = False
    init: Any = None

    @property
    def scalar(self) -> bool:
        return self.kind in ("int", "uint", "big", "bool", "enum")

    @property
    def intlike(self) -> bool:
        return self.kind in ("int", "uint", "big")


@dataclass
class CompInfo:
    attr: str
    store: bool
    count: int | None  # None: a single instance
    count_param: bool = False
    vars: list[VarInfo] = field(default_factory=list)

    @property
    def replicated(self) -> bool:
        return self.count is not None

    @property
    def instances(self) -> list[str]:
        return [f"{self.attr}{i}" for i in range(1, self.count + 1)] if self.count else [self.attr]


@dataclass
class RandomModel:
    source: str
    plain: str
    class_name: str
    properties: dict[str, str]  # name -> kind
    unguarded: bool
    features: set[str]

    def build_class(self) -> type:
        namespace: dict[str, Any] = {}
        exec(compile(self.source, f"<random model {self.class_name}>", "exec"), namespace)  # noqa: S102
        return namespace[self.class_name]

    def __repr__(self) -> str:  # hypothesis prints the falsifying example with this
        return f"RandomModel(unguarded={self.unguarded}, features={sorted(self.features)}):\n{self.source}"


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.indent + text) if text else "")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class Pair:
    """Two writers kept at the same nesting: the model's and the plain reference's."""

    def __init__(self) -> None:
        self.rp, self.py = Writer(), Writer()

    def line(self, rp: str, py: str) -> None:
        self.rp.line(rp)
        self.py.line(py)

    def push(self) -> None:
        self.rp.indent += 1
        self.py.indent += 1

    def pop(self) -> None:
        self.rp.indent -= 1
        self.py.indent -= 1


def spec_of(v: VarInfo) -> tuple[Any, ...]:
    """The plain range spec of a variable (of its elements, for collections)."""
    if v.kind in ("int", "uint", "big", "array", "map", "set"):
        return ("int", v.lo, v.hi)
    if v.kind == "uset":
        return ("int", None, None)
    if v.kind == "bool":
        return ("bool",)
    return ("enum", v.names)


# ---------------------------------------------------------------------------- components
@st.composite
def _component(draw: Any, index: int, features: set[str]) -> CompInfo:
    # the first one is a process (someone acts); stores hold the collections: draw them often
    store = draw(st.sampled_from([True, True, False])) if index > 0 else False
    attr = f"st{index}" if store else f"p{index}"
    count = None if store else draw(st.sampled_from([None, 1, 2, 2, 3]))
    comp = CompInfo(attr, store, count, count_param=count is not None and draw(st.booleans()))
    if comp.count_param:
        features.add("param_count")
    for j in range(draw(st.integers(1, 2))):
        name = f"{attr}_v{j}" if store else f"v{j}"  # store variables carry global names
        if store:
            kinds = ["int", "bool", "enum", "uint", "array", "array", "set", "set", "map", "map", "uset", "uset"]
        else:
            kinds = ["int", "int", "bool", "enum", "uint", "big"]
        var = VarInfo(name, draw(st.sampled_from(kinds)), comp)
        k = var.kind
        if k in ("int", "array", "set", "map"):
            var.lo = draw(st.sampled_from([0, 0, -1]))
            var.hi = var.lo + draw(st.integers(1, 3 if k == "int" else 2))
        elif k == "uint":
            var.lo, var.hi = 0, None
            if draw(st.integers(0, 3)) == 0:
                var.lo = None  # neither bound
        elif k in ("big", "uset"):
            var.lo, var.hi = (0, None) if k == "big" else (None, None)
        if k == "array":
            var.size = draw(st.sampled_from([2, 2, 3]))
            var.size_param = draw(st.booleans())
            if var.size_param:
                features.add("param_array")
        if k == "enum":
            var.names = tuple(draw(st.sampled_from([ENUM_POOL[:2], ENUM_POOL, ("b", "c"), ("a", "c")])))
        if k == "map":
            var.names = tuple(draw(st.sampled_from([ENUM_POOL[:2], ENUM_POOL])))
        var.init = _initial(var, draw)
        features.add(k)
        comp.vars.append(var)
    return comp


def _initial(v: VarInfo, draw: Any) -> Any:
    if v.kind == "int":
        return draw(st.integers(v.lo, v.hi))
    if v.kind == "uint":
        return draw(st.integers(0, 1))
    if v.kind == "big":
        return draw(st.sampled_from(BIG_INITS))
    if v.kind == "bool":
        return draw(st.booleans())
    if v.kind == "enum":
        return draw(st.sampled_from(v.names))
    if v.kind == "array":
        if v.size_param:
            return draw(st.integers(v.lo, v.hi))  # one value for every element
        return [draw(st.integers(v.lo, v.hi)) for _ in range(v.size)]
    if v.kind == "map":
        return {n: draw(st.integers(v.lo, v.hi)) for n in v.names}
    if v.kind == "uset":
        return sorted(draw(st.sets(st.integers(0, 2), max_size=2)))
    return sorted(draw(st.sets(st.integers(v.lo, v.hi), max_size=2)))


def _decl(v: VarInfo) -> str:
    if v.kind == "int":
        return f"Int(init={v.init}, min={v.lo}, max={v.hi})"
    if v.kind == "uint":
        return f"Int(init={v.init}, min=0)" if v.lo == 0 else f"Int(init={v.init})"
    if v.kind == "big":
        return f"Int(init={v.init}, min=0)"
    if v.kind == "bool":
        return f"Bool(init={v.init})"
    if v.kind == "enum":
        return f"Enum({', '.join(repr(n) for n in v.names)}, init={v.init!r})"
    if v.kind == "array":
        size = f'"{PARAM_PREFIX}{v.name}"' if v.size_param else str(v.size)
        return f"Array(Int(min={v.lo}, max={v.hi}), size={size}, init={v.init})"
    if v.kind == "map":
        return f"Map(Enum({', '.join(repr(n) for n in v.names)}), Int(min={v.lo}, max={v.hi}), init={v.init!r})"
    if v.kind == "uset":
        return f"Set(Int(), init={v.init})"
    return f"Set(Int(min={v.lo}, max={v.hi}), init={v.init})"


def _plain_init(v: VarInfo) -> Any:
    if v.kind == "array":
        return list(v.init) if isinstance(v.init, list) else [v.init] * v.size
    if v.kind == "map":
        return dict(v.init)
    if v.kind in ("set", "uset"):
        return frozenset(v.init)
    return v.init


# ---------------------------------------------------------------------------- expressions
class Gen:
    """Draws expressions and statements for one model, as (raceproof, plain) pairs."""

    def __init__(self, draw: Any, comps: list[CompInfo], unguarded: bool, features: set[str]):
        self.draw = draw
        self.comps = comps
        self.unguarded = unguarded
        self.features = features
        self.enum_names = sorted({n for c in comps for v in c.vars if v.kind == "enum" for n in v.names})
        #: conditions keeping the reads of the statement being drawn defined (a state key within
        #: the keys, a divisor not 0): `statements` turns them into `require`s
        self.pending: list[PX] = []

    def d(self, strategy: Any) -> Any:
        return self.draw(strategy)

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    # -- where values come from
    def scalar_refs(self, me: CompInfo | None, sysname: str = "sys") -> list[tuple[PX, VarInfo]]:
        """Scalar reads in an action of ``me`` (a property when None), as (rp, py) pairs."""
        s = {"sys": "s", "old": "o", "new": "n"}[sysname]
        out: list[tuple[PX, VarInfo]] = []
        for c in self.comps:
            for v in c.vars:
                if not v.scalar:
                    continue
                if c is me:
                    py = f's["{v.name}"]' if c.store else f's[me + ".{v.name}"]'
                    out.append(((f"self.{v.name}", py), v))
                elif c.store:
                    out.append(((f"{sysname}.{v.name}", f'{s}["{v.name}"]'), v))
                elif not c.replicated:
                    out.append(((f"{sysname}.{c.attr}.{v.name}", f'{s}["{c.attr}.{v.name}"]'), v))
        return out

    def refs_of(self, kinds: tuple[str, ...], me: CompInfo | None, sysname: str = "sys") -> list[tuple[PX, VarInfo]]:
        return [(e, v) for e, v in self.scalar_refs(me, sysname) if v.kind in kinds]

    def small_ints(self, me: CompInfo | None, sysname: str = "sys") -> list[tuple[PX, VarInfo]]:
        """Int reads whose values stay small (not the big products)."""
        return self.refs_of(("int", "uint"), me, sysname)

    def collections(self, *kinds: str) -> list[VarInfo]:
        return [v for c in self.comps for v in c.vars if v.kind in kinds]

    @staticmethod
    def coll(v: VarInfo, sysname: str = "sys") -> PX:
        s = {"sys": "s", "old": "o", "new": "n"}[sysname]
        return f"{sysname}.{v.name}", f'{s}["{v.name}"]'

    # -- expressions
    def int_const(self, lo: int, hi: int) -> str:
        return str(self.d(st.integers(lo - 1, hi + 1)))

    def int_expr(self, me: CompInfo | None, depth: int = 0, sysname: str = "sys", args: tuple[str, ...] = (),
                 near: tuple[int, int] = (0, 2)) -> PX:
        """A small int expression; its constants mostly within ``near``."""
        refs = self.small_ints(me, sysname)
        arrays = self.collections("array")
        maps = self.collections("map")
        options = (["succ", "pred", "ref", "ref"] if refs else []) + ["const"] + (["arg"] if args else [])
        options += (["array"] if arrays else []) + (["map"] if maps else [])
        if depth < 1:
            options.append("ite")
        if me is not None and refs:  # reads that can be undefined: in actions only
            options += ["div"] + (["index"] if arrays else [])
        if me is not None and maps and self.refs_of(("enum",), me):
            options.append("map_key")
        choice = self.pick(options)
        if choice == "index":
            arr = self.pick(arrays)
            (krp, kpy), _ = self.pick(refs)
            a_rp, a_py = self.coll(arr, sysname)
            if self.d(st.integers(0, 3)) == 0:
                c = self.int_const(*near)
                return f"{a_rp}.get({krp}, {c})", f'c.get("{arr.name}", {kpy}, {c})'
            self.pending.append((f"(({krp} >= 0) & ({krp} <= {arr.size - 1}))", f"(0 <= {kpy} <= {arr.size - 1})"))
            self.features.add("state_key")
            return f"{a_rp}[{krp}]", f'c.at("{arr.name}", {kpy})'
        if choice == "map_key":
            m = self.pick(maps)
            (krp, kpy), kv = self.pick(self.refs_of(("enum",), me))
            m_rp, _ = self.coll(m, sysname)
            self.features.add("map_state_key")
            if not set(kv.names) <= set(m.names) or self.d(st.booleans()):
                c = self.int_const(*near)
                return f"{m_rp}.get({krp}, {c})", f'c.get("{m.name}", {kpy}, {c})'
            return f"{m_rp}[{krp}]", f'c.at("{m.name}", {kpy})'
        if choice == "div":
            (drp, dpy), _ = self.pick(refs)
            if self.d(st.booleans()):
                op = self.pick(["+", "-"])
                drp, dpy = f"({drp} {op} 1)", f"({dpy} {op} 1)"
            self.pending.append((f"({drp} != 0)", f"({dpy} != 0)"))
            if self.d(st.booleans()):
                (nrp, npy), _ = self.pick(refs)
            else:
                nrp = npy = self.int_const(*near)
            op = self.pick(["//", "%"])
            self.features.add("division")
            fn = "div" if op == "//" else "mod"
            return f"({nrp} {op} {drp})", f"c.{fn}({npy}, {dpy})"
        if choice == "const":
            c = str(self.d(st.integers(*near))) if self.d(st.integers(0, 3)) else self.int_const(*near)
            return c, c
        if choice == "arg":
            a = self.pick(list(args))
            return a, a
        if choice == "array":
            arr = self.pick(arrays)
            i = self.d(st.integers(0, arr.size - 1))
            a_rp, a_py = self.coll(arr, sysname)
            return f"{a_rp}[{i}]", f"{a_py}[{i}]"
        if choice == "map":
            m = self.pick(maps)
            key = self.pick(list(m.names))
            a_rp, a_py = self.coll(m, sysname)
            return f"{a_rp}[{key!r}]", f"{a_py}[{key!r}]"
        if choice == "ite":
            c = self.bool_expr(me, depth + 1, sysname)
            a = self.int_expr(me, depth + 1, sysname, args, near)
            b = self.int_expr(me, depth + 1, sysname, args, near)
            return f"ite({c[0]}, {a[0]}, {b[0]})", f"ite({c[1]}, {a[1]}, {b[1]})"
        (rp, py), _ = self.pick(refs)
        return {"ref": (rp, py), "succ": (f"{rp} + 1", f"{py} + 1"), "pred": (f"{rp} - 1", f"{py} - 1")}[choice]

    def enum_expr(self, me: CompInfo | None, depth: int = 0, sysname: str = "sys") -> PX:
        refs = self.refs_of(("enum",), me, sysname)
        choice = self.pick(["const"] + (["ref", "ref"] if refs else []) + (["ite"] if depth < 1 else []))
        if choice == "const":
            c = repr(self.pick(self.enum_names))
            return c, c
        if choice == "ref":
            return self.pick(refs)[0]
        c = self.bool_expr(me, depth + 1, sysname)
        a, b = self.enum_expr(me, depth + 1, sysname), self.enum_expr(me, depth + 1, sysname)
        return f"ite({c[0]}, {a[0]}, {b[0]})", f"ite({c[1]}, {a[1]}, {b[1]})"

    def state_int_expr(self, me: CompInfo | None, sysname: str) -> PX | None:
        """An int expression that reads state (so Python never folds a comparison to a bool)."""
        refs = self.small_ints(me, sysname)
        arrays = self.collections("array", "map")
        options = (["ref", "succ", "pred"] if refs else []) + (["coll"] if arrays else [])
        if not options:
            return None
        choice = self.pick(options)
        if choice == "coll":
            arr = self.pick(arrays)
            key = repr(self.pick(list(arr.names))) if arr.kind == "map" else str(self.d(st.integers(0, arr.size - 1)))
            a_rp, a_py = self.coll(arr, sysname)
            return f"{a_rp}[{key}]", f"{a_py}[{key}]"
        (rp, py), _ = self.pick(refs)
        return {"ref": (rp, py), "succ": (f"{rp} + 1", f"{py} + 1"), "pred": (f"{rp} - 1", f"{py} - 1")}[choice]

    def atom(self, me: CompInfo | None, sysname: str = "sys") -> PX:
        """A boolean condition that reads state."""
        options = []
        if self.small_ints(me, sysname) or self.collections("array", "map"):
            options += ["int_cmp", "int_cmp"]
        if self.refs_of(("bool",), me, sysname):
            options.append("bool")
        if self.refs_of(("enum",), me, sysname):
            options.append("enum_cmp")
        if self.collections("set"):
            options.append("set")
        if self.collections("uset"):
            options.append("uset")
        if self.refs_of(("big",), me, sysname):
            options.append("big")
        if any(c.replicated for c in self.comps):
            options.append("aggregate")
        choice = self.pick(options)
        if choice == "int_cmp":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            a = self.state_int_expr(me, sysname)
            assert a is not None
            if self.d(st.booleans()):
                b = self.int_const(0, 2)
                b = (b, b)
            else:
                b = self.int_expr(me, 1, sysname)
            return f"({a[0]} {op} {b[0]})", f"({a[1]} {op} {b[1]})"
        if choice == "enum_cmp":
            op = self.pick(["==", "!="])
            a = self.pick(self.refs_of(("enum",), me, sysname))[0]
            b = self.enum_expr(me, 1, sysname)
            return f"({a[0]} {op} {b[0]})", f"({a[1]} {op} {b[1]})"
        if choice in ("set", "uset"):
            v = self.pick(self.collections(choice))
            s_rp, s_py = self.coll(v, sysname)
            if choice == "set" and self.d(st.booleans()):
                return f"{s_rp}.is_empty()", f"(len({s_py}) == 0)"
            if self.d(st.booleans()) and self.small_ints(me, sysname):
                x = self.pick(self.small_ints(me, sysname))[0]
            else:
                c = self.int_const(0 if v.lo is None else v.lo, 2 if v.hi is None else v.hi)
                x = (c, c)
            return f"{s_rp}.contains({x[0]})", f"({x[1]} in {s_py})"
        if choice == "big":
            (a_rp, a_py), _ = self.pick(self.refs_of(("big",), me, sysname))
            (b_rp, b_py), _ = self.pick(self.refs_of(("big",), me, sysname))
            op = self.pick([">", "<=", "=="])
            limit = self.pick(["10**19", "2**63", "10**20", "12 * 10**18"])
            self.features.add("big_product")
            return f"({a_rp} * {b_rp} {op} {limit})", f"({a_py} * {b_py} {op} {limit})"
        if choice == "aggregate":
            comp = self.pick([c for c in self.comps if c.replicated])
            var = self.pick(comp.vars)
            t_rp, t_py = self.local_test(var, "r")
            fold = self.pick(["any_of", "all_of"])
            names = tuple(comp.instances)
            return f"{fold}({t_rp} for r in {sysname}.{comp.attr})", f"{fold[:3]}([{t_py} for r in {names!r}])"
        (rp, py), _ = self.pick(self.refs_of(("bool",), me, sysname))
        return self.pick([(rp, py), (f"~{rp}", f"(not {py})")])

    def local_test(self, var: VarInfo, who: str, s: str = "s") -> PX:
        """A test of one replica's variable (``who`` is the loop variable)."""
        rp, py = f"{who}.{var.name}", f'{s}[{who} + ".{var.name}"]'
        if var.kind == "bool":
            return self.pick([(rp, py), (f"~{rp}", f"(not {py})")])
        if var.kind == "enum":
            n = self.pick(list(var.names))
            return f"({rp} == {n!r})", f"({py} == {n!r})"
        op = self.pick(["==", "!=", "<=", ">="])
        if var.kind == "big":
            c = str(self.pick(BIG_INITS))
        else:
            c = self.int_const(0 if var.lo is None else var.lo, 2 if var.hi is None else var.hi)
        return f"({rp} {op} {c})", f"({py} {op} {c})"

    def bool_expr(self, me: CompInfo | None, depth: int = 0, sysname: str = "sys") -> PX:
        choice = self.pick(["atom", "atom", "atom", "and", "or", "not"] if depth < 2 else ["atom"])
        if choice == "atom":
            return self.atom(me, sysname)
        if choice == "not":
            rp, py = self.bool_expr(me, depth + 1, sysname)
            return f"~{rp}", f"(not {py})"
        a, b = self.bool_expr(me, depth + 1, sysname), self.bool_expr(me, depth + 1, sysname)
        if choice == "and":
            return f"({a[0]} & {b[0]})", f"land({a[1]}, {b[1]})"
        return f"({a[0]} | {b[0]})", f"lor({a[1]}, {b[1]})"

    # -- statements
    def guard_int(self, w: Pair, value: PX, lo: int | None, hi: int | None) -> PX:
        """Keep ``value`` within lo..hi: a `require`, a clamp, or (unguarded models) nothing."""
        if lo is None and hi is None:
            return value
        how = self.pick(["require", "require", "clamp"] + (["none", "none"] if self.unguarded else []))
        rp, py = value
        if how == "require":
            parts = [(f"({rp} >= {lo})", f"({py} >= {lo})")] if lo is not None else []
            parts += [(f"({rp} <= {hi})", f"({py} <= {hi})")] if hi is not None else []
            w.line(f"require({' & '.join(p[0] for p in parts)})", f"c.req(land({', '.join(p[1] for p in parts)}))")
        elif how == "clamp":
            if hi is not None:
                rp, py = f"ite({rp} > {hi}, {hi}, {rp})", f"ite({py} > {hi}, {hi}, {py})"
            if lo is not None:
                rp, py = f"ite({rp} < {lo}, {lo}, {rp})", f"ite({py} < {lo}, {lo}, {py})"
        return rp, py

    def targets(self, me: CompInfo) -> list[tuple[PX, str, VarInfo]]:
        """(read expression, plain key expression, var) of what an action of ``me`` may assign."""
        if me.store:
            out = [((f"self.{v.name}", f's["{v.name}"]'), f'"{v.name}"', v) for v in me.vars]
        else:
            out = [((f"self.{v.name}", f's[me + ".{v.name}"]'), f'me + ".{v.name}"', v) for v in me.vars]
        out += [((f"sys.{v.name}", f's["{v.name}"]'), f'"{v.name}"', v) for c in self.comps if c.store and c is not me
                for v in c.vars]
        return out

    def assignment(self, w: Pair, me: CompInfo, args: tuple[str, ...]) -> None:
        (t_rp, t_py), key, var = self.pick(self.targets(me))
        k = var.kind
        if k == "bool":
            how = self.pick(["flip", "const", "expr"])
            if how == "flip":
                value = (f"~{t_rp}", f"(not {t_py})")
            elif how == "const":
                b = str(self.d(st.booleans()))
                value = (b, b)
            else:
                value = self.bool_expr(me, 1)
            w.line(f"{t_rp} = {value[0]}", f"c.w({key}, {value[1]})")
        elif k in ("int", "uint"):
            if self.d(st.booleans()):  # a counter: the likeliest way to make progress
                op = self.pick(["+", "-"] if k == "int" else ["+", "+", "-"])
                value = (f"{t_rp} {op} 1", f"{t_py} {op} 1")
            else:
                value = self.int_expr(me, 0, "sys", args, (var.lo or 0, var.hi if var.hi is not None else 2))
            if k == "uint":  # unbounded: a guard keeps the reachable values finite
                w.line(f"require({value[0]} <= 3)", f"c.req({value[1]} <= 3)")
                if var.lo is None:
                    w.line(f"require({value[0]} >= -2)", f"c.req({value[1]} >= -2)")
            value = self.guard_int(w, value, var.lo, var.hi)
            w.line(f"{t_rp} = {value[0]}", f"c.w({key}, {value[1]})")
        elif k == "big":
            how = self.pick(["mul", "mul", "reset", "copy"])
            if how == "mul":
                f = self.pick(["4_000_000_000", "1_000_000", t_rp])
                fpy = t_py if f == t_rp else f
                limit = self.pick([str(BIG_LIMIT), "10**30", "2**64"])
                w.line(f"require({t_rp} < {limit})", f"c.req({t_py} < {limit})")
                w.line(f"{t_rp} = {t_rp} * {f}", f"c.w({key}, {t_py} * {fpy})")
            elif how == "reset":
                c = str(self.pick(BIG_INITS))
                w.line(f"{t_rp} = {c}", f"c.w({key}, {c})")
            else:
                others = self.refs_of(("big",), me)
                (o_rp, o_py), _ = self.pick(others)
                w.line(f"{t_rp} = ite({o_rp} > {t_rp}, {o_rp}, {t_rp})",
                       f"c.w({key}, ite({o_py} > {t_py}, {o_py}, {t_py}))")
            self.features.add("big_product")
        elif k == "enum":
            if self.d(st.booleans()):
                lit = repr(self.pick(list(var.names)))
                value = (lit, lit)
            else:
                value = self.enum_expr(me)
                if value[0].startswith("'") and value[0].strip("'") not in var.names:
                    # a literal outside the variable's names is a static type error
                    value = (repr(var.names[0]), repr(var.names[0]))
            if not self.unguarded or self.d(st.booleans()):
                names = ", ".join(repr(n) for n in var.names)
                w.line(f"require(any_of({value[0]} == n for n in ({names},)))", f"c.req({value[1]} in ({names},))")
            w.line(f"{t_rp} = {value[0]}", f"c.w({key}, {value[1]})")
        elif k in ("array", "map"):
            value = self.guard_int(w, self.int_expr(me, 0, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            if k == "map":
                refs = [r for r in self.refs_of(("enum",), me) if set(r[1].names) <= set(var.names)]
                if refs and self.d(st.booleans()):
                    (i_rp, i_py), _ = self.pick(refs)
                    self.features.add("map_state_key")
                else:
                    i_rp = i_py = repr(self.pick(list(var.names)))
            else:
                i_rp, i_py = self.array_index(w, me, var)
            w.line(f"{t_rp}[{i_rp}] = {value[0]}", f"c.wa({key}, {i_py}, {value[1]})")
        elif k == "set":
            op = self.pick(["add", "add", "discard", "discard_if"])
            if op == "discard_if":
                bound = self.int_expr(me, 1, "sys", args, (var.lo, var.hi))
                cmp = self.pick(["<", ">=", "=="])
                w.line(f"{t_rp}.discard_if(lambda e: e {cmp} {bound[0]})",
                       f"c.discard_if({key}, lambda e: e {cmp} {bound[1]})")
                self.features.add("discard_if")
                return
            value = self.guard_int(w, self.int_expr(me, 1, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            w.line(f"{t_rp}.{op}({value[0]})", f"c.{op}({key}, {value[1]})")
        else:  # an unbounded set
            self.uset_update(w, me, t_rp, t_py, key, args)

    def uset_update(self, w: Pair, me: CompInfo, t_rp: str, t_py: str, key: str, args: tuple[str, ...]) -> None:
        how = self.pick(["grow", "grow", "trim", "trim", "add", "discard"])
        if how == "grow":  # add one above a counter: the interval encoding's shape
            counters = self.refs_of(("uint", "int"), me)
            if counters:
                (c_rp, c_py), _ = self.pick(counters)
                w.line(f"require({c_rp} + 1 <= 3)", f"c.req({c_py} + 1 <= 3)")
                w.line(f"{t_rp}.add({c_rp} + 1)", f"c.add({key}, {c_py} + 1)")
                return
            how = "add"
        if how == "trim":  # bulk delete from the bottom (or of one value)
            bound = self.int_expr(me, 1, "sys", args, (0, 2))
            op = self.pick(["<", "<=", "=="])
            w.line(f"{t_rp}.discard_if(lambda e: e {op} {bound[0]})",
                   f"c.discard_if({key}, lambda e: e {op} {bound[1]})")
            self.features.add("discard_if")
            return
        value = self.int_expr(me, 1, "sys", args, (0, 2))
        w.line(f"require(({value[0]} >= -1) & ({value[0]} <= 3))", f"c.req(-1 <= {value[1]} <= 3)")
        w.line(f"{t_rp}.{how}({value[0]})", f"c.{how}({key}, {value[1]})")

    def array_index(self, w: Pair, me: CompInfo, arr: VarInfo) -> PX:
        """A constant index, or a state value kept within the array's keys."""
        refs = self.small_ints(me)
        if not refs or self.d(st.booleans()):
            i = str(self.d(st.integers(0, arr.size - 1)))
            return i, i
        self.features.add("state_key")
        return self.guard_int(w, self.pick(refs)[0], 0, arr.size - 1)

    def scan(self, w: Pair, me: CompInfo) -> None:
        """Serve the first replica (in iteration order) that passes a test: not symmetric."""
        comp = self.pick([c for c in self.comps if c.replicated])
        var = self.pick(comp.vars)
        if not var.scalar:
            return
        test = self.local_test(var, "r")
        names = tuple(comp.instances)
        w.line("earlier = []", "earlier = []")
        w.line(f"for r in sys.{comp.attr}:", f"for r in {names!r}:")
        w.push()
        w.line(f"hit = {test[0]}", f"hit = {test[1]}")
        w.line("with when(all_of([hit] + [~e for e in earlier])):",
               "with c.when(land(hit, *[not e for e in earlier])):")
        w.push()
        if var.kind == "bool":
            w.line(f"r.{var.name} = ~r.{var.name}", f'c.w(r + ".{var.name}", not s[r + ".{var.name}"])')
        elif var.kind == "enum":
            n = repr(self.pick(list(var.names)))
            w.line(f"r.{var.name} = {n}", f'c.w(r + ".{var.name}", {n})')
        elif var.kind == "big":
            c = str(self.pick(BIG_INITS))
            w.line(f"r.{var.name} = {c}", f'c.w(r + ".{var.name}", {c})')
        else:
            c = str(self.d(st.integers(var.lo or 0, var.hi if var.hi is not None else 2)))
            w.line(f"r.{var.name} = {c}", f'c.w(r + ".{var.name}", {c})')
        w.pop()
        w.line("earlier.append(hit)", "earlier.append(hit)")
        w.pop()
        self.features.add("first_match_scan")

    def statements(self, w: Pair, me: CompInfo, args: tuple[str, ...], depth: int = 0) -> None:
        for _ in range(self.d(st.integers(1, 2))):
            kinds = ["assign", "assign", "assign", "require"] + (["when"] if depth < 2 else [])
            if any(c.replicated for c in self.comps) and depth == 0 and self.d(st.integers(0, 3)) == 0:
                kinds.append("scan")  # rarely: it makes the replicas asymmetric
            if me.replicated and depth == 0 and self.d(st.integers(0, 4)) == 0:
                kinds.append("name")
            choice = self.pick(kinds)
            self.pending = []
            sub = Pair()
            sub.rp.indent, sub.py.indent = w.rp.indent, w.py.indent
            if choice == "require":
                cond = self.bool_expr(me)
                if self.pending and self.d(st.booleans()):
                    # the guard and the read in one condition: `&` evaluates both sides
                    cond = (" & ".join([p[0] for p in self.pending] + [cond[0]]),
                            f"land({', '.join([p[1] for p in self.pending] + [cond[1]])})")
                    self.pending = []
                sub.line(f"require({cond[0]})", f"c.req({cond[1]})")
            elif choice == "assign":
                self.assignment(sub, me, args)
            elif choice == "scan":
                self.scan(sub, me)
            else:
                if choice == "name":
                    who = self.pick(me.instances)
                    cond = (f"(self.name == {who!r})", f"(me == {who!r})")
                    self.features.add("name")
                else:
                    cond = self.bool_expr(me)
                    if depth:
                        self.features.add("nested_when")
                sub.line(f"with when({cond[0]}):", f"with c.when({cond[1]}):")
                guards, self.pending = self.pending, []
                sub.push()
                self.statements(sub, me, args, depth + 1)
                sub.pop()
                self.pending = guards
            self.place_guards(w, sub)

    def place_guards(self, w: Pair, sub: Pair) -> None:
        """``sub`` with `require`s for its pending reads: before it, after it, or (unguarded
        models) not at all."""
        where = "before"
        if self.pending:
            where = self.pick(["before", "after"] + (["none"] if self.unguarded else []))
        guards = [(f"require({g[0]})", f"c.req({g[1]})") for g in self.pending] if where != "none" else []
        self.pending = []
        body = list(zip(sub.rp.lines, sub.py.lines, strict=True))
        rp_ind, py_ind = "    " * w.rp.indent, "    " * w.py.indent
        body = [(a[len(rp_ind):], b[len(py_ind):]) for a, b in body]
        for rp, py in (guards if where == "before" else []) + body + (guards if where == "after" else []):
            w.line(rp, py)


# ---------------------------------------------------------------------------- properties
def init_atom(gen: Gen, truth: bool) -> PX:
    """A property atom whose value in the initial state is ``truth``."""
    var = gen.pick([v for c in gen.comps for v in c.vars])
    comp = var.comp
    if comp.replicated:
        how = gen.pick(["all_of", "any_of"])
        t = _init_test(gen, var, "r", truth, f'[r + ".{var.name}"]', "s")
        names = tuple(comp.instances)
        return f"{how}({t[0]} for r in sys.{comp.attr})", f"{how[:3]}([{t[1]} for r in {names!r}])"
    if comp.store:
        return _init_test(gen, var, "sys", truth, f'["{var.name}"]', "s", f"sys.{var.name}")
    return _init_test(gen, var, "sys", truth, f'["{comp.attr}.{var.name}"]', "s", f"sys.{comp.attr}.{var.name}")


def _init_test(gen: Gen, var: VarInfo, who: str, truth: bool, key: str, s: str, ref: str | None = None) -> PX:
    ref = ref or f"{who}.{var.name}"
    py = f"{s}{key}"
    d = gen.d
    if var.kind == "bool":
        return (ref, py) if var.init == truth else (f"~{ref}", f"(not {py})")
    if var.kind == "enum":
        others = [n for n in var.names if n != var.init]
        if d(st.booleans()) or not others:
            op = "==" if truth else "!="
            return f"({ref} {op} {var.init!r})", f"({py} {op} {var.init!r})"
        op, n = ("!=" if truth else "=="), gen.pick(others)
        return f"({ref} {op} {n!r})", f"({py} {op} {n!r})"
    if var.kind in ("set", "uset"):
        c = d(st.integers(0 if var.lo is None else var.lo, 2 if var.hi is None else var.hi))
        init = set(var.init)
        if (c in init) == truth:
            return f"{ref}.contains({c})", f"({c} in {py})"
        return f"~{ref}.contains({c})", f"({c} not in {py})"
    if var.kind == "array":
        k = d(st.integers(0, var.size - 1))
        ref, py = f"{ref}[{k}]", f"{py}[{k}]"
        value = var.init if var.size_param else var.init[k]
    elif var.kind == "map":
        k = gen.pick(list(var.names))
        ref, py = f"{ref}[{k!r}]", f"{py}[{k!r}]"
        value = var.init[k]
    else:
        value = var.init
    lo = value - 2 if var.lo is None or var.kind == "big" else var.lo
    hi = value + 2 if var.hi is None else var.hi
    op = gen.pick(["<=", ">=", "!=", "=="])
    if op == "<=":
        c = d(st.integers(value, hi)) if truth else (value - 1)
    elif op == ">=":
        c = d(st.integers(lo, value)) if truth else (value + 1)
    elif op == "==":
        c = value if truth else gen.pick([x for x in range(lo, hi + 1) if x != value] or [value + 1])
    else:
        c = gen.pick([x for x in range(lo, hi + 1) if x != value] or [value + 1]) if truth else value
    return f"({ref} {op} {c})", f"({py} {op} {c})"


def asymmetric_atom(gen: Gen, comp: CompInfo) -> tuple[list[PX], PX, str]:
    """A property atom that tells ``comp``'s replicas apart: (setup lines, atom, form)."""
    var = gen.pick(comp.vars)
    names = tuple(comp.instances)
    form = gen.pick(["index", "list_index", "unpack", "zip", "enumerate", "name"])
    if form == "enumerate" and not var.intlike:
        form = "index"
    if form in ("index", "list_index", "unpack"):
        i = gen.pick([0, len(names) - 1])
        one = gen.local_test(var, "one")
        py = one[1].replace('one + "', f'"{names[i]}')
        if form == "index":
            setup = [(f"one = sys.{comp.attr}[{i}]", "")]
        elif form == "list_index":
            setup = [(f"one = list(sys.{comp.attr})[{i}]", "")]
        else:
            last = "first" if i == 0 else "[first, *rest][-1]"
            setup = [(f"first, *rest = sys.{comp.attr}", ""), (f"one = {last}", "")]
        return setup, (one[0], py), form
    if form == "zip":
        t = gen.local_test(var, "r")
        bound = list(range(len(names)))[::-1]
        return ([], (f"all_of(implies(k == 0, {t[0]}) for r, k in zip(sys.{comp.attr}, {bound}))",
                     f"all([implies(k == 0, {t[1]}) for r, k in zip({names!r}, {bound})])"), form)
    if form == "enumerate":
        op = gen.pick(["==", "!=", ">="])
        return ([], (f"all_of(r.{var.name} {op} k for k, r in enumerate(sys.{comp.attr}))",
                     f'all([s[r + ".{var.name}"] {op} k for k, r in enumerate({names!r})])'), form)
    who = gen.pick(list(names))
    t = gen.local_test(var, "r")
    return ([], (f"all_of({t[0]} for r in sys.{comp.attr} if r.name != {who!r})",
                 f"all([{t[1]} for r in {names!r} if r != {who!r}])"), form)


def _step_formula(gen: Gen) -> PX:
    """An action invariant: how one variable (or every replica's) may change in one step."""
    var = gen.pick([v for c in gen.comps for v in c.vars])
    comp = var.comp
    d = gen.d

    def change(old: PX, new: PX) -> PX:
        (o, po), (n, pn) = old, new
        if var.kind in ("int", "uint", "big"):
            op = gen.pick(["<=", ">=", "!=", "=="])
            if d(st.booleans()) or var.kind == "big":
                return f"({n} {op} {o})", f"({pn} {op} {po})"
            c = gen.int_const(var.lo or 0, var.hi if var.hi is not None else 2)
            return f"implies({o} == {c}, {n} {op} {c})", f"implies({po} == {c}, {pn} {op} {c})"
        if var.kind == "bool":
            return gen.pick([(f"implies({o}, {n})", f"implies({po}, {pn})"),
                             (f"implies(~{o}, ~{n})", f"implies(not {po}, not {pn})"),
                             (f"({n} == {o})", f"({pn} == {po})")])
        if var.kind == "enum":
            a, b = gen.pick(list(var.names)), gen.pick(list(var.names))
            return f"implies({o} == {a!r}, {n} != {b!r})", f"implies({po} == {a!r}, {pn} != {b!r})"
        if var.kind == "array":
            i = d(st.integers(0, var.size - 1))
            return f"({n}[{i}] >= {o}[{i}])", f"({pn}[{i}] >= {po}[{i}])"
        if var.kind == "map":
            k = gen.pick(list(var.names))
            return f"({n}[{k!r}] >= {o}[{k!r}])", f"({pn}[{k!r}] >= {po}[{k!r}])"
        c = gen.int_const(var.lo or 0, var.hi if var.hi is not None else 2)
        return f"implies({o}.contains({c}), {n}.contains({c}))", f"implies({c} in {po}, {c} in {pn})"

    if comp.store:
        return change((f"old.{var.name}", f'o["{var.name}"]'), (f"new.{var.name}", f'n["{var.name}"]'))
    if not comp.replicated:
        key = f'["{comp.attr}.{var.name}"]'
        return change((f"old.{comp.attr}.{var.name}", f"o{key}"), (f"new.{comp.attr}.{var.name}", f"n{key}"))
    c_rp, c_py = change((f"a.{var.name}", f'o[r + ".{var.name}"]'), (f"b.{var.name}", f'n[r + ".{var.name}"]'))
    names = tuple(comp.instances)
    return (f"all_of({c_rp} for a, b in zip(old.{comp.attr}, new.{comp.attr}))",
            f"all([{c_py} for r in {names!r}])")


# ---------------------------------------------------------------------------- the model
FEATURES = (
    "int", "uint", "big", "big_product", "bool", "enum", "array", "param_array", "map", "map_state_key", "set",
    "uset", "discard_if", "state_key", "division", "nested_when", "first_match_scan", "name", "param_count",
    "fair", "recoverable", "eventually", "asym_index", "asym_list_index", "asym_unpack", "asym_zip",
    "asym_enumerate", "asym_name", "list_fold", "unguarded",
)


@st.composite
def models(draw: Any, *, unguarded: bool | None = None) -> RandomModel:
    """A random model; ``unguarded`` (drawn when None) lets some writes leave their range."""
    if unguarded is None:
        unguarded = draw(st.integers(0, 3)) == 0
    features: set[str] = {"unguarded"} if unguarded else set()
    comps = [draw(_component(i, features)) for i in range(draw(st.sampled_from([2, 2, 3, 1])))]
    gen = Gen(draw, comps, unguarded, features)
    w = Writer()
    w.line("from checker import (")
    w.line("    Array, Bool, Enum, Int, Map, Model, Param, Process, Set, Store, action, action_invariant, all_of,")
    w.line("    any_of, eventually, implies, invariant, ite, reachable, recoverable, require, when,")
    w.line(")")
    p = Writer()  # the plain model
    transitions: list[str] = []
    counter = itertools.count()
    for comp in comps:
        w.line()
        w.line()
        w.line(f"class {comp.attr.capitalize()}({'Store' if comp.store else 'Process'}):")
        w.indent += 1
        for v in comp.vars:
            w.line(f"{v.name} = {_decl(v)}")
        for _ in range(draw(st.integers(0 if comp.store else 1, 4))):
            w.line()
            nargs = draw(st.sampled_from([0, 0, 0, 2]))
            fair = draw(st.integers(0, 3)) == 0
            if fair:
                features.add("fair")
            opts = ([f"k={nargs}"] if nargs else []) + (["fair=True"] if fair else [])
            w.line(f"@action({', '.join(opts)})" if opts else "@action")
            name = f"act{next(counter)}"
            w.line(f"def {name}(self, sys{', k' if nargs else ''}):")
            pair = Pair()
            pair.rp.indent = w.indent + 1
            pair.py.indent = 1
            gen.statements(pair, comp, ("k",) if nargs else ())
            w.lines += pair.rp.lines
            p.line(f"def a_{comp.attr}_{name}(c, me{', k' if nargs else ''}):")
            p.line("    s = c.s")
            p.lines += pair.py.lines
            p.line()
            for inst in comp.instances:
                for k in range(nargs) if nargs else [None]:
                    args = {"k": k} if nargs else {}
                    transitions.append(f"({inst!r}, {name!r}, {args!r}, {fair}, a_{comp.attr}_{name})")
        w.indent -= 1

    class_name = "Random"
    w.line()
    w.line()
    w.line(f"class {class_name}(Model):")
    w.indent += 1
    for comp in comps:
        if comp.count_param:
            w.line(f"{PARAM_PREFIX}{comp.attr} = Param({comp.count}, min=1)")
        for v in comp.vars:
            if v.size_param:
                w.line(f"{PARAM_PREFIX}{v.name} = Param({v.size}, min=1)")
    for comp in comps:
        if comp.replicated:
            count = f'"{PARAM_PREFIX}{comp.attr}"' if comp.count_param else str(comp.count)
            w.line(f"{comp.attr} = {comp.attr.capitalize()}(count={count})")
        else:
            w.line(f"{comp.attr} = {comp.attr.capitalize()}()")
    props: dict[str, str] = {}

    def prop(kind: str, args: str, body: PX, setup: list[PX] = ()) -> None:
        name = f"{kind}{len(props)}"
        props[name] = kind
        w.line()
        w.line(f"@{kind}")
        w.line(f"def {name}({args}):")
        for line, _ in setup:
            w.line(f"    {line}")
        w.line(f"    return {body[0]}")
        p.line(f"def q_{name}(c, {'o, n' if kind == 'action_invariant' else 's'}):")
        p.line(f"    return {body[1]}")
        p.line()

    # Always true: with it, a model error anywhere reachable must stop every engine.
    prop("invariant", "sys", ("True", "True"))
    replicated = [c for c in comps if c.replicated and c.count >= 2]
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["true", "true", "implies", "or", "and", "random"]))
        if shape == "true":
            body = init_atom(gen, True)
        elif shape == "implies":
            a, b = gen.bool_expr(None, 1), init_atom(gen, True)
            body = f"implies({a[0]}, {b[0]})", f"implies({a[1]}, {b[1]})"
        elif shape in ("or", "and"):
            a, b = init_atom(gen, True), init_atom(gen, shape == "and")
            op, fold = ("&", "land") if shape == "and" else ("|", "lor")
            if draw(st.booleans()):  # a fold over a list: its failing part is not always the first
                a, b = (b, a) if draw(st.booleans()) else (a, b)
                name = "all_of" if shape == "and" else "any_of"
                body = f"{name}([{a[0]}, {b[0]}])", f"{fold}({a[1]}, {b[1]})"
                features.add("list_fold")
            else:
                body = f"({a[0]} {op} {b[0]})", f"{fold}({a[1]}, {b[1]})"
        else:  # anything: often violated in the initial state
            body = gen.bool_expr(None)
        prop("invariant", "sys", body)
    if replicated and draw(st.integers(0, 2)) == 0:  # a property that tells replicas apart
        setup, atom, form = asymmetric_atom(gen, draw(st.sampled_from(replicated)))
        features.add(f"asym_{form}")
        kind = draw(st.sampled_from(["invariant", "reachable"]))
        prop(kind, "sys", atom, setup)
    for _ in range(draw(st.integers(0, 2))):
        prop("action_invariant", "old, new", _step_formula(gen))
    for _ in range(draw(st.integers(0, 2))):
        atoms = [init_atom(gen, False)] + [init_atom(gen, draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))]
        both = (f"all_of({', '.join(a[0] for a in atoms)})", f"land({', '.join(a[1] for a in atoms)})")
        prop("reachable", "sys", both)
    if draw(st.integers(0, 2)) == 0:
        kind = draw(st.sampled_from(["recoverable", "eventually"]))
        features.add(kind)
        prop(kind, "sys", gen.bool_expr(None, 1) if draw(st.booleans()) else init_atom(gen, False))
    w.indent -= 1

    init = {}
    specs = {}
    local: dict[str, list[str]] = {}
    for comp in comps:
        for inst in comp.instances:
            for v in comp.vars:
                key = v.name if comp.store else f"{inst}.{v.name}"
                init[key], specs[key] = _plain_init(v), spec_of(v)
                local.setdefault(inst, []).append(key)
    p.line(f"INIT = {init!r}")
    p.line(f"SPECS = {specs!r}")
    p.line(f"REPLICAS = {({c.attr: c.instances for c in comps if c.replicated})!r}")
    p.line(f"LOCAL = {({k: v for k, v in local.items() if any(k in c.instances for c in comps if c.replicated)})!r}")
    p.line(f"TRANSITIONS = [{', '.join(transitions)}]")
    p.line(f"PROPERTIES = {{{', '.join(f'{n!r}: ({k!r}, q_{n})' for n, k in props.items())}}}")
    return RandomModel(w.text(), p.text(), class_name, props, unguarded, features)


# ---------------------------------------------------------------------------- the session's seed
_SEED: list[int] = []


def crosscheck_seed() -> int:
    """The fresh runs' seed: ``RACEPROOF_CROSSCHECK_SEED`` if set, else random, once per session."""
    if not _SEED:
        given = os.environ.get("RACEPROOF_CROSSCHECK_SEED", "").strip()
        _SEED.append(int(given) if given else random.SystemRandom().randrange(2**32))
    return _SEED[0]
