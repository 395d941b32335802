"""DynamoDB's DNS management race (AWS us-east-1, 19-20 October 2025).

The Planner publishes numbered plan generations. Each Enactor picks the newest plan, makes
a one-time check that it is newer than the plan on the regional endpoint (endpoint 0),
writes it to each endpoint in its own Route53 transaction, then cleans up plans that are
more than `cleanup_age` generations older than its own. Delays are simply other steps in
between: a delayed Enactor's check goes stale, it overwrites a newer plan, and a faster
Enactor's cleanup deletes the plan it wrote. The endpoint serves a deleted plan (an empty
DNS record), and every later transaction on it fails, because a transaction must read
the current plan first: nothing can repair it.

Variants (parameter ``variant``) are the fixes one might try; see VARIANTS.
"""

from __future__ import annotations

from checker import (
    Array,
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
    invariant,
    ite,
    reachable,
    recoverable,
    require,
    when,
)

VARIANTS = {
    "as_designed": "the system as it ran: one-time check at pick, blind writes",
    "recheck_each_endpoint": "re-check 'my plan is newer' before each write, in its own step",
    "cleanup_guard": "cleanup skips any plan an endpoint serves (in the same step)",
    "version_cas": "each write is conditional on the record's generation being older, inside the transaction",
    "fencing_token": "a token from a monotonic counter is taken with the plan; stale tokens are rejected",
    "fencing_token_late": "as fencing_token, but the token is taken in its own step after the pick",
    "cas_stale_snapshot": "as version_cas, but compared with the generation seen at pick time, not the record's",
}
FENCED = ("fencing_token", "fencing_token_late")


class Planner(Process):
    """Creates plan generation latest+1; bounded by `max_plans` when it is set."""

    latest = Int(init=1, min=1, max="max_plans")  # bounded sorts make the instance finite (engine auto)

    @action
    def plan(self, sys):
        if sys.params.max_plans is not None:
            require(self.latest < sys.params.max_plans)
        self.latest += 1
        sys.plans.add(self.latest)


class PlanStore(Store):
    """The plans that exist. Generation 1 exists at the start and every endpoint serves it."""

    plans = Set(Int(min=1, max="max_plans"), init={1})


class TokenService(Store):
    """A monotonic counter handing out fencing tokens (used by the fencing variants)."""

    next_token = Int(init=1, min=1, max=lambda p: None if p.max_tokens is None else p.max_tokens + 1)

    def take(self, sys):
        if sys.params.max_tokens is not None:  # a finite instance for explicit search; none left: wait
            require(self.next_token <= sys.params.max_tokens)
        token = self.next_token
        self.next_token += 1
        return token


class Route53(Store):
    """Per endpoint: the plan generation it serves, and the highest fencing token seen."""

    endpoint_plan = Array(Int(min=1, max="max_plans"), size="endpoints", init=1)
    endpoint_token = Array(Int(min=0, max="max_tokens"), size="endpoints", init=0)

    def transact(self, sys, endpoint, plan, token, seen=None):
        """One Route53 transaction writing ``plan`` to ``endpoint``.

        The transaction reads the record's current plan first and fails if that plan no
        longer exists; this is what makes an emptied endpoint impossible to repair.
        ``seen`` is what the Enactor saw on the endpoint when it picked (cas_stale_snapshot).
        """
        current = self.endpoint_plan[endpoint]
        ok = sys.plans.contains(current)
        variant = sys.params.variant
        if variant == "version_cas":
            ok = ok & (current < plan)  # compare-and-swap on the record's own generation
        if variant == "cas_stale_snapshot":
            ok = ok & (seen < plan)  # the same comparison, against a snapshot that may be stale
        if variant in FENCED:
            ok = ok & (token >= self.endpoint_token[endpoint])
            with when(ok):
                self.endpoint_token[endpoint] = token
        with when(ok):
            self.endpoint_plan[endpoint] = plan


