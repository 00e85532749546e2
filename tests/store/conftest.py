"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.store.tcp_proxy import PgProxy


@pytest.fixture
async def proxy(db_dsn: str) -> AsyncIterator[PgProxy]:
    """A link to the test database that the test can cut and restore."""
    proxy = PgProxy(db_dsn)
    await proxy.start()
    yield proxy
    await proxy.stop()
