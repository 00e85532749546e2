"""What the campaign runner does to leads: claim the due ones, record attempts, retry.

Claims are atomic and node-safe: ``due_leads`` picks pending leads whose time has come
through the partial index ``leads_due_idx`` with ``FOR UPDATE SKIP LOCKED`` and marks
them ``in_progress`` in the same statement, so two nodes never get the same lead. Leads
claimed but not dialled go back with ``release_leads``; a node that died leaves claims
that ``release_stale_claims`` returns to the pool.

``finish_attempt`` is the one place a lead's counters and status change after a call:
it feeds the stored state to the pure ``next_attempt`` and writes the decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from callrouter.errors import Conflict, InvalidInput, NotFound
from callrouter.store import DbConnection

from ._db_campaigns import get_campaign
from ._db_dispositions import add_requested_dnc, apply_lead_change, lead_change_for
from ._retry import LeadState, LeadStatus, Outcome, RetryDecision, RetryPolicy, next_attempt
from ._tz import require_aware

__all__ = [
    "ClaimedLead",
    "due_leads",
    "finish_attempt",
    "mark_leads",
    "parse_outcome",
    "release_leads",
    "release_stale_claims",
    "start_attempt",
]

_LEAD_COLUMNS = (
    "l.id, l.campaign_id, l.key, l.phone, l.timezone, l.name, l.data, l.priority,"
    " l.attempts, l.next_attempt_at, l.outcome_counts, l.last_outcome"
)
# What the shell may report beside the Outcome values themselves.
_OUTCOME_ALIASES = {"answered": Outcome.CONNECTED, "unreachable": Outcome.FAILED}
_FINAL_MARKS = frozenset({LeadStatus.DNC, LeadStatus.INVALID, LeadStatus.EXHAUSTED})


@dataclass(frozen=True, slots=True)
class ClaimedLead:
    """A lead claimed for dialling; satisfies the pure core's ``DialCandidate``."""

    id: int
    campaign_id: int
    key: str
    phone: str
    timezone: str
    name: str
    priority: int
    due_at: datetime
    attempts: int
    data: Mapping[str, Any] = field(default_factory=dict)
    outcome_counts: Mapping[str, int] = field(default_factory=dict)
    status: LeadStatus = LeadStatus.PENDING
    """PENDING for the pure core: claimed means "being decided on", not finished."""

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> ClaimedLead:
        return cls(
            id=r["id"], campaign_id=r["campaign_id"], key=r["key"], phone=r["phone"],
            timezone=r["timezone"], name=r["name"], priority=r["priority"],
            due_at=r["next_attempt_at"], attempts=r["attempts"], data=r["data"],
            outcome_counts=r["outcome_counts"],
        )  # fmt: skip


async def due_leads(
    conn: DbConnection, campaign_id: int, now: datetime, limit: int, *, node: str = ""
) -> list[ClaimedLead]:
    """Claim up to ``limit`` pending leads due at ``now``: longest overdue first.

    One statement: concurrent callers (other nodes) skip rows another claim holds and
    re-check the status of rows committed meanwhile, so no lead is returned twice.
    """
    require_aware(now)
    if limit <= 0:
        return []
    records = await conn.fetch(
        "WITH due AS ("
        " SELECT id FROM leads WHERE campaign_id = $1 AND status = 'pending'"
        "  AND next_attempt_at <= $2 ORDER BY next_attempt_at, priority DESC LIMIT $3"
        "  FOR UPDATE SKIP LOCKED)"
        " UPDATE leads l SET status = 'in_progress', claimed_by = $4, claimed_at = $2,"
        "  updated_at = now() FROM due WHERE l.id = due.id"
        f" RETURNING {_LEAD_COLUMNS}",
        campaign_id,
        now,
        limit,
        node,
    )
    leads = [ClaimedLead.from_record(r) for r in records]
    leads.sort(key=lambda lead: (lead.due_at, -lead.priority, lead.key))
    return leads


async def release_leads(conn: DbConnection, due_at: Mapping[int, datetime]) -> int:
    """Return claimed leads to pending, due at the given times; no attempt is counted."""
    if not due_at:
        return 0
    result = await conn.execute(
        "UPDATE leads l SET status = 'pending', next_attempt_at = r.at, claimed_by = NULL,"
        " claimed_at = NULL, updated_at = now()"
        " FROM unnest($1::bigint[], $2::timestamptz[]) AS r(id, at)"
        " WHERE l.id = r.id AND l.status = 'in_progress'",
        list(due_at),
        list(due_at.values()),
    )
    return int(result.split()[-1])


