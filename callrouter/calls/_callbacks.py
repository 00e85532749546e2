"""Callbacks asked for by inbound callers, dialled when due: a ``LeadSource`` for the
dialer shell, one progressive "campaign" per queue that has callbacks waiting.

A callback keeps the caller's place: they are served in the order they first joined
the queue (``queued_at``), and the customer is dialled only when an operator of that
queue is free, so they never wait again once they answer. A callback that fails (busy,
no answer) is tried again later, up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import asyncpg
import structlog

from callrouter.acd import OperatorState
from callrouter.calls._click_to_call import ClickToCall
from callrouter.calls._dialer_plan import CampaignPlan, DialLead, plan_from_dialer
from callrouter.calls._router import Router
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer import AbandonCounts, PacingMode
from callrouter.dialer.store import DialRefused, OpenAttempt
from callrouter.errors import Conflict, ExternalError, NotFound
from callrouter.store.callbacks import (
    claim_queue_callbacks,
    due_operator_callbacks,
    finish_callback,
    mark_callback_dialing,
    queues_with_due_callbacks,
)

__all__ = ["CHECK_EVERY_S", "MAX_ATTEMPTS", "RETRY_AFTER", "CallbackSource", "OperatorCallbacks"]

MAX_ATTEMPTS = 3
CHECK_EVERY_S = 1.0
RETRY_AFTER = timedelta(minutes=10)
_PLAN_PREFIX = "callback:"

log = structlog.get_logger(__name__)


class CallbackSource(ReadsSettings):
    def __init__(self, *, pool: asyncpg.Pool, settings: SettingsHolder) -> None:
        self._pool = pool
        self._holder = settings

    async def running(self) -> list[CampaignPlan]:
        async with self._pool.acquire() as conn:
            queues = await queues_with_due_callbacks(conn)
        return [
            # The caller asked to be called: a machine is still worth no operator (AMD on).
            plan_from_dialer(
                self._settings.dialer,
                name=f"{_PLAN_PREFIX}{queue}",
                campaign_id=None,
                mode=PacingMode.PROGRESSIVE,
                queue=queue,
            )
            for queue in queues
            if queue in self._settings.queues
        ]

    async def claim(self, plan: CampaignPlan, now: datetime, limit: int) -> list[DialLead]:
        async with self._pool.acquire() as conn:
            due = await claim_queue_callbacks(conn, plan.queue, now, limit)
        return [DialLead(lead_id=c.id, phone=c.phone, name=c.caller_name) for c in due]

    async def started(self, plan: CampaignPlan, lead: DialLead, call_id: str, now: datetime) -> int:
        return lead.lead_id

    async def answered(self, attempt_id: int, at: datetime) -> None:
        return None  # a callback has no attempt row; its call row has the answer

    async def plan_named(self, name: str) -> CampaignPlan | None:
        return None

    async def finish_if_done(self, plan: CampaignPlan) -> bool:
        return False  # queues of callbacks are not campaigns

    async def open_attempts(self) -> list[OpenAttempt]:
        return []  # a callback's attempt is the callback row itself

    async def release_claims(self, now: datetime) -> int:
        return 0

    async def expire_claims(self, now: datetime) -> tuple[int, int]:
        return 0, 0

    async def abandons(self, plan: CampaignPlan, now: datetime) -> AbandonCounts | None:
        return None  # not a campaign: the dialer's own rolling measurements pace it

    async def finished(
        self,
        attempt_id: int,
        outcome: str,
        *,
        hangup_cause: int | None,
        now: datetime,
        operator_id: str | None = None,
        wait_s: float | None = None,
        talk_s: float | None = None,
        answered_at: datetime | None = None,
        recording: str | None = None,
    ) -> None:
        await _finish_callback(self._pool, attempt_id, outcome, operator_id=operator_id, now=now)


class OperatorCallbacks(ReadsSettings):
    """Callbacks reserved for one operator: when due and that operator is free, their
    phone rings first and then the customer is dialled (click-to-call), so the customer
    talks to the person who promised to call back."""

    def __init__(
        self, *, pool: asyncpg.Pool, router: Router, clicks: ClickToCall, settings: SettingsHolder
    ) -> None:
        self._pool = pool
        self._router = router
        self._clicks = clicks
        self._holder = settings

    async def run(self) -> None:
        while True:
            try:
                await self.dial_due()
            except Exception:
                log.exception("operator_callbacks_failed")
            await asyncio.sleep(CHECK_EVERY_S)

    async def dial_due(self) -> None:
        async with self._pool.acquire() as conn:
            due = await due_operator_callbacks(conn, self._router.now())
        free = {
            view.operator_id
            for view in self._router.engine.snapshot().operators
            if view.routable and view.state is OperatorState.AVAILABLE
        }
        for callback in due:
            if callback.operator_id not in free or callback.operator_id is None:
                continue
            free.discard(callback.operator_id)
            try:
                await self._clicks.start(
                    operator_id=callback.operator_id, number=callback.phone, caller_id=None,
                    follow_up=(self, callback.id),
                )  # fmt: skip
            except DialRefused as exc:
                # The rules forbid it now (no caller ID...): try again later, not every tick.
                log.warning("operator_callback_refused", callback=callback.id, error=str(exc))
                await _finish_callback(
                    self._pool, callback.id, "refused", operator_id=None, now=self._router.now()
                )
            except (Conflict, NotFound, ExternalError) as exc:
                log.warning("operator_callback_not_started", callback=callback.id, error=str(exc))

    async def start(self, lead_id: int, call_id: str, operator_id: str) -> int:
        async with self._pool.acquire() as conn:
            await mark_callback_dialing(conn, lead_id)
        return lead_id

    async def finish(
        self, attempt_id: int, outcome: str, *, cause: int | None, operator_id: str,
        talk_s: float | None, answered_at: datetime | None = None,
        recording: str | None = None,
    ) -> None:  # fmt: skip
        await _finish_callback(
            self._pool, attempt_id, "connected" if outcome == "answered" else outcome,
            operator_id=operator_id, now=self._router.now(),
        )  # fmt: skip


async def _finish_callback(
    pool: asyncpg.Pool, callback_id: int, outcome: str, *, operator_id: str | None, now: datetime
) -> None:
    async with pool.acquire() as conn:
        await finish_callback(
            conn, callback_id, outcome, operator_id=operator_id,
            retry_at=now + RETRY_AFTER, max_attempts=MAX_ATTEMPTS,
        )  # fmt: skip
