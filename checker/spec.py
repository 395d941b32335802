"""Spec files (TOML): which model, its parameters, the properties, bounds, expectations.

    model = "dns"                      # the project's models/dns (else the bundled one), or "package.module:Class"
    description = "..."

    [params]                           # the model's parameters (others keep their defaults; `-P` overrides)
    variant = "as_designed"

    [check]
    engine = "auto"                    # auto (default) | explicit | bmc: see `checker.engine_choice.choose_engine`
    depth = 12                         # BMC bound
    timeout = 300                      # seconds, for the whole spec
    properties = ["endpoint_never_empty"]   # optional: default, every property in [expect]

    [prove]                            # optional: what `raceproof prove` does by default
    for_all = ["enactors"]             # as --for-all: prove for every value >= 1 of this replica count
    for_all_strict = false             # as --for-all-strict: exit 1 on a violation at any size searched

    [expect]                           # the verdict each property should get
    endpoint_never_empty = "violated"  # holds (complete), holds_to_depth (bounded), proved, witnessed, ...

Every problem is reported as a `SpecError` naming the file and the line of the offending key.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelError, RaceproofError, SpecError, model_location_from_traceback, read_input
from .lang.declare import GRAPH_KINDS
from .lang.model import Model, ModelInstance
from .params import Override, ParamError, command_line_problem
from .registry import ModelSource, load, model_file, resolve
from .results import EXPECTATIONS

_TOP_KEYS = {"model", "description", "params", "check", "prove", "expect"}
_PROVE_KEYS = {"for_all", "for_all_strict"}
_CHECK_KEYS = {"depth", "timeout", "properties", "engine", "max_states"}
#: auto: a proof for what the spec expects `proved`, else exhaustive explicit search of a
#: finite instance, else BMC to the depth bound (`checker.engine_choice.choose_engine`)
ENGINES = ("auto", "bmc", "explicit")
DEFAULT_DEPTH = 10


@dataclass
class Spec:
    path: Path
    name: str
    model_ref: str
    model: type[Model]
    params: dict[str, Any]
    depth: int
    timeout: float | None
    properties: list[str]
    expect: dict[str, str]
    engine: str = "auto"
    max_states: int | None = None
    description: str = ""
    lines: dict[tuple[str, str], int] = field(default_factory=dict)
    source: ModelSource | None = None  # where the model's code was found (resolved from the spec's project)
    #: the parameters given on the command line (``-P``), already merged into ``params``
    overrides: dict[str, Override] = field(default_factory=dict)
    #: [prove] for_all: the parameters `raceproof prove` proves for every value of (as --for-all)
    for_all: list[str] = field(default_factory=list)
    #: [prove] for_all_strict: a violation at any size the for-all search looked at exits 1 (as --for-all-strict)
    for_all_strict: bool = False

    def model_origin(self) -> str | None:
        """The file whose code defines the model class (named in the output: which code ran)."""
        return model_file(self.model)

    def with_params(self, overrides: Iterable[Override]) -> Spec:
        """This spec with parameters from the command line (``-P``) over its own, validated like
        the spec's (`Model.check_params`): a problem is a `ParamError` naming the parameter."""
        given = {o.name: o for o in overrides}
        if not given:
            return self
        params = self.params | {name: o.value for name, o in given.items()}
        for name, message in self.model.check_params(params):
            raise self.param_error(name, message, given)
        return dataclasses.replace(self, params=params, overrides=self.overrides | given)

    def param_error(self, name: str, message: str, given: dict[str, Override] | None = None) -> ParamError:
        """A problem with parameter ``name`` that the command line's ``-P`` caused: the message
        says where the value came from (the spec alone was valid when it loaded)."""
        given = self.overrides if given is None else given
        return command_line_problem(name, message, given, f"spec {self.path}, model {self.model_ref}")

    def build(self) -> ModelInstance:
        try:
            return self.model.build(**self.params)
        except ModelError as exc:
            if exc.param is not None and exc.param in self.overrides:
                raise self.param_error(exc.param, exc.message) from None
            if exc.file is None or exc.param in self.params:  # a parameter problem: point at the spec
                line = self.line("params", exc.param or "") or self.line("", "model")
                raise SpecError(exc.message, str(self.path), line) from None
            raise
        except (RaceproofError, AssertionError):  # an AssertionError is raceproof's own fault
            raise
        except Exception as exc:  # e.g. a declaration naming a parameter the model lacks
            file, line = model_location_from_traceback(exc.__traceback__)
            if file is None:  # only raceproof's frames: point at the model class
                file, line = _class_location(self.model)
            raise ModelError(
                f"building model '{self.model_ref}' raised {type(exc).__name__}: {exc}", file, line
            ) from None

    def line(self, section: str, key: str) -> int | None:
        return self.lines.get((section, key)) or self.lines.get((section, "")) or self.lines.get(("", section))


