"""What pacing reads from the database: abandons and answers of every node.

The abandon cap is a campaign's, not a process's: two nodes dialling one campaign, or
one node restarted mid-day, must see the same rate. ``abandon_counts`` counts attempts
by the time the customer answered (``attempts.answered_at``, written by the shell when
a person is detected), so a call still talking counts as answered at once, while an
answering machine (outcome ``machine``) never counts.
"""

from __future__ import annotations

from datetime import datetime

from callrouter.store._pool import DbConnection

from ._pacing import AbandonCounts
from ._tz import require_aware

__all__ = ["abandon_counts", "mark_answered"]


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
