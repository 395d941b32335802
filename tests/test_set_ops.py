"""Set operations (`checker.lang.setops`): every engine on small models with known answers.

Three encodings of a set meet here: bits (finite element types), intervals (unbounded int
sets that stay contiguous) and z3 arrays (the others). The answers are known independently:
a plain-Python breadth-first search over frozensets in this file (it imports nothing from
the model language), and the concrete and symbolic interpretations of every operation are
compared state by state.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import z3

from checker.encoding import Encoding
from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.prove import prove
from checker.engines.simulate import simulate
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.lang.runtime import CONCRETE, evaluate, fire
from checker.results import Verdict
from tests.conftest import assert_located, make_project, run_script

# ---------------------------------------------------------------------------- finite: bits
FINITE = """
from checker import Model, Process, Store, Int, Set, action, require, invariant, reachable, choose

class Box(Store):
    todo = Set(Int(min=0, max=3), init=[1, 2])
    done = Set(Int(min=0, max=3))

class W(Process):
    @action(p=choose("todo", lambda p: p != 2))
    def finish(self, sys, p):
        sys.todo.discard(p)
        sys.done.add(p)

    @action
    def reopen(self, sys):
        require(sys.done.size() >= 1)
        sys.done.move_if(lambda x: x <= 1, sys.todo)

    @action
    def grow(self, sys):
        require(sys.todo.max(default=0) < 3)
        sys.todo.add(sys.todo.max(default=0) + 1)

    @action
    def settle(self, sys):
        require(~sys.todo.intersection(sys.done).is_empty() | (sys.todo.size() == 0))
        sys.done = sys.done.difference(sys.todo).filter(lambda x: x > 0)

class M(Model):
    box = Box()
    w = W()

    @invariant
    def disjoint(sys):
        return sys.todo.intersection(sys.done).is_empty()

    @invariant
    def small(sys):
        return sys.todo.union(sys.done).size() <= 3

    @reachable
    def all_done(sys):
        return sys.todo.is_empty() & (sys.done.min(default=9) == 1)
"""


def reference_finite() -> dict[tuple[frozenset[int], frozenset[int]], int]:
    """The FINITE model's reachable states with their BFS depth, in plain Python."""

    def successors(todo: frozenset[int], done: frozenset[int]):
        for p in sorted(todo):
            if p != 2:
                yield todo - {p}, done | {p}
        if done:
            moved = {x for x in done if x <= 1}
            yield todo | moved, done - moved
        top = max(todo, default=0)
        if top < 3:
            yield todo | {top + 1}, done
        if todo & done or not todo:
            yield todo, frozenset(x for x in done - todo if x > 0)

    start = (frozenset({1, 2}), frozenset())
    depth = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for s in frontier:
            for t in successors(*s):
                if t not in depth:
                    depth[t] = depth[s] + 1
                    nxt.append(t)
        frontier = nxt
    return depth


def build(source: str, name: str = "M", **params: Any) -> ModelInstance:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<set model>", "exec"), namespace)  # noqa: S102
    return namespace[name].build(**params)


def test_finite_sets_every_engine_matches_the_reference() -> None:
    ref = reference_finite()
    overlap = [d for (todo, done), d in ref.items() if todo & done]
    too_big = [s for s in ref if len(s[0] | s[1]) > 3]
    all_done = [s for s in ref if not s[0] and min(s[1], default=9) == 1]
    assert overlap and not too_big and not all_done  # the reference's answers, stated
    props = ["disjoint", "small", "all_done"]
    for backend in ("numpy", "python"):
        disjoint, small, done = run_explicit(build(FINITE), props, backend=backend, symmetry=False)
        assert disjoint.verdict is Verdict.VIOLATED and len(disjoint.trace) == min(overlap), backend
        assert disjoint.extra["states"] == len(ref), backend
        assert small.verdict is Verdict.HOLDS and done.verdict is Verdict.UNREACHABLE, backend
    disjoint, small, _ = run_bmc(build(FINITE), props, 6)
    assert disjoint.verdict is Verdict.VIOLATED and len(disjoint.trace) == min(overlap)
    assert small.verdict is Verdict.HOLDS_TO_DEPTH
    # the trace names the picked member: finish(p=3)
    assert [str(t) for t in disjoint.trace.transitions] == ["w.grow", "w.finish(p=3)", "w.grow"]
    (small,) = prove(build(FINITE), ["small"], "pdr", timeout=60)
    assert small.verdict is Verdict.PROVED, small.reason
    (disjoint,) = prove(build(FINITE), ["disjoint"], "kind", timeout=60)
    assert disjoint.verdict is Verdict.VIOLATED
    results, _ = simulate(build(FINITE), ["disjoint"], walks=64, depth=8, seed=1)
    assert results[0].verdict is Verdict.VIOLATED