async def mark_leads(conn: DbConnection, lead_ids: Sequence[int], status: LeadStatus) -> int:
    """Finish leads the dial-time gate refused (dnc, invalid) or out of attempts."""
    if status not in _FINAL_MARKS:
        raise InvalidInput(f"mark_leads sets dnc, invalid or exhausted, not {status}")
    result = await conn.execute(
        "UPDATE leads SET status = $2, next_attempt_at = NULL, claimed_by = NULL,"
        " claimed_at = NULL, updated_at = now()"
        " WHERE id = ANY($1::bigint[]) AND status IN ('pending', 'in_progress')",
        list(lead_ids),
        status,
    )
    return int(result.split()[-1])


async def release_stale_claims(
    conn: DbConnection, *, claimed_before: datetime, now: datetime, node: str | None = None
) -> int:
    """Leads left ``in_progress`` by a node that stopped: back to pending, due now.

    Their open attempts are closed as ``failed`` without counting against the lead (we
    do not know what happened to the call). Pass ``node`` at a node's own start to
    release only its claims.
    """
    async with conn.transaction():
        ids = [r["id"] for r in await conn.fetch(
            "UPDATE leads SET status = 'pending', next_attempt_at = $2, claimed_by = NULL,"
            " claimed_at = NULL, updated_at = now() WHERE status = 'in_progress'"
            " AND claimed_at < $1 AND ($3::text IS NULL OR claimed_by = $3) RETURNING id",
            claimed_before, now, node,
        )]  # fmt: skip
        if ids:
            await conn.execute(
                "UPDATE attempts SET ended_at = $2, outcome = 'failed',"
                " disposition = coalesce(disposition, 'released')"
                " WHERE lead_id = ANY($1::bigint[]) AND ended_at IS NULL",
                ids,
                now,
            )
    return len(ids)


async def start_attempt(
    conn: DbConnection,
    lead_id: int,
    *,
    now: datetime,
    call_id: uuid.UUID | str | None = None,
    node: str = "",
    operator_id: str | None = None,
) -> int:
    """Record that a lead is being dialled; returns the attempt id.

    The lead is (or becomes, for a preview campaign's click-to-call) ``in_progress``;
    a lead already finished raises ``Conflict``.
    """
    require_aware(now)
    async with conn.transaction():
        lead = await conn.fetchrow(
            "UPDATE leads SET status = 'in_progress', claimed_by = coalesce(claimed_by, $2),"
            " claimed_at = coalesce(claimed_at, $3), updated_at = now()"
            " WHERE id = $1 AND status IN ('pending', 'in_progress') RETURNING campaign_id",
            lead_id, node, now,
        )  # fmt: skip
        if lead is None:
            status = await conn.fetchval("SELECT status FROM leads WHERE id = $1", lead_id)
            if status is None:
                raise NotFound(f"no lead {lead_id}")
            raise Conflict(f"lead {lead_id} is {status}; it is not dialled again")
        attempt_id: int = await conn.fetchval(
            "INSERT INTO attempts (campaign_id, lead_id, call_id, operator_id, started_at, node)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            lead["campaign_id"], lead_id, _uuid(call_id), operator_id, now, node,
        )  # fmt: skip
    return attempt_id


def _uuid(call_id: uuid.UUID | str | None) -> uuid.UUID | None:
    if call_id is None or isinstance(call_id, uuid.UUID):
        return call_id
    return uuid.UUID(call_id)


def parse_outcome(outcome: Outcome | str) -> Outcome:
    if isinstance(outcome, Outcome):
        return outcome
    try:
        return _OUTCOME_ALIASES.get(outcome) or Outcome(outcome)
    except ValueError:
        known = ", ".join(sorted([*Outcome, *_OUTCOME_ALIASES]))
        raise InvalidInput(f"unknown outcome {outcome!r} (known: {known})") from None


