"""Operator occupancy from the state log: the share of logged-in time spent on calls.

Occupancy = time offered, on a call, in wrap-up or paused for outbound work, divided by
all time not logged out, between ``since`` and ``until``. Each state lasts from its log
row to the next one (or ``until``); the state an operator was in at ``since`` counts
from ``since``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from callrouter.store._pool import DbConnection

__all__ = ["BUSY_STATE", "occupancy"]

# The states occupancy counts as work, over the columns ``state`` and ``reason`` of
# operator_state_log (also read by the operators' interval report).
BUSY_STATE = (
    "(state IN ('offered', 'on_call', 'wrapup') OR (state = 'paused' AND reason = 'outbound'))"
)

_SQL = f"""
WITH spans AS (
    SELECT operator_id, state, reason,
           greatest(at, $2) AS start_at,
           least(coalesce(lead(at) OVER (PARTITION BY operator_id ORDER BY at, id), $3), $3)
               AS end_at
    FROM operator_state_log
    WHERE operator_id = ANY($1::text[]) AND at < $3
),
clipped AS (
    SELECT state, reason, extract(epoch FROM end_at - start_at) AS seconds
    FROM spans WHERE end_at > start_at AND end_at > $2
)
SELECT
    coalesce(sum(seconds) FILTER (WHERE state <> 'logged_out'), 0) AS logged_in_s,
    coalesce(sum(seconds) FILTER (WHERE {BUSY_STATE}), 0) AS busy_s
FROM clipped
"""


async def occupancy(
    conn: DbConnection, operator_ids: Sequence[str], *, since: datetime, until: datetime
) -> float | None:
    """None when nobody was logged in during the period."""
    row = await conn.fetchrow(_SQL, list(operator_ids), since, until)
    if row is None or float(row["logged_in_s"]) <= 0:
        return None
    return float(row["busy_s"]) / float(row["logged_in_s"])
