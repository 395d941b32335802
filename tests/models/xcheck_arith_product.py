"""Cross-check reproducer (arith_product): arith (int64 overflow in the numpy backend): the guard `x *
y > 10**19` with x=3e9, y=4e9 wraps in int64: the step never fires, a wrong 'holds' (violated in 1
step); BMC and the python backend find it
"""

from checker import Bool, Int, Model, Process, action, invariant, require


class P0(Process):
    v0 = Int(init=3000000000, min=0)
    v1 = Int(init=4000000000, min=0)
    v2 = Bool(init=False)

    @action
    def act0(self, sys):
        require(self.v0 * self.v1 > 10**19)
        self.v2 = True


class Random(Model):
    p0 = P0()

    @invariant
    def invariant0(sys):
        return True

    @invariant
    def invariant1(sys):
        return ~sys.p0.v2


# ---- the plain reference model (tests/reference_model.py) ----
CAUSE = (
    "arith (int64 overflow in the numpy backend): the guard `x * y > 10**19` with x=3e9, y=4e9 "
    "wraps in int64: the step never fires, a wrong 'holds' (violated in 1 step); BMC and the "
    "python backend find it"
)
CHECK = ("searches", "proofs")
PROPERTIES = {"invariant0": "invariant", "invariant1": "invariant"}
FEATURES = ["big", "big_product", "bool"]
UNGUARDED = False
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(s[me + ".v0"] * s[me + ".v1"] > 10**19)
    c.w(me + ".v2", True)

def q_invariant0(c, s):
    return True

def q_invariant1(c, s):
    return (not s["p0.v2"])

INIT = {'p0.v0': 3000000000, 'p0.v1': 4000000000, 'p0.v2': False}
SPECS = {'p0.v0': ('int', 0, None), 'p0.v1': ('int', 0, None), 'p0.v2': ('bool',)}
REPLICAS = {}
LOCAL = {}
TRANSITIONS = [('p0', 'act0', {}, False, a_p0_act0)]
PROPERTIES = {'invariant0': ('invariant', q_invariant0), 'invariant1': ('invariant', q_invariant1)}
"""
