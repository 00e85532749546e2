"""After a crash: attempts left open and claims left held, found and settled.

A node killed mid-call leaves attempts with no end and leads ``in_progress``. At its
next start the dialer lists this node's open attempts (``open_attempts``, with the
call's channel and the call row's outcome if it got one), re-attaches those whose
channel Asterisk still holds, and closes the others with their real outcome: the call
row's when it has one (``outcome_of_call``), ``lost`` otherwise; ``finish_attempt``
then reschedules the lead by its retry rules. Leads this node claimed but never dialled
go back to pending (``release_unattempted_claims``). Across nodes, claims expire
(``expire_claims``): a preview lead held too long without a call goes back, and an
attempt open far longer than any call (its node never came back) is closed as lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from callrouter.store import DbConnection

from ._db_attempts import finish_attempt
from ._retry import Outcome
from ._tz import require_aware

__all__ = [
    "OpenAttempt",
    "expire_claims",
    "open_attempts",
    "outcome_of_call",
    "release_unattempted_claims",
]

# A call row's final outcome, as the attempt's. "answered" means an operator took the
# customer; the ACD's "abandoned" (the customer hung up, or our abandon) stays one.
_BY_CALL_OUTCOME = MappingProxyType({
    "answered": Outcome.CONNECTED,
    "abandoned": Outcome.ABANDONED,
    "busy": Outcome.BUSY,
    "no_answer": Outcome.NO_ANSWER,
    "machine": Outcome.MACHINE,
    "congestion": Outcome.CONGESTION,
    "unreachable": Outcome.FAILED,
    "failed": Outcome.FAILED,
})  # fmt: skip


def outcome_of_call(call_outcome: str | None) -> Outcome:
    """The attempt's outcome from its call row's; ``lost`` when the row has none (or
    was itself closed as lost)."""
    return _BY_CALL_OUTCOME.get(call_outcome or "", Outcome.LOST)


@dataclass(frozen=True, slots=True)
class OpenAttempt:
    id: int
    lead_id: int
    campaign: str
    call_id: uuid.UUID | None
    started_at: datetime
    answered_at: datetime | None
    channel_id: str | None
    """The customer's channel, from the call row (None if the row never arrived)."""
    call_outcome: str | None
    phone: str
    name: str


async def open_attempts(conn: DbConnection, node: str) -> list[OpenAttempt]:
    """This node's attempts with no end, oldest first."""
    rows = await conn.fetch(
        "SELECT a.id, a.lead_id, c.name AS campaign, a.call_id, a.started_at, a.answered_at,"
        " k.channel_id, k.outcome AS call_outcome, l.phone, l.name FROM attempts a"
        " JOIN campaigns c ON c.id = a.campaign_id JOIN leads l ON l.id = a.lead_id"
        " LEFT JOIN calls k ON k.id = a.call_id"
        " WHERE a.ended_at IS NULL AND a.node = $1 ORDER BY a.started_at, a.id",
        node,
    )
    return [OpenAttempt(**dict(r)) for r in rows]


async def release_unattempted_claims(
    conn: DbConnection, *, node: str, claimed_before: datetime, now: datetime
) -> int:
    """Leads this node (or one of its operators' previews, ``node:operator``) claimed
    before ``claimed_before`` and never dialled: pending again, due now."""
    require_aware(now)
    result = await conn.execute(
        "UPDATE leads l SET status = 'pending', claimed_by = NULL, claimed_at = NULL,"
        " next_attempt_at = least(coalesce(l.next_attempt_at, $3), $3), updated_at = now()"
        " WHERE l.status = 'in_progress' AND l.claimed_at < $2"
        " AND (l.claimed_by = $1 OR l.claimed_by LIKE $1 || ':%')"
        " AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.lead_id = l.id"
        "   AND a.ended_at IS NULL)",
        node,
        claimed_before,
        now,
    )
    return int(result.split()[-1])


async def expire_claims(
    conn: DbConnection, *, now: datetime, claimed_before: datetime, attempt_before: datetime
) -> tuple[int, int]:
    """Every node's: claims older than ``claimed_before`` with no call back to pending;
    attempts started before ``attempt_before`` and still open closed as lost (their
    leads rescheduled by their retry rules). Returns (claims released, attempts lost)."""
    require_aware(now)
    released = await conn.execute(
        "UPDATE leads l SET status = 'pending', claimed_by = NULL, claimed_at = NULL,"
        " next_attempt_at = least(coalesce(l.next_attempt_at, $2), $2), updated_at = now()"
        " WHERE l.status = 'in_progress' AND l.claimed_at < $1"
        " AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.lead_id = l.id"
        "   AND a.ended_at IS NULL)",
        claimed_before,
        now,
    )
    stale = await conn.fetch(
        "SELECT id FROM attempts WHERE ended_at IS NULL AND started_at < $1", attempt_before
    )
    for row in stale:
        await finish_attempt(conn, row["id"], Outcome.LOST, now=now)
    return int(released.split()[-1]), len(stale)
