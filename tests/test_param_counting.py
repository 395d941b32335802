"""`prove --for-all` with counters (`checker.param.counting*`): NLB's AZs and DWFM's workers
proved for every size where they hold, refusals of code that singles a unit out, and the
counter reading caught by its comparison with the model where position-dependent Python
would make it wrong."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from checker.certificate import check_file, z3_binary
from checker.engines.explicit import run_explicit
from checker.param.counting_proof import Counted, count_for_all
from checker.results import Verdict
from checker.spec import load_spec
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


def _model(spec: str, **params: object):  # type: ignore[no-untyped-def]
    model = load_spec(ROOT / "specs" / spec).build()
    return model.model.build(**(model.param_dict() | params)) if params else model


def _load(tmp_path: Path, source: str) -> type:
    path = tmp_path / "asym_model.py"
    path.write_text(textwrap.dedent(source))
    module = ModuleType("asym_model")
    module.__file__ = str(path)
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)  # noqa: S102
    return module.Asym  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- NLB: indices of arrays
@pytest.fixture(scope="module")
def nlb() -> Counted:
    """From the model's minimum (2 AZs): violated there, the ladder climbs to 3."""
    return count_for_all(_model("nlb_velocity_control.toml"), "azs", ["capacity_covers_load"], 120)


def test_nlb_velocity_control_is_proved_from_three_azs_and_violated_at_two(nlb: Counted) -> None:
    model = _model("nlb_velocity_control.toml")
    out = nlb
    assert out.proved, out.why
    assert out.from_size == 3  # at 2 AZs the budget may take 2 of 4 nodes: capacity 2 < load 4
    assert "proved for all azs ≥ 3" in out.why and "checked equal to the model at azs = 2, 3, 4, 5, 6" in out.why
    assert any("#{az : " in c for c in out.invariant), out.invariant
    # the violation below: exhaustive search of the model at that size, with a trace
    found = run_explicit(model.model.build(**(model.param_dict() | {"azs": 2})), ["capacity_covers_load"])
    assert found[0].verdict is Verdict.VIOLATED and found[0].trace is not None


def test_nlb_certificate_is_rechecked_by_the_z3_binary(tmp_path: Path, nlb: Counted) -> None:
    out = nlb
    assert out.proved and out.certificate_text is not None
    path = tmp_path / "nlb.smt2"
    path.write_text(out.certificate_text)
    exe = z3_binary()
    assert exe is not None
    check = check_file(path, binary=exe)
    assert check.ok and check.how.startswith("z3 binary"), check.answers
    # the same invariant claimed from 2 AZs (where the property is violated) fails initiation
    first, rest = out.certificate_text.split("; consecution", 1)
    claimed = re.sub(r"(\(>= \(\+ \|#0\|[^()]*\) )3\)", r"\g<1>2)", first)
    assert claimed != first
    path.write_text(claimed + "; consecution" + rest)
    wrong = check_file(path, binary=exe)
    assert not wrong.ok and wrong.answers["initiation"] == "sat", wrong.answers


@pytest.mark.slow
def test_nlb_cli_reports_the_range_the_invariant_and_the_certificate(tmp_path: Path) -> None:
    cert = tmp_path / "c.smt2"
    res = run_cli("prove", str(ROOT / "specs/nlb_velocity_control.toml"), "--for-all", "azs", "--json",
                  "--certificate", str(cert))  # fmt: skip
    assert res.exit_code == 0, res.stdout
    data = json.loads(res.stdout)
    (r,) = [p for p in data["specs"][0]["results"] if p["property"] == "capacity_covers_load"]
    assert r["verdict"] == "proved" and r["for_all_from"] == 3
    assert "violated at azs=2" in r["reason"] and "proved for all azs ≥ 3 with counters" in r["reason"]
    assert r["for_all_invariant"]
    assert check_file(tmp_path / "c.for_all.capacity_covers_load.smt2").ok


@pytest.mark.slow
def test_nlb_velocity_reset_is_violated_at_every_declared_size() -> None:
    res = run_cli("prove", str(ROOT / "specs/nlb_velocity_reset.toml"), "--for-all", "azs")
    assert "violated up to the largest size the model declares (azs=6)" in res.stdout
    assert "proved for all azs" not in res.stdout


