"""Cross-check reproducer (sym_enumerate): sym (unsound syntactic symmetry): `enumerate(sys.p0)` is not
noticed: a 2-step counterexample labelled shortest (1 step exists)
"""

from checker import Int, Model, Process, action, all_of, invariant, require


class P0(Process):
    v0 = Int(init=0, min=0, max=1)

    @action
    def act0(self, sys):
        require(self.v0 < 1)
        self.v0 = self.v0 + 1


class Random(Model):
    p0 = P0(count=2)

    @invariant
    def invariant0(sys):
        return True

    @invariant
    def invariant1(sys):
        return all_of(r.v0 <= i for i, r in enumerate(sys.p0))


# ---- the plain reference model (tests/reference_model.py) ----
CAUSE = (
    "sym (unsound syntactic symmetry): `enumerate(sys.p0)` is not noticed: a 2-step "
    "counterexample labelled shortest (1 step exists)"
)
CHECK = ("searches",)
PROPERTIES = {"invariant0": "invariant", "invariant1": "invariant"}
FEATURES = ["asym_enumerate", "int"]
UNGUARDED = False
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(s[me + ".v0"] < 1)
    c.w(me + ".v0", s[me + ".v0"] + 1)

def q_invariant0(c, s):
    return True

def q_invariant1(c, s):
    return all([s[r + ".v0"] <= i for i, r in enumerate(("p01", "p02"))])

INIT = {'p01.v0': 0, 'p02.v0': 0}
SPECS = {'p01.v0': ('int', 0, 1), 'p02.v0': ('int', 0, 1)}
REPLICAS = {'p0': ['p01', 'p02']}
LOCAL = {'p01': ['p01.v0'], 'p02': ['p02.v0']}
TRANSITIONS = [('p01', 'act0', {}, False, a_p0_act0), ('p02', 'act0', {}, False, a_p0_act0)]
PROPERTIES = {'invariant0': ('invariant', q_invariant0), 'invariant1': ('invariant', q_invariant1)}
"""
