"""Saved from the random cross-check (`test_proofs_for_all_agree_with_search_many`): the keyed
reading with several initial states crashed with z3's "sort mismatch" (an interval-held set's
bounds compared with ``==`` against an array while looking up a position) instead of reading
or refusing the model."""

from checker import Bool, Enum, Int, Model, Param, Process, Set, Store, action, all_of, invariant


class P0(Process):
    v0 = Bool(init=any)
    v1 = Int(init={0}, min=0, max=1)

    @action(fair=True)
    def act0(self, sys):
        self.v0 = ~self.v0


class St1(Store):
    st1_v0 = Enum("a", "b", init=any)


class St2(Store):
    st2_v0 = Set(Int(), init=[0, 2])
    st2_v1 = Set(Int(min=0, max=1), init=[])


class IntervalInit(Model):
    n_p0 = Param(2, min=1, max=4)
    p0 = P0(count="n_p0")
    st1 = St1()
    st2 = St2()

    @invariant
    def trivially(sys):
        return True

    @invariant
    def none_set(sys):
        return all_of(~r.v0 for r in sys.p0)

    @invariant
    def small(sys):
        return all_of(r.v1 <= 0 for r in sys.p0)