# ---------------------------------------------------------------------------- DWFM: replicas
@pytest.mark.slow
def test_dwfm_safety_is_proved_for_every_worker_count_and_liveness_is_not_claimed(tmp_path: Path) -> None:
    cert = tmp_path / "d.smt2"
    res = run_cli("prove", str(ROOT / "specs/dwfm_throttled.toml"), "--for-all", "workers", "--certificate", str(cert))
    assert res.exit_code == 0, res.stdout
    assert res.stdout.count("proved for all workers ≥ 1 with counters") == 2  # queue_bounded, no_duplicate_lease
    assert "#{worker : busy" in res.stdout
    assert "for all workers: not attempted: eventually properties are checked on this instance only" in res.stdout
    certs = list(tmp_path.glob("d*.smt2"))
    assert certs and all(check_file(c, binary=z3_binary()).ok for c in certs)


@pytest.mark.slow
def test_dwfm_drop_expired_is_proved_for_every_worker_count_with_guessed_lemmas(tmp_path: Path) -> None:
    """Spacer alone gives no answer here (the queue's shape is needed: every waiting item within
    its deadline); lemmas guessed from the states at 1..3 workers, kept by Houdini because they
    are inductive for every count, let it prove both; the certificate holds them too."""
    cert = tmp_path / "d.smt2"
    res = run_cli("prove", str(ROOT / "specs/dwfm_drop_expired.toml"), "--for-all", "workers", "--certificate",
                  str(cert))  # fmt: skip
    assert res.exit_code == 0, res.stdout
    assert res.stdout.count("proved for all workers ≥ 1 with counters") == 2, res.stdout
    assert "guessed from the reachable states at workers = 1..3 and kept by Houdini" in res.stdout
    certs = list(tmp_path.glob("d*.smt2"))
    assert certs and all(check_file(c, binary=z3_binary()).ok for c in certs)
    for n in (1, 2):  # and exhaustive search agrees at every count the model declares
        model = _model("dwfm_drop_expired.toml", workers=n)
        assert all(r.verdict is Verdict.HOLDS for r in run_explicit(model, ["queue_bounded", "no_duplicate_lease"]))


def test_dwfm_collapse_still_proves_what_holds_for_every_worker_count() -> None:
    """`queue_bounded` fails at one worker, so the two properties are not proved together;
    alone, `no_duplicate_lease` (live requests never outnumber unleased droplets) is."""
    res = run_cli("prove", str(ROOT / "specs/dwfm_collapse.toml"), "--for-all", "workers", "--json")
    assert res.exit_code == 1, res.stdout
    found = {r["property"]: r for r in json.loads(res.stdout)["specs"][0]["results"]}
    assert found["no_duplicate_lease"]["verdict"] == "proved", found["no_duplicate_lease"]["reason"]
    assert "proved for all workers ≥ 1 with counters" in found["no_duplicate_lease"]["reason"]
    assert found["queue_bounded"]["verdict"] == "violated"
    assert found["queue_bounded"]["for_all_violated_at"] == {"workers": 1}


def test_a_violation_where_the_proof_would_start_is_found_by_search_not_spacer(monkeypatch: pytest.MonkeyPatch) -> None:
    """DWFM's collapse overflows the queue with one worker: breadth-first search at the size
    the counting proof would start from shows it (a replayed trace), so Spacer, which took two
    minutes to its limit there, is not run; nothing is claimed proved."""
    from checker.param import counting_proof

    def no_spacer(*args: object) -> None:
        raise AssertionError("Spacer ran")

    monkeypatch.setattr(counting_proof, "_spacer", no_spacer)
    model = _model("dwfm_collapse.toml")
    out = count_for_all(model, "workers", ["queue_bounded"], 60, ladder=0)
    assert not out.proved and out.from_size is None
    found_by = "breadth-first search finds queue_bounded violated at workers=1 (replayed)"
    assert out.why == f"not proved with counters: {found_by}", out.why
    found = run_explicit(model.model.build(**(model.param_dict() | {"workers": 1})), ["queue_bounded"])
    assert found[0].verdict is Verdict.VIOLATED and found[0].trace is not None


