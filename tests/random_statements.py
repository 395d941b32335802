"""Statements of the random models' actions, drawn as (raceproof, plain) pairs (see
`tests.random_models`)."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.random_expressions import Expressions
from tests.random_parts import BIG_INITS, BIG_LIMIT, PX, CompInfo, Pair, VarInfo


# ---------------------------------------------------------------------------- statements
class Gen(Expressions):
    """Draws the statements of actions (and, inherited, expressions) for one model."""

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
        out += [
            ((f"sys.{v.name}", f's["{v.name}"]'), f'"{v.name}"', v)
            for c in self.comps
            if c.store and c is not me
            for v in c.vars
        ]
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
                w.line(
                    f"{t_rp} = ite({o_rp} > {t_rp}, {o_rp}, {t_rp})",
                    f"c.w({key}, ite({o_py} > {t_py}, {o_py}, {t_py}))",
                )
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
            peers = [v for v in self.collections("set") if v is not var and (v.lo, v.hi) == (var.lo, var.hi)]
            op = self.pick(["add", "add", "discard", "discard_if"] + (["move_if", "combine"] * 2 if peers else []))
            if op in ("move_if", "combine"):
                other = self.pick(peers)
                (o_rp, o_py), o_key = self.coll(other), f'"{other.name}"'
                self.features.add("set_ops")
                if op == "move_if":
                    bound = self.int_const(var.lo or 0, var.hi if var.hi is not None else 2)
                    w.line(
                        f"{t_rp}.move_if(lambda e: e < {bound}, {o_rp})",
                        f"c.move_if({key}, lambda e: e < {bound}, {o_key})",
                    )
                    return
                how = self.pick(["union", "intersection", "difference"])
                py_op = {"union": "|", "intersection": "&", "difference": "-"}[how]
                w.line(f"{t_rp} = {t_rp}.{how}({o_rp})", f"c.ws({key}, {t_py} {py_op} {o_py})")
                return
            if op == "discard_if":
                bound = self.int_expr(me, 1, "sys", args, (var.lo, var.hi))
                cmp = self.pick(["<", ">=", "=="])
                w.line(
                    f"{t_rp}.discard_if(lambda e: e {cmp} {bound[0]})",
                    f"c.discard_if({key}, lambda e: e {cmp} {bound[1]})",
                )
                self.features.add("discard_if")
                return
            value = self.guard_int(w, self.int_expr(me, 1, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            w.line(f"{t_rp}.{op}({value[0]})", f"c.{op}({key}, {value[1]})")
        elif k == "seq":
            self.seq_update(w, me, t_rp, key, var, args)
        else:  # an unbounded set
            self.uset_update(w, me, t_rp, t_py, key, args)

    def seq_update(self, w: Pair, me: CompInfo, t_rp: str, key: str, var: VarInfo, args: tuple[str, ...]) -> None:
        """One `Seq` operation; its guard (not full, not empty, inside the length) is left out
        in unguarded models, where overflow and the rest are model errors every engine reports."""
        cap = var.size
        how = self.pick(["append", "append", "append", "tail", "pop_at", "set", "select", "concat", "assign"])
        guarded = not self.unguarded or self.d(st.booleans())
        if how == "append":
            value = self.guard_int(w, self.int_expr(me, 1, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            if guarded:
                w.line(f"require(~{t_rp}.is_full())", f"c.req(len(c.s[{key}]) < {cap})")
            w.line(f"{t_rp}.append({value[0]})", f"c.sappend({key}, {value[1]}, {cap})")
        elif how == "tail":
            if guarded:
                w.line(f"require(~{t_rp}.is_empty())", f"c.req(len(c.s[{key}]) > 0)")
            w.line(f"{t_rp}.tail()", f"c.spop({key}, 0)")
        elif how == "pop_at":
            i = self.d(st.integers(0, cap - 1))
            if guarded:
                w.line(f"require({t_rp}.len() > {i})", f"c.req(len(c.s[{key}]) > {i})")
            w.line(f"{t_rp}.pop({i})", f"c.spop({key}, {i})")
        elif how == "set":
            i = self.d(st.integers(0, cap - 1))
            value = self.guard_int(w, self.int_expr(me, 1, "sys", args, (var.lo, var.hi)), var.lo, var.hi)
            if guarded:
                w.line(f"require({t_rp}.len() > {i})", f"c.req(len(c.s[{key}]) > {i})")
            w.line(f"{t_rp}[{i}] = {value[0]}", f"c.sset({key}, {i}, {value[1]})")
        elif how == "select":
            bound = self.int_expr(me, 1, "sys", args, (var.lo, var.hi))
            cmp = self.pick(["<", ">=", "==", "!="])
            w.line(
                f"{t_rp} = {t_rp}.select(lambda e: e {cmp} {bound[0]})",
                f"c.sassign({key}, [e for e in c.s[{key}] if e {cmp} {bound[1]}], {cap})",
            )
            self.features.add("seq_select")
        elif how == "concat":
            if guarded:
                w.line(f"require({t_rp}.len() * 2 <= {cap})", f"c.req(len(c.s[{key}]) * 2 <= {cap})")
            w.line(f"{t_rp} = {t_rp}.concat({t_rp})", f"c.sassign({key}, c.s[{key}] + c.s[{key}], {cap})")
        else:
            n = self.d(st.integers(0, cap if guarded else cap + 1))
            items = [self.int_expr(me, 1, "sys", args, (var.lo, var.hi)) for _ in range(n)]
            items = [self.guard_int(w, x, var.lo, var.hi) for x in items]
            w.line(
                f"{t_rp} = [{', '.join(x[0] for x in items)}]",
                f"c.sassign({key}, [{', '.join(x[1] for x in items)}], {cap})",
            )

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
            w.line(
                f"{t_rp}.discard_if(lambda e: e {op} {bound[0]})", f"c.discard_if({key}, lambda e: e {op} {bound[1]})"
            )
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
        w.line(
            "with when(all_of([hit] + [~e for e in earlier])):", "with c.when(land(hit, *[not e for e in earlier])):"
        )
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

    def forall_update(self, w: Pair, me: CompInfo, args: tuple[str, ...]) -> None:
        """``for r in sys.p: r.v = f(r, ...)``: every replica's variable at once, the value kept
        within its range; it may read aggregates over the replicas, which then see the writes
        to the replicas before (the loop runs in order, top to bottom)."""
        comps = [c for c in self.comps if c.replicated and any(v.kind != "big" for v in c.vars)]
        if not comps:  # every replica holds big ints only: an ordinary assignment instead
            self.assignment(w, me, args)
            return
        comp = self.pick(comps)
        var = self.pick([v for v in comp.vars if v.kind != "big"])
        names = tuple(comp.instances)
        rp, py = f"r.{var.name}", f's[r + ".{var.name}"]'
        cond = self.pick([self.local_test(self.pick(comp.vars), "r"), self.bool_expr(me, 1)])
        if var.kind == "bool":
            value = self.pick([cond, (f"~{rp}", f"(not {py})"), (f"({rp} | {cond[0]})", f"lor({py}, {cond[1]})")])
        elif var.kind == "enum":
            n = repr(self.pick(list(var.names)))
            value = f"ite({cond[0]}, {n}, {rp})", f"ite({cond[1]}, {n}, {py})"
        elif var.hi is None:  # unbounded: a reset keeps it finite
            c = str(self.d(st.integers(0, 1)))
            value = f"ite({cond[0]}, {c}, {rp})", f"ite({cond[1]}, {c}, {py})"
        else:  # a bounded counter: up (wrapping to the bottom), or set
            lo, hi = var.lo, var.hi
            up = f"ite({rp} < {hi}, {rp} + 1, {lo})", f"ite({py} < {hi}, {py} + 1, {lo})"
            c = str(self.d(st.integers(lo, hi)))
            value = self.pick([up, (f"ite({cond[0]}, {c}, {rp})", f"ite({cond[1]}, {c}, {py})")])
        w.line(f"for r in sys.{comp.attr}:", f"for r in {names!r}:")
        w.push()
        w.line(f"{rp} = {value[0]}", f'c.w(r + ".{var.name}", {value[1]})')
        w.pop()
        self.features.add("forall_update")

    def statements(self, w: Pair, me: CompInfo, args: tuple[str, ...], depth: int = 0) -> None:
        for _ in range(self.d(st.integers(1, 2))):
            kinds = ["assign", "assign", "assign", "require"] + (["when"] if depth < 2 else [])
            if any(c.replicated for c in self.comps) and depth == 0 and self.d(st.integers(0, 3)) == 0:
                kinds.append("scan")  # rarely: it makes the replicas asymmetric
            if me.replicated and depth == 0 and self.d(st.integers(0, 4)) == 0:
                kinds.append("name")
            if any(c.replicated for c in self.comps) and self.d(st.integers(0, 3)) == 0:
                kinds.append("forall")
            choice = self.pick(kinds)
            self.pending = []
            sub = Pair()
            sub.rp.indent, sub.py.indent = w.rp.indent, w.py.indent
            if choice == "require":
                cond = self.bool_expr(me)
                if self.pending and self.d(st.booleans()):
                    form = self.pick(["and", "implies", "ite"])
                    if form == "and":  # the guard and the read in one condition: `&` evaluates both sides
                        cond = (
                            " & ".join([p[0] for p in self.pending] + [cond[0]]),
                            f"land({', '.join([p[1] for p in self.pending] + [cond[1]])})",
                        )
                    else:  # a guarded read: the step fires where the guard is false, and reads nothing there
                        g_rp = " & ".join(p[0] for p in self.pending)
                        g_py = " and ".join(p[1] for p in self.pending)  # Python's `and` is lazy
                        if form == "implies":
                            cond = (f"implies({g_rp}, {cond[0]})", f"((not ({g_py})) or {cond[1]})")
                        else:
                            cond = (f"ite({g_rp}, {cond[0]}, False)", f"({cond[1]} if ({g_py}) else False)")
                        self.features.add("guarded_read")
                    self.pending = []
                sub.line(f"require({cond[0]})", f"c.req({cond[1]})")
            elif choice == "assign":
                self.assignment(sub, me, args)
            elif choice == "scan":
                self.scan(sub, me)
            elif choice == "forall":
                self.forall_update(sub, me, args)
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
        body = [(a[len(rp_ind) :], b[len(py_ind) :]) for a, b in body]
        for rp, py in (guards if where == "before" else []) + body + (guards if where == "after" else []):
            w.line(rp, py)