def _class_location(cls: type) -> tuple[str | None, int | None]:
    try:
        return inspect.getsourcefile(cls), inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None, None


def _key_lines(text: str) -> dict[tuple[str, str], int]:
    """(table, key) -> line number, for pointing errors at the line the user wrote."""
    lines: dict[tuple[str, str], int] = {}
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([A-Za-z0-9_.\-]+)\s*\]", line)
        if header:
            section = header.group(1)
            lines.setdefault((section, ""), number)
            continue
        key = re.match(r'^"?([A-Za-z0-9_.\-]+)"?\s*=', line)
        if key:
            lines.setdefault((section, key.group(1)), number)
            *tables, name = key.group(1).split(".")  # a dotted key: params.enactors = 3
            if tables:
                table = ".".join([section, *tables] if section else tables)
                lines.setdefault((table, name), number)
                lines.setdefault((table, ""), number)
    return lines


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    text = read_input(path, SpecError, "spec")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) if where else str(exc)
        line = int(where.group(1)) if where else None
        raise SpecError(f"malformed TOML: {msg}", str(path), line) from None
    except RecursionError:  # arrays or inline tables nested thousands deep
        raise SpecError("malformed TOML: values nested too deep", str(path)) from None
    except ValueError:  # tomllib's only other failure: an integer longer than Python converts
        digits = re.search(r"[0-9_]{4300,}", text)
        line = text.count("\n", 0, digits.start()) + 1 if digits else None
        raise SpecError("malformed TOML: an integer of more than 4,300 digits", str(path), line) from None
    lines = _key_lines(text)

    def fail(message: str, section: str = "", key: str = "") -> SpecError:
        # an inline table (params = { ... }) has no line of its own per key: use the table's
        line = lines.get((section, key)) or lines.get((section, "")) or lines.get(("", section))
        return SpecError(message, str(path), line)

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown key '{key}' (a spec has: {', '.join(sorted(_TOP_KEYS))})", "", key)
    ref = data.get("model")
    if not isinstance(ref, str) or not ref:
        err = fail('missing \'model = "<name>"\' (e.g. model = "dns")', "", "model")
        err.line = err.line or 1
        raise err
    try:
        source = resolve(ref, path)  # from the spec's own project, wherever raceproof runs
        model = load(source)
    except SpecError as exc:
        if exc.file is not None:  # e.g. a bad [tool.raceproof] in the project's pyproject.toml: its own place
            raise
        raise fail(exc.message, "", "model") from None

    params = _table(data, "params", fail)
    for name, message in model.check_params(params):
        raise fail(message, "params", name)

    check = _table(data, "check", fail)
    for key in check:
        if key not in _CHECK_KEYS:
            raise fail(f"unknown key '{key}' in [check] (known: {', '.join(sorted(_CHECK_KEYS))})", "check", key)
    depth = check.get("depth", DEFAULT_DEPTH)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise fail(f"depth must be a non-negative integer, got {depth!r}", "check", "depth")
    timeout = check.get("timeout")
    # `not timeout > 0` also refuses nan; `inf` is no limit (see `checker.run.time_limit`)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0):
        raise fail(
            f"timeout must be a positive number of seconds (or inf: no limit), got {timeout!r}", "check", "timeout"
        )
    engine = check.get("engine", "auto")
    if engine not in ENGINES:
        raise fail(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})", "check", "engine")
    max_states = check.get("max_states")
    if max_states is not None and (isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 1):
        raise fail(f"max_states must be a positive integer, got {max_states!r}", "check", "max_states")

    prove = _table(data, "prove", fail)
    for_all = _for_all(prove, model, fail)
    for_all_strict = _for_all_strict(prove, for_all, fail)

    known = model.property_decls()
    expect = _table(data, "expect", fail)
    for name, verdict in expect.items():
        if name not in known:
            raise fail(_unknown_property(name, known), "expect", name)
        if verdict not in EXPECTATIONS:
            raise fail(f"expected verdict must be one of {', '.join(EXPECTATIONS)}; got {verdict!r}", "expect", name)
        if known[name].kind in GRAPH_KINDS and verdict not in ("holds", "violated"):
            # checked on the state graph of a finite instance: never "proved", never a witness
            raise fail(
                f"'{name}' is a {known[name].kind} property: expect holds or violated, not {verdict!r}", "expect", name
            )
        if verdict == "proved" and engine != "auto":
            # neither engine can prove: the spec would ask for a verdict its own engine never gives
            raise fail(
                f"'{name}' is expected proved, but engine {engine!r} cannot prove (bmc is bounded; explicit "
                f'covers this instance only): use engine = "auto" (a proof), or expect holds/holds_to_depth',
                "expect",
                name,
            )
    properties = check.get("properties", list(expect) or list(known))
    if not isinstance(properties, list) or not all(isinstance(p, str) for p in properties):
        raise fail("properties must be a list of property names", "check", "properties")
    if not properties:
        raise fail(
            "the spec checks no property (the model declares none, or 'properties' is empty)", "check", "properties"
        )
    for name in properties:
        if name not in known:
            raise fail(_unknown_property(name, known), "check", "properties")

    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description must be a string", "", "description")
    return Spec(
        path=path,
        name=path.stem,
        model_ref=ref,
        model=model,
        params=params,
        depth=depth,
        timeout=float(timeout) if timeout is not None else None,
        properties=properties,
        expect=expect,
        engine=engine,
        max_states=max_states,
        description=description,
        lines=lines,
        source=source,
        for_all=for_all,
        for_all_strict=for_all_strict,
    )


