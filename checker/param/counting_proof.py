"""`--for-all` with counters: the counter system (`checker.param.counting_system`), checked
against the model at fixed sizes (`checker.param.counting_check`), proved by Spacer for
every size from some ``K`` on.

The initial states are the counters' with ``Σ N ≥ K``: a proof there holds for every size
``≥ K`` at once (the counters' sum is the size, and no step changes it). The ladder starts
at the caller's ``K`` (the parameter's minimum, or the size after the largest one that
exhaustive search found violated); where Spacer finds a violation from ``K`` on, it goes on
at ``K + 1``, a few times. Which sizes are violated is not claimed from Spacer's answer: the
caller's exhaustive search of the model finds them, with replayed traces. Where Spacer alone
gives no answer in `ALONE_SECONDS`, it runs again from lemmas guessed from small instances'
states and kept by Houdini because they are inductive for every size
(`checker.param.counting_houdini`). The
invariant Spacer finds is re-checked as an SMT-LIB2 script (three queries, each unsat) and
printed in the model's names: ``#{az : ¬az_in_dns ∧ …}`` is how many units are in that
local state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import z3

from ..certificate import check_text
from ..engines.obligations import Clock
from ..errors import RaceproofError
from ..lang.model import ModelInstance
from .counting import CountRefused
from .counting_check import check_sizes
from .counting_houdini import SAMPLE_SIZES, candidates, houdini, sample
from .counting_system import CounterSystem, read
from .look import look

LADDER = 6  # sizes past the minimum the ladder may climb before it gives up
MAX_SECONDS = 60.0  # at most, whatever the caller's limit: the per-instance fallback still needs its time
# Spacer alone first, for at most this long (NLB's and DWFM's throttled proofs take 1-3 s);
# then with lemmas guessed from small instances (DWFM's drop-expired design needs them)
ALONE_SECONDS = 8.0
CHECKED = (1, 2, 3, 4)  # sizes the reading is compared with the model at (and every declared size)


@dataclass
class Counted:
    """The outcome for some properties: proved for every size ``≥ from_size``, violated at ``violated``."""

    proved: bool
    why: str
    from_size: int | None = None
    violated: list[int] = field(default_factory=list)
    invariant: list[str] = field(default_factory=list)
    certificate_text: str | None = None


def _spacer(
    cs: CounterSystem, properties: list[str], size: z3.BoolRef, clock: Clock, known: z3.BoolRef | None = None
) -> tuple[str, z3.ExprRef | None]:
    """Spacer on the counter system from the initial states with ``size``; ``known``: lemmas
    already shown inductive there (`checker.param.counting_houdini`), which every reachable
    state satisfies, so the steps are taken between such states and the invariant includes them."""
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    # otherwise z3 may inline `Inv` away (no step is ever enabled) and answer with the cover
    # "True", which the certificate's safety query rightly rejects (as in `engines.pdr`)
    fp.set("xform.inline_linear", False)
    fp.set("xform.inline_eager", False)
    left = clock.remaining_ms()
    if left is not None:
        fp.set(timeout=left)
    x, x2 = cs.state(), cs.primed()
    inv = z3.Function("Inv", *[c.sort() for c in x], z3.BoolSort())
    fp.register_relation(inv)
    fp.declare_var(*x, *x2)
    held = z3.BoolVal(True) if known is None else known
    fp.rule(inv(*x), [cs.init, size, cs.dom, held])
    fp.rule(inv(*x2), [inv(*x), cs.dom, held, z3.Not(cs.bad(properties)), cs.trans(x2)])
    try:
        answer = fp.query(z3.And(inv(*x), cs.dom, held, cs.bad(properties)))
    except z3.Z3Exception:  # canceled at the deadline
        return "unknown", None
    if answer == z3.unsat:
        found = z3.substitute_vars(fp.get_cover_delta(-1, inv), *x)
        return "proved", found if known is None else z3.And(found, known)
    return ("violated", None) if answer == z3.sat else ("unknown", None)


def _read(model: ModelInstance, param: str, properties: list[str], helpers: list[str]) -> CounterSystem:
    """The counter system of ``properties``, with the helpers' readings too where they can be read."""
    more = [h for h in dict.fromkeys(helpers) if h not in properties]
    if more:
        try:
            return read(model, param, [*properties, *more])
        except (CountRefused, RaceproofError):
            pass
    return read(model, param, properties)


def _seconds(clock: Clock, most: float) -> float:
    left = clock.remaining_ms()
    return most if left is None else max(min(most, left / 1000), 0.001)


def _guessed(
    cs: CounterSystem, model: ModelInstance, properties: list[str], k: int, clock: Clock
) -> list[z3.BoolRef] | None:
    """Lemmas guessed from the reachable states at sizes ``k``.. and kept by Houdini on the
    counter system (`checker.param.counting_houdini`); None or [] if there are none."""
    seen = sample(cs, model, k, clock)
    if not seen:
        return None
    return houdini(cs, properties, k, candidates(cs, seen), clock)


