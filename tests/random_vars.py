"""The components of the random models (`tests.random_models`): their variables, drawn with
their declarations (the raceproof text) and their initial values (the plain text)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.random_parts import BIG_INITS, ENUM_POOL, PARAM_PREFIX, CompInfo, VarInfo


# ---------------------------------------------------------------------------- components
@st.composite
def component(draw: Any, index: int, features: set[str]) -> CompInfo:
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
            kinds += ["seq", "seq"]
        else:
            kinds = ["int", "int", "bool", "enum", "uint", "big"]
        var = VarInfo(name, draw(st.sampled_from(kinds)), comp)
        k = var.kind
        if k == "set" and draw(st.booleans()):
            var.lo, var.hi = 0, 2  # often the same element type, so that set operations combine two sets
        elif k in ("int", "array", "set", "map", "seq"):
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
        if k == "seq":
            var.size = draw(st.sampled_from([1, 2, 2, 3]))  # the capacity
        if k == "enum":
            var.names = tuple(draw(st.sampled_from([ENUM_POOL[:2], ENUM_POOL, ("b", "c"), ("a", "c")])))
        if k == "map":
            var.names = tuple(draw(st.sampled_from([ENUM_POOL[:2], ENUM_POOL])))
        var.init = _initial(var, draw)
        if k in ("int", "bool", "enum") and draw(st.integers(0, 4)) == 0:
            var.choice = _choice(var, draw)
            features.add("init_choice")
        features.add(k)
        comp.vars.append(var)
    if store and draw(st.integers(0, 3)) == 0:
        # two sets of one element type: set operations (union, move_if, ...) combine them
        comp.vars = []
        for j in range(2):
            var = VarInfo(f"{attr}_v{j}", "set", comp, 0, 2)
            var.init = _initial(var, draw)
            comp.vars.append(var)
        features.add("set")
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
    if v.kind == "seq":
        return draw(st.lists(st.integers(v.lo, v.hi), max_size=v.size))
    return sorted(draw(st.sets(st.integers(v.lo, v.hi), max_size=2)))


def _choice(v: VarInfo, draw: Any) -> tuple[Any, ...]:
    """Initial values to choose from, ``v.init`` first (the engines' ``init=`` choice forms)."""
    if v.kind == "bool":
        return (v.init, not v.init)  # Bool(init=any)
    if v.kind == "enum":
        return (v.init, *(n for n in v.names if n != v.init))  # Enum(..., init=any)
    extra = draw(st.sets(st.integers(v.lo, v.hi), min_size=1, max_size=2)) - {v.init}
    return (v.init, *sorted(extra))


def decl(v: VarInfo) -> str:
    if v.choice is not None:
        if v.kind == "bool":
            return "Bool(init=any)"
        if v.kind == "enum":
            return f"Enum({', '.join(repr(n) for n in v.names)}, init=any)"
        return f"Int(init={set(v.choice)!r}, min={v.lo}, max={v.hi})"
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
    if v.kind == "seq":
        return f"Seq(Int(min={v.lo}, max={v.hi}), capacity={v.size}, init={v.init})"
    return f"Set(Int(min={v.lo}, max={v.hi}), init={v.init})"


def plain_init(v: VarInfo) -> Any:
    if v.kind == "array":
        return list(v.init) if isinstance(v.init, list) else [v.init] * v.size
    if v.kind == "seq":
        return list(v.init)
    if v.kind == "map":
        return dict(v.init)
    if v.kind in ("set", "uset"):
        return frozenset(v.init)
    return v.init
