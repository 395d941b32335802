"""Cross-check reproducer (div_untaken_branch, seed 725356862): a division by 0 in the branch of
`ite` that is never taken (its condition `~(v <= v)` is always false) is no model error: `ite`
discharges the untaken branch's undefined value (README "Guarded reads", checker/lang/lazy.py).
Every engine agreed; the reference's plain `ite` evaluated both branches and reported `// by 0`
"""

from checker import Int, Model, Process, action, invariant, ite, reachable, require


class P0(Process):
    v0 = Int(init=-1, min=-1, max=1)

    @action
    def act0(self, sys):
        require((self.v0 + 1 >= -1) & (self.v0 + 1 <= 1))
        self.v0 = self.v0 + 1
        self.v0 = ite(~(self.v0 <= self.v0), (0 // self.v0), -1)

    @action
    def act1(self, sys):
        require(self.v0 == -1)
        self.v0 = ite(self.v0 + 1 == 0, 1, 5 % (self.v0 + 1))


class Random(Model):
    p0 = P0()

    @invariant
    def invariant0(sys):
        return True

    @invariant
    def invariant1(sys):
        return sys.p0.v0 != 1

    @reachable
    def reachable2(sys):
        return sys.p0.v0 == 1


# ---- the plain reference model (tests/reference_model.py) ----
CAUSE = (
    "div_untaken_branch: a division by 0 only in the untaken branch of `ite` is no model error "
    "(a guarded read); the reference's plain `ite` evaluated both branches and reported one"
)
CHECK = ("searches",)
PROPERTIES = {"invariant0": "invariant", "invariant1": "invariant", "reachable2": "reachable"}
FEATURES = ["division", "guarded_read"]
UNGUARDED = True
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(land((s[me + ".v0"] + 1 >= -1), (s[me + ".v0"] + 1 <= 1)))
    c.w(me + ".v0", s[me + ".v0"] + 1)
    c.w(me + ".v0", ite((not (s[me + ".v0"] <= s[me + ".v0"])), lambda: c.div(0, s[me + ".v0"]), lambda: -1))

def a_p0_act1(c, me):
    s = c.s
    c.req(s[me + ".v0"] == -1)
    c.w(me + ".v0", ite(s[me + ".v0"] + 1 == 0, lambda: 1, lambda: c.mod(5, (s[me + ".v0"] + 1))))

def q_invariant0(c, s):
    return True

def q_invariant1(c, s):
    return s["p0.v0"] != 1

def q_reachable2(c, s):
    return s["p0.v0"] == 1

INIT = {'p0.v0': -1}
SPECS = {'p0.v0': ('int', -1, 1)}
REPLICAS = {}
LOCAL = {}
TRANSITIONS = [('p0', 'act0', {}, False, a_p0_act0), ('p0', 'act1', {}, False, a_p0_act1)]
PROPERTIES = {
    'invariant0': ('invariant', q_invariant0),
    'invariant1': ('invariant', q_invariant1),
    'reachable2': ('reachable', q_reachable2),
}
"""
