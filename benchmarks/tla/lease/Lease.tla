------------------------------- MODULE Lease -------------------------------
(* The twin of raceproof's models/lease (a lease-based lock, without and with fencing      *)
(* tokens). One raceproof action is one action here, with the same variables and the same   *)
(* initial state, so the reachable state graphs are isomorphic and TLC's distinct-state     *)
(* count equals raceproof's explicit one (tests/test_tlc_twins.py).                          *)
(*   holder      LockService: the client holding the lease, or None (a Ref("client", none=True)) *)
(*   next_token  LockService: the number (fencing token) of the next lease                  *)
(*   last_token  Storage: the token of the last write it accepted (0: none)                 *)
(*   pc, token   Client c: its step, and its lease's token (0: none)                        *)
(* Under SYMMETRY, TLC permutes the model values in Clients; raceproof permutes the replicas   *)
(* and the Ref values naming them together.                                                   *)
EXTENDS Naturals, TLC

CONSTANTS Clients, None, MaxLeases, Fencing

VARIABLES holder, next_token, last_token, pc, token
vars == <<holder, next_token, last_token, pc, token>>

Init ==
    /\ holder = None
    /\ next_token = 1
    /\ last_token = 0
    /\ pc = [c \in Clients |-> "idle"]
    /\ token = [c \in Clients |-> 0]

\* client.acquire: the lock is free; take a lease with the next token
Acquire(c) ==
    /\ pc[c] = "idle"
    /\ holder = None
    /\ next_token <= MaxLeases
    /\ holder' = c
    /\ token' = [token EXCEPT ![c] = next_token]
    /\ next_token' = next_token + 1
    /\ pc' = [pc EXCEPT ![c] = "holding"]
    /\ UNCHANGED last_token

\* client.write: storage accepts unless fencing rejects an older token
Write(c) ==
    /\ pc[c] = "holding"
    /\ last_token' = IF Fencing /\ token[c] < last_token THEN last_token ELSE token[c]
    /\ pc' = [pc EXCEPT ![c] = "wrote"]
    /\ UNCHANGED <<holder, next_token, token>>

\* client.release: give the lease back if it is still this client's
Release(c) ==
    /\ pc[c] = "wrote"
    /\ holder' = IF holder = c THEN None ELSE holder
    /\ token' = [token EXCEPT ![c] = 0]
    /\ pc' = [pc EXCEPT ![c] = "idle"]
    /\ UNCHANGED <<next_token, last_token>>

\* lock.expire: the lease runs out (the holder is not told)
Expire ==
    /\ holder # None
    /\ holder' = None
    /\ UNCHANGED <<next_token, last_token, pc, token>>

Next == Expire \/ \E c \in Clients : Acquire(c) \/ Write(c) \/ Release(c)

Spec == Init /\ [][Next]_vars

\* the safety property fencing restores (as an invariant of one step: checked with -deadlock as a PROPERTY)
WritesInLeaseOrder == [][last_token' >= last_token]_vars

WrittenTokenWasGranted == last_token < next_token

Symmetry == Permutations(Clients)
=============================================================================
