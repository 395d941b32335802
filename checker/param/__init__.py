"""Proofs for every number of replicas: a parameterized encoding, quantified invariants.

`template` reads the model's own action code, run once symbolically on a two-replica
instance, into a transition relation over replica-indexed arrays (refusing, with a reason,
any model whose code could behave differently for another number of replicas); `infer`
generalizes the lemmas PDR finds on small instances into ∀-lemmas and keeps the inductive
ones (`lemmas` makes the candidates; `membership` adds "the set contains this variable's
value" for bounded integer sets, `relax` the lemmas of the model with its optional bounds
lifted); `index` reads arrays of a parameter's size as arrays of symbolic size (`domains`:
an action per index as one step at a chosen index) and `sizes`
checks that reading against the model at every size it allows; `each` searches every value
of bounded parameters where no parameterized proof applies (NLB, DWFM); `certificate`
writes and re-checks the SMT-LIB proof; `compact` folds per-replica lines of a per-instance
invariant; `run` drives a spec.
"""
