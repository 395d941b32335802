---------------------------- MODULE AlternatingBit ----------------------------
(* The alternating-bit protocol over two lossy FIFO channels: the TLA+ twin of  *)
(* raceproof's models/channels (same variables, same steps, same guards), so    *)
(* TLC's "distinct states found" equals raceproof's explicit state count.      *)
(* Messages are 0..Msgs-1; a message's bit is its number mod 2.                *)
EXTENDS Naturals, Sequences

CONSTANTS Msgs,          \* messages to send
          Capacity,      \* messages a channel holds in transit
          IgnoreAckBit   \* TRUE: the bug variant (the sender moves on at any ack)

VARIABLES next, data, acks, delivered
vars == <<next, data, acks, delivered>>

Init == /\ next = 0
        /\ data = << >>
        /\ acks = << >>
        /\ delivered = << >>

\* the sequence s without its i-th element
Remove(s, i) == [j \in 1..(Len(s) - 1) |-> IF j < i THEN s[j] ELSE s[j + 1]]

Send == /\ next < Msgs
        /\ Len(data) < Capacity
        /\ data' = Append(data, next)
        /\ UNCHANGED <<next, acks, delivered>>

ReceiveAck == /\ Len(acks) > 0
              /\ acks' = Tail(acks)
              /\ next' = IF (IgnoreAckBit \/ Head(acks) = next % 2) /\ next < Msgs
                         THEN next + 1 ELSE next
              /\ UNCHANGED <<data, delivered>>

Receive == /\ Len(data) > 0
           /\ Len(acks) < Capacity
           /\ data' = Tail(data)
           /\ delivered' = IF Head(data) % 2 = Len(delivered) % 2 /\ Len(delivered) < Msgs
                           THEN Append(delivered, Head(data)) ELSE delivered
           /\ acks' = Append(acks, Head(data) % 2)
           /\ UNCHANGED next

LoseData == \E i \in 1..Len(data) : /\ data' = Remove(data, i)
                                     /\ UNCHANGED <<next, acks, delivered>>

LoseAck == \E i \in 1..Len(acks) : /\ acks' = Remove(acks, i)
                                    /\ UNCHANGED <<next, data, delivered>>

Next == Send \/ ReceiveAck \/ Receive \/ LoseData \/ LoseAck

Spec == Init /\ [][Next]_vars

InOrder == \A i \in 1..Len(delivered) : delivered[i] = i - 1
SenderNotAhead == next <= Len(delivered)
DoneMeansDelivered == next = Msgs => Len(delivered) = Msgs
===============================================================================