#: properties over two finite sets, one per operation, each with its plain-Python meaning
OPS = {
    "union": ("sys.a.union(sys.b).contains(2)", lambda a, b: 2 in a | b),
    "intersection": ("sys.a.intersection(sys.b).is_empty()", lambda a, b: not a & b),
    "difference": ("sys.a.difference(sys.b).size() == 1", lambda a, b: len(a - b) == 1),
    "filter": ("sys.a.filter(lambda x: x >= 2).size() >= 1", lambda a, b: len({x for x in a if x >= 2}) >= 1),
    "min": ("sys.a.min(default=7) == 1", lambda a, b: min(a, default=7) == 1),
    "max": ("sys.b.max(default=-1) == 3", lambda a, b: max(b, default=-1) == 3),
    "min_guarded": ("implies(~sys.a.is_empty(), sys.a.min() <= sys.a.max())", lambda a, b: True),
    "size": ("sys.a.size() + sys.b.size() == 4", lambda a, b: len(a) + len(b) == 4),
    "chained": ("sys.a.union(sys.b).difference(sys.a.intersection(sys.b)).max(default=0) == 2",
                lambda a, b: max((a | b) - (a & b), default=0) == 2),
}  # fmt: skip

PAIR = """
from checker import Model, Store, Int, Set, invariant, implies

class S(Store):
    a = Set(Int(min=0, max=3))
    b = Set(Int(min=0, max=3))

class M(Model):
    s = S()
{props}
"""


def test_each_operation_means_the_same_in_both_interpretations_on_every_state() -> None:
    props = "".join(f"\n    @invariant\n    def {n}(sys):\n        return {e}\n" for n, (e, _) in OPS.items())
    model = build(PAIR.format(props=props))
    enc = Encoding(model)
    subsets = [frozenset(c) for k in range(5) for c in itertools.combinations(range(4), k)]
    for a, b in itertools.product(subsets, subsets):
        state = (a, b)
        x = enc.const_state(state)
        for name, (_, meaning) in OPS.items():
            concrete = evaluate(model, CONCRETE, name, state)
            symbolic = z3.simplify(enc.prop(name, x))
            assert concrete == meaning(a, b) == z3.is_true(symbolic), (name, set(a), set(b))


# ---------------------------------------------------------------------------- unbounded: intervals
INTERVALS = """
from checker import Model, Process, Store, Int, Set, action, require, invariant, implies

class Plans(Store):
    plans = Set(Int(min=1), init=[1])
    latest = Int(init=1, min=1, max=5)
    archive = Set(Int(min=1))

class Planner(Process):
    @action
    def publish(self, sys):
        require(sys.latest < 5)
        sys.latest = sys.latest + 1
        sys.plans.add(sys.latest)

class Cleaner(Process):
    @action
    def clean(self, sys):
        require(sys.plans.size() >= 2)
        sys.plans.move_if(lambda g: g < sys.plans.max(), sys.archive)

    @action
    def clear_archive(self, sys):
        require(~sys.archive.is_empty())
        sys.archive = sys.archive.filter(lambda g: g > sys.archive.min())

class M(Model):
    planner = Planner()
    cleaner = Cleaner()
    store = Plans()

    @invariant
    def never_empty(sys):
        return ~sys.plans.is_empty()

    @invariant
    def newest_kept(sys):
        return sys.plans.max(default=0) == sys.latest

    @invariant
    def at_most_two(sys):
        return sys.plans.size() <= 2

    @invariant
    def archive_below(sys):
        return implies(~sys.archive.is_empty(), sys.archive.max() < sys.plans.min())
"""


