"""Expressions of the random models, drawn as (raceproof, plain) pairs (see `tests.random_models`)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.random_parts import BIG_INITS, PX, CompInfo, VarInfo


# ---------------------------------------------------------------------------- expressions
class Expressions:
    """Draws expressions for one model, as (raceproof, plain) pairs."""

    def __init__(self, draw: Any, comps: list[CompInfo], unguarded: bool, features: set[str]):
        self.draw = draw
        self.comps = comps
        self.unguarded = unguarded
        self.features = features
        self.enum_names = sorted({n for c in comps for v in c.vars if v.kind == "enum" for n in v.names})
        #: conditions keeping the reads of the statement being drawn defined (a state key within
        #: the keys, a divisor not 0): `statements` turns them into `require`s
        self.pending: list[PX] = []
        self._in_listed = False  # drawing a listed count_of's operands (`_listed`)

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

    def int_expr(
        self,
        me: CompInfo | None,
        depth: int = 0,
        sysname: str = "sys",
        args: tuple[str, ...] = (),
        near: tuple[int, int] = (0, 2),
    ) -> PX:
        """A small int expression; its constants mostly within ``near``."""
        refs = self.small_ints(me, sysname)
        arrays = self.collections("array")
        maps = self.collections("map")
        options = (["succ", "pred", "ref", "ref"] if refs else []) + ["const"] + (["arg"] if args else [])
        options += (["array"] if arrays else []) + (["map"] if maps else [])
        if depth < 1:
            options.append("ite")
            options += ["sum"] if self.summable(me, sysname) else []
        if me is not None and refs:  # reads that can be undefined: in actions only
            options += ["div"] + (["index"] if arrays else [])
        if me is not None and maps and self.refs_of(("enum",), me):
            options.append("map_key")
        choice = self.pick(options)
        if choice == "sum":
            return self.pick(self.summable(me, sysname))()
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
            # lazy branches in the plain model: the untaken one reads nothing (a guarded read)
            return f"ite({c[0]}, {a[0]}, {b[0]})", f"ite({c[1]}, lambda: {a[1]}, lambda: {b[1]})"
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
        if self.collections("seq"):
            options.append("seq")
        if self.refs_of(("big",), me, sysname):
            options.append("big")
        if any(c.replicated for c in self.comps):
            options.append("aggregate")
        if self.summable(me, sysname):
            options.append("sum")
        choice = self.pick(options)
        if choice == "sum":
            a = self.pick(self.summable(me, sysname))()
            op = self.pick(["==", "!=", "<=", ">="])
            c = self.int_const(0, 3)
            return f"({a[0]} {op} {c})", f"({a[1]} {op} {c})"
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
            queries = ["size", "min", "max", "filter"] if choice == "set" else []
            how = self.pick(["is_empty", "contains", "contains", *queries])
            if how == "is_empty":
                if choice == "uset":
                    self.features.add("uset_is_empty")
                return f"{s_rp}.is_empty()", f"(len({s_py}) == 0)"
            if how != "contains":
                self.features.add("set_queries")
                c = self.int_const(v.lo or 0, v.hi if v.hi is not None else 2)
                op = self.pick(["==", "<=", ">"])
                if how == "size":
                    return f"({s_rp}.size() {op} {c})", f"(len({s_py}) {op} {c})"
                if how == "filter":
                    t = self.int_const(v.lo or 0, v.hi if v.hi is not None else 2)
                    return (
                        f"({s_rp}.filter(lambda e: e >= {t}).size() {op} {c})",
                        f"(len([e for e in {s_py} if e >= {t}]) {op} {c})",
                    )
                d = self.int_const(-1, 3)
                return f"({s_rp}.{how}(default={d}) {op} {c})", f"({how}({s_py}, default={d}) {op} {c})"
            if self.d(st.booleans()) and self.small_ints(me, sysname):
                x = self.pick(self.small_ints(me, sysname))[0]
            else:
                c = self.int_const(0 if v.lo is None else v.lo, 2 if v.hi is None else v.hi)
                x = (c, c)
            return f"{s_rp}.contains({x[0]})", f"({x[1]} in {s_py})"
        if choice == "seq":
            return self.seq_atom(self.pick(self.collections("seq")), me, sysname)
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

    def seq_atom(self, v: VarInfo, me: CompInfo | None, sysname: str) -> PX:
        """A test of a `Seq`: emptiness, membership, its length, an element (guarded), equality."""
        q_rp, q_py = self.coll(v, sysname)
        form = self.pick(["empty", "contains", "len", "get", "equal"])
        if form == "empty":
            return f"{q_rp}.is_empty()", f"(len({q_py}) == 0)"
        if form == "contains":
            refs = self.small_ints(me, sysname)
            if refs and self.d(st.booleans()):
                x = self.pick(refs)[0]
            else:
                c = self.int_const(v.lo, v.hi)
                x = (c, c)
            return f"{q_rp}.contains({x[0]})", f"({x[1]} in {q_py})"
        if form == "len":
            op = self.pick(["==", "<", ">="])
            c = self.d(st.integers(0, v.size))
            return f"({q_rp}.len() {op} {c})", f"(len({q_py}) {op} {c})"
        if form == "get":
            i, d = self.d(st.integers(0, v.size - 1)), self.int_const(v.lo, v.hi)
            op = self.pick(["==", "!=", "<="])
            c = self.int_const(v.lo, v.hi)
            return f"({q_rp}.get({i}, {d}) {op} {c})", f"(({q_py}[{i}] if {i} < len({q_py}) else {d}) {op} {c})"
        items = [self.d(st.integers(v.lo, v.hi)) for _ in range(self.d(st.integers(0, v.size)))]
        return f"({q_rp} == {items})", f"({q_py} == {items})"

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

    def summable(self, me: CompInfo | None, sysname: str = "sys") -> list[Any]:
        """Ways to draw a `sum_of`/`count_of` here (each a callable returning the pair): over
        the replicas of a component, over a (parameter-sized) array, or of listed operands."""
        s = {"sys": "s", "old": "o", "new": "n"}[sysname]
        out: list[Any] = []
        if self._in_listed:  # no aggregate inside a listed count_of's operands
            return out
        for comp in self.comps:
            if not comp.replicated:
                continue
            names = tuple(comp.instances)
            ints = [v for v in comp.vars if v.kind in ("int", "uint")]
            scalars = [v for v in comp.vars if v.scalar]
            if ints:
                out.append(lambda comp=comp, ints=ints, names=names: self._sum_replicas(comp, ints, names, sysname, s))
            if scalars:
                out.append(lambda comp=comp, vs=scalars, names=names: self._count_replicas(comp, vs, names, sysname, s))
        for arr in self.collections("array"):
            out.append(lambda arr=arr: self._over_array(arr, sysname))
        if len(self.small_ints(me, sysname)) >= 1:
            out.append(lambda: self._listed(me, sysname))
        return out

    def _sum_replicas(self, comp: CompInfo, ints: list[VarInfo], names: tuple[str, ...], sysname: str, s: str) -> PX:
        var = self.pick(ints)
        self.features.add("sum_of")
        py = f'sum_of([{s}[r + ".{var.name}"] for r in {names!r}])'
        return f"sum_of(r.{var.name} for r in {sysname}.{comp.attr})", py

    def _count_replicas(self, comp: CompInfo, vs: list[VarInfo], names: tuple[str, ...], sysname: str, s: str) -> PX:
        t_rp, t_py = self.local_test(self.pick(vs), "r", s)
        self.features.add("count_of")
        return f"count_of({t_rp} for r in {sysname}.{comp.attr})", f"count_of([{t_py} for r in {names!r}])"

    def _over_array(self, arr: VarInfo, sysname: str) -> PX:
        a_rp, a_py = self.coll(arr, sysname)
        self.features.add("sum_of_array")
        if self.d(st.booleans()):
            return f"sum_of({a_rp})", f"sum_of({a_py})"
        op, c = self.pick(["==", "!=", "<", ">="]), self.int_const(arr.lo, arr.hi)
        return f"count_of(x {op} {c} for x in {a_rp})", f"count_of([x {op} {c} for x in {a_py}])"

    def _listed(self, me: CompInfo | None, sysname: str) -> PX:
        """``sum_of(a, b)`` or ``count_of(c1, c2)``: operands listed, not iterated."""
        self.features.add("sum_of_listed")
        if self.d(st.booleans()):
            (a, _), (b, _) = self.pick(self.small_ints(me, sysname)), self.pick(self.small_ints(me, sysname))
            k = self.int_const(0, 2)
            return f"sum_of({a[0]}, {b[0]}, {k})", f"sum_of({a[1]}, {b[1]}, {k})"
        self._in_listed = True
        try:
            conds = [self.atom(me, sysname) for _ in range(self.d(st.integers(1, 3)))]
        finally:
            self._in_listed = False
        return f"count_of({', '.join(c[0] for c in conds)})", f"count_of({', '.join(c[1] for c in conds)})"

    def bool_expr(self, me: CompInfo | None, depth: int = 0, sysname: str = "sys") -> PX:
        choice = self.pick(["atom", "atom", "atom", "and", "or", "not"] if depth < 2 else ["atom"])
        if choice == "atom":
            return self.atom(me, sysname)
        if choice == "not":
            rp, py = self.bool_expr(me, depth + 1, sysname)
            return f"~{rp}", f"(not {py})"
        a, b = self.bool_expr(me, depth + 1, sysname), self.bool_expr(me, depth + 1, sysname)
        # `&`/`|` discharge an undefined operand where the other, defined one decides
        if choice == "and":
            return f"({a[0]} & {b[0]})", f"c.dand(lambda: {a[1]}, lambda: {b[1]})"
        return f"({a[0]} | {b[0]})", f"c.dor(lambda: {a[1]}, lambda: {b[1]})"

    # -- statements
