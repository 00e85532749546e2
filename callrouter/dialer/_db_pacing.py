"""What pacing reads from the database: abandons and answers of every node.

The abandon cap is a campaign's, not a process's: two nodes dialling one campaign, or
one node restarted mid-day, must see the same rate. ``abandon_counts`` counts attempts
by the time the customer answered (``attempts.answered_at``, written by the shell when
a person is detected), so a call still talking counts as answered at once, while an
answering machine (outcome ``machine``) never counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callrouter.store import DbConnection

from ._pacing import AbandonCounts
from ._tz import require_aware

__all__ = ["OutboundQueueFigures", "abandon_counts", "mark_answered", "outbound_queue_figures"]


async def abandon_counts(
    conn: DbConnection, campaign_id: int, *, window_start: datetime, day_start: datetime
) -> AbandonCounts:
    """Answered and abandoned attempts since ``window_start`` and since ``day_start``."""
    require_aware(window_start, "window_start")
    require_aware(day_start, "day_start")
    row = await conn.fetchrow(
        "SELECT"
        " count(*) FILTER (WHERE answered_at >= $2) AS window_answered,"
        " count(*) FILTER (WHERE answered_at >= $2 AND outcome = 'abandoned')"
        "   AS window_abandoned,"
        " count(*) FILTER (WHERE answered_at >= $3) AS day_answered,"
        " count(*) FILTER (WHERE answered_at >= $3 AND outcome = 'abandoned') AS day_abandoned"
        " FROM attempts WHERE campaign_id = $1 AND answered_at >= least($2, $3)"
        " AND outcome IS DISTINCT FROM 'machine'",
        campaign_id,
        window_start,
        day_start,
    )
    assert row is not None
    return AbandonCounts(
        window_answered=row["window_answered"], window_abandoned=row["window_abandoned"],
        day_answered=row["day_answered"], day_abandoned=row["day_abandoned"],
    )  # fmt: skip


async def mark_answered(conn: DbConnection, attempt_id: int, answered_at: datetime) -> None:
    """A person answered this attempt's call: it counts towards the abandon rate now."""
    require_aware(answered_at, "answered_at")
    await conn.execute(
        "UPDATE attempts SET answered_at = coalesce(answered_at, $2) WHERE id = $1",
        attempt_id,
        answered_at,
    )


@dataclass(frozen=True, slots=True)
class OutboundQueueFigures:
    """A queue's outbound work since a moment (campaign attempts; for ``queues status``)."""

    queue: str
    dialled: int
    answered: int
    """By a person (machines excluded): the abandon rate's denominator."""
    connected: int
    abandoned: int
    avg_wait_s: float | None
    avg_talk_s: float | None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.answered if self.answered else None


async def outbound_queue_figures(
    conn: DbConnection, *, since: datetime
) -> list[OutboundQueueFigures]:
    """Per queue, the attempts of its campaigns started since ``since``."""
    rows = await conn.fetch(
        "SELECT c.queue_name, count(*) AS dialled,"
        " count(*) FILTER (WHERE a.answered_at IS NOT NULL"
        "   AND a.outcome IS DISTINCT FROM 'machine') AS answered,"
        " count(*) FILTER (WHERE a.outcome = 'connected') AS connected,"
        " count(*) FILTER (WHERE a.outcome = 'abandoned') AS abandoned,"
        " avg(a.wait_s) FILTER (WHERE a.outcome = 'connected') AS wait,"
        " avg(a.talk_s) FILTER (WHERE a.outcome = 'connected') AS talk"
        " FROM attempts a JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.started_at >= $1 AND c.queue_name IS NOT NULL"
        " GROUP BY c.queue_name ORDER BY c.queue_name",
        since,
    )
    return [
        OutboundQueueFigures(
            queue=r["queue_name"],
            dialled=r["dialled"],
            answered=r["answered"],
            connected=r["connected"],
            abandoned=r["abandoned"],
            avg_wait_s=float(r["wait"]) if r["wait"] is not None else None,
            avg_talk_s=float(r["talk"]) if r["talk"] is not None else None,
        )
        for r in rows
    ]
