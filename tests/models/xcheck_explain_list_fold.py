"""Cross-check reproducer (explain_list_fold): explain (explanation bugs): a violated invariant whose
outer `all_of` is given a list, the failing part not first: `explain.failing_parts` uses
`list.index`, which compares terms with `==`, and the report of a real violation fails with 'a state
value was used as a Python bool'
"""

from checker import Int, Model, Process, action, all_of, invariant, require


class P0(Process):
    v0 = Int(init=0, min=0, max=2)

    @action
    def act0(self, sys):
        require(self.v0 < 2)
        self.v0 = self.v0 + 1


class Random(Model):
    p0 = P0()

    @invariant
    def invariant0(sys):
        return True

    @invariant
    def invariant1(sys):
        return all_of([sys.p0.v0 >= 0, sys.p0.v0 < 1])


# ---- the plain reference model (tests/reference_model.py) ----
CAUSE = (
    "explain (explanation bugs): a violated invariant whose outer `all_of` is given a list, the"
    " failing part not first: `explain.failing_parts` uses `list.index`, which compares terms "
    "with `==`, and the report of a real violation fails with 'a state value was used as a "
    "Python bool'"
)
CHECK = ("searches",)
PROPERTIES = {"invariant0": "invariant", "invariant1": "invariant"}
FEATURES = ["int", "list_fold"]
UNGUARDED = False
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(s[me + ".v0"] < 2)
    c.w(me + ".v0", s[me + ".v0"] + 1)

def q_invariant0(c, s):
    return True

def q_invariant1(c, s):
    return land(s["p0.v0"] >= 0, s["p0.v0"] < 1)

INIT = {'p0.v0': 0}
SPECS = {'p0.v0': ('int', 0, 2)}
REPLICAS = {}
LOCAL = {}
TRANSITIONS = [('p0', 'act0', {}, False, a_p0_act0)]
PROPERTIES = {'invariant0': ('invariant', q_invariant0), 'invariant1': ('invariant', q_invariant1)}
"""
