"""Real servers for the conformance tests: BIND (Debian bind9) on a loopback port, and for the
optional plan-store path PostgreSQL (Debian postgresql, with psycopg).

Without BIND or dnspython the tests skip, naming what to install; in CI (``CI=1`` or
``RACEPROOF_CI=1``) they fail instead, because CI installs them (.ci/run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli


def _in_ci() -> bool:
    return os.environ.get("CI") == "1" or os.environ.get("RACEPROOF_CI") == "1"


def require_real_servers() -> None:
    missing = None
    try:
        import dns.update  # noqa: F401
    except ImportError:
        missing = "dnspython is not installed (pip install 'raceproof[conform]')"
    if missing is None:
        from examples.dns_service.bind import bind_missing

        missing = bind_missing()
    if missing:
        if _in_ci():
            pytest.fail(f"CI must run the conformance tests: {missing}")
        pytest.skip(missing)


def require_postgres() -> None:
    """The optional PostgreSQL plan store: Debian's postgresql and psycopg."""
    require_real_servers()
    from examples.dns_service.postgres import postgres_missing

    missing = postgres_missing()
    if missing:
        if _in_ci():
            pytest.fail(f"CI must run the PostgreSQL tests: {missing}")
        pytest.skip(missing)


@pytest.fixture(scope="session")
def race_itf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DNS race's counterexample, as `raceproof check --itf` writes it."""
    path = tmp_path_factory.mktemp("race") / "race.itf.json"
    result = run_cli("check", "specs/dns_race.toml", "--property", "endpoint_never_empty", "--itf", str(path))
    assert result.exit_code == 1, result.output
    return path
