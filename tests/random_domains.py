"""Actions over a parameter-sized domain in the random models (`tests.random_models`): one step
per index of ``range(n)`` for a parameter ``n`` (``@action(k="n_st1_v0")``), or of a range
computed from the parameters (``@action(k=lambda p: range(1, p.n_cells))``).

The domain's parameter is the size of a parameter-sized array (the action then reads and
writes that array at ``k``, always inside its keys), a replica count, or a parameter of its
own (``n_cells``). The plain text does not list these actions' transitions: it names the
domain (``DOMAIN_ACTIONS``, with ``PARAMS``), and the reference expands it itself.

Drawn after everything else in a model. That does not keep the models of earlier seeds: an
extra draw shifts hypothesis's random stream for every later example of a run, so a seed from
before these actions draws other models now (the saved models, tests/models/xcheck_*.py, are
text and stay as they were).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.random_parts import PARAM_PREFIX, CompInfo, Pair, VarInfo
from tests.random_statements import Gen

OWN_PARAM = f"{PARAM_PREFIX}cells"
OWN_STORE = "cl"


@dataclass
class Domain:
    param: str  # the parameter's name
    value: int  # its value in the model as built
    array: VarInfo | None  # the parameter-sized array the action works on, if any
    lo: int = 0  # the indices: lo .. value + hi_offset - 1
    hi_offset: int = 0

    def decorator_arg(self) -> str:
        if (self.lo, self.hi_offset) == (0, 0):
            return f'k="{self.param}"'
        stop = f"p.{self.param}" + (f" - {-self.hi_offset}" if self.hi_offset else "")
        return f"k=lambda p: range({self.lo}, {stop})"


@dataclass
class DomainPart:
    """What the draws add to a model: actions per component, and maybe a parameter."""

    actions: dict[str, list[str]]  # component attribute -> the action's source lines (class body indent 0)
    plain: list[str]  # the plain functions
    entries: list[str]  # DOMAIN_ACTIONS entries of the plain text
    own_param: int | None  # the value of ``n_cells`` when an action uses it
    own_array: VarInfo | None = None  # ``cells``, sized ``n_cells``, in a store ``cl`` of its own, when used

    def own_store(self) -> list[str]:
        """The class of the store holding ``cells`` (at the module's indent)."""
        v = self.own_array
        assert v is not None
        decl = f'Array(Int(min={v.lo}, max={v.hi}), size="{OWN_PARAM}", init={v.init})'
        return [f"class {OWN_STORE.capitalize()}(Store):", f"    {v.name} = {decl}", "", ""]


def _domains(draw: Any, comps: list[CompInfo]) -> list[Domain]:
    """The domains to draw from; those of parameter-sized arrays twice (the usual use: a step
    per cell). Without such an array in the model, ``n_cells`` often sizes one of its own."""
    arrays = [Domain(f"{PARAM_PREFIX}{v.name}", v.size, v) for c in comps for v in c.vars if v.size_param]
    out = arrays * 2 + [Domain(f"{PARAM_PREFIX}{c.attr}", c.count, None) for c in comps if c.count_param and c.count]
    size = draw(st.integers(1, 3))
    own = None
    if draw(st.booleans()):
        own = VarInfo("cells", "array", CompInfo(OWN_STORE, True, None), 0, draw(st.integers(1, 2)))
        own.size, own.size_param, own.init = size, True, draw(st.integers(0, own.hi))  # type: ignore[operator]
    out += [Domain(OWN_PARAM, size, own)] * (1 if arrays else 2)
    return out


def domain_part(draw: Any, gen: Gen, comps: list[CompInfo], features: set[str]) -> DomainPart | None:
    """Sometimes (one model in four) one or two actions over parameter-sized domains."""
    if draw(st.integers(0, 3)) != 3:  # not 0: hypothesis draws its simplest value far more often
        return None
    part = DomainPart({}, [], [], None)
    candidates = _domains(draw, comps)
    for n in range(draw(st.integers(1, 2))):
        dom = draw(st.sampled_from(candidates))
        if draw(st.integers(0, 3)) == 3:  # a range computed from the parameters
            dom = Domain(dom.param, dom.value, dom.array, *draw(st.sampled_from([(0, -1), (1, 0), (1, -1)])))
            features.add("param_domain_range")
        features.add("param_domain")
        if dom.param == OWN_PARAM:
            part.own_param, part.own_array = dom.value, dom.array
        me = draw(st.sampled_from(comps))
        fair = draw(st.integers(0, 3)) == 0
        name = f"cell{n}"
        opts = [dom.decorator_arg()] + (["fair=True"] if fair else [])
        body = Pair()
        body.rp.indent, body.py.indent = 1, 1
        on_cell = dom.array is not None and draw(st.integers(0, 3)) > 0
        if on_cell:
            _cell_statement(gen, body, me, dom.array)  # type: ignore[arg-type]
        if not on_cell or draw(st.booleans()):
            gen.statements(body, me, ("k",))
        lines = ["", f"@action({', '.join(opts)})", f"def {name}(self, sys, k):", *body.rp.lines]
        part.actions.setdefault(me.attr, []).extend(lines)
        fn = f"d_{me.attr}_{name}"
        part.plain += [f"def {fn}(c, me, k):", "    s = c.s", *body.py.lines, ""]
        where = (dom.param, dom.lo, dom.hi_offset)
        part.entries += [f"({inst!r}, {name!r}, 'k', {where!r}, {fair}, {fn})" for inst in me.instances]
    return part


def _cell_statement(gen: Gen, w: Pair, me: CompInfo, arr: VarInfo) -> None:
    """Work on the array's element ``k`` (inside its keys whatever the size): raise it, set it,
    or require something of it."""
    a_rp = f"self.{arr.name}" if arr.comp is me else f"sys.{arr.name}"
    key = f'"{arr.name}"'
    how = gen.pick(["raise", "set", "require"])
    if how == "require":
        op = gen.pick(["<", "<=", "==", "!="])
        c = gen.int_const(arr.lo, arr.hi)
        w.line(f"require({a_rp}[k] {op} {c})", f'c.req(s["{arr.name}"][k] {op} {c})')
        return
    gen.pending = []
    sub = Pair()
    sub.rp.indent, sub.py.indent = w.rp.indent, w.py.indent
    _cell_write(gen, sub, me, arr, a_rp, key, how)
    gen.place_guards(w, sub)  # the reads the value needs defined (a state key, a divisor)


def _cell_write(gen: Gen, w: Pair, me: CompInfo, arr: VarInfo, a_rp: str, key: str, how: str) -> None:
    value = gen.int_expr(me, 1, "sys", ("k",), (arr.lo, arr.hi))
    if how == "raise":  # only ever up: the shape of the painters' touch-up
        value = gen.guard_int(w, value, arr.lo, arr.hi)
        w.line(f"with when({a_rp}[k] < {value[0]}):", f'with c.when(s["{arr.name}"][k] < {value[1]}):')
        w.push()
        w.line(f"{a_rp}[k] = {value[0]}", f"c.wa({key}, k, {value[1]})")
        w.pop()
        return
    value = gen.guard_int(w, value, arr.lo, arr.hi)
    w.line(f"{a_rp}[k] = {value[0]}", f"c.wa({key}, k, {value[1]})")