def certificate(cs: CounterSystem, properties: list[str], inv: z3.ExprRef, lo: int, title: str) -> str:
    """The three queries, each unsat: initiation, consecution (of ``inv ∧ dom``) and safety."""
    x, x2 = cs.state(), cs.primed()
    lines = [
        f"; raceproof counting certificate: {title}",
        f"; the state: the shared slots and one counter per local state of a {cs.units.param} unit "
        f"(their sum is {cs.units.param}, any value >= {lo})",
    ]
    lines += [f";   {c.sexpr()} = #{{{_unit(cs)} : {cs.class_text(k)}}}" for k, c in enumerate(cs.counts)]
    lines.append("; re-check: z3 THIS_FILE  -- the three (check-sat) answers must all be unsat")
    lines += [f"(declare-fun {c.sexpr()} () {c.sort().sexpr()})" for c in [*x, *x2]]
    nxt = [(a, b) for a, b in zip(x, x2, strict=True)]
    bad = cs.bad(properties)
    blocks = [
        ("initiation", z3.And(cs.init, cs.size >= lo, cs.dom, z3.Not(inv))),
        ("consecution", z3.And(inv, cs.dom, z3.Not(bad), cs.trans(x2),
                               z3.Not(z3.And(z3.substitute(inv, *nxt), z3.substitute(cs.dom, *nxt))))),
        ("safety", z3.And(inv, cs.dom, bad)),
    ]  # fmt: skip
    for name, body in blocks:
        lines += ["", f"; {name}", "(push 1)", f"(assert {body.sexpr()})", "(check-sat)", "(pop 1)"]
    return "\n".join(lines) + "\n"


def _unit(cs: CounterSystem) -> str:
    return cs.units.attr or next(iter(cs.units.args.values()), cs.units.param)


def shown(cs: CounterSystem, inv: z3.ExprRef) -> list[str]:
    """The invariant's conjuncts in the model's names: a sum of counters is how many units
    satisfy a condition, ``#{az : ¬az_in_dns}`` (a few such conditions where one does not cover it)."""
    index = {c.get_id(): k for k, c in enumerate(cs.counts)}
    preds = _predicates(cs)

    def named(ks: frozenset[int]) -> list[z3.ArithRef]:
        out, left = [], set(ks)
        while left:
            text, cover = max(((t, c) for t, c in preds if c <= left), key=lambda tc: (len(tc[1]), -len(tc[0])))
            out.append(z3.Int(f"#{{{_unit(cs)} : {text}}}"))
            left -= cover
        return out

    def atom(c: z3.ExprRef) -> tuple[int, int] | None:
        """``#k`` or ``coef * #k``: (coef, k)."""
        if c.get_id() in index:
            return 1, index[c.get_id()]
        if z3.is_mul(c) and c.num_args() == 2 and z3.is_int_value(c.arg(0)) and c.arg(1).get_id() in index:
            return c.arg(0).as_long(), index[c.arg(1).get_id()]
        return None

    flip = {z3.Z3_OP_GE: lambda a, b: a < b, z3.Z3_OP_LE: lambda a, b: a > b,
            z3.Z3_OP_GT: lambda a, b: a <= b, z3.Z3_OP_LT: lambda a, b: a >= b}  # fmt: skip

    def walk(e: z3.ExprRef) -> z3.ExprRef:
        if e.get_id() in index:
            return named(frozenset({index[e.get_id()]}))[0]
        if z3.is_add(e):
            coefs: dict[int, set[int]] = {}
            rest = []
            for c in e.children():
                found = atom(c)
                if found is None:
                    rest.append(walk(c))
                else:
                    coefs.setdefault(found[0], set()).add(found[1])
            for coef, ks in sorted(coefs.items(), key=lambda kv: -kv[0]):
                rest += [t if coef == 1 else coef * t for t in named(frozenset(ks))]
            return z3.Sum(rest)
        if z3.is_not(e) and e.arg(0).decl().kind() in flip:
            inner = e.arg(0)
            return flip[inner.decl().kind()](walk(inner.arg(0)), walk(inner.arg(1)))
        if z3.is_app(e) and e.num_args() > 0:
            return e.decl()(*[walk(c) for c in e.children()])
        return e

    body = walk(z3.simplify(inv))
    parts = body.children() if z3.is_and(body) else [body]
    return [" ".join(str(p).split()) for p in parts]


