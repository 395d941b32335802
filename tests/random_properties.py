"""Properties of the random models, drawn as (raceproof, plain) pairs (see `tests.random_models`)."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.random_parts import PX, CompInfo, VarInfo
from tests.random_statements import Gen


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
    if var.kind == "seq":  # its length, or the whole sequence, against the initial one
        n = len(var.init)
        if d(st.booleans()):
            if truth:
                return f"({ref}.len() == {n})", f"(len({py}) == {n})"
            if n < var.size:
                return f"{ref}.is_full()", f"(len({py}) == {var.size})"
            return f"({ref}.len() < {n})", f"(len({py}) < {n})"
        op = "==" if truth else "!="
        return f"({ref} {op} {var.init})", f"({py} {op} {var.init})"
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
        return (
            [],
            (
                f"all_of(implies(k == 0, {t[0]}) for r, k in zip(sys.{comp.attr}, {bound}))",
                f"all([implies(k == 0, {t[1]}) for r, k in zip({names!r}, {bound})])",
            ),
            form,
        )
    if form == "enumerate":
        op = gen.pick(["==", "!=", ">="])
        return (
            [],
            (
                f"all_of(r.{var.name} {op} k for k, r in enumerate(sys.{comp.attr}))",
                f'all([s[r + ".{var.name}"] {op} k for k, r in enumerate({names!r})])',
            ),
            form,
        )
    who = gen.pick(list(names))
    t = gen.local_test(var, "r")
    return (
        [],
        (
            f"all_of({t[0]} for r in sys.{comp.attr} if r.name != {who!r})",
            f"all([{t[1]} for r in {names!r} if r != {who!r}])",
        ),
        form,
    )


def step_formula(gen: Gen) -> PX:
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
            return gen.pick(
                [
                    (f"implies({o}, {n})", f"implies({po}, {pn})"),
                    (f"implies(~{o}, ~{n})", f"implies(not {po}, not {pn})"),
                    (f"({n} == {o})", f"({pn} == {po})"),
                ]
            )
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
    names = tuple(comp.instances)
    if var.kind in ("int", "uint", "bool") and d(st.integers(0, 2)) == 0:  # an aggregate before and after
        fold = "count_of" if var.kind == "bool" else "sum_of"
        op = gen.pick(["<=", ">=", "==", "!="])
        gen.features.add("aggregate_step")
        after, before = (f'{fold}([{x}[r + ".{var.name}"] for r in {names!r}])' for x in ("n", "o"))
        return (
            f"({fold}(b.{var.name} for b in new.{comp.attr}) {op} {fold}(a.{var.name} for a in old.{comp.attr}))",
            f"({after} {op} {before})",
        )
    c_rp, c_py = change((f"a.{var.name}", f'o[r + ".{var.name}"]'), (f"b.{var.name}", f'n[r + ".{var.name}"]'))
    return (f"all_of({c_rp} for a, b in zip(old.{comp.attr}, new.{comp.attr}))", f"all([{c_py} for r in {names!r}])")
