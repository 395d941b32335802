"""Several initial states for every number of replicas (``Int(init=range(..))``, ``Enum(init=[..])``).

Without ``@initial`` hooks a model's initial states are the product of each variable's own
choices, so every replica picks from the same choices independently of the others: the
initial states for any number of replicas are "each shared variable in its choices, and
∀ r: each of r's variables in its choices". That is what the parameterized ``init`` states
(`ParamEncoding.init`). An ``@initial`` hook may relate variables and replicas in any way
its code does: it refuses, naming the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import z3

from ..lang.initial import initial_hooks

if TYPE_CHECKING:
    from .template import ParamEncoding


def several_inits(pe: ParamEncoding) -> None:
    """Sets ``pe.init_pred`` (over the template state ``P0``) when the model has several initial
    states, refusing (`Refused`) what cannot be read for every number of replicas."""
    from .template import Refused

    model = pe.model2
    if not model.several_inits:
        return
    hooks = initial_hooks(model)
    if hooks:
        d = hooks[0][1]
        raise Refused(
            f"{d.file}:{d.line} several initial states chosen by the @initial hook '{d.name}' (by its code): "
            "its states for every number of replicas are not derived (declare the choices on the variables "
            "instead: Int(init=range(..)))"
        )
    enc = pe.enc
    slot_of: dict[int, int] = {}
    for i, sym in enumerate(enc.x):
        for c in enc.flat([sym]):
            slot_of[c.get_id()] = i

    def member(term: z3.ExprRef, slot: int) -> z3.BoolRef:
        values = model.init_choices[slot]
        return z3.Or([term == _value(pe, slot, v) for v in values])

    parts: list[z3.BoolRef] = []
    # by position: `list.index` would compare z3 terms with `==`, which raises on a sort mismatch
    # (an interval's bounds beside an array) instead of answering False
    for k, (c, pc) in enumerate(zip(pe.shared, pe.p0[0], strict=True)):
        slot = slot_of.get(c.get_id())
        if slot is None:  # a Ref pair or an array: one initial value, as the reading has it
            continue
        parts.append(member(pc, slot) if len(model.init_choices[slot]) > 1 else pc == pe.init_shared[k])
    local: list[z3.BoolRef] = []
    r = z3.Const(f"{pe.attr[0]}!init", pe.sort)
    for k, (c1, c2) in enumerate(zip(pe.replica_flat[1], pe.replica_flat[2], strict=True)):
        s1, s2 = slot_of[c1.get_id()], slot_of[c2.get_id()]
        if model.init_choices[s1] != model.init_choices[s2]:
            raise Refused(f"{c1} and {c2} start with different choices")
        cell = z3.Select(pe.p0[1][k], r)
        local.append(member(cell, s1) if len(model.init_choices[s1]) > 1 else cell == pe.init_local[k])
    if local:
        parts.append(z3.ForAll([r], z3.And(local)))
    pe.init_pred = z3.And(parts)


def _value(pe: ParamEncoding, slot: int, value: Any) -> z3.ExprRef:
    from .template import Refused

    v = pe.enc._const_slot(slot, value)
    if isinstance(v, tuple):
        raise Refused(f"'{pe.model2.slots[slot].name}' starts as one of several sets (not implemented)")
    return v
