"""The same service with its plan store in PostgreSQL (the optional path; SQLite is the default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conform.conftest import require_postgres
from tests.conform.test_validate import _concurrent_run
from tests.conftest import REPO, run_cli

ADAPTER = "examples.dns_service.conformance:DnsAdapter"


@pytest.fixture(autouse=True)
def _servers() -> None:
    require_postgres()


def test_the_outage_reproduces_with_the_plans_in_postgresql(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", ADAPTER, "--adapter-option", "store=postgresql")
    assert result.exit_code == 1, result.output
    assert "reproduced: the regional endpoint has no records" in result.stdout


def test_a_concurrent_run_on_postgresql_is_a_behaviour_of_the_model(tmp_path: Path) -> None:
    log = tmp_path / "pg.jsonl"
    _concurrent_run(log, "version_cas", seed=5, store="postgresql")
    result = run_cli("validate", str(log), "--spec", str(REPO / "specs/dns_version_cas.toml"))
    assert result.exit_code == 0, result.output
