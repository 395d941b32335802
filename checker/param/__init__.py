"""Proofs for every number of replicas: a parameterized encoding, quantified invariants.

`template` reads the model's own action code, run once symbolically on a two-replica
instance, into a transition relation over replica-indexed arrays (refusing, with a reason,
any model whose code could behave differently for another number of replicas); `infer`
generalizes the lemmas PDR finds on small instances into ∀-lemmas and keeps the inductive
ones; `certificate` writes and re-checks the SMT-LIB proof; `run` drives a spec.
"""
