------------------------------ MODULE TwoPhase ------------------------------
(* The twin of raceproof's models/twophase: two-phase commit after Lamport's TwoPhase, with  *)
(* the TM's abort (a timeout) only in the variant Timeout. One raceproof action is one       *)
(* action here, with the same variables and initial state, so TLC's distinct-state count     *)
(* equals raceproof's explicit one (tests/test_tlc_twins.py).                                 *)
(*   rmState     rm<i>.state: each RM's state                                                 *)
(*   tmState     tm.state                                                                     *)
(*   tmPrepared  tm.prepared, a Set(Ref("rm")): the RMs whose vote the TM has received         *)
(*   msgPrepared votes, a Set(Ref("rm")): the RMs whose Prepared message is in the network     *)
(*   decision    decision: the TM's Commit/Abort message, once sent                           *)
(* Under SYMMETRY, TLC permutes the model values in RM; raceproof permutes the replicas and    *)
(* the Ref values naming them together.                                                       *)
EXTENDS TLC

CONSTANTS RM, Timeout

VARIABLES rmState, tmState, tmPrepared, msgPrepared, decision
vars == <<rmState, tmState, tmPrepared, msgPrepared, decision>>

Init ==
    /\ rmState = [r \in RM |-> "working"]
    /\ tmState = "init"
    /\ tmPrepared = {}
    /\ msgPrepared = {}
    /\ decision = "none"

\* tm.commit
TMCommit ==
    /\ tmState = "init"
    /\ tmPrepared = RM
    /\ tmState' = "committed"
    /\ decision' = "commit"
    /\ UNCHANGED <<rmState, tmPrepared, msgPrepared>>

\* tm.abort: the timeout (variant Timeout only)
TMAbort ==
    /\ Timeout
    /\ tmState = "init"
    /\ tmState' = "aborted"
    /\ decision' = "abort"
    /\ UNCHANGED <<rmState, tmPrepared, msgPrepared>>

\* rm.prepare
RMPrepare(r) ==
    /\ rmState[r] = "working"
    /\ rmState' = [rmState EXCEPT ![r] = "prepared"]
    /\ msgPrepared' = msgPrepared \cup {r}
    /\ UNCHANGED <<tmState, tmPrepared, decision>>

\* rm.choose_to_abort
RMChooseToAbort(r) ==
    /\ rmState[r] = "working"
    /\ rmState' = [rmState EXCEPT ![r] = "aborted"]
    /\ UNCHANGED <<tmState, tmPrepared, msgPrepared, decision>>

\* tm.receive_vote(rm=r): the TM receives r's Prepared message
TMRcvPrepared(r) ==
    /\ tmState = "init"
    /\ r \in msgPrepared
    /\ r \notin tmPrepared
    /\ tmPrepared' = tmPrepared \cup {r}
    /\ UNCHANGED <<rmState, tmState, msgPrepared, decision>>

\* rm.receive_commit
RMRcvCommitMsg(r) ==
    /\ decision = "commit"
    /\ rmState[r] = "prepared"
    /\ rmState' = [rmState EXCEPT ![r] = "committed"]
    /\ UNCHANGED <<tmState, tmPrepared, msgPrepared, decision>>

\* rm.receive_abort
RMRcvAbortMsg(r) ==
    /\ decision = "abort"
    /\ rmState[r] \in {"working", "prepared"}
    /\ rmState' = [rmState EXCEPT ![r] = "aborted"]
    /\ UNCHANGED <<tmState, tmPrepared, msgPrepared, decision>>

Next ==
    \/ TMCommit \/ TMAbort
    \/ \E r \in RM : RMPrepare(r) \/ RMChooseToAbort(r) \/ TMRcvPrepared(r) \/ RMRcvCommitMsg(r) \/ RMRcvAbortMsg(r)

Spec == Init /\ [][Next]_vars

Consistent == \A r1, r2 \in RM : ~(rmState[r1] = "committed" /\ rmState[r2] = "aborted")

Symmetry == Permutations(RM)
=============================================================================
