"""Dispositions in the database: the operator's code and note on the attempt and its
call, and the code's effect on the lead (the pure ``apply_disposition`` decides).

A code given after the attempt ended changes the lead at once; one given during the
call is applied by ``finish_attempt`` when the attempt ends, over the retry rules'
decision (``lead_change_for``), so the operator's word is the last one either way.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from callrouter.errors import InvalidInput, NotFound
from callrouter.store import DbConnection

from ._db_campaigns import CampaignRow, get_campaign
from ._dispositions import LeadChange, apply_disposition, rules_from
from ._retry import LeadStatus
from ._tz import require_aware

__all__ = ["add_requested_dnc", "apply_lead_change", "lead_change_for", "set_disposition"]


def lead_change_for(
    campaign: CampaignRow,
    code: str | None,
    now: datetime,
    callback_at: datetime | None = None,
    *,
    strict: bool = True,
) -> LeadChange | None:
    """The effect of ``code``; an unknown code raises only when ``strict`` (a code
    recorded before the campaign's codes changed has no effect any more)."""
    rules = rules_from(campaign.settings.get("dispositions") or {})
    if not code or (not strict and code not in rules):
        return None
    return apply_disposition(rules, code, now, callback_at=callback_at)


async def add_requested_dnc(conn: DbConnection, phone: str, campaign: str) -> None:
    """A customer asked the campaign's caller not to call again: an entry on the list of
    the campaign's tenant (it blocks that tenant's campaigns, not other clients')."""
    await conn.execute(
        "INSERT INTO do_not_call (phone, reason, source, tenant)"
        " VALUES ($1, $2, $3, (SELECT tenant FROM campaigns WHERE name = $4))"
        " ON CONFLICT (phone, tenant) DO UPDATE SET expires_at = NULL",
        phone,
        "requested during a call",
        f"campaign:{campaign}",
        campaign,
    )


async def apply_lead_change(
    conn: DbConnection, lead_id: int, change: LeadChange, *, phone: str, campaign: str
) -> None:
    await conn.execute(
        "UPDATE leads SET status = $2, next_attempt_at = $3, claimed_by = NULL,"
        " claimed_at = NULL, updated_at = now() WHERE id = $1",
        lead_id, change.status, change.next_attempt_at,
    )  # fmt: skip
    if change.status is LeadStatus.DNC:
        await add_requested_dnc(conn, phone, campaign)


async def set_disposition(
    conn: DbConnection,
    attempt_id: int,
    disposition: str,
    *,
    note: str | None = None,
    now: datetime | None = None,
    callback_at: datetime | None = None,
) -> asyncpg.Record:
    """The operator's wrap-up code (and note) for an attempt and its call; the code's
    configured effect on the lead. ``InvalidInput`` for a code the campaign does not
    configure (when it configures any)."""
    code = disposition.strip()
    if not code:
        raise InvalidInput("a disposition must not be empty")
    async with conn.transaction():
        found = await conn.fetchrow(
            "SELECT a.ended_at, a.lead_id, a.call_id, l.phone, c.name AS campaign"
            " FROM attempts a JOIN leads l ON l.id = a.lead_id"
            " JOIN campaigns c ON c.id = a.campaign_id WHERE a.id = $1 FOR UPDATE OF a, l",
            attempt_id,
        )
        if found is None:
            raise NotFound(f"no attempt {attempt_id}")
        campaign = await get_campaign(conn, found["campaign"])
        at = now or await conn.fetchval("SELECT now()")
        require_aware(at)
        change = lead_change_for(campaign, code, at, callback_at)  # refuses unknown codes
        row: asyncpg.Record | None = await conn.fetchrow(
            "UPDATE attempts SET disposition = $2, disposition_note = $3, disposed_at = $4,"
            " callback_at = coalesce($5, callback_at) WHERE id = $1"
            " RETURNING id AS attempt_id, campaign_id, lead_id, call_id, disposition,"
            " disposition_note AS note",
            attempt_id, code, note, at, callback_at,
        )  # fmt: skip
        assert row is not None
        if found["call_id"] is not None:
            await conn.execute(
                "UPDATE calls SET disposition = $2, disposition_note = $3 WHERE id = $1",
                found["call_id"], code, note,
            )  # fmt: skip
        if change is not None and found["ended_at"] is not None:
            await apply_lead_change(
                conn, found["lead_id"], change, phone=found["phone"], campaign=found["campaign"]
            )
    return row
