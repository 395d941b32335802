"""Which code a spec runs: its model is found in the spec's own project (wherever the command
runs from), before anything installed; the bundled examples never claim the name ``models``;
a trace never runs code it was not given; two projects share a process without shadowing."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from checker.registry import known_models, resolve
from checker.spec import load_spec

from .conftest import REPO, counter_model, make_project, run_cli, run_script, script_env

HOLDS = '[check]\ndepth = 4\n[expect]\nat_most_two = "holds"\n'
VIOLATED = '[check]\ndepth = 4\n[expect]\nat_most_two = "violated"\n'


@pytest.fixture
def clean_modules():
    """Tests here load other projects' ``models`` in-process: put this process's back afterwards."""
    saved = {n: m for n, m in sys.modules.items() if n == "models" or n.startswith("models.")}
    path = list(sys.path)
    yield
    for name in [n for n in sys.modules if n == "models" or n.startswith("models.")]:
        del sys.modules[name]
    sys.modules.update(saved)
    sys.path[:] = path


# project b's models.tick: another limit, and its property has another name (loading b's spec
# with a's model would be an "unknown property" error, checking it a wrong verdict)
B_MODEL = counter_model(3).replace("def at_most_two", "def at_most_two_b")
B_VIOLATED = VIOLATED.replace("at_most_two", "at_most_two_b")


def test_an_edited_model_is_checked_by_the_installed_script_from_another_directory(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", {"tick": counter_model(2)}, {"tick": 'model = "tick"\n' + HOLDS})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = str(project / "specs" / "tick.toml")
    first = run_script("check", spec, "--json", cwd=elsewhere)
    assert first.exit_code == 0, first.output
    source = json.loads(first.stdout)["specs"][0]["model_source"]
    assert source == {"file": str(project / "models" / "tick" / "__init__.py"), "found_in": "project"}
    (project / "models" / "tick" / "__init__.py").write_text(counter_model(3))  # the edit breaks the invariant
    second = run_script("check", spec, cwd=elsewhere)
    assert second.exit_code == 1 and "at_most_two" in second.stdout, second.output
    assert f"model tick from {project / 'models' / 'tick' / '__init__.py'} (the spec's project)" in second.stdout
    (project / "models" / "tick" / "__init__.py").write_text(counter_model(2) + "\nraise RuntimeError('edited')\n")
    third = run_script("check", spec, cwd=elsewhere)
    assert third.exit_code == 2 and "RuntimeError: edited" in third.stderr, third.output


def test_a_project_with_its_own_models_package(tmp_path: Path, clean_modules: None) -> None:
    """The project's ``models/dns`` wins over the bundled dns; a name the project lacks is bundled."""
    project = make_project(
        tmp_path / "user",
        {"dns": counter_model(3, doc="The user's own dns.")},
        {"mine": 'model = "dns"\n' + VIOLATED, "bundled": 'model = "nlb"\n'},
    )
    mine = load_spec(project / "specs" / "mine.toml")
    assert mine.model.__doc__ == "The user's own dns." and mine.source is not None and mine.source.kind == "project"
    bundled = load_spec(project / "specs" / "bundled.toml")
    assert bundled.source is not None and bundled.source.kind == "bundled"
    assert "mine" not in known_models(project) and {"dns", "nlb"} <= set(known_models(project))
    result = run_cli("check", str(project / "specs" / "mine.toml"))
    assert result.exit_code == 1, result.output  # the user's model ran, not the bundled DNS model
    # the repository's own specs still get the repository's models in the same process
    ours = load_spec(REPO / "specs" / "dns_race.toml")
    assert ours.model.__name__ == "Dns" and ours.source is not None
    assert Path(ours.model_origin() or "") == REPO / "models" / "dns" / "model.py"
    again = load_spec(project / "specs" / "mine.toml")
    assert again.model is mine.model  # set aside and put back, not imported twice


