"""Inbound arrivals per queue and time-of-day interval, with what planning estimates
from them (answered, talk, abandoned, waited): ``planning.profile_from_history``'s
query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from callrouter.store._pool import DbConnection

__all__ = ["arrivals_by_interval"]

_SQL = """
SELECT queue_name AS queue,
       (floor(extract(epoch FROM (created_at AT TIME ZONE $3)::time) / $4) * $4)::int AS start_s,
       count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'answered') AS answered,
       coalesce(sum(talk_s) FILTER (WHERE outcome = 'answered'), 0)::float8 AS talk_s,
       count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
       coalesce(sum(wait_s) FILTER (WHERE outcome IN ('answered', 'abandoned')), 0)::float8
           AS waited_s
FROM calls
WHERE direction = 'inbound' AND queue_name IS NOT NULL
  AND created_at >= $1 AND created_at < $2
  AND extract(isodow FROM created_at AT TIME ZONE $3)::int = ANY($5::int[])
  AND (cardinality($6::text[]) = 0 OR queue_name = ANY($6::text[]))
GROUP BY 1, 2
ORDER BY 2, 1
"""


async def arrivals_by_interval(
    conn: DbConnection,
    *,
    start: datetime,
    end: datetime,
    timezone: str,
    interval_s: int,
    weekdays: Sequence[int],
    queues: Sequence[str],
) -> list[asyncpg.Record]:
    """One row per (queue, interval start in seconds of the local day) of the inbound
    calls created in [start, end) on ``weekdays`` (ISO), all queues if ``queues`` is
    empty: ``queue, start_s, calls, answered, talk_s, abandoned, waited_s``."""
    return await conn.fetch(_SQL, start, end, timezone, interval_s, list(weekdays), list(queues))
