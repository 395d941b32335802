"""What the parameterized reading's modules share: the refusal, the template state, constant ids."""

from __future__ import annotations

import z3

from ..engines.generalize import state_consts

PState = tuple[list[z3.ExprRef], list[z3.ArrayRef]]  # shared slots' constants, the replicas' arrays


class Refused(Exception):
    """The model cannot be read for every number of replicas; ``reason`` says where and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def const_ids(e: z3.ExprRef) -> set[int]:
    """The ids of the uninterpreted constants in ``e``, inside quantifiers and lambdas too."""
    return {c.get_id() for c in state_consts(e).values()}
