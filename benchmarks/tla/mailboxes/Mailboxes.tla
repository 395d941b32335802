------------------------------ MODULE Mailboxes ------------------------------
(* Replicas, each with its own bounded inbox (a sequence): the TLA+ twin of     *)
(* tests/models/seqs.py's Inboxes. With SYMMETRY over the replicas TLC counts    *)
(* orbits, as raceproof's explicit search does when it reduces the replicas      *)
(* (a Seq moves with its replica).                                               *)
EXTENDS Naturals, Sequences, TLC

CONSTANTS Boxes, Capacity

VARIABLES inbox

Init == inbox = [b \in Boxes |-> << >>]

Receive(b, v) == /\ Len(inbox[b]) < Capacity
                 /\ inbox' = [inbox EXCEPT ![b] = Append(@, v)]

Consume(b) == /\ Len(inbox[b]) > 0
              /\ inbox' = [inbox EXCEPT ![b] = Tail(@)]

Next == \E b \in Boxes : Consume(b) \/ \E v \in 0..1 : Receive(b, v)

Bounded == \A b \in Boxes : Len(inbox[b]) <= Capacity

Sym == Permutations(Boxes)
==============================================================================