def test_two_projects_in_one_gate_keep_their_own_models(tmp_path: Path) -> None:
    """Same package name (models.tick), different code: one gate process, each spec its own model."""
    a = make_project(tmp_path / "a", {"tick": counter_model(2)}, {"a": 'model = "tick"\n' + HOLDS})
    b = make_project(tmp_path / "b", {"tick": B_MODEL}, {"b": 'model = "tick"\n' + B_VIOLATED})
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "checker.cli", "gate", "--no-cache", "--jobs", jobs, "--json", str(a), str(b)],
            cwd=tmp_path, env=script_env(), capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outcomes = {Path(s["spec"]).name: s["properties"][0]["verdict"] for s in json.loads(proc.stdout)["specs"]}
        assert outcomes == {"a.toml": "holds", "b.toml": "violated"}


def test_two_projects_in_one_pytest_session_keep_their_own_models(tmp_path: Path) -> None:
    from .test_gate_pytest import run_pytest

    make_project(tmp_path / "a", {"tick": counter_model(2)}, {"a": 'model = "tick"\n' + HOLDS})
    make_project(tmp_path / "b", {"tick": B_MODEL}, {"b": 'model = "tick"\n' + B_VIOLATED})
    run = run_pytest(tmp_path, "--raceproof", "--raceproof-no-cache", "-q", "a/specs", "b/specs")
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr


