"""Random small models for cross-checking the engines (tests/test_crosscheck.py).

`models()` is a hypothesis strategy of `RandomModel`s: the Python source of a model class,
written with the public model API exactly as an author would write it, plus what the tests
need to know about it (its properties, and whether its writes are all guarded). Generating
source, rather than building classes from closures, keeps a failing example readable: the
shrunk model is printed as code that can be pasted into a regression test.

The generator picks a few components (processes, some replicated 1-3 times, with the count
sometimes a parameter; stores), bounded Int / Bool / Enum variables, store arrays and finite
sets, and actions made of guards (`require`), assignments (constants, +/-1, copies from other
components, `ite`), conditional blocks (`when`) and set updates. Actions of processes read
and write stores, so interleavings race. Properties: invariants, action invariants and
reachables over any of that, including aggregates over replicas and (rarely) a property that
singles one replica out (which turns symmetry reduction off for that component).

Writes are guarded so that they stay within their declared types (by a `require` on the
value just before the write, or by clamping it), except with ``unguarded`` models, where
some guards are left out: their out-of-range writes are model errors, which every engine
must report alike.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from checker import Model

ENUM_POOL = ("a", "b", "c")
PARAM_COUNT_PREFIX = "n_"


# ---------------------------------------------------------------------------- what a model holds
@dataclass
class VarInfo:
    """A state variable, as model code can reach it."""

    name: str  # attribute name on its component
    kind: str  # "int" | "bool" | "enum" | "array" | "set"
    comp: CompInfo
    lo: int = 0  # ints and array/set elements
    hi: int = 1
    names: tuple[str, ...] = ()  # enums
    size: int = 0  # arrays
    init: Any = None  # the initial value (a list for arrays, a sorted list for sets)


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


@dataclass
class RandomModel:
    source: str
    class_name: str
    #: property name -> kind
    properties: dict[str, str]
    #: some writes may leave their declared range (a model error if reachable)
    unguarded: bool

    def build_class(self) -> type[Model]:
        namespace: dict[str, Any] = {}
        exec(compile(self.source, f"<random model {self.class_name}>", "exec"), namespace)  # noqa: S102
        return namespace[self.class_name]

    def __repr__(self) -> str:  # hypothesis prints the falsifying example with this
        return f"RandomModel(unguarded={self.unguarded}):\n{self.source}"


# ---------------------------------------------------------------------------- source writer
class Writer:
    """Accumulates source lines at an indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.indent = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.indent + text) if text else "")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# ---------------------------------------------------------------------------- strategies
@st.composite
def _component(draw: Any, index: int) -> CompInfo:
    store = draw(st.booleans()) if index > 0 else False  # the first one is a process: someone acts
    attr = f"st{index}" if store else f"p{index}"
    count = None if store else draw(st.sampled_from([None, 1, 2, 2, 3]))
    comp = CompInfo(attr, store, count, count_param=count is not None and draw(st.booleans()))
    for j in range(draw(st.integers(1, 2))):
        # store variables carry their own (global) names: prefix them with the store's
        name = f"{attr}_v{j}" if store else f"v{j}"
        kinds = ["int", "int", "bool", "enum"] + (["array", "set"] if store else [])
        kind = draw(st.sampled_from(kinds))
        var = VarInfo(name, kind, comp)
        if kind in ("int", "array", "set"):
            var.lo = draw(st.sampled_from([0, 0, -1]))
            var.hi = var.lo + draw(st.integers(1, 3 if kind == "int" else 2))
        if kind == "array":
            var.size = 2
        if kind == "enum":
            var.names = tuple(draw(st.sampled_from([ENUM_POOL[:2], ENUM_POOL, ("b", "c"), ("a", "c")])))
        var.init = _initial(var, draw)
        comp.vars.append(var)
    return comp