async def finish_attempt(
    conn: DbConnection,
    attempt_id: int,
    outcome: Outcome | str,
    *,
    now: datetime,
    hangup_cause: int | None = None,
    answered_at: datetime | None = None,
    wait_s: float | None = None,
    talk_s: float | None = None,
    operator_id: str | None = None,
    recording: str | None = None,
    disposition: str | None = None,
    callback_at: datetime | None = None,
    policy: RetryPolicy | None = None,
) -> RetryDecision:
    """End an attempt and reschedule (or finish) its lead with the pure ``next_attempt``.

    ``policy`` defaults to the campaign's retry rules and attempt cap. An attempt ended
    twice raises ``Conflict`` and changes nothing. ``dnc_requested`` also puts the
    number on the do-not-call list.
    """
    result = parse_outcome(outcome)
    async with conn.transaction():
        attempt = await conn.fetchrow(
            "SELECT a.id, a.lead_id, a.ended_at, a.disposition, a.callback_at AS disposed_for,"
            " l.phone, l.attempts, l.outcome_counts,"
            " l.status, l.last_outcome, c.name AS campaign FROM attempts a"
            " JOIN leads l ON l.id = a.lead_id JOIN campaigns c ON c.id = a.campaign_id"
            " WHERE a.id = $1 FOR UPDATE OF a, l",
            attempt_id,
        )
        if attempt is None:
            raise NotFound(f"no attempt {attempt_id}")
        if attempt["ended_at"] is not None:
            raise Conflict(f"attempt {attempt_id} already ended")
        if attempt["status"] not in ("pending", "in_progress"):
            # The lead was settled meanwhile (put on the do-not-call list at the moment
            # of dialling, ...): the attempt still gets its end, the lead stays as it is.
            await conn.execute(
                "UPDATE attempts SET ended_at = $2, outcome = $3,"
                " hangup_cause = coalesce($4, hangup_cause),"
                " answered_at = coalesce($5, answered_at) WHERE id = $1",
                attempt_id, now, result, hangup_cause, answered_at,
            )  # fmt: skip
            settled = LeadState(attempts=attempt["attempts"], status=LeadStatus(attempt["status"]))
            return RetryDecision(settled.status, None, settled)
        campaign = await get_campaign(conn, attempt["campaign"])
        if policy is None:
            policy = campaign.retry_policy()
        state = LeadState(
            attempts=attempt["attempts"],
            outcome_counts={Outcome(k): v for k, v in attempt["outcome_counts"].items()},
            status=LeadStatus.PENDING if attempt["status"] in ("pending", "in_progress")
            else LeadStatus(attempt["status"]),
            last_outcome=Outcome(attempt["last_outcome"]) if attempt["last_outcome"] else None,
        )
        decision = next_attempt(state, result, now, policy=policy, callback_at=callback_at)
        await conn.execute(
            # The call's cause may have come first (migration 012's trigger copies it).
            "UPDATE attempts SET ended_at = $2, outcome = $3, hangup_cause = coalesce($4,"
            " hangup_cause, (SELECT k.hangup_cause FROM calls k WHERE k.id = call_id)),"
            " answered_at = coalesce($5, answered_at), wait_s = $6, talk_s = $7,"
            " operator_id = coalesce($8, operator_id), recording = $9,"
            " disposition = coalesce($10, disposition), callback_at = $11 WHERE id = $1",
            attempt_id, now, result, hangup_cause, answered_at, wait_s, talk_s, operator_id,
            recording, disposition, callback_at,
        )  # fmt: skip
        await conn.execute(
            "UPDATE leads SET status = $2, attempts = $3, outcome_counts = $4,"
            " next_attempt_at = $5, last_outcome = $6, last_attempt_at = $7,"
            " claimed_by = NULL, claimed_at = NULL, updated_at = now() WHERE id = $1",
            attempt["lead_id"], decision.status, decision.lead.attempts,
            {str(k): v for k, v in decision.lead.outcome_counts.items()},
            decision.next_attempt_at, result, now,
        )  # fmt: skip
        if result is Outcome.DNC_REQUESTED:
            await add_requested_dnc(conn, attempt["phone"], attempt["campaign"])
        # A code the operator gave during the call has the last word over the rules.
        change = lead_change_for(
            campaign, attempt["disposition"], now, attempt["disposed_for"], strict=False
        )
        if change is not None:
            await apply_lead_change(
                conn, attempt["lead_id"], change, phone=attempt["phone"],
                campaign=attempt["campaign"],
            )  # fmt: skip
            decision = RetryDecision(change.status, change.next_attempt_at, decision.lead)
    return decision
