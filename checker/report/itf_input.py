"""Reading ITF traces (ours, Apalache's, Quint's) into a `TraceView`.

The format (Apalache ADR-015): a JSON object with ``vars`` (names), ``states`` (objects
mapping each name to a value, with an optional ``#meta``), an optional top-level ``#meta``
and an optional ``loop`` (the index of the state a lasso returns to). Values are JSON
booleans, strings and numbers, ``{"#bigint": "digits"}``, lists (sequences),
``{"#tup": [...]}``, ``{"#set": [...]}``, ``{"#map": [[k, v], ...]}``,
``{"#unserializable": "..."}``, and plain objects (records, and Quint's variants).

A trace raceproof wrote names its model (``#meta.model_ref`` and ``params``): the model is
rebuilt, the steps are matched to its transitions and replayed, and the report has the
stale-read explanation. Any other trace is shown as it is, without one (the report says so).

Opening a trace never runs code from somewhere unexpected: the model it names is rebuilt only
when it lives in the trace's own project tree or in the installed toolkit (its bundled models),
or when the user names the model (``--model REF``, found like a spec's, from the working
directory's project). Otherwise the trace is rendered as it is, and the report says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RaceproofError, SpecError, read_input
from ..lang.initial import matching_initial
from ..params import Override, ParamError, command_line_problem
from ..project import find_project
from ..registry import ModelSource, is_toolkit_file, load, model_file, resolve
from ..trace import Trace, replay
from ..values import Record, Unserializable
from .view import STATE, Participant, Step, TraceView, fmt, from_trace

#: variables Quint and Apalache add for model-based testing: the action taken, not system state
_ACTION_VARS = ("mbt::actionTaken", "action_taken")
_HIDDEN_PREFIXES = ("mbt::",)
#: Quint's record of the nondeterministic choices of each step: {name: {"tag": "Some"|"None", "value": v}}
_PICKS = "mbt::nondetPicks"
#: a choice under one of these names is the process that took the step (the report's instance column)
_PROCESS_PICKS = ("process", "proc", "pid", "node", "replica", "instance", "actor", "self", "p")


#: the deepest nesting of values read (ITF values are records of sets of tuples, a few deep)
MAX_NESTING = 64
#: the longest ``#bigint`` read: Python's own limit on converting decimal strings
MAX_DIGITS = 4300


class ItfError(SpecError):
    """A file that is not a readable ITF trace (bad input: exit 2)."""


def decode(value: Any, where: str, path: str) -> Any:
    """One ITF value as a Python value (see `checker.report.view`)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ItfError(f"{where}: {value} is not an integer (ITF has no fractions)", path)
    if isinstance(value, list):
        return [decode(v, f"{where}[{n}]", path) for n, v in enumerate(value)]
    if not isinstance(value, dict):  # pragma: no cover - json.load yields nothing else
        raise ItfError(f"{where}: unexpected value {value!r}", path)
    if len(value) == 1:
        ((tag, body),) = value.items()
        if tag == "#bigint":
            return _bigint(body, where, path)
        if tag in ("#set", "#tup", "#map") and not isinstance(body, list):
            raise ItfError(f"{where}: {tag} must hold a list, got {type(body).__name__}", path)
        if tag == "#set":
            items = [decode(v, f"{where}.#set[{n}]", path) for n, v in enumerate(body)]
            try:
                return frozenset(items)
            except TypeError:  # sets of sets of records etc.: keep their order
                return tuple(items)
        if tag == "#tup":
            return tuple(decode(v, f"{where}.#tup[{n}]", path) for n, v in enumerate(body))
        if tag == "#map":
            out = {}
            for n, pair in enumerate(body):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ItfError(f"{where}.#map[{n}]: each entry must be a [key, value] pair", path)
                key = decode(pair[0], f"{where}.#map[{n}][0]", path)
                out[_hashable(key)] = decode(pair[1], f"{where}.#map[{n}][1]", path)
            return out
        if tag == "#unserializable":  # kept as it is, so that writing the trace again keeps it
            return Unserializable(body if isinstance(body, str) else json.dumps(body))
    return Record({k: decode(v, f"{where}.{k}", path) for k, v in value.items()})