class Gen:
    """Draws expressions and statements for one model, given its components."""

    def __init__(self, draw: Any, comps: list[CompInfo], unguarded: bool):
        self.draw = draw
        self.comps = comps
        self.unguarded = unguarded
        self.enum_names = sorted({n for c in comps for v in c.vars for n in v.names})
        #: conditions that keep the reads of the statement being drawn defined (an array key
        #: within its keys, a divisor not 0): `statements` turns them into `require`s
        self.pending: list[str] = []

    # -- where values come from
    def scalar_refs(self, me: CompInfo | None, sysname: str = "sys") -> list[tuple[str, VarInfo]]:
        """Scalar reads available in an action of ``me`` (or in a property when None)."""
        out: list[tuple[str, VarInfo]] = []
        for c in self.comps:
            for v in c.vars:
                if v.kind in ("array", "set"):
                    continue
                if c is me:
                    out.append((f"self.{v.name}", v))
                elif c.store:
                    out.append((f"{sysname}.{v.name}", v))
                elif not c.replicated:
                    out.append((f"{sysname}.{c.attr}.{v.name}", v))
        return out

    def refs_of(self, kind: str, me: CompInfo | None, sysname: str = "sys") -> list[tuple[str, VarInfo]]:
        return [(e, v) for e, v in self.scalar_refs(me, sysname) if v.kind == kind]

    def collections(self, kind: str) -> list[VarInfo]:
        return [v for c in self.comps for v in c.vars if v.kind == kind]

    # -- expressions
    def int_const(self, lo: int, hi: int) -> str:
        return str(self.draw(st.integers(lo - 1, hi + 1)))

    def int_expr(
        self,
        me: CompInfo | None,
        depth: int = 0,
        sysname: str = "sys",
        args: tuple[str, ...] = (),
        near: tuple[int, int] = (0, 2),
    ) -> str:
        """An int expression; its constants are mostly within ``near`` (the target's range)."""
        refs = self.refs_of("int", me, sysname)
        arrays = self.collections("array")
        options = (["succ", "pred", "ref"] if refs else []) + ["const"] + (["arg"] if args else [])
        if arrays:
            options.append("array")
        if depth < 1:
            options.append("ite")
        if me is not None and refs:  # reads that can be undefined: in actions only
            options += ["div"] + (["index"] if arrays else [])
        choice = self.draw(st.sampled_from(options))
        if choice == "index":
            arr = self.draw(st.sampled_from(arrays))
            key, _ = self.draw(st.sampled_from(refs))
            if self.draw(st.integers(0, 3)) == 0:
                return f"{sysname}.{arr.name}.get({key}, {self.int_const(*near)})"
            self.pending.append(f"(({key} >= 0) & ({key} <= {arr.size - 1}))")
            return f"{sysname}.{arr.name}[{key}]"
        if choice == "div":
            divisor, _ = self.draw(st.sampled_from(refs))
            if self.draw(st.booleans()):
                divisor = f"({divisor} {self.draw(st.sampled_from(['+', '-']))} 1)"
            self.pending.append(f"({divisor} != 0)")
            dividend = self.draw(st.sampled_from(refs))[0] if self.draw(st.booleans()) else self.int_const(*near)
            return f"({dividend} {self.draw(st.sampled_from(['//', '%']))} {divisor})"
        if choice == "const":
            return str(self.draw(st.integers(*near))) if self.draw(st.integers(0, 3)) else self.int_const(*near)
        if choice == "arg":
            return self.draw(st.sampled_from(args))
        if choice == "array":
            arr = self.draw(st.sampled_from(arrays))
            return f"{sysname}.{arr.name}[{self.draw(st.integers(0, arr.size - 1))}]"
        if choice == "ite":
            cond = self.bool_expr(me, depth + 1, sysname)
            a = self.int_expr(me, depth + 1, sysname, args, near)
            b = self.int_expr(me, depth + 1, sysname, args, near)
            return f"ite({cond}, {a}, {b})"
        expr, _ = self.draw(st.sampled_from(refs))
        return {"ref": expr, "succ": f"{expr} + 1", "pred": f"{expr} - 1"}[choice]

    def enum_expr(self, me: CompInfo | None, depth: int = 0, sysname: str = "sys") -> str:
        refs = self.refs_of("enum", me, sysname)
        options = ["const"] + (["ref", "ref"] if refs else []) + (["ite"] if depth < 1 else [])
        choice = self.draw(st.sampled_from(options))
        if choice == "const":
            return repr(self.draw(st.sampled_from(self.enum_names)))
        if choice == "ref":
            return self.draw(st.sampled_from(refs))[0]
        cond = self.bool_expr(me, depth + 1, sysname)
        return f"ite({cond}, {self.enum_expr(me, depth + 1, sysname)}, {self.enum_expr(me, depth + 1, sysname)})"

    def state_int_expr(self, me: CompInfo | None, sysname: str) -> str | None:
        """An int expression that reads state (so Python never folds a comparison to a bool)."""
        refs = self.refs_of("int", me, sysname)
        arrays = self.collections("array")
        options = (["ref", "succ", "pred"] if refs else []) + (["array"] if arrays else [])
        if not options:
            return None
        choice = self.draw(st.sampled_from(options))
        if choice == "array":
            arr = self.draw(st.sampled_from(arrays))
            return f"{sysname}.{arr.name}[{self.draw(st.integers(0, arr.size - 1))}]"
        expr, _ = self.draw(st.sampled_from(refs))
        return {"ref": expr, "succ": f"{expr} + 1", "pred": f"{expr} - 1"}[choice]

    def atom(self, me: CompInfo | None, sysname: str = "sys") -> str:
        """A boolean condition that reads state: a comparison, a flag, a set test or an aggregate."""
        options = []
        if self.refs_of("int", me, sysname) or self.collections("array"):
            options += ["int_cmp", "int_cmp"]
        if self.refs_of("bool", me, sysname):
            options.append("bool")
        if self.refs_of("enum", me, sysname):
            options.append("enum_cmp")
        if self.collections("set"):
            options.append("set")
        if any(c.replicated for c in self.comps):
            options.append("aggregate")
            if me is None:
                options.append("single_out")
        choice = self.draw(st.sampled_from(options))
        if choice == "int_cmp":
            op = self.draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
            a = self.state_int_expr(me, sysname)
            b = self.int_const(0, 2) if self.draw(st.booleans()) else self.int_expr(me, 1, sysname)
            return f"({a} {op} {b})"
        if choice == "enum_cmp":
            op = self.draw(st.sampled_from(["==", "!="]))
            a = self.draw(st.sampled_from(self.refs_of("enum", me, sysname)))[0]
            return f"({a} {op} {self.enum_expr(me, 1, sysname)})"
        if choice == "set":
            s = self.draw(st.sampled_from(self.collections("set")))
            if self.draw(st.booleans()):
                return f"{sysname}.{s.name}.is_empty()"
            return f"{sysname}.{s.name}.contains({self.int_const(s.lo + 1, s.hi - 1)})"
        if choice in ("aggregate", "single_out"):
            comp = self.draw(st.sampled_from([c for c in self.comps if c.replicated]))
            var = self.draw(st.sampled_from([v for v in comp.vars]))
            test = self.local_test(var, "r")
            if choice == "single_out":
                return test.replace("r.", f"{sysname}.{comp.attr}[0].")
            fold = self.draw(st.sampled_from(["any_of", "all_of"]))
            return f"{fold}({test} for r in {sysname}.{comp.attr})"
        expr = self.draw(st.sampled_from(self.refs_of("bool", me, sysname)))[0]
        return self.draw(st.sampled_from([expr, f"~{expr}"]))

    def init_atom(self, truth: bool) -> str:
        """A property atom whose value in the initial state is ``truth``: invariants are made
        of true ones (so most are not violated at once), witnesses of false ones."""
        var = self.draw(st.sampled_from([v for c in self.comps for v in c.vars]))
        comp = var.comp
        if comp.replicated:
            how = self.draw(st.sampled_from(["all_of", "any_of", "single_out"]))
            test = self._init_test(var, "r", truth if how != "all_of" else True)
            if how == "single_out":
                return test.replace("r.", f"sys.{comp.attr}[0].")
            # every replica starts alike: an all_of/any_of of a test has the test's value
            return f"{how}({self._init_test(var, 'r', truth)} for r in sys.{comp.attr})"
        where = f"sys.{var.name}" if comp.store else f"sys.{comp.attr}.{var.name}"
        return self._init_test(var, where, truth, prefix=False)

    def _init_test(self, var: VarInfo, who: str, truth: bool, prefix: bool = True) -> str:
        ref = f"{who}.{var.name}" if prefix else who
        d = self.draw
        if var.kind == "bool":
            return ref if var.init == truth else f"~{ref}"
        if var.kind == "enum":
            others = [n for n in var.names if n != var.init]
            if d(st.booleans()) or not others:
                return f"({ref} {'==' if truth else '!='} {var.init!r})"
            return f"({ref} {'!=' if truth else '=='} {d(st.sampled_from(others))!r})"
        if var.kind == "set":
            c = d(st.integers(var.lo, var.hi))
            return f"{ref}.contains({c})" if (c in var.init) == truth else f"~{ref}.contains({c})"
        if var.kind == "array":
            k = d(st.integers(0, var.size - 1))
            ref, value = f"{ref}[{k}]", var.init[k]
        else:
            value = var.init
        lo, hi = var.lo, var.hi
        op = d(st.sampled_from(["<=", ">=", "!=", "=="]))
        if op == "<=":
            c = d(st.integers(value, hi)) if truth else (value - 1)
        elif op == ">=":
            c = d(st.integers(lo, value)) if truth else (value + 1)
        elif op == "==":
            c = value if truth else d(st.sampled_from([x for x in range(lo, hi + 1) if x != value] or [value + 1]))
        else:
            c = d(st.sampled_from([x for x in range(lo, hi + 1) if x != value] or [value + 1])) if truth else value
        return f"({ref} {op} {c})"

    def local_test(self, var: VarInfo, who: str) -> str:
        """A test of one replica's variable (inside an aggregate)."""
        if var.kind == "bool":
            return self.draw(st.sampled_from([f"{who}.{var.name}", f"~{who}.{var.name}"]))
        if var.kind == "enum":
            return f"({who}.{var.name} == {self.draw(st.sampled_from(var.names))!r})"
        op = self.draw(st.sampled_from(["==", "!=", "<=", ">="]))
        return f"({who}.{var.name} {op} {self.int_const(var.lo, var.hi)})"

    def bool_expr(self, me: CompInfo | None, depth: int = 0, sysname: str = "sys") -> str:
        choice = self.draw(st.sampled_from(["atom", "atom", "atom", "and", "or", "not"] if depth < 2 else ["atom"]))
        if choice == "atom":
            return self.atom(me, sysname)
        if choice == "not":
            return f"~{self.bool_expr(me, depth + 1, sysname)}"
        a, b = self.bool_expr(me, depth + 1, sysname), self.bool_expr(me, depth + 1, sysname)
        return f"({a} {'&' if choice == 'and' else '|'} {b})"

    # -- statements
    def guard_int(self, w: Writer, value: str, lo: int, hi: int) -> str:
        """Keep ``value`` within lo..hi: a `require`, a clamp, or (unguarded models) nothing."""
        how = self.draw(st.sampled_from(["require", "require", "clamp"] + (["none", "none"] if self.unguarded else [])))
        if how == "require":
            w.line(f"require(({value} >= {lo}) & ({value} <= {hi}))")
        elif how == "clamp":
            value = f"ite({value} > {hi}, {hi}, ite({value} < {lo}, {lo}, {value}))"
        return value

    def assignment(self, w: Writer, me: CompInfo, args: tuple[str, ...]) -> None:
        targets = [(f"self.{v.name}", v) for v in me.vars] + [
            (f"sys.{v.name}", v) for c in self.comps if c.store and c is not me for v in c.vars
        ]
        target, var = self.draw(st.sampled_from(targets))
        if var.kind == "bool":
            how = self.draw(st.sampled_from(["flip", "const", "expr"]))
            value = {"flip": f"~{target}", "const": str(self.draw(st.booleans()))}.get(how) or self.bool_expr(me, 1)
            w.line(f"{target} = {value}")
        elif var.kind == "int":
            if self.draw(st.booleans()):  # a counter: the likeliest way to make progress
                value = f"{target} {self.draw(st.sampled_from(['+', '-']))} 1"
            else:
                value = self.int_expr(me, 0, "sys", args, (var.lo, var.hi))
            w.line(f"{target} = {self.guard_int(w, value, var.lo, var.hi)}")
        elif var.kind == "enum":
            value = repr(self.draw(st.sampled_from(var.names))) if self.draw(st.booleans()) else self.enum_expr(me)
            if value.startswith("'") and value.strip("'") not in var.names:
                # a literal outside the variable's names is a type error, reported statically by
                # the symbolic engines even where the assignment is unreachable: not a range check
                value = repr(var.names[0])
            if not self.unguarded or self.draw(st.booleans()):
                names = ", ".join(repr(n) for n in var.names)
                w.line(f"require(any_of({value} == n for n in ({names},)))")
            w.line(f"{target} = {value}")
        elif var.kind == "array":
            value = self.guard_int(w, self.int_expr(me, 0, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            w.line(f"{target}[{self.array_index(w, me, var, args)}] = {value}")
        else:  # a finite set
            value = self.guard_int(w, self.int_expr(me, 1, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            w.line(f"{target}.{self.draw(st.sampled_from(['add', 'discard']))}({value})")

    def array_index(self, w: Writer, me: CompInfo, arr: VarInfo, args: tuple[str, ...]) -> str:
        """A constant index, or a state value kept within the array's keys."""
        refs = self.refs_of("int", me)
        if not refs or self.draw(st.booleans()):
            return str(self.draw(st.integers(0, arr.size - 1)))
        index = self.draw(st.sampled_from(refs))[0]
        return self.guard_int(w, index, 0, arr.size - 1)

    def statements(self, w: Writer, me: CompInfo, args: tuple[str, ...], depth: int = 0) -> None:
        for _ in range(self.draw(st.integers(1, 2))):
            kinds = ["assign", "assign", "assign", "require"] + (["when"] if depth == 0 else [])
            choice = self.draw(st.sampled_from(kinds))
            self.pending = []
            sub = Writer()
            sub.indent = w.indent
            if choice == "require":
                cond = self.bool_expr(me)
                if self.pending and self.draw(st.booleans()):
                    # the guard and the read in one condition: `&` evaluates both sides
                    cond = " & ".join(self.pending + [cond])
                    self.pending = []
                sub.line(f"require({cond})")
            elif choice == "assign":
                self.assignment(sub, me, args)
            else:
                sub.line(f"with when({self.bool_expr(me)}):")
                guards, self.pending = self.pending, []
                sub.indent += 1
                self.statements(sub, me, args, depth + 1)
                sub.indent -= 1
                self.pending = guards
            self.place_guards(w, sub)

    def place_guards(self, w: Writer, sub: Writer) -> None:
        """Write the statement in ``sub`` with `require`s for its pending reads: before it,
        after it (the action still cannot fire where a read was undefined), or (unguarded
        models) not at all."""
        where = "before"
        if self.pending:
            where = self.draw(st.sampled_from(["before", "after"] + (["none"] if self.unguarded else [])))
        guards = [f"require({g})" for g in self.pending] if where != "none" else []
        self.pending = []
        indent = "    " * w.indent
        for text in (guards if where == "before" else []) + [t[len(indent) :] for t in sub.lines]:
            w.line(text)
        for text in guards if where == "after" else []:
            w.line(text)


# ---------------------------------------------------------------------------- the model
def _initial(v: VarInfo, draw: Any) -> Any:
    if v.kind == "int":
        return draw(st.integers(v.lo, v.hi))
    if v.kind == "bool":
        return draw(st.booleans())
    if v.kind == "enum":
        return draw(st.sampled_from(v.names))
    if v.kind == "array":
        return [draw(st.integers(v.lo, v.hi)) for _ in range(v.size)]
    return sorted(draw(st.sets(st.integers(v.lo, v.hi), max_size=2)))


def _decl(v: VarInfo) -> str:
    if v.kind == "int":
        return f"Int(init={v.init}, min={v.lo}, max={v.hi})"
    if v.kind == "bool":
        return f"Bool(init={v.init})"
    if v.kind == "enum":
        names = ", ".join(repr(n) for n in v.names)
        return f"Enum({names}, init={v.init!r})"
    if v.kind == "array":
        return f"Array(Int(min={v.lo}, max={v.hi}), size={v.size}, init={v.init})"
    return f"Set(Int(min={v.lo}, max={v.hi}), init={v.init})"


@st.composite
def models(draw: Any, *, unguarded: bool | None = None) -> RandomModel:
    """A random model; ``unguarded`` (drawn when None) lets some writes leave their range."""
    if unguarded is None:
        unguarded = draw(st.integers(0, 3)) == 0
    comps = [draw(_component(i)) for i in range(draw(st.integers(1, 3)))]
    gen = Gen(draw, comps, unguarded)
    w = Writer()
    w.line("from checker import (")
    w.line("    Array, Bool, Enum, Int, Model, Param, Process, Set, Store, action, action_invariant, all_of, any_of,")
    w.line("    implies, invariant, ite, reachable, require, when,")
    w.line(")")
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
            w.line(f"@action(k={nargs})" if nargs else "@action")
            w.line(f"def act{next(counter)}(self, sys{', k' if nargs else ''}):")
            w.indent += 1
            gen.statements(w, comp, ("k",) if nargs else ())
            w.indent -= 1
        w.indent -= 1

    class_name = "Random"
    w.line()
    w.line()
    w.line(f"class {class_name}(Model):")
    w.indent += 1
    for comp in comps:
        if comp.count_param:
            w.line(f"{PARAM_COUNT_PREFIX}{comp.attr} = Param({comp.count}, min=1)")
    for comp in comps:
        if comp.replicated:
            count = f'"{PARAM_COUNT_PREFIX}{comp.attr}"' if comp.count_param else str(comp.count)
            w.line(f"{comp.attr} = {comp.attr.capitalize()}(count={count})")
        else:
            w.line(f"{comp.attr} = {comp.attr.capitalize()}()")
    props: dict[str, str] = {}

    def prop(kind: str, args: str, body: str) -> None:
        name = f"{kind}{len(props)}"
        props[name] = kind
        w.line()
        w.line(f"@{kind}")
        w.line(f"def {name}({args}):")
        w.line(f"    return {body}")

    # A property that always holds: with it, a model error anywhere reachable must stop
    # every engine (they stop early once every property has an answer).
    prop("invariant", "sys", "True")
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["true", "true", "implies", "or", "and", "random"]))
        if shape == "true":
            body = gen.init_atom(True)
        elif shape == "implies":
            body = f"implies({gen.bool_expr(None, 1)}, {gen.init_atom(True)})"
        elif shape in ("or", "and"):
            a, b = gen.init_atom(True), gen.init_atom(shape == "and")
            body = f"({a} {'&' if shape == 'and' else '|'} {b})"
        else:  # anything: often violated in the initial state
            body = gen.bool_expr(None)
        prop("invariant", "sys", body)
    for _ in range(draw(st.integers(0, 2))):
        prop("action_invariant", "old, new", _step_formula(gen, draw))
    for _ in range(draw(st.integers(0, 2))):
        atoms = [gen.init_atom(False)] + [gen.init_atom(draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))]
        prop("reachable", "sys", f"all_of({', '.join(atoms)})")
    w.indent -= 1
    return RandomModel(w.text(), class_name, props, unguarded)


def _step_formula(gen: Gen, draw: Any) -> str:
    """An action invariant: how one variable (or every replica's) may change in one step."""
    var = draw(st.sampled_from([v for c in gen.comps for v in c.vars]))
    comp = var.comp

    def change(old: str, new: str) -> str:
        if var.kind == "int":
            op = draw(st.sampled_from(["<=", ">=", "!=", "=="]))
            if draw(st.booleans()):
                return f"({new} {op} {old})"
            c = gen.int_const(var.lo, var.hi)
            return f"implies({old} == {c}, {new} {op} {c})"
        if var.kind == "bool":
            return draw(st.sampled_from([f"implies({old}, {new})", f"implies(~{old}, ~{new})", f"({new} == {old})"]))
        if var.kind == "enum":
            a, b = draw(st.sampled_from(var.names)), draw(st.sampled_from(var.names))
            return f"implies({old} == {a!r}, {new} != {b!r})"
        if var.kind == "array":
            i = draw(st.integers(0, var.size - 1))
            return f"({new}[{i}] >= {old}[{i}])"
        c = gen.int_const(var.lo, var.hi)
        return f"implies({old}.contains({c}), {new}.contains({c}))"

    if comp.store:
        return change(f"old.{var.name}", f"new.{var.name}")
    if not comp.replicated:
        return change(f"old.{comp.attr}.{var.name}", f"new.{comp.attr}.{var.name}")
    return f"all_of({change(f'o.{var.name}', f'n.{var.name}')} for o, n in zip(old.{comp.attr}, new.{comp.attr}))"