def reference_intervals() -> dict[tuple[frozenset[int], int, frozenset[int]], int]:
    def successors(plans: frozenset[int], latest: int, archive: frozenset[int]):
        if latest < 5:
            yield plans | {latest + 1}, latest + 1, archive
        if len(plans) >= 2:
            moved = {g for g in plans if g < max(plans)}
            yield plans - moved, latest, archive | moved
        if archive:
            yield plans, latest, frozenset(g for g in archive if g > min(archive))

    start = (frozenset({1}), 1, frozenset())
    depth = {start: 0}
    frontier = [start]
    while frontier:
        frontier = [t for s in frontier for t in successors(*s) if t not in depth and not _visit(depth, t, s)]
    return depth


def _visit(depth: dict[Any, int], state: Any, parent: Any) -> None:
    depth[state] = depth[parent] + 1


def test_unbounded_sets_as_intervals_every_engine_matches_the_reference() -> None:
    ref = reference_intervals()
    assert all(p and max(p) == latest and (not a or max(a) < min(p)) for p, latest, a in ref)
    shortest_three = min(d for (p, _, _), d in ref.items() if len(p) > 2)
    props = ["never_empty", "newest_kept", "at_most_two", "archive_below"]
    for backend in ("auto", "python"):
        results = run_explicit(build(INTERVALS), props, backend=backend, symmetry=False)
        verdicts = [r.verdict for r in results]
        assert verdicts == [Verdict.HOLDS, Verdict.HOLDS, Verdict.VIOLATED, Verdict.HOLDS], backend
        assert results[0].extra["states"] == len(ref)
        assert len(results[2].trace) == shortest_three
    results = run_bmc(build(INTERVALS), props, 8)
    assert [r.verdict for r in results] == [Verdict.HOLDS_TO_DEPTH] * 2 + [Verdict.VIOLATED, Verdict.HOLDS_TO_DEPTH]
    proved = prove(build(INTERVALS), ["never_empty", "newest_kept", "archive_below"], "pdr", timeout=120)
    assert [r.verdict for r in proved] == [Verdict.PROVED] * 3, [r.reason for r in proved]
    enc = Encoding(build(INTERVALS))  # min/max/size asked for intervals even where arrays are the default
    assert {enc.model.slots[i].name for i in enc.interval_slots} == {"plans", "archive"}


# ---------------------------------------------------------------------------- unbounded: arrays
ARRAYS = """
from checker import Model, Process, Store, Int, Set, action, require, invariant

class S(Store):
    evens = Set(Int(min=0), init=[0, 4])
    k = Int(init=0, min=0, max=3)

class P(Process):
    @action
    def put(self, sys):
        require(sys.k < 3)
        sys.k = sys.k + 1
        sys.evens.add(sys.k * 2)

    @action
    def take(self, sys):
        sys.evens.discard(sys.k * 2)

    @action
    def merge(self, sys):
        sys.evens = sys.evens.union(sys.evens.intersection({0, 1, 2})).difference({6})

class M(Model):
    p = P()
    s = S()

    @invariant
    def some_even(sys):
        return ~sys.evens.is_empty()

    @invariant
    def no_six(sys):
        return ~sys.evens.contains(6)

    @invariant
    def no_odd(sys):
        return ~sys.evens.contains(1) & ~sys.evens.contains(3)
"""


def reference_arrays() -> dict[tuple[frozenset[int], int], int]:
    def successors(evens: frozenset[int], k: int):
        if k < 3:
            yield evens | {2 * (k + 1)}, k + 1
        yield evens - {2 * k}, k
        yield (evens | (evens & {0, 1, 2})) - {6}, k

    start = (frozenset({0, 4}), 0)
    depth = {start: 0}
    frontier = [start]
    while frontier:
        frontier = [t for s in frontier for t in successors(*s) if t not in depth and not _visit(depth, t, s)]
    return depth


