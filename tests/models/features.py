"""Small models exercising one feature of the model API each, with known answers."""

from __future__ import annotations

from checker import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Param,
    Process,
    Set,
    Store,
    action,
    action_invariant,
    all_of,
    implies,
    invariant,
    ite,
    min_,
    reachable,
    require,
    when,
)


# ---------------------------------------------------------------------------- arrays
class Filler(Process):
    """Writes cursor + 1 into cells[cursor] (an index that is a state value), then advances."""

    cursor = Int(init=0, min=0, max="size")

    @action
    def fill(self, sys):
        require(self.cursor < sys.params.size)
        require(sys.cells[self.cursor] == 0)  # a read at a symbolic index
        sys.cells[self.cursor] = self.cursor + 1  # a write at a symbolic index
        self.cursor += 1


class Cells(Store):
    cells = Array(Int(min=0), size="size", init=0)


class ArrayModel(Model):
    """Known answers: cells fill left to right; the last one is set at depth ``size``."""

    size = Param(3, min=1, max=6)
    filler = Filler()
    store = Cells()

    @invariant
    def cell_holds_its_number(sys):
        """Every cell holds 0 or its index + 1 (holds)."""
        return all_of((c == 0) | (c == i + 1) for i, c in enumerate(sys.cells))

    @invariant
    def filled_in_order(sys):
        """A filled cell's left neighbour is filled too (holds)."""
        cells = list(sys.cells)
        return all_of(implies(cells[i] != 0, cells[i - 1] != 0) for i in range(1, len(cells)))

    @invariant
    def last_cell_empty(sys):
        """The last cell stays empty: violated at depth ``size``."""
        return sys.cells[sys.params.size - 1] == 0

    @invariant
    def cursor_cell_empty(sys):
        """The cell under the cursor (a symbolic index in a property) is empty (holds).

        The cursor ends one past the last cell: `get` reads with a default there, where
        `cells[cursor]` would be an out-of-range read (a model error)."""
        return implies(sys.filler.cursor < sys.params.size, sys.cells.get(sys.filler.cursor, 0) == 0)


# ---------------------------------------------------------------------------- sets
class Adder(Process):
    n = Int(init=0, min=0, max=4)

    @action
    def add(self, sys):
        """Add n to the bounded set and 100 * n (a symbolic element) to the unbounded one."""
        require(self.n < 4)
        sys.small.add(self.n)
        sys.big.add(self.n * 100)
        self.n += 1

    @action(e=4)
    def drop(self, sys, e):
        """Remove ``e`` (an action parameter: one transition per value) from the bounded set."""
        require(sys.small.contains(e))
        sys.small.discard(e)


class Pool(Store):
    small = Set(Int(min=0, max=3))  # finite: bit vectors in the symbolic engines
    big = Set(Int())  # unbounded elements: a z3 array


class SetModel(Model):
    """A bounded and an unbounded set, with add, discard and contains."""

    adder = Adder()
    pool = Pool()

    @invariant
    def small_implies_big(sys):
        """Holds: e in small implies 100 * e in big (nothing removes from big)."""
        return all_of(implies(sys.small.contains(e), sys.big.contains(e * 100)) for e in range(4))

    @invariant
    def big_below_three(sys):
        """Never 0, 100 and 200 in big at once: violated at depth 3 (three adds)."""
        return ~all_of(sys.big.contains(0), sys.big.contains(100), sys.big.contains(200))

    @invariant
    def last_added_present(sys):
        """The element added last (a symbolic element) is in big: holds."""
        return implies(sys.adder.n > 0, sys.big.contains((sys.adder.n - 1) * 100))

    @invariant
    def never_dropped(sys):
        """Whatever was added to small is still there: violated at depth 2 (add, drop(e=0))."""
        return all_of(implies(sys.adder.n > e, sys.small.contains(e)) for e in range(4))

    @reachable
    def small_emptied(sys):
        """Witnessed at depth 4: add, add, drop(e=0), drop(e=1) (in some order)."""
        return sys.big.contains(100) & sys.small.is_empty()

    @reachable
    def small_full(sys):
        """Witnessed at depth 4: four adds."""
        return all_of(sys.small.contains(e) for e in range(4))


