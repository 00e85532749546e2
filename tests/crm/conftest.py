"""Fixtures for the CRM webhook tests: a live receiver and notifiers wired to it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import pytest
from pydantic import SecretStr

from callrouter.config import CrmSettings
from callrouter.crm import RetryPolicy, WebhookNotifier
from tests.crm.receiver import Receiver

SECRET = "whsec-7d2f0c9a-do-not-log"
T0 = datetime(2026, 11, 23, 9, 0, 12, tzinfo=UTC)


def fast_retry(seed: int = 1) -> RetryPolicy:
    """Backoff in milliseconds, so retries cost the suite nothing."""
    return RetryPolicy(base_s=0.001, max_s=0.01, retry_after_max_s=1.0, rng=random.Random(seed))


class FixedClock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class MakeNotifier(Protocol):
    def __call__(
        self,
        *,
        start: bool = True,
        webhooks: dict[str, str] | None = None,
        secret: str | None = SECRET,
        timeout_s: float = 10.0,
        max_attempts: int = 5,
        **kwargs: Any,
    ) -> Awaitable[WebhookNotifier]: ...


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_notifier(db_pool: asyncpg.Pool, receiver: Receiver) -> AsyncIterator[MakeNotifier]:
    made: list[WebhookNotifier] = []

    async def make(
        *,
        start: bool = True,
        webhooks: dict[str, str] | None = None,
        secret: str | None = SECRET,
        timeout_s: float = 10.0,
        max_attempts: int = 5,
        **kwargs: Any,
    ) -> WebhookNotifier:
        settings = CrmSettings.model_validate(
            {
                "webhooks": webhooks
                or {key: receiver.url for key in ("offered", "answered", "ended", "callback")},
                "secret": None if secret is None else SecretStr(secret),
                "timeout_s": timeout_s,
                "max_attempts": max_attempts,
            }
        )
        kwargs.setdefault("retry", fast_retry())
        notifier = WebhookNotifier(settings=settings, pool=db_pool, **kwargs)
        made.append(notifier)
        if start:
            await notifier.start()
        return notifier

    yield make
    receiver.release.set()
    for notifier in made:
        await notifier.stop(drain_timeout_s=0)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float = 10) -> None:
    """Poll a database condition; the timeout is a hang guard, not a measurement."""
    async with asyncio.timeout(timeout_s):
        while not await check():
            await asyncio.sleep(0.01)
