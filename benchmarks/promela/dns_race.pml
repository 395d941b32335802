/*
 * The DNS Planner/Enactor race of models/dns/model.py, written by hand in Promela so that
 * SPIN can be run on the same semantics as raceproof (see benchmarks/README.md).
 *
 * Same initial state, same atomic steps: every action of the Python model (Planner.plan,
 * Enactor.pick / take_token / check / apply / cleanup) is exactly one d_step here, so one
 * SPIN transition = one raceproof step and trail depths compare directly. Each d_step
 * begins with the action's guard (its `require`s), so a disabled action is not executable.
 *
 * Compile-time switches (pass as `spin -DNAME=value -a dns_race.pml`):
 *   VARIANT       0 as_designed, 1 recheck_each_endpoint, 2 cleanup_guard, 3 version_cas,
 *                 4 fencing_token, 5 fencing_token_late           (default 0)
 *   N, E          Enactors and endpoints                          (default 3, 2)
 *   AGE           cleanup_age                                     (default 1)
 *   MAXP          max_plans: plan generations 1..MAXP             (default 5, at most 7)
 *   CHECK_EMPTY   1: assert endpoint_never_empty after every step  (default 1)
 *   CHECK_REGRESS 1: assert plan_never_regresses on every write    (default 1)
 *
 * Properties. endpoint_never_empty is a state invariant. Instead of a monitor process or
 * an LTL claim (each would interleave extra steps and lengthen trails), it is asserted at
 * the end of every d_step: every state but the initial one is the result of a d_step, and
 * the initial state satisfies it, so it is checked in every reachable state.
 * plan_never_regresses is an action invariant; only `apply` writes endpoint_plan, and only
 * one endpoint per step, so it is asserted on that write (new plan >= old plan).
 */

#ifndef VARIANT
#define VARIANT 0
#endif
#ifndef N
#define N 3
#endif
#ifndef E
#define E 2
#endif
#ifndef AGE
#define AGE 1
#endif
#ifndef MAXP
#define MAXP 5
#endif
#ifndef CHECK_EMPTY
#define CHECK_EMPTY 1
#endif
#ifndef CHECK_REGRESS
#define CHECK_REGRESS 1
#endif

#define AS_DESIGNED  (VARIANT == 0)
#define RECHECK      (VARIANT == 1)
#define CLEANUP_GUARD (VARIANT == 2)
#define VERSION_CAS  (VARIANT == 3)
#define FENCING      (VARIANT == 4)
#define FENCING_LATE (VARIANT == 5)
#define FENCED       (FENCING || FENCING_LATE)

/*
 * The fencing token counter is unbounded in the Python model (TokenService.next_token =
 * Int(min=1)), and a byte would wrap silently. It is bounded in reachable states all the
 * same: a token is taken only by a pick (or the take_token right after one), a pick needs
 * latest > endpoint_plan[0], and in the fixed variants an Enactor picks each generation at
 * most once (if its write to endpoint 0 fails, a later token has already written that same
 * generation there, which disables further picks of it). So at most N * (MAXP - 1) tokens
 * are handed out: 12 here, and indeed the exhaustive search fails with TOKEN_CAP=12 and
 * passes with 13. Rather than rely on that argument, TOKEN_CAP turns it into a checked
 * fact: taking a token asserts next_token < TOKEN_CAP, so an exhaustive run without errors
 * shows the cap is never reached and the finite search covered the whole reachable state
 * space of the unbounded counter. The default, 255, is the byte limit.
 */
#ifndef TOKEN_CAP
#define TOKEN_CAP 255
#endif

/* Enactor program counters (Enactor.pc) */
#define IDLE       0
#define TAKE_TOKEN 1
#define CHECK      2
#define APPLY      3
#define CLEANUP    4

/* PlanStore.plans as a bit set over generations 1..MAXP: bit g set = plan g exists */
#define LIVE(g) (((plans >> (g)) & 1) == 1)

byte latest = 1;                 /* Planner.latest */
byte plans = 2;                  /* {1}: generation 1 exists at the start */
byte next_token = 1;             /* TokenService.next_token */
byte endpoint_plan[E] = 1;       /* Route53.endpoint_plan: every endpoint serves plan 1 */
byte endpoint_token[E] = 0;      /* Route53.endpoint_token */
byte pc[N] = IDLE;               /* Enactor.pc */
byte plan[N] = 0;                /* Enactor.plan */
byte cursor[N] = 0;              /* Enactor.cursor */
byte token[N] = 0;               /* Enactor.token */