class Purger(Adder):
    @action
    def purge(self, sys):
        """Bulk-delete the elements below 100 from the unbounded set."""
        require(sys.big.contains(0))
        sys.big.discard_if(lambda g: g < 100)


class PurgeModel(SetModel):
    """SetModel plus a bulk delete (``discard_if``) on the unbounded set."""

    adder = Purger()

    @invariant
    def zero_stays_in_big(sys):
        """0 in small implies 0 in big: violated at depth 2 (add, purge)."""
        return implies(sys.small.contains(0), sys.big.contains(0))


# ---------------------------------------------------------------------------- when / ite with enums
class Light(Process):
    color = Enum("red", "green", "yellow")
    cycles = Int(init=0, min=0)
    flashed = Bool()

    @action
    def tick(self, sys):
        """red -> green -> yellow -> red; each time it leaves red, one more cycle."""
        with when(self.color == "red"):
            self.cycles += 1
            with when(self.cycles == 2):
                self.flashed = True
        self.color = ite(self.color == "red", "green", ite(self.color == "green", "yellow", "red"))


class TrafficLight(Model):
    """One deterministic process: the state after k ticks is known exactly."""

    light = Light()

    @invariant
    def at_most_one_cycle(sys):
        """Violated at depth 4 (the second time the light leaves red)."""
        return sys.light.cycles <= 1

    @invariant
    def flash_means_two_cycles(sys):
        """Holds: the nested when fires only on the second cycle."""
        return implies(sys.light.flashed, sys.light.cycles >= 2)

    @invariant
    def yellow_only_after_green(sys):
        """Holds: yellow implies at least one cycle."""
        return implies(sys.light.color == "yellow", sys.light.cycles >= 1)

    @action_invariant
    def green_follows_red(old, new):
        """Holds: a step from red always goes to green."""
        return implies(old.light.color == "red", new.light.color == "green")

    @reachable
    def yellow(sys):
        """Witnessed at depth 2."""
        return sys.light.color == "yellow"


# ---------------------------------------------------------------------------- asymmetric replicas
class Voter(Process):
    voted = Bool()

    @action
    def vote(self, sys):
        """The leader (the last replica) votes first; the others only after it."""
        require(~self.voted)
        leader = self.id == sys.params.voters  # the replica number is a plain int: branching on it is fine
        if not leader:
            require(sys.leader_voted)
        sys.votes += 1
        sys.leader_voted = sys.leader_voted | leader
        self.voted = True


class Ballot(Store):
    votes = Int(init=0, min=0)
    leader_voted = Bool()


class Election(Model):
    """Replicas told apart by ``self.id``: raceproof must not treat them as symmetric.

    Treating them as symmetric would let only replica 1 (not the leader) move first, and
    the model would wrongly deadlock in its initial state.
    """

    voters = Param(3, min=2, max=5)
    voter = Voter(count="voters")
    ballot = Ballot()

    @invariant
    def fewer_than_two_votes(sys):
        """Violated at depth 2: the leader votes, then any other replica."""
        return sys.votes < 2

    @reachable
    def unanimous(sys):
        """Witnessed at depth ``voters``."""
        return sys.votes == sys.params.voters


# ---------------------------------------------------------------------------- when with a state key
class Walker(Process):
    """Marks cells while its cursor is on the array; the cursor runs on past the end."""

    cursor = Int(init=0, min=0, max=5)

    @action
    def step(self, sys):
        with when(self.cursor < sys.params.size):
            sys.cells[self.cursor] = 1  # out of range past the end, but then the `when` is false
        self.cursor = min_(self.cursor + 1, 5)


class WalkModel(Model):
    size = Param(3, min=1, max=5)
    walker = Walker()
    store = Cells()

    @invariant
    def cursor_below_five(sys):
        """Violated at depth 5, walking past the end of the array."""
        return sys.walker.cursor < 5

    @invariant
    def marked_behind_cursor(sys):
        """Holds: every cell behind the cursor is marked."""
        return all_of(implies(sys.walker.cursor > i, c == 1) for i, c in enumerate(sys.cells))
