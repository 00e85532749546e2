"""Preview campaigns: an operator asks for the next lead, then calls it in one click."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import asyncpg

from callrouter.calls._clock import Clock
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer import CampaignState, PacingMode
from callrouter.dialer.store import (
    DialPermit,
    claim_dialable,
    finish_attempt,
    get_campaign,
    held_preview_lead,
    permit_dial,
    preview_claimant,
    start_attempt,
)
from callrouter.errors import Conflict, NotFound

__all__ = ["PreviewLeads"]


class PreviewLeads(ReadsSettings):
    """Implements ``AttemptLog`` and ``DialGate`` for click-to-call, and hands out
    preview leads: one at a time per operator, only from campaigns whose queue they
    serve (asking again returns the lead they hold)."""

    def __init__(
        self, *, pool: asyncpg.Pool, clock: Clock, node: str, settings: SettingsHolder
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._node = node
        self._holder = settings

    async def next_lead(self, campaign: str, operator_id: str) -> dict[str, Any]:
        now = self._clock.now()
        async with self._pool.acquire() as conn:
            row = await get_campaign(conn, campaign)
            if row.mode is not PacingMode.PREVIEW:
                raise Conflict(f"campaign {campaign!r} is {row.mode.value}, not preview")
            if row.state is not CampaignState.RUNNING:
                raise Conflict(f"campaign {campaign!r} is {row.state.value}, not running")
            operator = self._settings.operators.get(operator_id)
            if operator is None or row.queue not in operator.queues:
                raise Conflict(
                    f"operator {operator_id!r} does not serve queue {row.queue!r} of"
                    f" campaign {campaign!r}"
                )
            held = await held_preview_lead(conn, operator_id)
            if held is not None and held.campaign_id != row.id:
                raise Conflict(
                    f"operator {operator_id!r} holds lead {held.id} of another campaign:"
                    " call it first (it is released after dialer.preview_claim_ttl_s)"
                )
            claimed = (
                [held]
                if held is not None
                else await claim_dialable(
                    conn, row, now, 1, node=preview_claimant(self._node, operator_id)
                )
            )
        if not claimed:
            raise NotFound(f"no lead of {campaign!r} may be called now")
        lead = claimed[0]
        return {
            "lead_id": lead.id,
            "campaign_id": row.id,
            "campaign": row.name,
            "phone": lead.phone,
            "name": lead.name,
            "timezone": lead.timezone,
            "script_url": row.script_url,
        }

    async def permit(
        self,
        *,
        number: str | None,
        lead_id: int | None,
        default_region: str,
        tenants: Collection[str],
    ) -> DialPermit:
        async with self._pool.acquire() as conn:
            return await permit_dial(
                conn, number=number, lead_id=lead_id, now=self._clock.now(),
                tenants=tenants, default_region=default_region,
            )  # fmt: skip

    async def start(self, lead_id: int, call_id: str, operator_id: str) -> int:
        async with self._pool.acquire() as conn:
            return await start_attempt(
                conn, lead_id, now=self._clock.now(), call_id=call_id, node=self._node,
                operator_id=operator_id,
            )  # fmt: skip

    async def finish(
        self,
        attempt_id: int,
        outcome: str,
        *,
        cause: int | None,
        operator_id: str,
        talk_s: float | None,
        answered_at: datetime | None = None,
        recording: str | None = None,
    ) -> None:
        async with self._pool.acquire() as conn:
            await finish_attempt(
                conn, attempt_id, outcome, now=self._clock.now(), hangup_cause=cause,
                operator_id=operator_id, talk_s=talk_s, answered_at=answered_at,
                recording=recording,
            )  # fmt: skip
