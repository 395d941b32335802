---------------------------- MODULE DnsFine ----------------------------
(* The twin of models/dns_fine (raceproof): the DynamoDB DNS race with each     *)
(* Enactor's work as eight small steps. Same variables, same steps, same        *)
(* values: TLC's distinct-state count equals raceproof's explicit search's      *)
(* (symmetry off), see tests/test_tlc_dns_fine.py.                              *)
EXTENDS Integers, FiniteSets

CONSTANTS N, E, Age, MaxPlans   \* enactors, endpoints, cleanup_age, max_plans

VARIABLES latest, plans, endpointPlan, pc, plan, cursor, current, oldest

vars == <<latest, plans, endpointPlan, pc, plan, cursor, current, oldest>>
Enactors == 1..N
Endpoints == 0..(E - 1)
locals == <<pc, plan, cursor, current, oldest>>

Init ==
  /\ latest = 1
  /\ plans = {1}
  /\ endpointPlan = [e \in Endpoints |-> 1]
  /\ pc = [i \in Enactors |-> "idle"]
  /\ plan = [i \in Enactors |-> 0]
  /\ cursor = [i \in Enactors |-> 0]
  /\ current = [i \in Enactors |-> 0]
  /\ oldest = [i \in Enactors |-> 0]

\* The Planner creates plan generation latest+1, up to MaxPlans.
Plan ==
  /\ latest < MaxPlans
  /\ latest' = latest + 1
  /\ plans' = plans \cup {latest + 1}
  /\ UNCHANGED <<endpointPlan, pc, plan, cursor, current, oldest>>

Pick(i) ==
  /\ pc[i] = "idle"
  /\ plan' = [plan EXCEPT ![i] = latest]
  /\ pc' = [pc EXCEPT ![i] = "check"]
  /\ UNCHANGED <<latest, plans, endpointPlan, cursor, current, oldest>>

\* The one-time check that goes stale.
Check(i) ==
  /\ pc[i] = "check"
  /\ pc' = [pc EXCEPT ![i] = IF plan[i] > endpointPlan[0] THEN "begin" ELSE "idle"]
  /\ UNCHANGED <<latest, plans, endpointPlan, plan, cursor, current, oldest>>

Begin(i) ==
  /\ pc[i] = "begin"
  /\ cursor' = [cursor EXCEPT ![i] = 0]
  /\ pc' = [pc EXCEPT ![i] = "read_record"]
  /\ UNCHANGED <<latest, plans, endpointPlan, plan, current, oldest>>

ReadRecord(i) ==
  /\ pc[i] = "read_record"
  /\ current' = [current EXCEPT ![i] = endpointPlan[cursor[i]]]
  /\ pc' = [pc EXCEPT ![i] = "write"]
  /\ UNCHANGED <<latest, plans, endpointPlan, plan, cursor, oldest>>

\* One Route53 transaction: replaces the record only if it still holds the value read
\* and that plan still exists; else it changes nothing.
Write(i) ==
  /\ pc[i] = "write"
  /\ LET record == endpointPlan[cursor[i]] IN
       endpointPlan' = IF record = current[i] /\ record \in plans
                         THEN [endpointPlan EXCEPT ![cursor[i]] = plan[i]]
                         ELSE endpointPlan
  /\ current' = [current EXCEPT ![i] = 0]
  /\ pc' = [pc EXCEPT ![i] = "advance"]
  /\ UNCHANGED <<latest, plans, plan, cursor, oldest>>

Advance(i) ==
  /\ pc[i] = "advance"
  /\ LET last == cursor[i] + 1 = E IN
       /\ cursor' = [cursor EXCEPT ![i] = IF last THEN cursor[i] ELSE cursor[i] + 1]
       /\ pc' = [pc EXCEPT ![i] = IF last THEN "cleanup" ELSE "read_record"]
  /\ UNCHANGED <<latest, plans, endpointPlan, plan, current, oldest>>

Cleanup(i) ==
  /\ pc[i] = "cleanup"
  /\ oldest' = [oldest EXCEPT ![i] = plan[i] - Age]
  /\ pc' = [pc EXCEPT ![i] = "delete"]
  /\ UNCHANGED <<latest, plans, endpointPlan, plan, cursor, current>>

Delete(i) ==
  /\ pc[i] = "delete"
  /\ plans' = {g \in plans : g >= oldest[i]}
  /\ oldest' = [oldest EXCEPT ![i] = 0]
  /\ pc' = [pc EXCEPT ![i] = "idle"]
  /\ UNCHANGED <<latest, endpointPlan, plan, cursor, current>>

Next ==
  \/ Plan
  \/ \E i \in Enactors :
       \/ Pick(i) \/ Check(i) \/ Begin(i) \/ ReadRecord(i)
       \/ Write(i) \/ Advance(i) \/ Cleanup(i) \/ Delete(i)

Spec == Init /\ [][Next]_vars

\* Every endpoint serves a plan that exists (a deleted plan is an empty DNS record).
EndpointNeverEmpty == \A e \in Endpoints : endpointPlan[e] \in plans
\* Cleanup never deletes the newest plan: holds (TLC then counts every reachable state).
NewestPlanExists == latest \in plans
=============================================================================
