"""The plan store: a real database. SQLite by default; PostgreSQL through the same SQL.

Tables: ``plans(generation, addresses)`` (the plans that exist) and ``planner(latest)``
(the newest generation the Planner has made; plans can be deleted, the counter is not).
Every method is one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def plan_addresses(generation: int) -> list[str]:
    """The two addresses a plan generation publishes (distinct per generation, for the eye)."""
    return [f"10.{generation // 256 % 256}.{generation % 256}.{host}" for host in (1, 2)]


class PlanStore:
    """Plans and the Planner's counter, in SQLite (a file) or PostgreSQL (a DSN)."""

    def __init__(self, connection: Any, placeholder: str, kind: str):
        self.connection = connection
        self.placeholder = placeholder
        self.kind = kind

    @classmethod
    def sqlite(cls, path: str) -> PlanStore:
        # autocommit mode: each method opens its own transaction (BEGIN IMMEDIATE below)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        # WAL: readers never block the writer; NORMAL: commits reach the WAL without an fsync each
        # (durable across a process crash, which is what concurrent Enactors need)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return cls(connection, "?", "sqlite")

    @classmethod
    def postgresql(cls, dsn: str) -> PlanStore:
        import psycopg

        return cls(psycopg.connect(dsn, autocommit=True), "%s", "postgresql")

    @classmethod
    def open(cls, url: str) -> PlanStore:
        """``postgresql://...`` opens PostgreSQL; anything else is an SQLite file path."""
        if url.startswith(("postgresql://", "postgres://")):
            return cls.postgresql(url)
        return cls.sqlite(url.removeprefix("sqlite:"))

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def _sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    def create(self) -> None:
        with self._transaction() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS plans (generation INTEGER PRIMARY KEY, addresses TEXT NOT NULL)")
            cur.execute("CREATE TABLE IF NOT EXISTS planner (id INTEGER PRIMARY KEY, latest INTEGER NOT NULL)")

    def reset(self) -> None:
        """Plan 1 exists and is the newest (the model's initial state)."""
        self.create()
        with self._transaction() as cur:
            cur.execute("DELETE FROM plans")
            cur.execute("DELETE FROM planner")
            cur.execute(self._sql("INSERT INTO plans VALUES (?, ?)"), (1, " ".join(plan_addresses(1))))
            cur.execute(self._sql("INSERT INTO planner VALUES (1, ?)"), (1,))

    def latest(self) -> int:
        with self._transaction() as cur:
            cur.execute("SELECT latest FROM planner WHERE id = 1")
            return int(cur.fetchone()[0])

    def new_plan(self) -> int:
        """The Planner's step: generation latest+1 is created and becomes the newest."""
        with self._transaction() as cur:
            lock = " FOR UPDATE" if self.kind == "postgresql" else ""  # SQLite's BEGIN IMMEDIATE already locks
            cur.execute("SELECT latest FROM planner WHERE id = 1" + lock)
            generation = int(cur.fetchone()[0]) + 1
            cur.execute(
                self._sql("INSERT INTO plans VALUES (?, ?)"), (generation, " ".join(plan_addresses(generation)))
            )
            cur.execute(self._sql("UPDATE planner SET latest = ? WHERE id = 1"), (generation,))
            return generation

    def exists(self, generation: int) -> bool:
        with self._transaction() as cur:
            cur.execute(self._sql("SELECT 1 FROM plans WHERE generation = ?"), (generation,))
            return cur.fetchone() is not None

    def addresses(self, generation: int) -> list[str]:
        with self._transaction() as cur:
            cur.execute(self._sql("SELECT addresses FROM plans WHERE generation = ?"), (generation,))
            row = cur.fetchone()
            return row[0].split() if row else []

    def generations(self) -> list[int]:
        with self._transaction() as cur:
            cur.execute("SELECT generation FROM plans ORDER BY generation")
            return [int(r[0]) for r in cur.fetchall()]

    def delete_older_than(self, oldest_kept: int, inclusive: bool = False) -> list[int]:
        """Delete the plans older than ``oldest_kept`` (``inclusive``: the planted off-by-one bug,
        which deletes ``oldest_kept`` too); returns the generations deleted."""
        op = "<=" if inclusive else "<"
        with self._transaction() as cur:
            cur.execute(self._sql(f"SELECT generation FROM plans WHERE generation {op} ? ORDER BY 1"), (oldest_kept,))
            gone = [int(r[0]) for r in cur.fetchall()]
            cur.execute(self._sql(f"DELETE FROM plans WHERE generation {op} ?"), (oldest_kept,))
            return gone