def test_dwfm_reading_moves_one_worker_per_step_and_all_on_a_tick() -> None:
    from checker.param.counting_check import check_sizes
    from checker.param.counting_system import read

    model = _model("dwfm_throttled.toml")
    cs = read(model, "workers", ["queue_bounded", "no_duplicate_lease"])
    assert len(cs.classes) == 2 * 5 * 3  # busy x age 0..4 x progress 0..2
    labels = {s.label for s in cs.steps}
    assert {"worker.take", "worker.finish", "clock.tick"} <= labels
    assert check_sizes(cs, model, [2]) is None


# ---------------------------------------------------------------------------- refusals
HEAD = """
from checker import Bool, Int, Model, Param, Process, action, invariant, ite, count_of, sum_of

class W(Process):
    on = Bool(init=False)
    k = Int(init=0, min=0, max=2)
"""
TAIL = """
class Asym(Model):
    n = Param(2, min=1, max=4)
    w = W(count="n")

    @invariant
    def few(sys):
        return count_of(x.on for x in sys.w) <= 4
"""


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("    @action\n    def go(self, sys):\n        self.on = sys.w[0].on\n", "picks one unit by its number"),
        ("    @action\n    def go(self, sys):\n        self.k = ite(self.id == 1, 1, 0)\n", "reads .id of a unit"),
        ("    @action\n    def go(self, sys):\n        self.on = sum(ite(x.on, 1, 0) for x in sys.w) > 1\n",
         "without writing their state"),
        ("    @action\n    def go(self, sys):\n        self.on = len(sys.w) > 1\n", "counts the units with len"),
        ("    @action\n    def go(self, sys):\n        self.on = sys.params.n > 1\n", "reads the parameter 'n'"),
        ("    @action\n    def go(self, sys):\n        self.on = True\n        for x in sys.w:\n            x.k = 0\n",
         "changes another unit's state"),
    ],
    ids=["index", "id", "builtin-sum", "len", "param", "loop-in-a-replica-step"],
)  # fmt: skip
def test_code_that_singles_a_unit_out_is_refused_with_its_line(tmp_path: Path, body: str, why: str) -> None:
    cls = _load(tmp_path, HEAD + body + TAIL)
    out = count_for_all(cls.build(), "n", ["few"], 60)
    assert not out.proved and out.why.startswith("refused:"), out.why
    assert why in out.why and "asym_model.py:" in out.why, out.why


@pytest.mark.parametrize(
    ("loop", "holder"),
    [
        ("sum_of(ite(i == 0, 1, 0) for i, x in enumerate(sys.w)) == 1", "enumerate"),
        ("sum_of(ite(i == 5, 1, 0) for i, x in enumerate(sys.w)) == 1", "enumerate"),
        # (zip keeps its iterators in a tuple)
        ("sum_of(ite(x.on & (i == 5), 1, 0) for x, i in zip(sys.w, range(9))) == 0", "tuple"),
    ],
    ids=["enumerate-0", "enumerate-5", "zip"],
)
def test_a_position_carried_into_the_code_is_refused(tmp_path: Path, loop: str, holder: str) -> None:
    """``enumerate``/``zip`` around the units carry a position the representative cannot stand
    for; with ``i == 5`` the model differs from the counter reading only from 6 units on, past
    the comparison at sizes 1..4, so the hooks must refuse it themselves."""
    body = f"    @action\n    def go(self, sys):\n        self.on = {loop}\n"
    cls = _load(tmp_path, HEAD + body + TAIL.replace("<= 4", "== 0").replace("max=4", "max=9"))
    out = count_for_all(cls.build(), "n", ["few"], 60)
    assert not out.proved and out.why.startswith("refused:"), out.why
    assert f"through {holder}(...)" in out.why and "asym_model.py:" in out.why, out.why


