"""The package's layers import downwards only: no module-level import cycle, counting the
package ``__init__`` files that importing a submodule runs, and every module imports on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

from .conftest import REPO

PACKAGE = REPO / "checker"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """What importing ``name`` runs at once: module-level imports (not those under `if
    TYPE_CHECKING:` or inside functions), each with every package ``__init__`` on its way."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _module_level(ast.parse(path.read_text()).body):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            parts = target.split(".")
            for n in range(1, len(parts) + 1):  # a.b.c runs a/__init__, a/b/__init__, then a/b/c
                prefix = ".".join(parts[:n])
                if prefix in modules and prefix != name:
                    found.add(prefix)
    return found


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements that run on import: into `try`/`if` blocks, not into functions, classes
    or `if TYPE_CHECKING:`."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out += _module_level(node.orelse)
        elif isinstance(node, ast.If):
            out += _module_level(node.body) + _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            out += _module_level(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                out += _module_level(handler.body)
        else:
            out.append(node)
    return out


def test_no_import_cycles() -> None:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(name, path, modules):
            if not name.startswith(target + "."):  # a module's own packages are already running
                graph.add_edge(name, target)
    cycles = sorted(nx.simple_cycles(graph), key=len)
    assert not cycles, f"import cycles: {cycles[:5]}"


_EACH_FIRST = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "checker" or m.startswith("checker.")]:
        del sys.modules[loaded]  # as if nothing of raceproof had been imported before it
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
"""


def test_each_module_imports_first() -> None:
    """Imported first (no other module of the package before it), each module loads."""
    names = sorted(n for n in _modules() if not n.endswith("__main__"))
    proc = subprocess.run([sys.executable, "-c", _EACH_FIRST, *names], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr[-2000:]


def test_the_engines_get_their_compiled_search_whatever_is_imported_first() -> None:
    # (the explicit engine imports `Compiled` where a model has a numeric form, not at its top)
    code = "import checker.engines.graph_build as g, checker.engines.explicit.engine as e; " \
           "from checker.engines.explicit.compile import Compiled; " \
           "assert g.Compiled is not None and Compiled is not None"  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