def _predicates(cs: CounterSystem) -> list[tuple[str, frozenset[int]]]:
    """Conditions on a unit's slots (each: any value, one value, or a range of ints) and the classes they hold in."""
    per_slot: list[list[tuple[str, object]]] = []
    for j, name in enumerate(cs.unit_names):
        values = sorted({c[j].as_long() if z3.is_int_value(c[j]) else z3.is_true(c[j]) for c in cs.classes})
        opts: list[tuple[str, object]] = [("", None)]
        if all(isinstance(v, bool) for v in values):
            opts += [(name, True), (f"¬{name}", False)]
        else:
            for a in range(len(values)):
                for b in range(a, len(values)):
                    lo, hi = values[a], values[b]
                    if (a, b) != (0, len(values) - 1):
                        text = f"{name}={lo}" if a == b else f"{lo}≤{name}≤{hi}"
                        opts.append((text, (lo, hi)))
        per_slot.append(opts)
    out = []
    for combo in itertools.product(*per_slot):
        cover = frozenset(
            k for k, c in enumerate(cs.classes) if all(_fits(c[j], want) for j, (_, want) in enumerate(combo))
        )
        if cover:
            out.append((" ∧ ".join(t for t, _ in combo if t) or "any state", cover))
    return out


def _fits(v: z3.ExprRef, want: object) -> bool:
    if want is None:
        return True
    if isinstance(want, bool):
        return z3.is_true(v) == want
    lo, hi = want  # type: ignore[misc]
    return bool(lo <= v.as_long() <= hi)


def count_for_all(
    model: ModelInstance,
    param: str,
    properties: list[str],
    timeout: float | None,
    start: int | None = None,
    ladder: int = LADDER,
    helpers: list[str] | None = None,
) -> Counted:
    """``properties`` for every value of ``param`` from ``start`` on (default: its minimum), with
    counters; where they fail from some size on, the next sizes, up to LADDER more. Which
    sizes are violated is the caller's to find (exhaustive search: a replayed trace).
    ``helpers``: other properties whose readings may serve as lemmas (only if inductive)."""
    clock = Clock(MAX_SECONDS if timeout is None else min(timeout, MAX_SECONDS))
    decl = model.model.params()[param]
    lo = decl.min if decl.min is not None else 1
    sizes = sorted({n for n in CHECKED if n >= lo} | set(range(lo, (decl.max or lo) + 1)))
    try:
        cs = _read(model, param, properties, helpers or [])
    except CountRefused as exc:
        return Counted(False, f"refused: {exc.reason}")
    except RaceproofError as exc:  # the model fails while it is read (a model error at size 2)
        return Counted(False, f"not read with counters: {exc}")
    violated: list[int] = []
    first = max(lo, start or lo)
    last = ""  # why the last size tried is not where the proof starts
    for k in range(first, first + ladder + 1):
        # violated at k itself (breadth-first search, a replayed trace): no proof from k on, and
        # Spacer is slow to say so (DWFM's collapse at workers=1: two minutes, to its limit)
        found = look(model, {param: k}, properties, clock)
        if found is not None:
            last = f"breadth-first search finds {', '.join(sorted(found.depths))} violated at {param}={k} (replayed)"
            continue
        status, inv = "unknown", None
        if ALONE_SECONDS > 0:  # (0: straight to the guessed lemmas, as the cross-check runs it)
            status, inv = _spacer(cs, properties, cs.size >= k, Clock(_seconds(clock, ALONE_SECONDS)))
        guessed = 0
        if status == "unknown" and not clock.expired():  # lemmas from small instances' states first
            known = _guessed(cs, model, properties, k, clock)
            if known:
                guessed = len(known)
                status, inv = _spacer(cs, properties, cs.size >= k, clock, z3.And(known))
        if status == "unknown":
            return Counted(False, f"not proved with counters: Spacer gave no answer for {param} ≥ {k} in time",
                           violated=violated)  # fmt: skip
        if status == "proved":  # a claim: only now is the reading compared with the model (it costs)
            assert inv is not None
            try:
                differs = check_sizes(cs, model, sizes)
            except RaceproofError as exc:
                differs = f"(the model fails: {exc})"
            if differs is not None:
                return Counted(False, f"refused: the counter reading differs from the model {differs}")
            title = f"{model.model.__module__}:{model.model.__qualname__}, {', '.join(properties)}; {param} >= {k}"
            text = certificate(cs, properties, inv, k, title)
            check = check_text(
                text, None if clock.remaining_ms() is None else max(clock.remaining_ms() or 0, 10_000) / 1000
            )
            if not check.ok:
                return Counted(False, f"the counting invariant failed the re-check: {check.describe()}")
            why = (
                f"proved for all {param} ≥ {k} with counters ({len(cs.classes)}, one per local state of one "
                f"{_unit(cs)}); the counter reading was checked equal to the model at {param} = "
                f"{', '.join(map(str, sizes))}; {check.describe()}"
            )
            if guessed:
                upto = k + SAMPLE_SIZES - 1
                why += (f"; with {guessed} lemma(s) guessed from the reachable states at {param} = {k}..{upto} and "
                        "kept by Houdini because they are inductive for every size")  # fmt: skip
            return Counted(True, why, k, violated, shown(cs, inv), text)
        last = f"Spacer finds a violation for some {param} ≥ {k}"
    return Counted(False, f"not proved with counters: {last}")
