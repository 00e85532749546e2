"""The dialer shell's ``LeadSource``, backed by the dialer's PostgreSQL store."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import structlog

from callrouter.calls._dialer_plan import CampaignPlan, DialLead, plan_from_settings
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer import AbandonCounts, CampaignState, local_midnight
from callrouter.dialer.store import (
    CampaignRow,
    OpenAttempt,
    abandon_counts,
    claim_dialable,
    expire_claims,
    finish_attempt,
    finish_if_exhausted,
    get_campaign,
    list_campaigns,
    mark_answered,
    open_attempts,
    release_unattempted_claims,
    start_attempt,
)

__all__ = ["DatabaseLeadSource"]

log = structlog.get_logger(__name__)


class DatabaseLeadSource(ReadsSettings):
    def __init__(self, *, pool: asyncpg.Pool, settings: SettingsHolder, node: str) -> None:
        self._pool = pool
        self._holder = settings
        self._node = node

    async def running(self) -> list[CampaignPlan]:
        async with self._pool.acquire() as conn:
            rows = await list_campaigns(conn)
        plans = [self._plan(row) for row in rows if row.state is CampaignState.RUNNING]
        return [plan for plan in plans if plan is not None]

    async def plan_named(self, name: str) -> CampaignPlan | None:
        async with self._pool.acquire() as conn:
            return self._plan(await get_campaign(conn, name))

    def _plan(self, row: CampaignRow) -> CampaignPlan | None:
        return plan_from_settings(self._settings, name=row.name, campaign_id=row.id, mode=row.mode)

    async def finish_if_done(self, plan: CampaignPlan) -> bool:
        async with self._pool.acquire() as conn:
            finished = await finish_if_exhausted(conn, plan.name)
        if finished:
            log.info("campaign_finished", campaign=plan.name)
        return finished

    async def open_attempts(self) -> list[OpenAttempt]:
        async with self._pool.acquire() as conn:
            return await open_attempts(conn, self._node)

    async def release_claims(self, now: datetime) -> int:
        """This node's claims from before ``now`` that were never dialled (its start)."""
        async with self._pool.acquire() as conn:
            return await release_unattempted_claims(
                conn, node=self._node, claimed_before=now, now=now
            )

    async def expire_claims(self, now: datetime) -> tuple[int, int]:
        dialer = self._settings.dialer
        async with self._pool.acquire() as conn:
            return await expire_claims(
                conn, now=now,
                claimed_before=now - timedelta(seconds=dialer.preview_claim_ttl_s),
                attempt_before=now - timedelta(seconds=dialer.stale_attempt_s),
            )  # fmt: skip

    async def claim(self, plan: CampaignPlan, now: datetime, limit: int) -> list[DialLead]:
        async with self._pool.acquire() as conn:
            campaign = await get_campaign(conn, plan.name)
            claimed = await claim_dialable(conn, campaign, now, limit, node=self._node)
        return [DialLead(lead_id=lead.id, phone=lead.phone, name=lead.name) for lead in claimed]

    async def started(self, plan: CampaignPlan, lead: DialLead, call_id: str, now: datetime) -> int:
        async with self._pool.acquire() as conn:
            return await start_attempt(
                conn, lead.lead_id, now=now, call_id=call_id, node=self._node
            )

    async def answered(self, attempt_id: int, at: datetime) -> None:
        async with self._pool.acquire() as conn:
            await mark_answered(conn, attempt_id, at)

    async def abandons(self, plan: CampaignPlan, now: datetime) -> AbandonCounts | None:
        if plan.campaign_id is None:
            return None
        async with self._pool.acquire() as conn:
            return await abandon_counts(
                conn, plan.campaign_id, window_start=now - timedelta(seconds=plan.abandon_window_s),
                day_start=local_midnight(now, plan.timezone),
            )  # fmt: skip

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
        async with self._pool.acquire() as conn:
            await finish_attempt(
                conn, attempt_id, outcome, now=now, hangup_cause=hangup_cause,
                operator_id=operator_id, wait_s=wait_s, talk_s=talk_s,
                answered_at=answered_at, recording=recording,
            )  # fmt: skip
