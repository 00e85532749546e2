"""Acting for one tenant: connections on which PostgreSQL shows only that tenant's rows.

The service's own connection (the tables' owner) sees every tenant: the call path
writes every tenant's rows, each carrying its tenant. Whatever acts *for* one tenant
(an API request with a tenant's token, a CLI command with ``--tenant``) takes its
connection through :func:`as_tenant` or a :class:`TenantPool`: a transaction that has
switched to the ``callrouter_tenant`` role with ``callrouter.tenant`` set, so the
row-level security policies of ``migrations/016_tenants.sql`` apply to every query on
it. A handler that forgets a ``WHERE tenant = ...`` still cannot read another
tenant's row: PostgreSQL hides it.

Both settings are transaction-local (``SET LOCAL``, ``set_config(..., true)``): the
connection goes back to the pool as the service's again, whatever happened.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import asyncpg

from callrouter.config._tenants import TENANT_ID_PATTERN
from callrouter.errors import InvalidInput
from callrouter.store._pool import DbConnection

__all__ = [
    "TENANT_ROLE",
    "ConnectionSource",
    "TenantPool",
    "as_tenant",
    "check_tenant_id",
    "row_visible",
]

# The tables whose rows a tenant's request may name by id.
_ROWS_BY_ID = frozenset({"calls", "attempts", "campaigns", "leads"})

TENANT_ROLE = "callrouter_tenant"
_TENANT_ID = re.compile(TENANT_ID_PATTERN)


def check_tenant_id(tenant: str) -> str:
    """``tenant`` if it is a well-formed tenant id; InvalidInput otherwise."""
    if not _TENANT_ID.match(tenant):
        raise InvalidInput(f"not a tenant id: {tenant!r} (lower case letters, digits, - and _)")
    return tenant


@asynccontextmanager
async def as_tenant(conn: DbConnection, tenant: str) -> AsyncIterator[DbConnection]:
    """``conn`` inside a transaction that sees only ``tenant``'s rows."""
    check_tenant_id(tenant)
    async with conn.transaction():
        # A role name cannot be a query parameter; TENANT_ROLE is a constant.
        await conn.execute(f"SET LOCAL ROLE {TENANT_ROLE}")
        await conn.execute("SELECT set_config('callrouter.tenant', $1, true)", tenant)
        yield conn


class ConnectionSource(Protocol):
    """What a handler needs from a pool: connections, one at a time."""

    def acquire(
        self, *, timeout: float | None = None
    ) -> AbstractAsyncContextManager[DbConnection]: ...


class TenantPool:
    """A pool whose connections act for one tenant (see :func:`as_tenant`)."""

    def __init__(self, pool: ConnectionSource | asyncpg.Pool, tenant: str) -> None:
        self._pool = pool
        self.tenant = check_tenant_id(tenant)

    def acquire(self, *, timeout: float | None = None) -> AbstractAsyncContextManager[DbConnection]:
        return self._acquire(timeout)

    @asynccontextmanager
    async def _acquire(self, wait_s: float | None) -> AsyncIterator[DbConnection]:
        async with self._pool.acquire(timeout=wait_s) as conn, as_tenant(conn, self.tenant):
            yield conn


async def row_visible(conn: DbConnection, table: str, row_id: object) -> bool:
    """Whether the row ``row_id`` of ``table`` exists for this connection: on a tenant's
    connection, whether it is that tenant's."""
    if table not in _ROWS_BY_ID:  # never a name from the client: SQL is built from it
        raise ValueError(f"not a table a row is named in: {table!r}")
    return bool(await conn.fetchval(f"SELECT 1 FROM {table} WHERE id = $1", row_id))