def _picks(value: Any, where: str, path: str) -> dict[str, Any]:
    """The choices a Quint step made (``Some`` ones), by name; ``None`` ones were not made."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for name, pick in value.items():
        if isinstance(pick, dict) and pick.get("tag") == "Some" and "value" in pick:
            out[str(name)] = decode(pick["value"], f"{where}.{name}.value", path)
    return out


def _process_pick(picks: dict[str, Any]) -> str | None:
    """The name of the choice that says which process took a step: one named like a process
    (``process``, ``node``, ...), else the only choice whose value is a name (a string)."""
    for name in _PROCESS_PICKS:
        value = picks.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return name
    named = [k for k, v in picks.items() if isinstance(v, str)]
    return named[0] if len(named) == 1 else None


_BIGINT = re.compile(r"-?[0-9]+")


def _bigint(body: Any, where: str, path: str) -> int:
    # ASCII digits only: str.isdigit() also accepts superscripts, which int() refuses
    if not isinstance(body, str) or not _BIGINT.fullmatch(body):
        raise ItfError(
            f"{where}: #bigint must be a string of digits (0-9, optionally after one '-'), got {body!r:.60}", path
        )
    if len(body) > MAX_DIGITS:
        raise ItfError(f"{where}: #bigint has {len(body):,} digits, more than the {MAX_DIGITS:,} read", path)
    return int(body)


def _check_shape(data: Any, path: str) -> None:
    """Refuse values nested deeper than `MAX_NESTING` (iteratively: the check itself must not
    run out of stack), naming the first one found."""
    todo: list[tuple[Any, str, int]] = [(data, "", 0)]
    while todo:
        value, where, depth = todo.pop()
        if depth > MAX_NESTING:
            where = where if len(where) <= 80 else where[:80] + "..."
            raise ItfError(f"{where}: values nested more than {MAX_NESTING} deep", path)
        if isinstance(value, list):
            todo += [(v, f"{where}[{n}]", depth + 1) for n, v in enumerate(value)]
        elif isinstance(value, dict):
            todo += [(v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items()]


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def read_itf(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    text = read_input(path, ItfError, "trace", stdin=True)
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ItfError(f"not JSON: {exc.msg}", name, exc.lineno) from None
    except RecursionError:
        raise ItfError(f"values nested more than {MAX_NESTING} deep", name) from None
    except ValueError:  # the only other failure of json.loads on a str: an integer too long to convert
        raise ItfError(f"a number has more than {MAX_DIGITS:,} digits", name) from None
    if not isinstance(data, dict) or not isinstance(data.get("states"), list) or not data["states"]:
        raise ItfError("not an ITF trace: expected an object with a non-empty 'states' list", name)
    _check_shape(data, name)
    names = data.get("vars")
    if names is not None:
        if not isinstance(names, list):
            raise ItfError(f"vars: expected a list of variable names, got {type(names).__name__}", name)
        for n, var in enumerate(names):
            if not isinstance(var, str):
                raise ItfError(f"vars[{n}]: a variable name is a string, got {var!r:.40}", name)
    meta = data.get("#meta")
    if isinstance(meta, dict):
        for key in ("property", "property_kind", "kind", "model_ref"):
            if meta.get(key) is not None and not isinstance(meta[key], str):
                raise ItfError(f"#meta.{key}: expected a string, got {meta[key]!r:.40}", name)
    return data


def load_itf(
    path: str | Path,
    model: str | None = None,
    say: Callable[[str], None] | None = None,
    params: list[Override] | None = None,
) -> TraceView:
    """The view of an ITF file; rebuilt with its model (and explained) when raceproof wrote it.
    ``model``: the user's own choice of model (``--model``), instead of the one the file names;
    ``say`` is told which file's code is loaded, before it runs. ``params`` (``-P``) are set
    over the trace's own parameters (``#meta.params``; else the model's defaults) to rebuild the
    model with: a value the model refuses, or a trace whose model is not rebuilt, is a `ParamError`."""
    data = read_itf(path)
    meta = data.get("#meta") if isinstance(data.get("#meta"), dict) else {}
    stdin = str(path) == "-"
    path = "<stdin>" if stdin else str(path)
    view = _plain_view(data, meta, path)
    if model is not None:
        source = resolve(model, Path.cwd())  # the user named it: bad input if it does not exist
    elif meta.get("model_ref"):
        # a trace on standard input is in no project: only the toolkit's models are trusted
        source = _trusted_source(str(meta["model_ref"]), None if stdin else Path(path), view)
    else:
        source = None
        view.basis = (
            "no stale-read explanation: this ITF names no raceproof model, so which variables each step "
            "read is unknown (value changes alone cannot show a read)"
        )
    if source is None:
        if params:  # asked for, and nothing to apply them to: refused rather than ignored
            options = ", ".join(o.option for o in params)
            raise ParamError(
                f"{options}: the parameters to rebuild the trace's model with, but {path}'s model is not "
                f"rebuilt ({view.basis.removeprefix('no stale-read explanation: ')})"
            )
        return view
    if say is not None:
        where = "--model" if model is not None else source.describe().replace("spec's", "trace's")
        say(f"loading model {source.ref} from {source.origin} ({where})")
    given = _rebuild_params(meta, params or [], source, path)
    with_params = f" with {', '.join(o.option for o in params)}" if params else ""
    try:
        rebuilt, cls = _rebuild(data, given, view, source)
    except (RaceproofError, KeyError, ValueError, TypeError) as exc:
        view.basis = f"no stale-read explanation: could not rebuild model '{source.ref}'{with_params} ({exc})"
    else:
        rebuilt.source = str(path)
        origin = model_file(cls) or source.origin
        how = "--model" if model is not None else "the ITF's #meta"
        rebuilt.basis += f" (model rebuilt from {how}: {origin}{with_params})"
        return rebuilt
    return view


def _rebuild_params(meta: dict[str, Any], params: list[Override], source: ModelSource, path: str) -> Any:
    """The parameters to rebuild the model with: the trace's own, with the command line's over them.
    The trace's own are checked when the model is built (a bad one: the trace is shown as it is);
    the command line's here, like a spec's (a bad one: bad input, exit 2)."""
    raw = meta.get("params") or {}
    if not params or not isinstance(raw, dict):  # not a table: rebuilding fails, and the report says why
        return raw
    given = dict(raw)
    try:
        cls = load(source)
    except RaceproofError as exc:
        options = ", ".join(o.option for o in params)
        raise ParamError(f"{options}: cannot check them: model '{source.ref}' does not load ({exc})") from None
    overrides = {o.name: o for o in params}
    merged = given | {o.name: o.value for o in params}
    if not cls.check_params(given):  # the trace's own are fine: any problem now is the command line's
        for name, message in cls.check_params(merged):
            raise command_line_problem(name, message, overrides, f"trace {path}, model {source.ref}")
    return merged


def _trusted_source(ref: str, path: Path | None, view: TraceView) -> ModelSource | None:
    """The model a trace names, if it is the trace's project's or the toolkit's; else None (and
    the view says why). Never the working directory's, nor anything else on the import path.
    ``path`` None: a trace from standard input, in no project (only the toolkit's models count)."""
    try:
        source = resolve(ref, path.parent if path is not None else Path.cwd(), python_path=False)
    except SpecError:
        source = None
    project = find_project(path) if path is not None else None
    # a project is a folder marked as one (pyproject.toml, .git): a trace in a bare folder (a
    # download, /tmp) trusts nothing next to it
    in_project = project is not None and project.marked and source is not None and project.contains(source.origin)
    if source is not None and (in_project or is_toolkit_file(source.origin)):
        return source
    where = (
        f"the trace's project ({project.root})"
        if project is not None and project.marked
        else "a project (the trace is in none)"
    )
    view.basis = (
        f"no stale-read explanation: the model this trace names ('{ref}') is not in {where} "
        "nor bundled with raceproof, so its code was not run; give --model REF to rebuild it with a model you trust"
    )
    return None


def _plain_view(data: dict[str, Any], meta: dict[str, Any], path: str) -> TraceView:
    states = data["states"]
    names = data.get("vars")
    if not isinstance(names, list):
        names = [k for k in states[0] if k != "#meta"]
    shown = [n for n in names if n not in _ACTION_VARS and not n.startswith(_HIDDEN_PREFIXES)]
    steps = []
    processes: list[str] = []
    for n, state in enumerate(states):
        if not isinstance(state, dict):
            raise ItfError(f"states[{n}] is not an object", path)
        missing = [v for v in shown if v not in state]
        if missing:
            raise ItfError(f"states[{n}] has no value for variable '{missing[0]}'", path)
        smeta = state.get("#meta") if isinstance(state.get("#meta"), dict) else {}
        action = smeta.get("action")
        if action is None:
            taken = next((state[v] for v in _ACTION_VARS if v in state), None)
            action = decode(taken, f"states[{n}].action", path) if taken is not None else None
        process = smeta.get("process")
        picks = _picks(state.get(_PICKS), f"states[{n}].{_PICKS}", path) if _PICKS in state else {}
        actor = _process_pick(picks) if process is None else None
        if actor is not None:
            process = picks[actor]
        if picks and action is not None:  # Quint's other choices show as the action's arguments
            args = ", ".join(f"{k}={fmt(v)}" for k, v in picks.items() if k != actor)
            action = f"{action}({args})" if args else action
        if process is not None and process not in processes:
            processes.append(str(process))
        values = {v: decode(state[v], f"states[{n}].{v}", path) for v in shown}
        label = str(action) if action is not None else ("init" if n == 0 else "step")
        steps.append(Step(n, str(process) if process is not None else None, label, values))
    participants = []
    owner: dict[str, str] = {}
    for p in processes:
        mine = [v for v in shown if v.startswith(f"{p}.")]
        participants.append(Participant(p, "process", mine))
        owner.update(dict.fromkeys(mine, p))
    rest = [v for v in shown if v not in owner]
    if rest:
        participants.append(Participant(STATE, "state", rest))
        owner.update(dict.fromkeys(rest, STATE))
    loop = data.get("loop")
    if loop is not None and not (isinstance(loop, int) and not isinstance(loop, bool) and 0 <= loop < len(states)):
        raise ItfError(f"loop {loop!r} is not the index of a state", path)
    kind = meta.get("kind") or ("lasso" if loop is not None else "violation")
    return TraceView(
        steps,
        participants,
        owner,
        prop=meta.get("property"),
        property_kind=meta.get("property_kind"),
        kind=str(kind),
        loop=loop,
        source=path,
        replayed=False,
    )


def _rebuild(data: dict[str, Any], params: Any, plain: TraceView, source: ModelSource) -> tuple[TraceView, type]:
    """Our own ITF: rebuild the model, match and replay the steps, check they agree with the file."""
    cls = load(source)
    model = cls.build(**dict(params))
    transitions = []
    for step in plain.steps[1:]:
        found = [t for t in model.transitions if t.instance.name == step.instance and t.label == step.action]
        if len(found) != 1:
            raise ValueError(f"step {step.index}: no transition {step.instance}.{step.action} in the model")
        transitions.append(found[0])
    prop = plain.prop if plain.prop in model.properties else None
    # with several initial states the file's state 0 says which (it is compared in full below)
    start = model.init if not model.several_inits else matching_initial(model, plain.steps[0].values)
    if start is None:
        raise ValueError("state 0 of the file is none of the model's initial states")
    trace = Trace(model, replay(model, transitions, start), transitions, prop, plain.kind, loop=plain.loop)
    view = from_trace(trace, plain.source)
    for step, mine in zip(plain.steps, view.steps, strict=True):
        if step.values != {k: mine.values[k] for k in step.values}:
            raise ValueError(f"state {step.index} of the file differs from the model's replay")
    return view, cls
