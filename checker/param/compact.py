"""A per-instance invariant printed compactly where it is symmetric.

``enactor1.plan <= planner.latest``, ``enactor2.plan <= planner.latest`` and
``enactor3.plan <= planner.latest`` (all three replicas of a 3-replica instance) print as
``∀ e ∈ enactor1..3: e.plan <= planner.latest``. Lines about two replicas fold only when
every ordered pair of distinct replicas is there. Display only: the folded line states
exactly the conjunction of the lines it replaces; anything incomplete is left as it was.
The text report shows the folded form; ``--json`` has both (``invariant``, ``invariant_compact``).
"""

from __future__ import annotations

import itertools
import re

from ..lang.model import ModelInstance
from ..results import PropertyResult


def compact(lines: list[str], attr: str, count: int) -> list[str]:
    if count < 2:
        return list(lines)
    # a replica's variable (rm1.state), its element of a shared set (votes{rm1}), its id ("rm1")
    pattern = re.compile(rf"\b{re.escape(attr)}(\d+)\.|\{{{re.escape(attr)}(\d+)\}}|\"{re.escape(attr)}(\d+)\"")
    names = [attr[0], chr(ord(attr[0]) + 1)]
    groups: dict[str, set[tuple[int, ...]]] = {}
    keyed: list[tuple[str, str | None]] = []
    shows: dict[str, str] = {}  # a key's line as the first of its group reads (its own disjunct order)
    for line in lines:
        ordered = _ordered(line, pattern)  # the key: disjuncts in one order
        ids: list[int] = []
        for m in pattern.finditer(ordered):
            if _rid(m) not in ids:
                ids.append(_rid(m))
        if not ids or len(ids) > 2:
            keyed.append((line, None))
            continue
        key = pattern.sub(lambda m, ids=ids: _bound(m, names[ids.index(_rid(m))]), ordered)
        seen = list(dict.fromkeys(_rid(m) for m in pattern.finditer(line)))  # named in the line's own order
        shows.setdefault(key, pattern.sub(lambda m, seen=seen: _bound(m, names[seen.index(_rid(m))]), line))
        groups.setdefault(key, set()).add(tuple(ids))
        keyed.append((line, key))
    everyone = range(1, count + 1)
    complete = {
        key
        for key, found in groups.items()
        if found == {(i,) for i in everyone} or found == set(itertools.permutations(everyone, 2))
    }
    out: list[str] = []
    shown: set[str] = set()
    for line, key in keyed:
        if key is None or key not in complete:
            out.append(line)
        elif key not in shown:
            shown.add(key)
            arity = len(next(iter(groups[key])))
            bound = names[0] if arity == 1 else f"{names[0]} ≠ {names[1]}"
            out.append(f"∀ {bound} ∈ {attr}1..{count}: {shows[key]}")
    return out


def _ordered(line: str, pattern: re.Pattern[str]) -> str:
    """``line`` with its top-level disjuncts in one order (by their text with the replicas
    masked): z3 prints a lemma's disjuncts in an order that varies with its state, and the same
    lemma about two replicas must read alike to fold. A disjunction is the same in any order."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and line.startswith(" | ", i):
            parts.append(line[start:i])
            start = i + 3
    parts.append(line[start:])
    if len(parts) < 2 or depth != 0 or quoted:
        return line
    return " | ".join(sorted(parts, key=lambda d: (pattern.sub("@", d), d)))


def _rid(m: re.Match[str]) -> int:
    return int(next(g for g in m.groups() if g is not None))


def _bound(m: re.Match[str], name: str) -> str:
    """The bound name where the replica was: ``r.``, ``{r}``, ``r``."""
    if m.group(1) is not None:
        return f"{name}."
    return f"{{{name}}}" if m.group(2) is not None else name


def add_compact(model: ModelInstance, results: list[PropertyResult]) -> None:
    """Each proved result's invariant also in the compact form (``extra["invariant_compact"]``,
    shown by the text report; ``extra["invariant"]`` stays expanded), folded over every
    replicated component whose replicas are interchangeable (not ``symmetric=False``: there
    the per-replica lines are about different things, even when they read alike)."""
    params = model.param_dict()
    folds = [
        (attr, params[c.count])
        for attr, c in model.model.components().items()
        if isinstance(c.count, str) and c.symmetric and isinstance(params.get(c.count), int) and params[c.count] > 1
    ]
    letters = [attr[0] for attr, _ in folds]
    if len(set(letters)) != len(letters):  # bound names would clash: leave it expanded
        return
    for r in results:
        lines = list(r.extra.get("invariant") or ())
        if not lines or r.extra.get("for_all"):
            continue
        folded = lines
        for attr, count in folds:
            folded = compact(folded, attr, count)
        if folded != lines:
            r.extra["invariant_compact"] = folded
