"""A real PostgreSQL for every test that asks for one.

One server per test session: the DSN in ``CALLROUTER_TEST_DSN`` when set (CI against a
server of its own), else the embedded pgserver in a temporary folder. Migrations run
once into a template database; each test gets a fresh copy of it (CREATE DATABASE ...
TEMPLATE is a file copy, far cheaper than re-running migrations).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from callrouter.store import apply_migrations, open_pool
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres

TEMPLATE_DB = "callrouter_test_template"


def dsn_for_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


async def _build_template(admin_dsn: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"')
        await conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(dsn_for_database(admin_dsn, TEMPLATE_DB))
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_admin_dsn() -> Iterator[str]:
    dsn = os.environ.get("CALLROUTER_TEST_DSN")
    data_dir = None
    if not dsn:
        # Not under pytest's tmp_path: as root, pgserver runs PostgreSQL as its own
        # system user, which must be able to reach the folder (pytest's is 0700).
        data_dir = Path(tempfile.mkdtemp(prefix="callrouter-pg-"))
        data_dir.chmod(0o755)
        dsn = start_embedded_postgres(data_dir)
    asyncio.run(_build_template(dsn))
    yield dsn
    if data_dir is not None:
        stop_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


async def _admin(admin_dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def _scratch_database(admin_dsn: str, *, template: str | None) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    await _admin(admin_dsn, f'CREATE DATABASE "{name}"{clause}')
    try:
        yield dsn_for_database(admin_dsn, name)
    finally:
        await _admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db_dsn(pg_admin_dsn: str) -> AsyncIterator[str]:
    """DSN of a fresh, fully migrated database that is dropped after the test."""
    async with _scratch_database(pg_admin_dsn, template=TEMPLATE_DB) as dsn:
        yield dsn


@pytest.fixture
async def empty_db_dsn(pg_admin_dsn: str) -> AsyncIterator[str]:
    """DSN of an empty database (no migrations), for migration tests."""
    async with _scratch_database(pg_admin_dsn, template=None) as dsn:
        yield dsn


@pytest.fixture
async def db_pool(db_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    async with open_pool(db_dsn, min_size=1, max_size=5) as pool:
        yield pool