def test_a_module_reference_resolves_from_the_specs_project(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", {}, {"ref": 'model = "lib.ticks:Counter"\n' + VIOLATED})
    (project / "lib").mkdir()
    (project / "lib" / "__init__.py").touch()
    (project / "lib" / "ticks.py").write_text(counter_model(3))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_script("check", str(project / "specs" / "ref.toml"), cwd=elsewhere)
    assert result.exit_code == 1, result.output
    # [tool.raceproof] pythonpath: code under src/
    (project / "pyproject.toml").write_text('[tool.raceproof]\npythonpath = ["src"]\n')
    (project / "lib").rename(project / "src")
    (project / "src").mkdir(exist_ok=True)
    (project / "src" / "lib").mkdir()
    for name in ("__init__.py", "ticks.py"):
        (project / "src" / name).rename(project / "src" / "lib" / name)
    result = run_script("check", str(project / "specs" / "ref.toml"), cwd=elsewhere)
    assert result.exit_code == 1, result.output
    assert str(project / "src" / "lib" / "ticks.py") in result.stdout


def test_the_working_directory_is_not_searched(tmp_path: Path) -> None:
    """A module next to where the command runs is not a model unless the spec's project has it."""
    here = tmp_path / "here"
    here.mkdir()
    (here / "stray.py").write_text(counter_model(2))
    make_project(tmp_path / "proj", {}, {"s": 'model = "stray:Counter"\n' + HOLDS})
    for run in (
        lambda: run_script("check", str(tmp_path / "proj" / "specs" / "s.toml"), cwd=here),
        lambda: _module_cli(here, "check", str(tmp_path / "proj" / "specs" / "s.toml")),
    ):
        result = run()
        assert result.returncode == 2 if hasattr(result, "returncode") else result.exit_code == 2
        assert "unknown model 'stray:Counter'" in (result.stderr or "")


def _module_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args], cwd=cwd, env=script_env(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_bad_tool_raceproof_settings_are_located_bad_input(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {}, {"s": 'model = "dns"\n'}, pyproject="[tool.raceproof]\nmodel = 1\n")
    result = run_cli("check", str(project / "specs" / "s.toml"))
    assert result.exit_code == 2 and "unknown key 'model' in [tool.raceproof]" in result.stderr, result.output
    assert str(project / "pyproject.toml") in result.stderr or "pyproject.toml" in result.stderr


# ---------------------------------------------------------------------------- traces
EVIL = "from pathlib import Path\nPath(__file__).with_name('EVIL_RAN').write_text('x')\n" + counter_model(2)


def _trace(path: Path, model_ref: str) -> None:
    states = [{"#meta": {"index": n}, "ticker[0].n": n} for n in range(2)]
    path.write_text(json.dumps({"#meta": {"model_ref": model_ref, "params": {}}, "vars": ["ticker[0].n"],
                                "states": states}))  # fmt: skip


def test_a_crafted_trace_never_runs_code_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(EVIL)
    _trace(tmp_path / "t.itf.json", "evil:Counter")
    for result in (
        run_script("report", "t.itf.json", cwd=tmp_path),
        _module_cli(tmp_path, "report", "t.itf.json"),
        run_cli("report", str(tmp_path / "t.itf.json")),
    ):
        code = result.returncode if hasattr(result, "returncode") else result.exit_code
        assert code == 0, result
        assert "its code was not run; give --model REF" in result.stdout
        assert not (tmp_path / "EVIL_RAN").exists()


def test_a_trace_in_its_project_is_rebuilt_and_names_the_code(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", {"tick": counter_model(3)}, {"s": 'model = "tick"\n' + VIOLATED})
    written = run_script("check", str(project / "specs" / "s.toml"), "--itf", str(project / "t.itf.json"))
    assert written.exit_code == 1, written.output
    result = run_script("report", str(project / "t.itf.json"), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    origin = project / "models" / "tick" / "__init__.py"
    assert f"loading model models.tick:Counter from {origin} (the trace's project)" in result.stderr
    # the same trace outside its project: not rebuilt, unless the user names the model
    (tmp_path / "t.itf.json").write_text((project / "t.itf.json").read_text())
    plain = run_script("report", str(tmp_path / "t.itf.json"), cwd=tmp_path)
    assert plain.exit_code == 0 and "its code was not run" in plain.stdout, plain.output
    named = run_script("report", str(tmp_path / "t.itf.json"), "--model", "tick", cwd=project)
    assert named.exit_code == 0 and f"loading model tick from {origin} (--model)" in named.stderr, named.output


# ---------------------------------------------------------------------------- packaging
def _installed_files() -> list[str]:
    site = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]  # not a checkout's egg-info
    dist = next(iter(metadata.distributions(name="raceproof", path=site)), None)
    if dist is None:
        pytest.skip("raceproof is not installed")
    files = [str(f) for f in dist.files or []]
    if any(f.endswith(".pth") or "__editable__" in f for f in files):
        pytest.skip("an editable install")
    return files


def test_the_distribution_declares_no_top_level_models(tmp_path: Path) -> None:
    """What any install of this checkout gets (setuptools' own metadata, built in a second)."""
    proc = subprocess.run(
        [sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (info,) = tmp_path.glob("*.egg-info")
    assert (info / "top_level.txt").read_text().split() == ["checker", "raceproof_models"]


def test_the_installed_package_has_no_top_level_models() -> None:
    files = _installed_files()
    assert not [f for f in files if f.split("/")[0] == "models"]
    assert "raceproof_models/dns/model.py" in files and "checker/registry.py" in files


def test_the_bundled_models_work_from_an_install_without_a_checkout(tmp_path: Path) -> None:
    _installed_files()
    (tmp_path / "s.toml").write_text('model = "backlog"\n[params]\nlimit = 2\n[check]\ndepth = 3\n')
    listed = run_script("list", pythonpath=False, cwd=tmp_path)
    assert listed.exit_code == 0 and "model dns" in listed.stdout and "model nlb" in listed.stdout, listed.output
    result = run_script("check", "s.toml", "--json", pythonpath=False, cwd=tmp_path)
    assert result.exit_code in (0, 1), result.output
    source = json.loads(result.stdout)["specs"][0]["model_source"]
    assert source["found_in"] == "bundled" and "site-packages/raceproof_models/backlog/" in source["file"]


def test_resolve_never_imports() -> None:
    before = set(sys.modules)
    source = resolve("nlb", REPO / "specs" / "nlb_failover.toml")
    assert source.origin == REPO / "models" / "nlb" / "__init__.py" and source.kind == "project"
    assert not {m for m in set(sys.modules) - before if "nlb" in m}
