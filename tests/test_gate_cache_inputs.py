"""The gate's verdict cache keys each entry on what the run actually read: a helper imported
dynamically, a data file, the resolved model; hostile entries never stop the gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import counter_model, make_project, script_env

# the model's limit comes from a helper imported by name at run time and from a data file:
# neither shows in its import statements
DYNAMIC = counter_model("LIMIT_FROM_FILES").replace(
    "LIMIT = LIMIT_FROM_FILES",
    "import importlib\nfrom pathlib import Path\n\n"
    "_helper = importlib.import_module('helpers.' + 'limits')\n"
    "LIMIT = _helper.LIMIT + int((Path(__file__).parent / 'extra.txt').read_text())",
)
HOLDS = '[check]\ndepth = 4\n[expect]\nat_most_two = "holds"\n'


def gate(root: Path, *args: str) -> tuple[int, dict, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "checker.cli", "gate", "--json", *args], cwd=root, env=script_env(),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        out = {}
    return proc.returncode, out, proc.stderr


def cached(out: dict) -> dict[str, object]:
    return {Path(s["spec"]).name: (s["cached"], s["properties"][0]["verdict"]) for s in out["specs"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(
        tmp_path / "proj",
        {"dyn": DYNAMIC, "plain": counter_model(2)},
        {"dyn": 'model = "dyn"\n' + HOLDS, "plain": 'model = "plain"\n' + HOLDS},
    )
    (root / "helpers").mkdir()
    (root / "helpers" / "__init__.py").touch()
    (root / "helpers" / "limits.py").write_text("LIMIT = 1\n")
    (root / "models" / "dyn" / "extra.txt").write_text("1\n")
    return root


def test_the_cache_fills_and_sees_dynamic_imports_and_data_files(project: Path) -> None:
    code, out, err = gate(project)
    assert code == 0, err
    assert cached(out) == {"dyn.toml": (False, "holds"), "plain.toml": (False, "holds")}
    assert len(list((project / ".raceproof-cache").glob("*.json"))) == 2
    entry = json.loads(next((project / ".raceproof-cache").glob("dyn.*.json")).read_text())
    assert {str(project / "helpers" / "limits.py"), str(project / "models" / "dyn" / "extra.txt")} <= set(
        entry["inputs"]
    )
    assert cached(gate(project)[1]) == {"dyn.toml": (True, "holds"), "plain.toml": (True, "holds")}
    # the helper changes: 2 + 1 = 3 ticks break the invariant; a stale cache would still say holds
    (project / "helpers" / "limits.py").write_text("LIMIT = 2\n")
    code, out, _ = gate(project)
    assert code == 1 and cached(out) == {"dyn.toml": (False, "violated"), "plain.toml": (True, "holds")}
    (project / "helpers" / "limits.py").write_text("LIMIT = 1\n")  # back as it was: the old entry is valid again
    assert cached(gate(project)[1])["dyn.toml"] == (True, "holds")
    (project / "models" / "dyn" / "extra.txt").write_text("2\n")  # the data file alone
    code, out, _ = gate(project)
    assert code == 1 and cached(out)["dyn.toml"] == (False, "violated")


def test_changed_since_sees_a_model_edit(project: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run([*git, *args], cwd=project, check=True)
    assert gate(project, "--changed-since", "HEAD")[1]["specs"] == []
    init = project / "models" / "plain" / "__init__.py"
    init.write_text(init.read_text() + "\n# edited\n")
    assert sorted(cached(gate(project, "--changed-since", "HEAD")[1])) == ["plain.toml"]
    subprocess.run([*git, "commit", "-qam", "plain"], cwd=project, check=True)
    gate(project)  # the cache now knows what dyn's run read
    (project / "helpers" / "limits.py").write_text("LIMIT = 1  # edited\n")  # imported dynamically
    assert sorted(cached(gate(project, "--changed-since", "HEAD")[1])) == ["dyn.toml"]


def test_hostile_cache_entries_are_ignored_and_replaced(project: Path) -> None:
    assert gate(project)[0] == 0
    cache = project / ".raceproof-cache"
    entries = {e.name.split(".")[0]: e for e in cache.glob("*.json")}
    entries["dyn"].write_bytes(b'{"format": "raceproof-gate-cache/2", "key": "\xff\xfe"}')  # not UTF-8
    entries["plain"].unlink()
    entries["plain"].mkdir()  # a folder where an entry belongs
    (entries["plain"] / "x").write_text("x")
    code, out, err = gate(project)
    assert code == 0, err
    assert "not UTF-8" in err or "corrupt" in err
    assert "is not a regular file" in err and "Traceback" not in err
    assert entries["plain"].is_file() and json.loads(entries["dyn"].read_text())["format"] == "raceproof-gate-cache/2"
    assert cached(gate(project)[1]) == {"dyn.toml": (True, "holds"), "plain.toml": (True, "holds")}
    entries["dyn"].write_text("[" * 100_000)  # nesting deeper than the JSON parser's recursion
    entries["plain"].write_text(json.dumps({"format": "raceproof-gate-cache/2", "key": None, "inputs": 5}))
    code, out, err = gate(project)
    assert code == 0 and "Traceback" not in err, err
    assert cached(out)["dyn.toml"] == (False, "holds")


def test_an_unwritable_cache_is_a_warning_not_a_failure(project: Path) -> None:
    (project / ".raceproof-cache").write_text("a file where the cache folder belongs")
    code, out, err = gate(project)
    assert code == 0 and "not cached" in err and "Traceback" not in err, err
    assert cached(out) == {"dyn.toml": (False, "holds"), "plain.toml": (False, "holds")}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_input_is_a_miss(project: Path) -> None:
    gate(project)
    (project / "models" / "dyn" / "extra.txt").chmod(0)
    try:
        code, out, _ = gate(project)
    finally:
        (project / "models" / "dyn" / "extra.txt").chmod(0o644)
    assert cached(out).get("dyn.toml", (False,))[0] is False


def test_the_recorder_leaves_libraries_and_extension_modules_alone(tmp_path: Path) -> None:
    """Only the user's Python sources are imported afresh during a recording: a library in any
    site-packages (a base environment's too) or an extension module never is (numpy refuses)."""
    import numpy

    from checker.gate.hashing import is_project_file
    from checker.gate.recorder import InputRecorder

    assert not is_project_file("/opt/base-env/lib/python3.11/site-packages/lib/mod.py")
    assert not is_project_file(numpy.__file__)
    helper = tmp_path / "rec_helper_mod.py"
    helper.write_text("VALUE = 1\n")
    (tmp_path / "data.txt").write_text("x")
    sys.path.insert(0, str(tmp_path))
    try:
        with InputRecorder() as read:
            import rec_helper_mod  # noqa: F401

            (tmp_path / "data.txt").read_text()
            assert "numpy" in sys.modules and sys.modules["numpy"] is numpy
        assert set(read.inputs() or {}) == {str(helper), str(tmp_path / "data.txt")}
        assert "rec_helper_mod" not in sys.modules  # the run's own copy is not left behind
    finally:
        sys.path.remove(str(tmp_path))
