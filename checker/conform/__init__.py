"""From model to running code: drive an implementation through the model's steps.

- `adapter`: the protocol an implementation's adapter follows (steps, observations, the
  declared mapping from model variables to observations), and loading one by reference.
- `replay`: run a counterexample (ITF) on the implementation, comparing states step by step.
- `conform`: Hypothesis stateful testing with the model's transitions as rules, in lockstep.
- `validate`: is a logged run of the implementation a behaviour of the model?
"""
