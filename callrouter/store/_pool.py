"""The asyncpg pool, and the one place asyncpg's errors become ours."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from callrouter.config import DatabaseSettings
from callrouter.errors import DatabaseError
from callrouter.log import register_secret
from callrouter.store._embedded import start_embedded_postgres

DbConnection = asyncpg.Connection | PoolConnectionProxy
"""Anything a repository can run a query on: a bare connection or one from the pool."""

__all__ = [
    "DbConnection",
    "create_pool",
    "database_errors",
    "open_pool",
    "resolve_dsn",
    "resolve_spool_dir",
]

_CONNECT_TIMEOUT_S = 10.0


def resolve_dsn(settings: DatabaseSettings, *, base_dir: Path | None = None) -> str:
    """The configured DSN, or the embedded server's when none is configured."""
    if settings.dsn is not None:
        dsn = settings.dsn.get_secret_value()
        _register_dsn_password(dsn)
        return dsn
    return start_embedded_postgres(_beside(settings.embedded_dir, base_dir))


def resolve_spool_dir(settings: DatabaseSettings, *, base_dir: Path | None = None) -> Path:
    """The record spool's folder (``writer.py``), relative paths beside the config."""
    return _beside(settings.spool_dir, base_dir)


def _beside(path: Path, base_dir: Path | None) -> Path:
    return base_dir / path if base_dir is not None and not path.is_absolute() else path


def _register_dsn_password(dsn: str) -> None:
    from urllib.parse import urlsplit

    with suppress(ValueError):
        register_secret(urlsplit(dsn).password)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


@contextmanager
def database_errors(action: str) -> Iterator[None]:
    """Translate driver and socket errors into :class:`DatabaseError` at the boundary."""
    try:
        yield
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise DatabaseError(f"{action}: {exc}") from exc


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    with database_errors("cannot connect to PostgreSQL"):
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            init=_init_connection,
            reset=_nothing_left_to_reset,
            timeout=_CONNECT_TIMEOUT_S,
        )
    assert pool is not None
    return pool


async def _nothing_left_to_reset(conn: asyncpg.Connection) -> None:
    """What the pool runs when a connection comes back, instead of its default
    ``RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()``: one more round trip
    and transaction on every release, a third of an idle service's transactions.

    callrouter leaves no session state behind: settings are ``SET LOCAL`` (transaction
    scoped), the one LISTEN and the migrations' advisory lock are undone by their owner,
    and asyncpg itself still rolls back a transaction left open and drops listeners.
    """


@asynccontextmanager
async def open_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10
) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, min_size=min_size, max_size=max_size)
    try:
        yield pool
    finally:
        await pool.close()


async def answers(conn: DbConnection) -> bool:
    """Whether the server answers a query at all (a health check's probe)."""
    return bool(await conn.fetchval("SELECT 1") == 1)
