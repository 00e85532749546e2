"""The notifier's contract at its edges: misuse fails fast, nothing else ever raises."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from aiohttp import web

from callrouter.config import CrmSettings
from callrouter.crm import RetryPolicy, WebhookNotifier
from callrouter.crm._retry import parse_retry_after
from callrouter.errors import ConfigError
from tests.crm.calls import answered, offered
from tests.crm.conftest import MakeNotifier
from tests.crm.receiver import Hit, Receiver


def test_backoff_doubles_up_to_its_cap_with_jitter_below_it() -> None:
    policy = RetryPolicy(base_s=1, max_s=10, jitter=0.5, rng=random.Random(3))
    for attempts, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (60, 10), (10_000, 10)]:
        delays = [policy.delay_s(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, delays)
        assert len(set(delays)) > 1
    exact = RetryPolicy(base_s=1, max_s=10, jitter=0)
    assert [exact.delay_s(n) for n in (1, 2, 3)] == [1, 2, 4]


def test_retry_after_replaces_backoff_up_to_its_cap() -> None:
    policy = RetryPolicy(base_s=1, max_s=10, retry_after_max_s=30)
    assert policy.delay_s(3, retry_after_s=0.2) == 0.2
    assert policy.delay_s(1, retry_after_s=3600) == 30


def test_retry_after_header_forms() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert parse_retry_after("3", now) == 3
    assert parse_retry_after(" 0.25 ", now) == 0.25
    assert parse_retry_after("Mon, 23 Nov 2026 09:00:30 GMT", now) == 30
    assert parse_retry_after("Mon, 23 Nov 2026 08:00:00 GMT", now) == 0
    assert parse_retry_after("-5", now) == 0
    for unusable in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(unusable, now) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"base_s": 0}, {"base_s": 2, "max_s": 1}, {"jitter": 1.5}, {"retry_after_max_s": -1}],
)
def test_a_nonsensical_policy_fails_at_construction(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


async def test_bad_arguments_fail_at_construction(db_pool: asyncpg.Pool) -> None:
    bad_url = CrmSettings.model_validate(
        {"webhooks": {"offered": "crm.example.com/hook", "ended": "ftp://x/y"}}
    )
    with pytest.raises(ConfigError) as caught:
        WebhookNotifier(settings=bad_url, pool=db_pool)
    assert [p.field for p in caught.value.problems] == [
        "crm.webhooks.offered",
        "crm.webhooks.ended",
    ]
    with pytest.raises(ValueError):
        WebhookNotifier(settings=CrmSettings(), pool=db_pool, max_concurrency=0)


async def test_misuse_raises_and_unconfigured_events_are_skipped(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool
) -> None:
    notifier = await make_notifier(webhooks={"ended": receiver.url})
    with pytest.raises(ValueError, match="unknown webhook event"):
        notifier.notify("call.rang", {"call_id": str(uuid.uuid4())})
    with pytest.raises(TypeError):
        notifier.notify("call.ended", {"call_id": str(uuid.uuid4()), "at": object()})
    with pytest.raises(ValueError):
        notifier.notify("call.ended", {"call_id": str(uuid.uuid4()), "talk_s": float("nan")})
    with pytest.raises(RuntimeError):
        await notifier.start()
    notifier.publish(offered(uuid.uuid4()))  # no URL for "offered": nothing to do
    # Plain mappings work too, with the types the shell holds.
    call_id = uuid.uuid4()
    notifier.notify(
        "call.ended", {"call_id": call_id, "ended_at": datetime(2026, 1, 1, tzinfo=UTC)}
    )
    await notifier.drain()

    assert [h.event for h in receiver.hits] == ["call.ended"]
    assert receiver.hits[0].json == {
        "call_id": str(call_id),
        "ended_at": "2026-01-01T00:00:00+00:00",
    }
    assert await db_pool.fetchval("SELECT count(*) FROM webhook_deliveries") == 1


async def test_backlog_is_bounded_and_a_stopped_notifier_drops(
    make_notifier: MakeNotifier, receiver: Receiver
) -> None:
    async def hang(_hit: Hit) -> web.StreamResponse:
        return await receiver.hang()

    receiver.responder = hang
    notifier = await make_notifier(max_backlog=2)
    call_id = uuid.uuid4()
    for payload in (offered(call_id), answered(call_id), answered(call_id)):
        notifier.publish(payload)
    assert (notifier.backlog, notifier.dropped) == (2, 1)
    await notifier.stop(drain_timeout_s=0)
    notifier.publish(offered(uuid.uuid4()))
    assert notifier.dropped == 2
