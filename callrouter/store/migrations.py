"""Numbered ``.sql`` migrations applied by a small asyncpg runner.

Rules:
- Files are ``NNN_description.sql`` in one folder, applied in number order.
- A session-level advisory lock serialises concurrent migrators (two nodes starting
  at once): the second waits, then finds nothing left to do.
- Each file runs in its own transaction together with the row that records it, so a
  failing file leaves no half-applied schema and is retried next time.
- A file's SHA-256 is recorded; if an applied file changes later, the runner refuses to
  go on: the database no longer matches the history in the repository.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import asyncpg
import structlog

from callrouter.errors import CallrouterError
from callrouter.store._pool import DbConnection

__all__ = [
    "DEFAULT_MIGRATIONS_DIR",
    "MigrationChanged",
    "MigrationError",
    "MigrationState",
    "apply_migrations",
    "load_migrations",
    "migration_status",
]

log = structlog.get_logger(__name__)

DEFAULT_MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any constant works; this one spells "callrouter" closely enough to be recognisable
# in pg_locks.
_ADVISORY_LOCK_KEY = 0x0CA11_0073
_FILE_NAME = re.compile(r"^(\d+)_([A-Za-z0-9_]+)\.sql$")
_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(CallrouterError):
    error_id = "migration"


class MigrationChanged(MigrationError):
    error_id = "migration-changed"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


@dataclass(frozen=True, slots=True)
class MigrationState:
    version: int
    name: str
    state: Literal["applied", "pending", "changed", "unknown"]
    applied_at: datetime | None


def load_migrations(folder: Path = DEFAULT_MIGRATIONS_DIR) -> list[Migration]:
    if not folder.is_dir():
        raise MigrationError(f"migrations folder {folder} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is used twice")
        sql = path.read_text(encoding="utf-8")
        found[version] = Migration(
            version, match.group(2), sql, hashlib.sha256(sql.encode()).hexdigest()
        )
    return [found[v] for v in sorted(found)]


async def _applied(conn: DbConnection) -> dict[int, asyncpg.Record]:
    await conn.execute(_CREATE_TABLE)
    rows = await conn.fetch("SELECT version, name, checksum, applied_at FROM schema_migrations")
    return {row["version"]: row for row in rows}


async def migration_status(
    conn: DbConnection, folder: Path = DEFAULT_MIGRATIONS_DIR
) -> list[MigrationState]:
    migrations = {m.version: m for m in load_migrations(folder)}
    applied = await _applied(conn)
    states = []
    for version in sorted(set(migrations) | set(applied)):
        file, row = migrations.get(version), applied.get(version)
        if row is None:
            assert file is not None
            states.append(MigrationState(version, file.name, "pending", None))
        elif file is None:
            states.append(MigrationState(version, row["name"], "unknown", row["applied_at"]))
        else:
            state: Literal["applied", "changed"] = (
                "applied" if row["checksum"] == file.checksum else "changed"
            )
            states.append(MigrationState(version, file.name, state, row["applied_at"]))
    return states


async def apply_migrations(conn: DbConnection, folder: Path = DEFAULT_MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration; return the versions applied by this call."""
    migrations = load_migrations(folder)
    await conn.execute("SELECT pg_advisory_lock($1)", _ADVISORY_LOCK_KEY)
    try:
        applied = await _applied(conn)
        for migration in migrations:
            row = applied.get(migration.version)
            if row is not None and row["checksum"] != migration.checksum:
                raise MigrationChanged(
                    f"migration {migration.version:03d}_{migration.name}.sql was changed after "
                    "it was applied; restore the original file and add a new migration instead"
                )
        done = []
        for migration in migrations:
            if migration.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("migration_applied", version=migration.version, name=migration.name)
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _ADVISORY_LOCK_KEY)