/*
 * Scratch variables of the d_steps. SPIN's BFS refuses `hidden` variables, so they are
 * ordinary globals that every d_step leaves at 0 (clear_scratch): they are constant in every
 * stored state and add no states.
 */
byte g;
byte cur;
byte ok;
byte e;

#define me (_pid - 1)            /* Planner is pid 0, Enactors are pids 1..N */

inline check_state() {
#if CHECK_EMPTY
    /* endpoint_never_empty: every endpoint serves a plan that exists */
    for (g : 0 .. E - 1) {
        assert(LIVE(endpoint_plan[g]))
    }
    g = 0                        /* a loop may not end a d_step: its exit needs a target */
#else
    skip
#endif
}

inline clear_scratch() {
    cur = 0;
    ok = 0;
    e = 0
}

inline take_token() {
    assert(next_token < TOKEN_CAP);
    token[me] = next_token;
    next_token++
}

active proctype Planner() {
end:
    do
    :: d_step {                  /* Planner.plan */
        latest < MAXP ->
        latest++;
        plans = plans | (1 << latest);
        check_state()
    }
    od
}

active [N] proctype Enactor() {
end:
    do
    :: d_step {                  /* Enactor.pick: the one-time check against endpoint 0 */
        pc[me] == IDLE && latest > endpoint_plan[0] ->
        plan[me] = latest;
        cursor[me] = 0;
#if FENCING
        take_token();            /* in the same step as the plan */
#endif
#if FENCING_LATE
        pc[me] = TAKE_TOKEN;
#elif RECHECK
        pc[me] = CHECK;
#else
        pc[me] = APPLY;
#endif
        check_state()
    }
#if FENCING_LATE
    :: d_step {                  /* Enactor.take_token: a step of its own after the pick */
        pc[me] == TAKE_TOKEN ->
        take_token();
        pc[me] = APPLY;
        check_state()
    }
#endif
#if RECHECK
    :: d_step {                  /* Enactor.check: skip the endpoint unless my plan is newer */
        pc[me] == CHECK ->
        if
        :: plan[me] > endpoint_plan[cursor[me]] -> pc[me] = APPLY
        :: else ->
            pc[me] = (cursor[me] + 1 == E -> CLEANUP : CHECK);
            cursor[me]++
        fi;
        check_state()
    }
#endif
    :: d_step {                  /* Enactor.apply: one Route53 transaction (Route53.transact) */
        pc[me] == APPLY ->
        cur = endpoint_plan[cursor[me]];
        ok = LIVE(cur);          /* the transaction reads the current plan; gone = it fails */
#if VERSION_CAS
        ok = ok && cur < plan[me];
#endif
#if FENCED
        ok = ok && token[me] >= endpoint_token[cursor[me]];
        if
        :: ok -> endpoint_token[cursor[me]] = token[me]
        :: else -> skip
        fi;
#endif
        if
        :: ok ->
#if CHECK_REGRESS
            assert(plan[me] >= cur);   /* plan_never_regresses */
#endif
            endpoint_plan[cursor[me]] = plan[me]
        :: else -> skip
        fi;
        cursor[me]++;
#if RECHECK
        pc[me] = (cursor[me] == E -> CLEANUP : CHECK);
#else
        pc[me] = (cursor[me] == E -> CLEANUP : APPLY);
#endif
        clear_scratch();
        check_state()
    }
    :: d_step {                  /* Enactor.cleanup: delete plans older than plan - AGE */
        pc[me] == CLEANUP ->
        for (g : 1 .. MAXP) {
#if CLEANUP_GUARD
            /* skip any plan an endpoint serves; cur counts the endpoints serving g */
            cur = 0;
            for (e : 0 .. E - 1) {
                cur = cur + (endpoint_plan[e] == g -> 1 : 0)
            }
            if
            :: g + AGE < plan[me] && cur == 0 -> plans = plans & ~(1 << g)
            :: else -> skip
            fi;
#else
            if
            :: g + AGE < plan[me] -> plans = plans & ~(1 << g)
            :: else -> skip
            fi;
#endif
        }
        pc[me] = IDLE;
        clear_scratch();
        check_state()
    }
    od
}
