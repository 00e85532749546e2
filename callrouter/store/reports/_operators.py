"""Operators by interval: calls handled, time in each state, pauses by reason, occupancy.

Time comes from ``operator_state_log``: each row's state lasts until the operator's next
row (or the period's end, or now). The state an operator was in when the period began
counts from its start, and a state running across intervals is split between them at
their boundaries, in the database, so a DST day is cut by its real length. Occupancy is
``queues status``'s (:data:`callrouter.store.occupancy.BUSY_STATE` over logged-in time).

Calls handled are the calls an operator talked on (outcome ``answered``, inbound or
outbound), in the interval they were answered in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from callrouter.store._pool import DbConnection
from callrouter.store.occupancy import BUSY_STATE
from callrouter.store.reports._frame import PARAMS_CTE, Frame

__all__ = ["OperatorInterval", "StateSeconds", "operator_report", "state_seconds"]


@dataclass(frozen=True, slots=True)
class StateSeconds:
    """Seconds one operator spent in one state (and pause reason) in one interval."""

    bucket: datetime
    operator_id: str
    state: str
    reason: str
    busy: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class OperatorInterval:
    start: datetime
    operator: str
    calls_handled: int
    logged_in_s: float
    available_s: float
    ringing_s: float
    talk_s: float
    wrapup_s: float
    paused_s: float
    pause_by_reason: dict[str, float] = field(default_factory=dict)
    occupancy: float | None = None


def _spans_sql(frame: Frame) -> str:
    return f"""
WITH {PARAMS_CTE},
opening AS (  -- each operator's state when the period began
    SELECT l.operator_id, l.state, l.reason, l.at, l.id
    FROM p, operators o CROSS JOIN LATERAL (
        SELECT x.operator_id, x.state, x.reason, x.at, x.id FROM operator_state_log x
        WHERE x.operator_id = o.id AND x.at < p.t0 ORDER BY x.at DESC, x.id DESC LIMIT 1
    ) l
),
changes AS (
    SELECT operator_id, state, reason, at, id FROM opening
    UNION ALL
    SELECT x.operator_id, x.state, x.reason, x.at, x.id
    FROM p, operator_state_log x WHERE x.at >= p.t0 AND x.at < p.until
),
spans AS (
    SELECT c.operator_id, c.state, c.reason, greatest(c.at, p.t0) AS start_at,
           coalesce(lead(c.at) OVER (PARTITION BY c.operator_id ORDER BY c.at, c.id), p.until)
               AS end_at
    FROM p, changes c
)
SELECT b.bucket, s.operator_id, s.state, coalesce(s.reason, '') AS reason,
       {BUSY_STATE} AS busy,
       sum(extract(epoch FROM least(s.end_at, date_add(b.bucket, p.step, p.zone))
                              - greatest(s.start_at, b.bucket))) AS seconds
FROM p, spans s
CROSS JOIN LATERAL generate_series({frame.bucket("s.start_at")},
                                   s.end_at - interval '1 microsecond', p.step, p.zone) b(bucket)
WHERE s.end_at > s.start_at AND s.state <> 'logged_out'
GROUP BY 1, 2, 3, 4, 5
"""


async def state_seconds(conn: DbConnection, frame: Frame) -> list[StateSeconds]:
    """Logged-in time of every operator, by interval, state and pause reason."""
    rows = await conn.fetch(_spans_sql(frame), *frame.args())
    return [
        StateSeconds(
            bucket=r["bucket"],
            operator_id=r["operator_id"],
            state=r["state"],
            reason=r["reason"],
            busy=r["busy"],
            seconds=float(r["seconds"]),
        )
        for r in rows
    ]


async def operator_report(
    conn: DbConnection, frame: Frame, *, operators: Sequence[str] = ()
) -> list[OperatorInterval]:
    """Every interval of ``frame`` for each of ``operators`` and each operator who was
    logged in or handled a call during the period."""
    pieces = await state_seconds(conn, frame)
    handled_rows = await conn.fetch(
        f"WITH {PARAMS_CTE} SELECT {frame.bucket('c.answered_at')} AS bucket, c.operator_id,"
        " count(*) AS handled FROM p, calls c WHERE c.outcome = 'answered'"
        " AND c.operator_id IS NOT NULL AND c.answered_at >= p.t0 AND c.answered_at < p.t1"
        " GROUP BY 1, 2",
        *frame.args(),
    )
    handled = {(r["bucket"], r["operator_id"]): int(r["handled"]) for r in handled_rows}
    return assemble_operator_intervals(frame, pieces, handled, operators)


def assemble_operator_intervals(
    frame: Frame,
    pieces: Sequence[StateSeconds],
    handled: Mapping[tuple[datetime, str], int],
    operators: Sequence[str],
) -> list[OperatorInterval]:
    """Pure: one row per interval and operator from the state seconds and calls."""
    by_key: dict[tuple[datetime, str], list[StateSeconds]] = defaultdict(list)
    for piece in pieces:
        by_key[(piece.bucket, piece.operator_id)].append(piece)
    names = sorted(set(operators) | {k[1] for k in by_key} | {k[1] for k in handled})
    result = []
    for bucket in frame.buckets:
        for name in names:
            own = by_key.get((bucket, name), [])
            calls = handled.get((bucket, name), 0)
            result.append(_interval(frame.period.local(bucket), name, own, calls))
    return result


def _interval(
    start: datetime,
    operator: str,
    pieces: Sequence[StateSeconds],
    calls_handled: int,
) -> OperatorInterval:
    seconds: dict[str, float] = defaultdict(float)
    pauses: dict[str, float] = defaultdict(float)
    busy = 0.0
    for piece in pieces:
        seconds[piece.state] += piece.seconds
        if piece.state == "paused":
            pauses[piece.reason or "none"] += piece.seconds
        busy += piece.seconds if piece.busy else 0.0
    logged_in = sum(seconds.values())
    return OperatorInterval(
        start=start,
        operator=operator,
        calls_handled=calls_handled,
        logged_in_s=round(logged_in, 3),
        available_s=round(seconds["available"], 3),
        ringing_s=round(seconds["offered"], 3),
        talk_s=round(seconds["on_call"], 3),
        wrapup_s=round(seconds["wrapup"], 3),
        paused_s=round(seconds["paused"], 3),
        pause_by_reason={reason: round(s, 3) for reason, s in sorted(pauses.items())},
        occupancy=busy / logged_in if logged_in > 0 else None,
    )
