"""Callbacks asked for by inbound callers, dialled when due: a ``LeadSource`` for the
dialer shell, one progressive "campaign" per queue that has callbacks waiting.

A callback keeps the caller's place: they are served in the order they first joined
the queue (``queued_at``), and the customer is dialled only when an operator of that
queue is free, so they never wait again once they answer. A callback that fails (busy,
no answer) is tried again later, up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from callrouter.calls._dialer_plan import CampaignPlan, DialLead, plan_from_dialer
from callrouter.config import Settings
from callrouter.dialer import PacingMode

__all__ = ["MAX_ATTEMPTS", "RETRY_AFTER", "CallbackSource"]

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=10)
_PLAN_PREFIX = "callback:"


class CallbackSource:
    def __init__(self, *, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    def update_settings(self, settings: Settings) -> None:
        self._settings = settings

    async def running(self) -> list[CampaignPlan]:
        async with self._pool.acquire() as conn:
            queues = await conn.fetch(
                "SELECT DISTINCT queue_name FROM callbacks"
                " WHERE status = 'pending' AND due_at <= now() AND queue_name IS NOT NULL"
            )
        return [
            # The caller asked to be called: a machine is still worth no operator (AMD on).
            plan_from_dialer(
                self._settings.dialer,
                name=f"{_PLAN_PREFIX}{row['queue_name']}",
                campaign_id=None,
                mode=PacingMode.PROGRESSIVE,
                queue=row["queue_name"],
            )
            for row in queues
            if row["queue_name"] in self._settings.queues
        ]

    async def claim(self, plan: CampaignPlan, now: datetime, limit: int) -> list[DialLead]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "UPDATE callbacks SET status = 'dialing', attempts = attempts + 1"
                " WHERE id IN (SELECT id FROM callbacks WHERE status = 'pending'"
                "   AND queue_name = $1 AND due_at <= $2 ORDER BY queued_at"
                "   LIMIT $3 FOR UPDATE SKIP LOCKED)"
                " RETURNING id, phone, caller_name",
                plan.queue,
                now,
                limit,
            )
        return [DialLead(lead_id=r["id"], phone=r["phone"], name=r["caller_name"]) for r in rows]

    async def started(self, plan: CampaignPlan, lead: DialLead, call_id: str, now: datetime) -> int:
        return lead.lead_id

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
    ) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE callbacks SET"
                " status = CASE WHEN $2 = 'connected' THEN 'done'"
                "   WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,"
                " due_at = CASE WHEN $2 = 'connected' THEN due_at ELSE $4 END,"
                " operator_id = coalesce($5, operator_id), note = $6"
                " WHERE id = $1",
                attempt_id,
                outcome,
                MAX_ATTEMPTS,
                now + RETRY_AFTER,
                operator_id,
                f"last attempt: {outcome}",
            )