def test_unbounded_sets_as_arrays_is_empty_is_exact_in_every_engine() -> None:
    ref = reference_arrays()
    empty_at = min(d for (e, _), d in ref.items() if not e)
    six_at = min(d for (e, _), d in ref.items() if 6 in e)
    props = ["some_even", "no_six", "no_odd"]
    for backend in ("auto", "python"):
        empty, six, odd = run_explicit(build(ARRAYS), props, backend=backend, symmetry=False)
        assert (empty.verdict, six.verdict, odd.verdict) == (Verdict.VIOLATED, Verdict.VIOLATED, Verdict.HOLDS)
        assert (len(empty.trace), len(six.trace), odd.extra["states"]) == (empty_at, six_at, len(ref))
    props = props[:2]
    results = run_bmc(build(ARRAYS), props, 6)
    assert [(r.verdict, len(r.trace)) for r in results] == [(Verdict.VIOLATED, empty_at), (Verdict.VIOLATED, six_at)]
    # k-induction may answer unknown on arrays, never a proof; a counterexample is the shortest one
    for r, length in zip(prove(build(ARRAYS), props, "kind", timeout=60), (empty_at, six_at), strict=True):
        assert r.verdict in (Verdict.VIOLATED, Verdict.UNKNOWN), r.verdict
        assert r.verdict is Verdict.UNKNOWN or len(r.trace) == length
    assert not Encoding(build(ARRAYS), sets="auto").interval_slots  # a gap: the set stays an array


# ---------------------------------------------------------------------------- refusals, located
REFUSED_SIZE = """
from checker import Model, Process, Store, Int, Set, action, require, invariant

class S(Store):
    evens = Set(Int(min=0), init=[0, 4])

class P(Process):
    @action
    def put(self, sys):
        require(sys.evens.size() < 3)  # BAD
        sys.evens.add(sys.evens.max(default=0) + 2)

class M(Model):
    p = P()
    s = S()

    @invariant
    def some_even(sys):
        return ~sys.evens.is_empty()

MODEL = M
"""

CHOOSE_UNBOUNDED = """
from checker import Model, Process, Store, Int, Set, action, choose, invariant

class S(Store):
    plans = Set(Int(min=1), init=[1])

class P(Process):
    @action(p=choose("plans"))  # BAD
    def take(self, sys, p):
        sys.plans.discard(p)

class M(Model):
    p = P()
    s = S()

    @invariant
    def ok(sys):
        return True

MODEL = M
"""

CHOOSE_IN_BODY = """
from checker import Model, Process, Store, Int, Set, action, invariant

class S(Store):
    plans = Set(Int(min=0, max=3), init=[1])

class P(Process):
    @action
    def take(self, sys):
        sys.plans.discard(sys.plans.choose())  # BAD

class M(Model):
    p = P()
    s = S()

    @invariant
    def ok(sys):
        return True

MODEL = M
"""

EMPTY_MIN = """
from checker import Model, Process, Store, Int, Set, action, require, invariant

class S(Store):
    plans = Set(Int(min=0, max=3), init=[1])

class P(Process):
    @action
    def drop(self, sys):
        sys.plans.discard(1)

class M(Model):
    p = P()
    s = S()

    @invariant
    def low(sys):
        return sys.plans.min() <= 1  # BAD

MODEL = M
"""

