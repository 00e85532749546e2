"""The migrations runner against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from callrouter.store import (
    DEFAULT_MIGRATIONS_DIR,
    MigrationChanged,
    apply_migrations,
    load_migrations,
    migration_status,
)


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(DEFAULT_MIGRATIONS_DIR, folder)
    return folder


async def test_fresh_database_gets_every_migration(empty_db_dsn: str) -> None:
    conn = await asyncpg.connect(empty_db_dsn)
    try:
        applied = await apply_migrations(conn)
        expected = [m.version for m in load_migrations()]
        assert applied == expected
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert {"calls", "call_events", "operators", "queues", "leads", "callbacks"} <= tables
        states = await migration_status(conn)
        assert [s.state for s in states] == ["applied"] * len(expected)
    finally:
        await conn.close()


async def test_rerun_is_a_no_op(empty_db_dsn: str) -> None:
    conn = await asyncpg.connect(empty_db_dsn)
    try:
        await apply_migrations(conn)
        before = await conn.fetch("SELECT version, applied_at FROM schema_migrations")
        assert await apply_migrations(conn) == []
        after = await conn.fetch("SELECT version, applied_at FROM schema_migrations")
        assert before == after
    finally:
        await conn.close()


async def test_changed_applied_file_is_refused(empty_db_dsn: str, migrations_copy: Path) -> None:
    conn = await asyncpg.connect(empty_db_dsn)
    try:
        await apply_migrations(conn, migrations_copy)
        first = sorted(migrations_copy.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited after the fact\n")
        (migrations_copy / "999_later.sql").write_text("CREATE TABLE later (id int);")
        with pytest.raises(MigrationChanged, match=first.name):
            await apply_migrations(conn, migrations_copy)
        # Refusal happens before anything else is applied.
        assert await conn.fetchval("SELECT to_regclass('later')") is None
        states = {s.version: s.state for s in await migration_status(conn, migrations_copy)}
        assert states[1] == "changed"
        assert states[999] == "pending"
    finally:
        await conn.close()


async def test_failing_migration_leaves_nothing_behind(
    empty_db_dsn: str, migrations_copy: Path
) -> None:
    (migrations_copy / "900_half.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_function();"
    )
    conn = await asyncpg.connect(empty_db_dsn)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await apply_migrations(conn, migrations_copy)
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE version=900") == 0
    finally:
        await conn.close()


async def test_concurrent_migrators_serialise(empty_db_dsn: str, migrations_copy: Path) -> None:
    # A slow migration makes the overlap certain: without the advisory lock both
    # runners would try to create the same tables and one would fail.
    (migrations_copy / "500_slow.sql").write_text(
        "SELECT pg_sleep(0.5); CREATE TABLE slow_marker (id int);"
    )
    first, second = await asyncpg.connect(empty_db_dsn), await asyncpg.connect(empty_db_dsn)
    try:
        results = await asyncio.gather(
            apply_migrations(first, migrations_copy), apply_migrations(second, migrations_copy)
        )
        all_versions = sorted(m.version for m in load_migrations(migrations_copy))
        assert sorted(results[0] + results[1]) == all_versions
        assert [] in results
        count = await first.fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(all_versions)
    finally:
        await first.close()
        await second.close()
