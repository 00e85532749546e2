"""The dial-time gate for calls an operator starts: preview leads, click-to-call and
callbacks reserved for one operator.

The campaign runner's gate is ``claim_dialable`` (due, window, DNC, in one claim); a
call an operator starts is checked here, right before the customer's leg is
originated, so a number put on the do-not-call list after a lead was claimed (or typed
by hand) is never rung. A lead is always dialled at its own number, inside its calling
window, while it is still open; the permit carries the campaign's caller ID.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from callrouter.errors import Conflict, InvalidInput, NotFound
from callrouter.store import DbConnection

from ._db_attempts import mark_leads
from ._db_campaigns import CampaignRow, get_campaign
from ._db_dnc import DbDncLookup
from ._dnc import DncVerdict, check_dnc, normalize_dnc_number
from ._retry import LeadStatus
from ._windows import is_callable

__all__ = ["DialPermit", "DialRefused", "permit_dial"]


class DialRefused(Conflict):
    """The rules forbid dialling this number now (do-not-call, calling window, lead)."""

    error_id = "dial-refused"


@dataclass(frozen=True, slots=True)
class DialPermit:
    phone: str
    """E.164, the lead's own number for a lead."""
    caller_id: str = ""
    """The campaign's caller ID; empty: the dialer's default."""
    campaign_id: int | None = None
    queue: str | None = None
    """The campaign's queue, for the call's row."""


async def permit_dial(
    conn: DbConnection,
    *,
    number: str | None,
    lead_id: int | None,
    now: datetime,
    tenants: Collection[str],
    default_region: str | None = None,
) -> DialPermit:
    """May ``number`` (or lead ``lead_id``) be dialled at ``now``? ``DialRefused`` if not.

    A number is checked against the center's do-not-call list and the lists of
    ``tenants`` (whom the call is made for); a lead against the center's and its
    campaign's tenant's."""
    if lead_id is None:
        if number is None:
            raise InvalidInput("give the number to call, or the lead")
        await _refuse_if_dnc(conn, number, now, default_region, tenants)
        return DialPermit(phone=number)
    lead = await conn.fetchrow(
        "SELECT l.phone, l.timezone, l.status, c.name AS campaign FROM leads l"
        " JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = $1",
        lead_id,
    )
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    campaign = await get_campaign(conn, lead["campaign"])
    if number is not None:
        asked = normalize_dnc_number(number, default_region=campaign.default_region)
        if asked != lead["phone"]:
            raise DialRefused(f"lead {lead_id} is called at its own number, not {number}")
    if lead["status"] not in (LeadStatus.PENDING, "in_progress"):
        raise DialRefused(f"lead {lead_id} is {lead['status']}; it is not dialled again")
    _refuse_outside_window(campaign, lead["timezone"], now, lead_id)
    try:
        await _refuse_if_dnc(conn, lead["phone"], now, campaign.default_region, [campaign.tenant])
    except DialRefused:
        await mark_leads(conn, [lead_id], LeadStatus.DNC)
        raise
    return DialPermit(
        phone=lead["phone"], caller_id=campaign.caller_id, campaign_id=campaign.id,
        queue=campaign.queue,
    )  # fmt: skip


def _refuse_outside_window(campaign: CampaignRow, zone: str, now: datetime, lead_id: int) -> None:
    if not is_callable(campaign.schedule(), zone, now):
        raise DialRefused(
            f"lead {lead_id} is outside campaign {campaign.name!r}'s calling window"
            f" in its time zone ({zone})"
        )


async def _refuse_if_dnc(
    conn: DbConnection, number: str, now: datetime, region: str | None, tenants: Collection[str]
) -> None:
    e164 = normalize_dnc_number(number, default_region=region)
    lookup = await DbDncLookup.load(conn, [e164] if e164 else [], tenants=tenants)
    verdict = check_dnc(number, lookup, now, default_region=region)
    if verdict is DncVerdict.BLOCKED:
        raise DialRefused(f"{number} is on the do-not-call list")
    if verdict is DncVerdict.INVALID:
        raise InvalidInput(f"{number!r} is not a phone number")
