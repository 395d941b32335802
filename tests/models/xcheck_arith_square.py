"""Cross-check reproducer (arith_square): arith (int64 overflow in the numpy backend): squaring an
unbounded Int (4e9 -> 1.6e19) outgrows int64: the numpy backend fails (or misjudges) where the
python backend and BMC find the 1-step witness and violation
"""

from checker import Int, Model, Process, action, invariant, reachable, require


class P0(Process):
    v0 = Int(init=4000000000, min=0)

    @action
    def act0(self, sys):
        require(self.v0 < 10**19)
        self.v0 = self.v0 * self.v0


class Random(Model):
    p0 = P0()

    @invariant
    def invariant0(sys):
        return True

    @invariant
    def invariant1(sys):
        return sys.p0.v0 <= 4000000000

    @reachable
    def reachable2(sys):
        return sys.p0.v0 > 10**19


# ---- the plain reference model (tests/reference_model.py) ----
CAUSE = (
    "arith (int64 overflow in the numpy backend): squaring an unbounded Int (4e9 -> 1.6e19) "
    "outgrows int64: the numpy backend fails (or misjudges) where the python backend and BMC "
    "find the 1-step witness and violation"
)
CHECK = ("searches",)
PROPERTIES = {"invariant0": "invariant", "invariant1": "invariant", "reachable2": "reachable"}
FEATURES = ["big"]
UNGUARDED = False
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(s[me + ".v0"] < 10**19)
    c.w(me + ".v0", s[me + ".v0"] * s[me + ".v0"])

def q_invariant0(c, s):
    return True

def q_invariant1(c, s):
    return s["p0.v0"] <= 4000000000

def q_reachable2(c, s):
    return s["p0.v0"] > 10**19

INIT = {'p0.v0': 4000000000}
SPECS = {'p0.v0': ('int', 0, None)}
REPLICAS = {}
LOCAL = {}
TRANSITIONS = [('p0', 'act0', {}, False, a_p0_act0)]
PROPERTIES = {
    'invariant0': ('invariant', q_invariant0),
    'invariant1': ('invariant', q_invariant1),
    'reachable2': ('reachable', q_reachable2),
}
"""
