"""Proof certificates: an invariant, re-checked by a fresh solver, written as SMT-LIB2.

A proof engine's word is not enough: before a property is reported proved, the invariant it
found is checked again, from a self-contained SMT-LIB2 script, in a fresh z3 context. The
same script is what ``z3 FILE`` re-checks later. It defines the model's initial states
(``init``), types (``dom``), step relation (``trans``, the oracle naming the transition),
range checks (``ranges``), properties (``prop`` for state invariants, ``step_ok`` for action
invariants and range checks) and the invariant (``inv``), and asks three questions, each of
which must be ``unsat``:

- initiation: ``init => inv & dom``;
- consecution: ``inv & dom & ranges & trans => inv' & dom'``;
- safety: ``inv & dom => prop`` and ``inv & dom & trans => step_ok``.

Together they make ``inv`` hold in every reachable state and every step keep the
properties. A k-induction proof with k > 1 gives a k-inductive invariant instead: the
script then says so (``k``), initiation covers every path of fewer than k steps from
``init``, and consecution and safety assume ``inv``, ``dom`` and ``step_ok`` along k
consecutive states (pairwise distinct, when the proof needed simple paths).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import z3

from .atomic import write_text_atomic
from .children import pdeathsig
from .encoding import Encoding, State
from .engines.obligations import Obligations, stop_signal
from .interrupts import interruptible

BLOCKS = ("initiation", "consecution", "safety")


@dataclass
class Certificate:
    enc: Encoding
    invariant: z3.BoolRef  # over the encoding's template state ``enc.x``
    properties: list[str]
    k: int = 1
    simple_path: bool = False
    engine: str = ""
    _text: str | None = field(default=None, repr=False)

    def to_smtlib(self) -> str:
        if self._text is None:
            self._text = _Writer(self).text()
        return self._text

    def write(self, path: str | Path) -> Path:
        """Write the SMT-LIB2 script to ``path`` (its folder is created), atomically: a full disk
        leaves no partial script (`checker.errors.OutputError`)."""
        write_text_atomic(path, self.to_smtlib())
        return Path(path)


@dataclass
class CheckResult:
    ok: bool
    answers: dict[str, str]  # block -> "unsat" | "sat" | "unknown" | other output
    how: str  # "z3 binary <path>" | "in-process (fresh context)"

    @property
    def failed(self) -> list[str]:
        return [b for b, a in self.answers.items() if a != "unsat"]

    def describe(self) -> str:
        if self.ok:
            return f"initiation, consecution and safety re-checked unsat ({self.how})"
        return "certificate rejected: " + ", ".join(f"{b} is {self.answers.get(b, 'missing')}" for b in self.failed)


def check_text(text: str, timeout: float | None = 120) -> CheckResult:
    """Run an SMT-LIB2 certificate in a fresh z3 context of this process."""
    ctx = z3.Context()
    # interrupted at the timeout, or when the engine running in this thread is stopped
    # (`obligations.stoppable`): an interrupted check answers unknown, which is no proof
    stop, finished = stop_signal(), threading.Event()
    if timeout or stop is not None:
        threading.Thread(target=_interrupt_when, args=(ctx, stop, finished, timeout), daemon=True).start()
    try:
        with interruptible(ctx):  # by Ctrl-C too
            output = z3.Z3_eval_smtlib2_string(ctx.ref(), text)
    except z3.Z3Exception as exc:
        output = f"error {exc}"
    finally:
        finished.set()
    return _result(output, "in-process (fresh context)")


def _interrupt_when(
    ctx: z3.Context, stop: threading.Event | None, finished: threading.Event, timeout: float | None
) -> None:
    ends = None if not timeout else time.monotonic() + timeout
    while not finished.is_set():
        if stop is not None and stop.is_set() or ends is not None and time.monotonic() >= ends:
            ctx.interrupt()
            return
        if stop is not None:
            finished.wait(0.05)
        elif ends is not None:
            finished.wait(max(ends - time.monotonic(), 0.0))


def check(cert: Certificate, timeout: float | None = 120) -> CheckResult:
    """Re-check a certificate before its proof is reported (a fresh solver, from the script)."""
    return check_text(cert.to_smtlib(), timeout)


def check_file(path: str | Path, timeout: float | None = 300, binary: str | None = None) -> CheckResult:
    """Re-check a certificate file: with the ``z3`` executable if there is one, else in-process."""
    exe = binary or z3_binary()
    if exe is None:
        return check_text(Path(path).read_text(), timeout)
    try:
        proc = subprocess.run(
            [exe, "-smt2", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=pdeathsig,  # noqa: PLW1509 - async-signal-safe enough: one prctl call
        )
    except subprocess.TimeoutExpired:
        return CheckResult(False, {b: "unknown" for b in BLOCKS}, f"z3 binary {exe} (timed out)")
    return _result(proc.stdout + proc.stderr, f"z3 binary {exe}")


def z3_binary() -> str | None:
    """The ``z3`` executable: next to this Python (pip's z3-solver installs one), or on PATH."""
    beside = Path(sys.executable).parent / "z3"
    if beside.is_file():
        return str(beside)
    return shutil.which("z3")


def _result(output: str, how: str) -> CheckResult:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    answers = {b: (lines[i] if i < len(lines) else "missing") for i, b in enumerate(BLOCKS)}
    extra = lines[len(BLOCKS) :]
    if extra:  # anything more (an error message) is a failure of the script itself
        answers["output"] = " ".join(extra)
    ok = all(answers[b] == "unsat" for b in BLOCKS) and not extra
    return CheckResult(ok, answers, how)


# ---------------------------------------------------------------------------- writing
class _Writer:
    def __init__(self, cert: Certificate):
        self.cert = cert
        self.enc = cert.enc
        self.obl = Obligations(cert.enc, cert.properties)

    def text(self) -> str:
        cert, enc = self.cert, self.enc
        model = enc.model
        params = ", ".join(f"{k}={v!r}" for k, v in model.param_dict().items())
        lines = [
            f"; raceproof proof certificate for {model.model.__module__}:{model.model.__qualname__}({params})",
            f"; properties: {', '.join(cert.properties)}",
            f"; found by: {cert.engine or '?'}; k = {cert.k}{'; simple paths' if cert.simple_path else ''}",
            "; re-check: z3 THIS_FILE  -- the three (check-sat) answers must all be unsat",
        ]
        enums = sorted(enc.interp.enum_ids.items(), key=lambda kv: kv[1])
        if enums:
            lines.append("; enum values are integers: " + ", ".join(f"{n}={i}" for n, i in enums))
        for i in sorted(enc.interval_slots):
            name = model.slots[i].name
            lines.append(f"; the set {name} is the integers from {name}.lo to {name}.hi (empty if .lo > .hi)")
        lines.append("")
        lines += self.definitions()
        k = cert.k
        states = [enc.fresh_state(f"@{i}") for i in range(k + 1)]
        oracles = [z3.Int(f"oracle@{i}") for i in range(k)]
        for s in states:
            lines += [f"(declare-fun {c.sexpr()} () {c.sort().sexpr()})" for c in enc.flat(s)]
        lines += [f"(declare-fun {o.sexpr()} () Int)" for o in oracles]
        for name, goal in zip(BLOCKS, self.blocks(states, oracles), strict=True):
            lines += ["", f"; {name}", "(push 1)", f"(assert (not {goal}))", "(check-sat)", "(pop 1)"]
        return "\n".join(lines) + "\n"

    def definitions(self) -> list[str]:
        enc, obl = self.enc, self.obl
        x, x2, o = enc.x, enc.x_next, enc.oracle
        state = _params(enc.flat(x))
        step = f"{state} ({o.sexpr()} Int) {_params(enc.flat(x2))}"
        ranges = obl.range_ok(x, o)  # (built once: `step_ok` includes it; 40% of the text's time)
        defs = [
            ("init", state, enc.init(x)),
            ("dom", state, enc.domain(x)),
            ("inv", state, self.cert.invariant),
            ("prop", state, obl.state_ok(x)),
            ("trans", step, enc.trans(x, o, x2)),
            ("ranges", f"{state} ({o.sexpr()} Int)", ranges),
            ("step_ok", step, obl.step_ok(x, o, x2, ranges=ranges)),
        ]
        return [f"(define-fun {name} ({args}) Bool\n  {body.sexpr()})" for name, args, body in defs]

    def blocks(self, xs: list[State], os: list[z3.ArithRef]) -> list[str]:
        k = self.cert.k
        written: dict[int, str] = {}  # each state's (or oracle's) arguments, by id: written once

        def arguments(p: State | z3.ArithRef) -> str:
            if id(p) not in written:
                written[id(p)] = " ".join(c.sexpr() for c in (self.enc.flat(p) if isinstance(p, list) else [p]))
            return written[id(p)]

        def app(fn: str, *parts: State | z3.ArithRef) -> str:
            return f"({fn} {' '.join(a for a in map(arguments, parts) if a)})"

        def good(i: int) -> list[str]:
            return [app("inv", xs[i]), app("dom", xs[i])]

        def path(n: int) -> list[str]:
            return [app("trans", xs[i], os[i], xs[i + 1]) for i in range(n)]

        # initiation: every path of fewer than k steps from an initial state stays good
        cases = []
        for j in range(k):
            concl = good(j) + ([app("step_ok", xs[j - 1], os[j - 1], xs[j])] if j else [])
            cases.append(_implies([app("init", xs[0])] + path(j), concl))
        initiation = _and(cases)

        window = path(k) + [g for i in range(k) for g in good(i)]
        window += [app("step_ok", xs[i], os[i], xs[i + 1]) for i in range(k - 1)]
        if self.cert.simple_path:
            window += [f"(not {_eq(self.enc, xs[i], xs[j])})" for i in range(k) for j in range(i + 1, k)]
        consecution = _implies(window + [app("ranges", xs[k - 1], os[k - 1])], good(k))
        safety = _and(
            [
                _implies(good(0), [app("prop", xs[0])]),
                _implies(window, [app("step_ok", xs[k - 1], os[k - 1], xs[k])]),
            ]
        )
        return [initiation, consecution, safety]


def _params(consts: list[z3.ExprRef]) -> str:
    return " ".join(f"({c.sexpr()} {c.sort().sexpr()})" for c in consts)


def _and(parts: list[str]) -> str:
    if not parts:
        return "true"
    return parts[0] if len(parts) == 1 else f"(and {' '.join(parts)})"


def _implies(premises: list[str], conclusions: list[str]) -> str:
    return f"(=> {_and(premises)} {_and(conclusions)})"


def _eq(enc: Encoding, a: State, b: State) -> str:
    return _and([f"(= {p.sexpr()} {q.sexpr()})" for p, q in zip(enc.flat(a), enc.flat(b), strict=True)])
