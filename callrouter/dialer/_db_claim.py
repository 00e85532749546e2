"""The dial-time gate over the database: claim due leads, keep those the pure core picks.

``claim_dialable`` is what a runner calls each pacing tick. In one transaction it
claims a few more due leads than it needs (``due_leads``), loads their do-not-call
entries (``DbDncLookup``), lets the pure ``pick_next_leads`` choose, and settles the
rest: leads on the DNC list become ``dnc``, unparseable ones ``invalid``, leads out of
attempts ``exhausted``, leads outside their calling window go back to pending due at
their window's next opening (so they are not claimed again every tick), and extras go
back unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from callrouter.errors import InvalidInput
from callrouter.store import DbConnection

from ._campaign import pick_next_leads
from ._db_attempts import ClaimedLead, due_leads, mark_leads, release_leads
from ._db_campaigns import CampaignRow
from ._db_dnc import DbDncLookup
from ._retry import LeadStatus
from ._windows import WeeklySchedule, next_opening

__all__ = ["claim_dialable", "held_preview_lead", "preview_claimant"]

# A schedule that never opens again: look once a day whether the config changed.
_NEVER_OPENS_RETRY = timedelta(days=1)


async def claim_dialable(
    conn: DbConnection,
    campaign: CampaignRow,
    now: datetime,
    limit: int,
    *,
    node: str = "",
    schedule: WeeklySchedule | None = None,
) -> list[ClaimedLead]:
    """Up to ``limit`` leads to dial now, claimed (``in_progress``) for this node."""
    if limit <= 0:
        return []
    schedule = schedule or campaign.schedule()
    async with conn.transaction():
        claimed = await due_leads(conn, campaign.id, now, limit + max(limit, 20), node=node)
        if not claimed:
            return []
        dnc = await DbDncLookup.load(
            conn, [lead.phone for lead in claimed], tenants=[campaign.tenant]
        )
        selection = pick_next_leads(
            claimed, now, dnc, schedule, limit, max_attempts=campaign.max_attempts
        )
        await mark_leads(conn, [lead.id for lead in selection.dnc], LeadStatus.DNC)
        await mark_leads(conn, [lead.id for lead in selection.invalid], LeadStatus.INVALID)
        settled = {lead.id for lead in (*selection.leads, *selection.dnc, *selection.invalid)}
        exhausted: list[int] = []
        releases: dict[int, datetime] = {}
        openings: dict[str, datetime] = {}
        for lead in claimed:
            if lead.id in settled:
                continue
            if lead.attempts >= campaign.max_attempts:
                exhausted.append(lead.id)
                continue
            if lead.timezone not in openings:
                try:
                    openings[lead.timezone] = next_opening(schedule, lead.timezone, now)
                except InvalidInput:
                    openings[lead.timezone] = now + _NEVER_OPENS_RETRY
            opening = openings[lead.timezone]
            releases[lead.id] = opening if opening > now else lead.due_at
        await mark_leads(conn, exhausted, LeadStatus.EXHAUSTED)
        await release_leads(conn, releases)
    return list(selection.leads)


def preview_claimant(node: str, operator_id: str) -> str:
    """Who holds a preview lead: the operator, through the node that handed it out."""
    return f"{node}:{operator_id}"


async def held_preview_lead(conn: DbConnection, operator_id: str) -> ClaimedLead | None:
    """The preview lead this operator holds, through any node, not yet called."""
    record = await conn.fetchrow(
        "SELECT l.id, l.campaign_id, l.key, l.phone, l.timezone, l.name, l.data,"
        " l.priority, l.attempts, l.next_attempt_at, l.outcome_counts, l.last_outcome"
        " FROM leads l WHERE l.status = 'in_progress' AND l.claimed_by LIKE '%:' || $1"
        " AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.lead_id = l.id"
        "   AND a.ended_at IS NULL) ORDER BY l.claimed_at LIMIT 1",
        operator_id,
    )
    return ClaimedLead.from_record(record) if record is not None else None
