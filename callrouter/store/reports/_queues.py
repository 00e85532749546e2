"""Queues by interval: offered, answered, abandoned, service level, ASA, AHT, wrap-up.

A call counts in the interval it arrived in (``calls.created_at``), once it has ended,
exactly as ``queues status`` counts the day (the same select list,
:func:`callrouter.store.calls.queue_figure_columns`): inbound calls of a queue, any
outcome. Short abandons are the abandons within the queue's ``service_level_s``; they
stay in ``abandoned`` and are shown apart in ``short_abandoned``.

Wrap-up is measured, not configured: the length of the operator's ``wrapup`` state that
began when the call ended, from ``operator_state_log``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import asyncpg

from callrouter.store._pool import DbConnection
from callrouter.store.calls import QUEUE_CALLS, queue_figure_columns, queue_figures_of
from callrouter.store.reports._frame import PARAMS_CTE, Frame

__all__ = ["QueueInterval", "queue_report"]

# Each wrap-up that began in the period (or the day after it, when a call ended late),
# with its length: until the operator's next row. The routing core puts an operator in
# wrap-up in the very step that ends their call, so a call's wrap-up is the operator's
# wrapup row at the call's ``ended_at``: an equality join, not a search per call.
_WRAPUPS = """,
wrapups AS (
    SELECT s.operator_id, s.at, extract(epoch FROM coalesce((
        SELECT n.at FROM operator_state_log n
        WHERE n.operator_id = s.operator_id AND (n.at, n.id) > (s.at, s.id)
        ORDER BY n.at, n.id LIMIT 1), greatest(p.until, s.at)) - s.at) AS wrapup_s
    FROM p, operator_state_log s
    WHERE s.state = 'wrapup' AND s.at >= p.t0 AND s.at < p.t1 + interval '1 day'
)"""
_WRAPUP_OF_CALL = (
    " LEFT JOIN wrapups w ON c.outcome = 'answered' AND w.operator_id = c.operator_id"
    " AND w.at = c.ended_at"
)


@dataclass(frozen=True, slots=True)
class QueueInterval:
    """One queue over one interval. Rates and averages are None when nothing counted."""

    start: datetime
    queue: str
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    service_level: float | None
    service_level_target: float
    abandon_rate: float | None
    avg_speed_of_answer_s: float | None
    avg_handle_s: float | None
    avg_talk_s: float | None
    avg_wrapup_s: float | None
    longest_wait_s: float | None
    callbacks: int


async def queue_report(
    conn: DbConnection,
    frame: Frame,
    *,
    service_levels: Mapping[str, float],
    targets: Mapping[str, float],
    wrapups: Mapping[str, float],
    queues: Sequence[str] = (),
) -> list[QueueInterval]:
    """Every interval of ``frame`` for each of ``queues`` and each queue with calls.

    ``wrapups`` (configured ``wrapup_s``) stands in for the measured wrap-up of an
    interval where none was logged, so AHT then agrees with ``queues status``.
    """
    rows = await conn.fetch(
        f"WITH {PARAMS_CTE}{_WRAPUPS}"
        f" SELECT {frame.bucket('c.created_at')} AS bucket, queue_name,"
        + queue_figure_columns("$7::text")
        + ", count(*) FILTER (WHERE outcome = 'callback') AS callbacks,"
        " max(wait_s) AS longest_wait, avg(w.wrapup_s) AS wrapup"
        " FROM p, calls c" + _WRAPUP_OF_CALL + " WHERE " + QUEUE_CALLS
        + " AND c.created_at >= p.t0 AND c.created_at < p.t1 GROUP BY 1, 2",
        *frame.args(),
        # As text: the same query on a bare connection, which has no jsonb codec.
        json.dumps(dict(service_levels)),
    )  # fmt: skip
    by_key = {(row["bucket"], row["queue_name"]): row for row in rows}
    names = sorted(set(queues) | {row["queue_name"] for row in rows})
    result = []
    for bucket in frame.buckets:
        for name in names:
            row = by_key.get((bucket, name))
            result.append(_interval(frame, bucket, name, row, targets, wrapups))
    return result


def _interval(
    frame: Frame,
    bucket: datetime,
    queue: str,
    row: asyncpg.Record | None,
    targets: Mapping[str, float],
    wrapups: Mapping[str, float],
) -> QueueInterval:
    start = frame.period.local(bucket)
    target = targets.get(queue, 0.8)
    if row is None:
        return QueueInterval(
            start=start, queue=queue, offered=0, answered=0, abandoned=0, short_abandoned=0,
            service_level=None, service_level_target=target, abandon_rate=None,
            avg_speed_of_answer_s=None, avg_handle_s=None, avg_talk_s=None,
            avg_wrapup_s=None, longest_wait_s=None, callbacks=0,
        )  # fmt: skip
    figures = queue_figures_of(row)
    wrapup = _float(row["wrapup"])
    return QueueInterval(
        start=start,
        queue=queue,
        offered=figures.offered,
        answered=figures.answered,
        abandoned=figures.abandoned,
        short_abandoned=figures.abandoned_in_sl,
        service_level=figures.service_level,
        service_level_target=target,
        abandon_rate=figures.abandon_rate,
        avg_speed_of_answer_s=figures.avg_speed_of_answer_s,
        avg_handle_s=figures.avg_handle_s(wrapup if wrapup is not None else wrapups.get(queue, 0)),
        avg_talk_s=figures.avg_talk_s,
        avg_wrapup_s=wrapup,
        longest_wait_s=_float(row["longest_wait"]),
        callbacks=row["callbacks"],
    )


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)