REFUSALS = {
    "size_of_array": (REFUSED_SIZE, "not quantifier-free", "some_even"),
    "choose_unbounded": (CHOOSE_UNBOUNDED, "an unbounded type has no finite list", "ok"),
    "choose_in_body": (CHOOSE_IN_BODY, "a nondeterministic choice is an action argument", "ok"),
    "min_of_empty": (EMPTY_MIN, r"min\(\) of an empty set", "low"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_operations_are_located_model_errors_in_every_engine(case: str) -> None:
    source, phrase, prop = REFUSALS[case]
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if "# BAD" in text)
    runs = {
        "explicit": lambda m: run_explicit(m, [prop], symmetry=False),
        "python": lambda m: run_explicit(m, [prop], backend="python", symmetry=False),
        "bmc": lambda m: run_bmc(m, [prop], 4),
        "pdr": lambda m: prove(m, [prop], "pdr", timeout=30),
    }
    for engine, run in runs.items():
        with pytest.raises(ModelError, match=phrase) as err:
            run(build(source))
        assert err.value.line == line, engine


def test_a_refusal_exits_2_with_the_model_line_from_the_cli(tmp_path: Path) -> None:
    spec = '[check]\ndepth = 4\n[expect]\nsome_even = "holds"\n'
    project = make_project(tmp_path / "proj", {"refused": REFUSED_SIZE}, {"refused": 'model = "refused"\n' + spec})
    for engine in ("explicit", "bmc"):
        result = run_script("check", str(project / "specs" / "refused.toml"), "--engine", engine)
        assert result.exit_code == 2, result.output
        model = project / "models" / "refused" / "__init__.py"
        assert_located(result.stderr, model, next(n for n, t in enumerate(REFUSED_SIZE.splitlines(), 1) if "BAD" in t))
        assert "not quantifier-free" in result.stderr and "Traceback" not in result.output


def test_min_of_an_empty_set_is_fine_where_a_guard_makes_it_irrelevant() -> None:
    guarded = "return implies(~sys.plans.is_empty(), sys.plans.min() <= 1)"
    source = EMPTY_MIN.replace("return sys.plans.min() <= 1  # BAD", guarded)
    source = source.replace("require, invariant", "require, invariant, implies")
    for run in (
        lambda m: run_explicit(m, ["low"], symmetry=False),
        lambda m: run_bmc(m, ["low"], 4),
        lambda m: prove(m, ["low"], "pdr", timeout=30),
    ):
        (r,) = run(build(source))
        assert r.verdict in (Verdict.HOLDS, Verdict.HOLDS_TO_DEPTH, Verdict.PROVED), r.reason


def test_assignment_keeps_the_element_type_and_choose_only_picks_members() -> None:
    model = build(FINITE)
    finish = {t.args["p"]: t for t in model.transitions if t.action.name == "finish"}
    assert sorted(finish) == [0, 1, 2, 3]  # one transition per value of the element type
    assert fire(model, finish[0], model.init) is None  # 0 is not a member
    assert fire(model, finish[2], model.init) is None  # the predicate excludes 2
    assert fire(model, finish[1], model.init) == (frozenset({2}), frozenset({1}))
    wrong = FINITE.replace("done = Set(Int(min=0, max=3))", "done = Set(Int(min=0, max=4))")
    with pytest.raises(ModelError, match=r"elements are int\[0..4\] and int\[0..3\]") as err:
        run_explicit(build(wrong), ["small"], symmetry=False)
    assert "move_if" in FINITE.splitlines()[err.value.line - 1]
    copy = PAIR.format(props="\n    @invariant\n    def t(sys):\n        return True\n")
    copy = copy.replace("b = Set(Int(min=0, max=3))", "b = Set(Int(min=0, max=4))")
    copy = copy.replace(
        "class M(Model):",
        """class P(Process):
    @action
    def copy(self, sys):
        sys.b = sys.a  # BAD

class M(Model):
    p = P()""",
    ).replace("from checker import", "from checker import Process, action,")
    with pytest.raises(ModelError, match=r"'b' holds int\[0..4\]; cannot assign a set of int\[0..3\]") as err:
        run_explicit(build(copy), ["t"], symmetry=False)
    assert "# BAD" in copy.splitlines()[err.value.line - 1]


GAPPED = """
from checker import Model, Process, Store, Int, Set, action, require, invariant

class S(Store):
    plans = Set(Int(min=1), init=[1])
    latest = Int(init=1, min=1, max=4)

class P(Process):
    @action
    def publish(self, sys):
        require(sys.latest < 4)
        sys.latest = sys.latest + 1
        sys.plans.add(sys.latest * 2)  # BAD

class M(Model):
    p = P()
    s = S()

    @invariant
    def top(sys):
        return sys.plans.max(default=0) <= 8
"""


def test_a_set_whose_max_is_read_and_that_gets_a_gap_is_refused_by_the_symbolic_engines() -> None:
    """max() needs the interval form symbolically; a reachable gap is a located error there
    (no retry with arrays, which cannot answer max), while explicit search answers exactly."""
    (r,) = run_explicit(build(GAPPED), ["top"], symmetry=False)
    assert r.verdict is Verdict.HOLDS and r.extra["states"] == 4
    line = next(n for n, text in enumerate(GAPPED.splitlines(), start=1) if "# BAD" in text)
    for run in (lambda m: run_bmc(m, ["top"], 5), lambda m: prove(m, ["top"], "pdr", timeout=30)):
        with pytest.raises(ModelError, match="because the model reads its min/max/size") as err:
            run(build(GAPPED))
        assert err.value.line == line