def _for_all(prove: dict[str, Any], model: type[Model], fail: Any) -> list[str]:
    """[prove] for_all: a list of the model's parameters, one of them a replica count (a
    component's count) where the model has one, as `raceproof prove --for-all` takes them."""
    for key in prove:
        if key not in _PROVE_KEYS:
            raise fail(f"unknown key '{key}' in [prove] (known: {', '.join(sorted(_PROVE_KEYS))})", "prove", key)
    names = prove.get("for_all", [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise fail(f"for_all must be a list of parameter names, got {names!r}", "prove", "for_all")
    params = model.params()
    for name in names:
        if name not in params:
            raise fail(
                f"for_all: the model has no parameter '{name}' (it has: {', '.join(params) or 'none'})",
                "prove",
                "for_all",
            )
    counts = sorted({c.count for c in model.components().values() if isinstance(c.count, str)})
    if names and counts and sum(n in counts for n in names) != 1:  # without replicas: every value is searched
        raise fail(
            f"for_all must name exactly one replica count (a parameter that is a component's count: "
            f"{', '.join(counts) or 'this model has none'}); got {names!r}",
            "prove",
            "for_all",
        )
    return list(names)


def _for_all_strict(prove: dict[str, Any], for_all: list[str], fail: Any) -> bool:
    """[prove] for_all_strict: true or false; true only with for_all (it is about the sizes
    that search looks at: without one, it would silently mean nothing)."""
    strict = prove.get("for_all_strict", False)
    if not isinstance(strict, bool):
        raise fail(f"for_all_strict must be true or false, got {strict!r}", "prove", "for_all_strict")
    if strict and not for_all:
        raise fail(
            "for_all_strict = true needs for_all (the sizes it is about are those the for-all search looks at)",
            "prove",
            "for_all_strict",
        )
    return strict


def _table(data: dict[str, Any], name: str, fail: Any) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise fail(f"'{name}' must be a table ([{name}])", "", name)
    return value


def _unknown_property(name: str, known: dict[str, Any]) -> str:
    return f"unknown property '{name}' (this model has: {', '.join(known) or 'none'})"
