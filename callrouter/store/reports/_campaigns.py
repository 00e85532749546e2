"""Campaigns by interval: attempts by outcome, contact and abandon rates, connects per
operator-hour.

An attempt counts in the interval it started in (``attempts.started_at``); one still
running has the outcome ``in_progress``. A contact is an attempt answered by a person
(answered, outcome not ``machine``), which is also the pacing's denominator: the abandon
rate is abandoned ÷ contacts, as the dialer judges its cap. Connects (outcome
``connected``) per operator-hour divide by the logged-in hours, in that interval, of the
operators who serve the campaign's queue (``queue_members``); campaigns sharing a queue
share its operator-hours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from callrouter.store._pool import DbConnection
from callrouter.store.reports._frame import PARAMS_CTE, Frame
from callrouter.store.reports._operators import StateSeconds, state_seconds

__all__ = ["CampaignInterval", "campaign_report"]


@dataclass(frozen=True, slots=True)
class CampaignInterval:
    start: datetime
    campaign: str
    attempts: int
    outcomes: dict[str, int] = field(default_factory=dict)
    contacts: int = 0
    contact_rate: float | None = None
    abandoned: int = 0
    abandon_rate: float | None = None
    connected: int = 0
    operator_hours: float = 0.0
    connects_per_operator_hour: float | None = None


async def campaign_report(
    conn: DbConnection, frame: Frame, *, campaigns: Sequence[str] = ()
) -> list[CampaignInterval]:
    """Every interval of ``frame`` for each of ``campaigns`` and each campaign dialled."""
    rows = await conn.fetch(
        f"WITH {PARAMS_CTE} SELECT {frame.bucket('a.started_at')} AS bucket,"
        " c.name AS campaign, coalesce(a.outcome, 'in_progress') AS outcome,"
        " count(*) AS attempts, count(*) FILTER (WHERE a.answered_at IS NOT NULL"
        "   AND a.outcome IS DISTINCT FROM 'machine') AS contacts"
        " FROM p, attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.started_at >= p.t0 AND a.started_at < p.t1 GROUP BY 1, 2, 3",
        *frame.args(),
    )
    staffing = await conn.fetch(
        "SELECT c.name AS campaign, m.operator_id FROM campaigns c"
        " JOIN queue_members m ON m.queue_name = c.queue_name"
    )
    pieces = await state_seconds(conn, frame)
    counts: dict[tuple[datetime, str], dict[str, tuple[int, int]]] = defaultdict(dict)
    for r in rows:
        counts[(r["bucket"], r["campaign"])][r["outcome"]] = (r["attempts"], r["contacts"])
    staff: dict[str, set[str]] = defaultdict(set)
    for r in staffing:
        staff[r["campaign"]].add(r["operator_id"])
    names = sorted(set(campaigns) | {k[1] for k in counts})
    hours = _logged_in_hours(pieces)
    return [
        _interval(
            frame.period.local(bucket),
            name,
            counts.get((bucket, name), {}),
            sum(hours.get((bucket, op), 0.0) for op in staff[name]),
        )
        for bucket in frame.buckets
        for name in names
    ]


def _logged_in_hours(pieces: Sequence[StateSeconds]) -> dict[tuple[datetime, str], float]:
    hours: dict[tuple[datetime, str], float] = defaultdict(float)
    for piece in pieces:
        hours[(piece.bucket, piece.operator_id)] += piece.seconds / 3600
    return hours


def _interval(
    start: datetime, campaign: str, by_outcome: dict[str, tuple[int, int]], hours: float
) -> CampaignInterval:
    attempts = sum(n for n, _ in by_outcome.values())
    contacts = sum(c for _, c in by_outcome.values())
    abandoned = by_outcome.get("abandoned", (0, 0))[0]
    connected = by_outcome.get("connected", (0, 0))[0]
    return CampaignInterval(
        start=start,
        campaign=campaign,
        attempts=attempts,
        outcomes={outcome: n for outcome, (n, _) in sorted(by_outcome.items())},
        contacts=contacts,
        contact_rate=contacts / attempts if attempts else None,
        abandoned=abandoned,
        abandon_rate=abandoned / contacts if contacts else None,
        connected=connected,
        operator_hours=round(hours, 4),
        connects_per_operator_hour=connected / hours if hours > 0 else None,
    )