class Enactor(Process):
    """Applies the newest plan to every endpoint, then deletes plans many generations older."""

    pc = Enum("idle", "take_token", "check", "apply", "cleanup")
    plan = Int(init=0, min=0, max="max_plans")  # the generation this Enactor holds
    cursor = Int(init=0, min=0, max="endpoints")  # the next endpoint to write
    token = Int(init=0, min=0, max="max_tokens")  # its fencing token (fencing variants)
    # cas_stale_snapshot: each endpoint's generation as seen at pick (no state otherwise)
    seen = Array(
        Int(min=0, max="max_plans"), size=lambda p: p.endpoints if p.variant == "cas_stale_snapshot" else 0, init=0
    )

    @action
    def pick(self, sys):
        """Take the newest plan after the one-time check against the regional endpoint."""
        variant = sys.params.variant
        require(self.pc == "idle")
        latest = sys.planner.latest
        require(latest > sys.endpoint_plan[0])  # the check that will go stale
        self.plan = latest
        self.cursor = 0
        if variant == "fencing_token":
            self.token = sys.tokens.take(sys)  # in the same step as the plan
        if variant == "cas_stale_snapshot":
            self.seen = list(sys.endpoint_plan)
        if variant == "fencing_token_late":
            self.pc = "take_token"
        elif variant == "recheck_each_endpoint":
            self.pc = "check"
        else:
            self.pc = "apply"

    @action
    def take_token(self, sys):
        """fencing_token_late: the token is taken in a step of its own, after the pick."""
        require(sys.params.variant == "fencing_token_late")
        require(self.pc == "take_token")
        self.token = sys.tokens.take(sys)
        self.pc = "apply"

    @action
    def check(self, sys):
        """recheck_each_endpoint: re-check before each write; skip the endpoint if not newer."""
        require(sys.params.variant == "recheck_each_endpoint")
        require(self.pc == "check")
        newer = self.plan > sys.endpoint_plan[self.cursor]
        last = self.cursor + 1 == sys.params.endpoints
        self.cursor = ite(newer, self.cursor, self.cursor + 1)
        self.pc = ite(newer, "apply", ite(last, "cleanup", "check"))

    @action
    def apply(self, sys):
        """Write the held plan to the next endpoint: one Route53 transaction."""
        require(self.pc == "apply")
        seen = self.seen[self.cursor] if sys.params.variant == "cas_stale_snapshot" else None
        sys.route53.transact(sys, self.cursor, self.plan, self.token, seen)
        self.cursor += 1
        done = self.cursor == sys.params.endpoints
        again = "check" if sys.params.variant == "recheck_each_endpoint" else "apply"
        self.pc = ite(done, "cleanup", again)

    @action
    def cleanup(self, sys):
        """Delete plans more than `cleanup_age` generations older than the held plan."""
        require(self.pc == "cleanup")
        oldest_kept = self.plan - sys.params.cleanup_age
        if sys.params.variant == "cleanup_guard":
            served = [sys.endpoint_plan[e] for e in range(sys.params.endpoints)]
            sys.plans.discard_if(lambda g: (g < oldest_kept) & all_of(g != s for s in served))
        else:
            sys.plans.discard_if(lambda g: g < oldest_kept)
        self.pc = "idle"


class Dns(Model):
    """DNS Planner, N Enactors, the plan store and Route53, as in the postmortem."""

    description = "DynamoDB DNS Planner/Enactor race (us-east-1, Oct 2025)"

    enactors = Param(3, min=1, max=16, help="number of independent DNS Enactors")
    endpoints = Param(2, min=1, max=8, help="DNS endpoints; endpoint 0 is the regional one")
    cleanup_age = Param(1, min=0, help="cleanup deletes plans more than this many generations older")
    max_plans = Param(None, type=int, min=1, help="bound on plan generations (none: unbounded)")
    max_tokens = Param(None, type=int, min=1, help="bound on fencing tokens (none: unbounded); a finite instance")
    variant = Param("as_designed", choices=VARIANTS, help="which design to check")

    planner = Planner()
    enactor = Enactor(count="enactors")
    plan_store = PlanStore()
    tokens = TokenService()
    route53 = Route53()

    @invariant
    def endpoint_never_empty(sys):
        """Every endpoint serves a plan that exists (a deleted plan is an empty DNS record)."""
        return all_of(sys.plans.contains(p) for p in sys.endpoint_plan)

    @action_invariant
    def plan_never_regresses(old, new):
        """No endpoint ever moves back to an older plan generation."""
        return all_of(n >= o for o, n in zip(old.endpoint_plan, new.endpoint_plan, strict=True))

    @recoverable
    def endpoints_recoverable(sys):
        """Every endpoint serves a live plan (not deleted); AG EF: from every state, such a state is reachable."""
        return all_of(sys.plans.contains(p) for p in sys.endpoint_plan)

    @reachable
    def every_endpoint_updated(sys):
        """Witness against a vacuous model: every endpoint can come to serve a plan >= 2."""
        return all_of(p >= 2 for p in sys.endpoint_plan)

    @reachable
    def old_plan_cleaned_up(sys):
        """Witness: cleanup can delete plan 1."""
        return ~sys.plans.contains(1)
