"""Random small models for cross-checking the engines (tests/test_crosscheck.py).

`models()` is a hypothesis strategy of `RandomModel`s. Each carries two texts written from
the same random choices by two separate emitters:

* ``source``: the model class, written with the public model API as an author would write it;
* ``plain``: the same model as plain Python functions over a dict state, for the independent
  reference (`tests.reference_model`, which imports nothing from `checker`). Every drawing
  function (tests/random_expressions.py, random_statements.py, random_properties.py) returns a
  pair ``(rp, py)``: the raceproof text and the plain text.

Features (each drawn at random, see ``FEATURES``): processes (replicated 1-3 times, the count
sometimes a parameter) and stores; bounded and unbounded `Int` (increments kept finite by
guards), products of ints beyond int64, `Bool`, `Enum`; arrays (constant or parameter size),
bounded sequences (`Seq`: append, tail, pop(i), element writes, select, concat, assignment),
`Map`s over enum keys, finite sets and unbounded `Set(Int())` (grown at the top, trimmed at the
bottom with `discard_if`: the interval encoding; or with gaps: the array encoding); actions
with arguments, `require`, assignments, `ite`, nested `when`, set updates, reads at state keys
and divisions (guarded, or not: a model error every engine must report), first-match scans
over replicas; fair actions; process identities (`Ref`s held by a store, a Set and a Map of
them, Ref arguments, reads and writes through ``sys.P[ref]``, ``self.ref``: tests/random_refs.py);
actions with a step per index of a parameter-sized domain (``@action(k="n")``, often a cell of
a parameter-sized array: tests/random_domains.py). The components' variables: tests/random_vars.py.
Properties: invariants, action invariants, reachables,
`recoverable` and `eventually`; aggregates over replicas (`all_of`, `any_of`, `sum_of`,
`count_of`; also over arrays and listed operands, and before/after in action invariants), for-all
updates of every replica (``for r in sys.p: r.v = ...``), and properties and actions that tell
replicas apart in many ways (indexing, `list(...)[i]`, tuple unpacking, `zip`, `enumerate`,
`.name`, iteration order), which no engine may reduce by symmetry.
"""

from __future__ import annotations

import itertools
import os
import random
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.random_domains import OWN_PARAM, OWN_STORE, domain_part
from tests.random_parts import PARAM_PREFIX, PX, Pair, Writer, spec_of
from tests.random_properties import asymmetric_atom, init_atom, step_formula
from tests.random_refs import ref_part
from tests.random_statements import Gen
from tests.random_vars import component, decl, plain_init


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


# ---------------------------------------------------------------------------- the model
FEATURES = (
    "init_choice",
    "int",
    "uint",
    "big",
    "big_product",
    "bool",
    "enum",
    "array",
    "param_array",
    "map",
    "map_state_key",
    "set",
    "uset",
    "discard_if",
    "seq",
    "seq_select",
    "set_queries",
    "set_ops",
    "uset_is_empty",
    "guarded_read",
    "choose",
    "state_key",
    "division",
    "nested_when",
    "first_match_scan",
    "name",
    "param_count",
    "fair",
    "recoverable",
    "eventually",
    "asym_index",
    "asym_list_index",
    "asym_unpack",
    "asym_zip",
    "asym_enumerate",
    "asym_name",
    "list_fold",
    "unguarded",
    "ref",
    "ref_asym",
    "param_domain",
    "param_domain_range",
    "sum_of",
    "count_of",
    "sum_of_array",
    "sum_of_listed",
    "forall_update",
    "aggregate_step",
)


