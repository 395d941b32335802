"""The gate on the DNS model: the real inputs of a spec, and a fix switched back to the race."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import REPO
from .test_gate import gate_env
from .test_gate_pytest import plugin_args


def copy_repo(tmp_path: Path, specs: list[str]) -> Path:
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in ("checker", "models"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "specs").mkdir()
    for name in specs:
        shutil.copy(REPO / "specs" / name, root / "specs" / name)
    return root


def inputs(root: Path, spec: str) -> dict:
    """spec_inputs in a fresh process in ``root`` (this one has imported the repository's models)."""
    code = (
        "import json, sys; from pathlib import Path; from checker.gate.hashing import spec_inputs; "
        "i = spec_inputs(Path(sys.argv[1])); "
        "print(json.dumps({'key': i.key, 'modules': {k: str(f) for k, (f, _) in i.modules.items()}}))"
    )
    run = subprocess.run([sys.executable, "-c", code, spec], cwd=root, env=gate_env(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_dns_spec_depends_on_the_dns_modules_only(tmp_path: Path) -> None:
    root = copy_repo(tmp_path, ["dns_race.toml", "dns_version_cas.toml"])
    race, cas = inputs(root, "specs/dns_race.toml"), inputs(root, "specs/dns_version_cas.toml")
    assert set(race["modules"]) == {"models", "models.dns", "models.dns.model"}  # not checker, z3 or the stdlib
    assert Path(race["modules"]["models.dns.model"]) == root / "models" / "dns" / "model.py"
    assert race["key"] is not None and cas["key"] is not None and race["key"] != cas["key"]
    model = root / "models" / "dns" / "model.py"
    model.write_text(model.read_text() + "\n# edited\n")
    assert inputs(root, "specs/dns_race.toml")["key"] != race["key"]
    assert inputs(root, "specs/dns_version_cas.toml")["key"] != cas["key"]


@pytest.mark.slow  # a proof attempt on the DNS model, twice: about 15 s of CPU each, more on a loaded machine
def test_the_version_cas_spec_switched_back_to_as_designed_fails_the_gate(tmp_path: Path) -> None:
    root = copy_repo(tmp_path, ["dns_version_cas.toml"])
    spec = root / "specs" / "dns_version_cas.toml"
    spec.write_text(spec.read_text().replace('variant = "version_cas"', 'variant = "as_designed"'))  # expects proved
    run = subprocess.run(
        [sys.executable, "-m", "checker.cli", "gate", "--junit", "out.xml"],
        cwd=root, env=gate_env(), capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "expected proved, got violated" in run.stdout
    suites = ET.parse(root / "out.xml").getroot()
    failed = {c.get("name"): c.find("failure") for c in suites.iter("testcase") if c.find("failure") is not None}
    assert set(failed) == {"endpoint_never_empty", "plan_never_regresses"}
    assert "Counterexample to endpoint_never_empty (9 steps" in (failed["endpoint_never_empty"].text or "")
    reports = root / ".raceproof" / "reports" / "specs"
    for name in (
        "dns_version_cas.txt",
        "dns_version_cas.md",
        "dns_version_cas.html",
        "dns_version_cas.endpoint_never_empty.itf.json",
        "dns_version_cas.plan_never_regresses.itf.json",
    ):
        assert (reports / name).is_file(), name  # fmt: skip
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin_args(), "--raceproof", "specs/"],
        cwd=root, env=gate_env(), capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert tests.returncode == 1 and "2 failed, 2 passed" in tests.stdout, tests.stdout