def test_a_symmetric_model_is_proved(tmp_path: Path) -> None:
    body = (
        "    @action\n    def go(self, sys):\n"
        "        self.on = count_of(x.on for x in sys.w) < 2\n"
        "    @action\n    def off(self, sys):\n"
        "        self.on = False\n"
    )
    cls = _load(tmp_path, HEAD + body + TAIL.replace("<= 4", "<= 2"))
    out = count_for_all(cls.build(), "n", ["few"], 60)
    assert out.proved and out.from_size == 1, out.why
    for n in (1, 2, 3, 4):
        assert run_explicit(cls.build(n=n), ["few"])[0].verdict is Verdict.HOLDS


# ---------------------------------------------------------------------------- cross-check with search
SYMMETRIC = {
    # one at a time: proved for every n
    "mutex": ("    @action\n    def enter(self, sys):\n        require(count_of(x.on for x in sys.w) == 0)\n"
              "        self.on = True\n    @action\n    def leave(self, sys):\n        require(self.on)\n"
              "        self.on = False\n", "count_of(x.on for x in sys.w) <= 1"),
    # no guard: violated from n = 2 on, never proved
    "race": ("    @action\n    def enter(self, sys):\n        self.on = True\n", "count_of(x.on for x in sys.w) <= 1"),
    # someone is always off: violated at n = 1 only, proved from 2
    "one_off": ("    @action\n    def enter(self, sys):\n        require(~any_of(x.on for x in sys.w))\n"
                "        self.on = True\n", "count_of(~x.on for x in sys.w) >= 1"),
    # a store's for-all update and a sum: the ks stay within what the steps allow
    "reset": ("    @action\n    def inc(self, sys):\n        require(self.k < 2)\n        self.k = self.k + 1\n"
              "        self.on = self.k == 2\n", "all_of(implies(x.on, x.k == 2) for x in sys.w)"),
}  # fmt: skip
RESET_STORE = """
class C(Store):
    @action
    def reset(self, sys):
        for x in sys.w:
            x.k = 0
            x.on = False
"""


@pytest.mark.parametrize("case", sorted(SYMMETRIC))
def test_counting_proofs_agree_with_exhaustive_search_at_sizes_1_to_4(tmp_path: Path, case: str) -> None:
    body, prop = SYMMETRIC[case]
    head = HEAD.replace("from checker import", "from checker import Store, all_of, any_of, implies, require,")
    tail = TAIL.replace("count_of(x.on for x in sys.w) <= 4", prop)
    if case == "reset":
        tail = RESET_STORE + tail.replace('    w = W(count="n")', '    w = W(count="n")\n    c = C()')
    cls = _load(tmp_path, head + body + tail)
    out = count_for_all(cls.build(), "n", ["few"], 60)
    verdicts = {n: run_explicit(cls.build(n=n), ["few"])[0].verdict for n in (1, 2, 3, 4)}
    if out.proved:
        assert out.from_size is not None
        assert all(v is Verdict.HOLDS for n, v in verdicts.items() if n >= out.from_size), (out.why, verdicts)
    expected = {"mutex": 1, "race": None, "one_off": 2, "reset": 1}[case]  # what the models are built to show
    assert out.from_size == expected, out.why


def test_a_unit_range_that_grows_with_the_size_is_caught(tmp_path: Path) -> None:
    """``max="n"`` (and the action reading n): read at size 2 a unit's k stays below 3, so "no k
    reaches 3" would be proved; refused (the parameter's value is read)."""
    head = HEAD.replace("k = Int(init=0, min=0, max=2)", 'k = Int(init=0, min=0, max="n")')
    body = "    @action\n    def inc(self, sys):\n        require(self.k < sys.params.n)\n        self.k += 1\n"
    source = head + body + TAIL.replace("count_of(x.on for x in sys.w) <= 4", "count_of(x.k >= 3 for x in sys.w) == 0")
    cls = _load(tmp_path, source.replace("from checker import", "from checker import require,"))
    out = count_for_all(cls.build(), "n", ["few"], 60)
    assert not out.proved and out.why.startswith("refused:"), out.why
    assert run_explicit(cls.build(n=3), ["few"])[0].verdict is Verdict.VIOLATED
