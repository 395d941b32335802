"""Cross-check reproducer (sym_scan): sym (unsound syntactic symmetry): a first-match scan `for r in
sys.p0:` serves p01 before p02 (iteration order): the model is not symmetric, yet both searches
reduce p0 by symmetry
"""

from checker import Int, Model, Process, Store, action, all_of, invariant, reachable, require, when


class P0(Process):
    v0 = Int(init=0, min=0, max=2)  # 0 idle, 1 waiting, 2 served

    @action
    def act0(self, sys):
        require(self.v0 == 0)
        self.v0 = 1


class St1(Store):
    st1_v0 = Int(init=0, min=0, max=2)

    @action
    def act1(self, sys):
        earlier = []
        for r in sys.p0:
            hit = r.v0 == 1
            with when(all_of([hit] + [~e for e in earlier])):
                r.v0 = 2
            earlier.append(hit)


class Random(Model):
    p0 = P0(count=2)
    st1 = St1()

    @invariant
    def invariant0(sys):
        return True

    @reachable
    def reachable1(sys):
        return all_of((r.v0 == 2) for r in sys.p0)


# ---- the plain reference model (tests/reference_model.py) ----
CAUSE = (
    "sym (unsound syntactic symmetry): a first-match scan `for r in sys.p0:` serves p01 before "
    "p02 (iteration order): the model is not symmetric, yet both searches reduce p0 by symmetry"
)
CHECK = ("searches",)
PROPERTIES = {"invariant0": "invariant", "reachable1": "reachable"}
FEATURES = ["first_match_scan", "int"]
UNGUARDED = False
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(s[me + ".v0"] == 0)
    c.w(me + ".v0", 1)

def a_st1_act1(c, me):
    s = c.s
    earlier = []
    for r in ('p01', 'p02'):
        hit = (s[r + ".v0"] == 1)
        with c.when(land(hit, *[not e for e in earlier])):
            c.w(r + ".v0", 2)
        earlier.append(hit)

def q_invariant0(c, s):
    return True

def q_reachable1(c, s):
    return all([(s[r + ".v0"] == 2) for r in ('p01', 'p02')])

INIT = {'p01.v0': 0, 'p02.v0': 0, 'st1_v0': 0}
SPECS = {'p01.v0': ('int', 0, 2), 'p02.v0': ('int', 0, 2), 'st1_v0': ('int', 0, 2)}
REPLICAS = {'p0': ['p01', 'p02']}
LOCAL = {'p01': ['p01.v0'], 'p02': ['p02.v0']}
TRANSITIONS = [
    ('p01', 'act0', {}, False, a_p0_act0),
    ('p02', 'act0', {}, False, a_p0_act0),
    ('st1', 'act1', {}, False, a_st1_act1),
]
PROPERTIES = {'invariant0': ('invariant', q_invariant0), 'reachable1': ('reachable', q_reachable1)}
"""