@st.composite
def models(draw: Any, *, unguarded: bool | None = None) -> RandomModel:
    """A random model; ``unguarded`` (drawn when None) lets some writes leave their range."""
    if unguarded is None:
        unguarded = draw(st.integers(0, 3)) == 0
    features: set[str] = {"unguarded"} if unguarded else set()
    comps = [draw(component(i, features)) for i in range(draw(st.sampled_from([2, 2, 3, 1])))]
    gen = Gen(draw, comps, unguarded, features)
    refs = draw(ref_part(comps, features))  # a store of Refs to one process's replicas, or None
    w = Writer()
    w.line("from checker import (")
    w.line("    Array, Bool, Enum, Int, Map, Model, Param, Process, Ref, Seq, Set, Store, action, action_invariant,")
    w.line("    all_of, any_of, choose, count_of, eventually, implies, invariant, ite, reachable, recoverable,")
    w.line("    require, sum_of, when,")
    w.line(")")
    p = Writer()  # the plain model
    transitions: list[str] = []
    counter = itertools.count()
    class_end: dict[str, int] = {}
    for comp in comps:
        w.line()
        w.line()
        w.line(f"class {comp.attr.capitalize()}({'Store' if comp.store else 'Process'}):")
        w.indent += 1
        for v in comp.vars:
            w.line(f"{v.name} = {decl(v)}")
        for _ in range(draw(st.integers(0 if comp.store else 1, 4))):
            w.line()
            nargs = draw(st.sampled_from([0, 0, 0, 2]))
            fair = draw(st.integers(0, 3)) == 0
            if fair:
                features.add("fair")
            domain = list(range(nargs))
            opts = [f"k={nargs}"] if nargs else []
            finite_sets = [v for c in comps if c.store for v in c.vars if v.kind == "set"]
            chosen = draw(st.sampled_from(finite_sets)) if nargs and finite_sets and draw(st.booleans()) else None
            if chosen is not None:  # k picks a member of the set: one transition per element value
                opts, domain = [f'k=choose("{chosen.name}")'], list(range(chosen.lo, chosen.hi + 1))
                features.add("choose")
            opts += ["fair=True"] if fair else []
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
            if chosen is not None:
                p.line(f'    c.req(k in s["{chosen.name}"])')
            p.lines += pair.py.lines
            p.line()
            for inst in comp.instances:
                for k in domain if nargs else [None]:
                    args = {"k": k} if nargs else {}
                    transitions.append(f"({inst!r}, {name!r}, {args!r}, {fair}, a_{comp.attr}_{name})")
        if refs is not None and comp is refs.target:
            refs.emit_process(w, p, transitions)
        w.indent -= 1
        class_end[comp.attr] = len(w.lines)  # where actions drawn last go (`tests.random_domains`)
    if refs is not None:
        refs.emit_store(w, p, transitions)

    class_name = "Random"
    w.line()
    w.line()
    model_at = len(w.lines)
    w.line(f"class {class_name}(Model):")
    w.indent += 1
    params_at = len(w.lines)
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
    if refs is not None:
        w.line("rs = Rs()")
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
        prop("action_invariant", "old, new", step_formula(gen))
    for _ in range(draw(st.integers(0, 2))):
        atoms = [init_atom(gen, False)] + [init_atom(gen, draw(st.booleans())) for _ in range(draw(st.integers(0, 2)))]
        both = (f"all_of({', '.join(a[0] for a in atoms)})", f"land({', '.join(a[1] for a in atoms)})")
        prop("reachable", "sys", both)
    for kind, body in refs.properties() if refs is not None else []:
        prop(kind, "sys", body)
    if draw(st.integers(0, 2)) == 0:
        kind = draw(st.sampled_from(["recoverable", "eventually"]))
        features.add(kind)
        prop(kind, "sys", gen.bool_expr(None, 1) if draw(st.booleans()) else init_atom(gen, False))
    w.indent -= 1
    params = {f"{PARAM_PREFIX}{c.attr}": c.count for c in comps if c.count_param}
    params |= {f"{PARAM_PREFIX}{v.name}": v.size for c in comps for v in c.vars if v.size_param}
    domains = domain_part(draw, gen, comps, features)  # drawn last: the earlier draws keep their seeds' models
    if domains is not None:
        if domains.own_array is not None:  # `cells` and its store, after the parameters
            w.lines.insert(params_at, f"    {OWN_STORE} = {OWN_STORE.capitalize()}()")
        if domains.own_param is not None:
            w.lines.insert(params_at, f"    {OWN_PARAM} = Param({domains.own_param}, min=1)")
            params[OWN_PARAM] = domains.own_param
        if domains.own_array is not None:
            w.lines[model_at:model_at] = domains.own_store()
        for comp in reversed(comps):  # from the bottom: the earlier positions stay put
            w.lines[class_end[comp.attr] : class_end[comp.attr]] = [
                "    " + x if x else x for x in domains.actions.get(comp.attr, [])
            ]
        p.lines += domains.plain

    init = {}
    specs = {}
    local: dict[str, list[str]] = {}
    for comp in comps:
        for inst in comp.instances:
            for v in comp.vars:
                key = v.name if comp.store else f"{inst}.{v.name}"
                init[key], specs[key] = plain_init(v), spec_of(v)
                local.setdefault(inst, []).append(key)
    if domains is not None and domains.own_array is not None:
        cells = domains.own_array
        init[cells.name], specs[cells.name] = plain_init(cells), spec_of(cells)
    if refs is not None:
        init |= refs.init()
        specs |= refs.specs()
        p.line(f"REFS = {refs.refs()!r}")
        p.line(f"REF_KEYED = {refs.ref_keyed()!r}")
    p.line(f"INIT = {init!r}")
    choices = {
        (v.name if comp.store else f"{inst}.{v.name}"): v.choice
        for comp in comps
        for inst in comp.instances
        for v in comp.vars
        if v.choice is not None
    }
    if choices:  # every combination of the choices is an initial state
        starts = [init | dict(zip(choices, combo, strict=True)) for combo in itertools.product(*choices.values())]
        p.line(f"INITS = {starts!r}")
    p.line(f"SPECS = {specs!r}")
    p.line(f"REPLICAS = { ({c.attr: c.instances for c in comps if c.replicated})!r}")
    p.line(f"LOCAL = { ({k: v for k, v in local.items() if any(k in c.instances for c in comps if c.replicated)})!r}")
    p.line(f"TRANSITIONS = [{', '.join(transitions)}]")
    if domains is not None:  # the reference expands each domain at the parameters' values itself
        p.line(f"PARAMS = {params!r}")
        p.line(f"DOMAIN_ACTIONS = [{', '.join(domains.entries)}]")
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
