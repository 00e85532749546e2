"""Reading the call log: lists, one call in full, queue_log export, daily queue figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from callrouter.errors import InvalidInput, NotFound
from callrouter.store._pool import DbConnection
from callrouter.store.queue_log import format_queue_log_line

__all__ = [
    "QUEUE_CALLS",
    "CallDetail",
    "QueueFigures",
    "close_orphaned_calls",
    "get_call",
    "iter_queue_log",
    "list_calls",
    "live_call_count",
    "live_calls",
    "queue_figure_columns",
    "queue_figures",
    "queue_figures_of",
    "service_level_threshold",
    "waiting_callers",
]

_CALL_LIST_COLUMNS = (
    "id, direction, caller_number, caller_name, called_number, queue_name, operator_id,"
    " created_at, answered_at, ended_at, wait_s, talk_s, outcome, hangup_cause"
)


async def list_calls(
    conn: DbConnection,
    *,
    limit: int = 50,
    queue: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_CALL_LIST_COLUMNS} FROM calls"
        " WHERE ($1::text IS NULL OR queue_name = $1)"
        " AND ($2::text IS NULL OR outcome = $2)"
        " AND ($3::timestamptz IS NULL OR created_at >= $3)"
        " ORDER BY created_at DESC LIMIT $4",
        queue,
        outcome,
        since,
        limit,
    )


async def live_calls(conn: DbConnection, *, node: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, channel_id, direction, queue_name, created_at FROM calls"
        " WHERE outcome IS NULL AND ($1::text IS NULL OR node = $1) ORDER BY created_at",
        node,
    )


@dataclass(frozen=True, slots=True)
class CallDetail:
    call: asyncpg.Record
    events: Sequence[asyncpg.Record]
    recordings: Sequence[asyncpg.Record]


async def get_call(conn: DbConnection, ident: str) -> CallDetail:
    """One call by its id, an unambiguous id prefix, or its Asterisk channel id."""
    # A prefix match only for what can be a UUID prefix: no LIKE wildcard can get in.
    prefix = ident.strip().lower() if _looks_like_uuid_prefix(ident) else None
    rows = await conn.fetch(
        "SELECT * FROM calls WHERE ($1::text IS NOT NULL AND starts_with(id::text, $1))"
        " OR channel_id = $2 LIMIT 2",
        prefix,
        ident,
    )
    if not rows:
        raise NotFound(f"no call {ident!r}")
    if len(rows) > 1:
        raise InvalidInput(f"{ident!r} matches more than one call; give more of the id")
    call = rows[0]
    events = await conn.fetch(
        "SELECT at, event, queue_name, operator_id, data FROM call_events"
        " WHERE call_id = $1 ORDER BY id",
        call["id"],
    )
    recordings = await conn.fetch(
        "SELECT name, format, state, started_at, ended_at, duration_s, size_bytes, error"
        " FROM recordings WHERE call_id = $1 ORDER BY started_at",
        call["id"],
    )
    return CallDetail(call, events, recordings)


def _looks_like_uuid_prefix(ident: str) -> bool:
    return bool(ident) and all(c in "0123456789abcdefABCDEF-" for c in ident)


# An operator's state change as app_queue's member lines; other changes (offered, on a
# call, wrap-up) have no line of their own in queue_log.
_OPERATOR_VERB = (
    "(CASE WHEN old_state = 'logged_out' AND state <> 'logged_out' THEN 'ADDMEMBER'"
    " WHEN state = 'logged_out' AND old_state IS DISTINCT FROM 'logged_out'"
    "  THEN 'REMOVEMEMBER'"
    " WHEN state = 'paused' AND old_state IS DISTINCT FROM 'paused' THEN 'PAUSE'"
    " WHEN old_state = 'paused' AND state <> 'paused' THEN 'UNPAUSE' END)"
)


async def iter_queue_log(
    conn: DbConnection, *, since: datetime | None = None, until: datetime | None = None
) -> AsyncIterator[str]:
    # A cursor, so exporting a year of events does not hold it all in memory. Operators'
    # own lines (login, pause, ...) come from their state log, in time order with the
    # calls' lines, as app_queue interleaves them.
    async with conn.transaction():
        cursor = conn.cursor(
            "SELECT call_id::text AS call_id, at, event, queue_name, operator_id, data,"
            "  0 AS source, id FROM call_events"
            " WHERE ($1::timestamptz IS NULL OR at >= $1)"
            " AND ($2::timestamptz IS NULL OR at < $2)"
            " UNION ALL"
            " SELECT 'NONE', at, " + _OPERATOR_VERB + ", NULL, operator_id,"
            "  jsonb_build_object('reason', coalesce(reason, '')), 1, id"
            " FROM operator_state_log"
            " WHERE ($1::timestamptz IS NULL OR at >= $1)"
            " AND ($2::timestamptz IS NULL OR at < $2) AND " + _OPERATOR_VERB + " IS NOT NULL"
            " ORDER BY at, source, id",
            since,
            until,
        )
        async for row in cursor:
            yield format_queue_log_line(
                at=row["at"],
                call_id=row["call_id"],
                queue=row["queue_name"],
                agent=row["operator_id"],
                event=row["event"],
                data=row["data"] or {},
            )


# Answered for the caller means bridged with the operator (CONNECT), not merely that the
# operator picked up: a crash between the two leaves a caller who never talked.
_BRIDGED = (
    "(answered_at IS NOT NULL AND EXISTS (SELECT 1 FROM call_events e"
    " WHERE e.call_id = calls.id AND e.event = 'CONNECT'))"
)


async def close_orphaned_calls(
    conn: DbConnection, *, node: str, live_channel_ids: Sequence[str], at: datetime
) -> list[asyncpg.Record]:
    """Give a final row to every open call of this node whose channel no longer exists.

    Runs at start-up and after each ARI reconnect: whatever crashed or disconnected in
    between, a call that entered callrouter ends with a final row, and its queue_log
    ends as report tools expect: COMPLETECALLER for a call that was bridged (the hangup came
    while callrouter was away, so who hung up is unknown), ABANDON for a caller who was
    still waiting (callrouter never hangs up on a waiting caller). Its end is the sweep's
    time, the first moment callrouter knew. Returns the closed rows (for the CRM).
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "WITH closed AS ("
        " UPDATE calls SET"
        "  ended_at = greatest($3, created_at),"
        "  outcome = CASE WHEN " + _BRIDGED + " THEN 'answered' ELSE 'lost' END,"
        "  wait_s = round(extract(epoch FROM CASE WHEN " + _BRIDGED + " THEN answered_at"
        "    ELSE greatest($3, created_at) END - coalesce(queued_at, created_at))::numeric, 3),"
        "  talk_s = CASE WHEN " + _BRIDGED + " THEN"
        "    round(extract(epoch FROM greatest($3, created_at) - answered_at)::numeric, 3) END,"
        "  hangup_cause_txt = coalesce(hangup_cause_txt, 'channel gone while callrouter was away')"
        " WHERE outcome IS NULL AND node = $1"
        " AND (channel_id IS NULL OR NOT (channel_id = ANY($2::text[])))"
        " RETURNING *),"
        " logged AS ("
        " INSERT INTO call_events (call_id, at, event, queue_name, operator_id, data)"
        " SELECT id, ended_at,"
        "  CASE WHEN outcome = 'answered' THEN 'COMPLETECALLER' ELSE 'ABANDON' END,"
        "  queue_name, operator_id,"
        "  CASE WHEN outcome = 'answered' THEN jsonb_build_object('holdtime', round(wait_s),"
        "    'calltime', round(talk_s), 'origposition', 1)"
        "  ELSE jsonb_build_object('position', 1, 'origposition', 1,"
        "    'waittime', round(wait_s)) END"
        " FROM closed WHERE queue_name IS NOT NULL AND direction = 'inbound'"
        "  AND (outcome = 'answered' OR queued_at IS NOT NULL))"
        " SELECT * FROM closed",
        node,
        list(live_channel_ids),
        at,
    )
    return rows


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """A queue's figures over a period.

    Service level, as contact-center reporting tools define it with short abandons
    excluded: calls answered within the queue's ``service_level_s`` divided by the calls
    offered less those abandoned within ``service_level_s`` (a caller who hung up before
    the threshold was never failed by the center). Average speed of answer (ASA) is the
    mean wait of answered calls; average handle time (AHT) is their mean talk time plus
    the queue's wrap-up time.
    """

    queue: str
    offered: int
    answered: int
    abandoned: int
    answered_in_sl: int
    avg_speed_of_answer_s: float | None
    abandoned_in_sl: int = 0
    avg_talk_s: float | None = None

    @property
    def service_level(self) -> float | None:
        counted = self.offered - self.abandoned_in_sl
        return self.answered_in_sl / counted if counted > 0 else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    def avg_handle_s(self, wrapup_s: float) -> float | None:
        return None if self.avg_talk_s is None else self.avg_talk_s + wrapup_s


# The calls a queue's figures count: inbound calls of a queue that have ended.
QUEUE_CALLS = "direction = 'inbound' AND queue_name IS NOT NULL AND outcome IS NOT NULL"


def service_level_threshold(service_levels: str) -> str:
    """SQL for the queue's ``service_level_s`` (20 when not configured), from the jsonb
    ``{queue: service_level_s}`` at the placeholder ``service_levels``."""
    return f"coalesce(({service_levels}::jsonb ->> queue_name)::numeric, 20)"


# The threshold at $2 (store/wallboard.py reads it; new code takes queue_figure_columns).
_THRESHOLD = service_level_threshold("$2")


def queue_figure_columns(service_levels: str) -> str:
    """The select list :func:`queue_figures_of` reads, aggregated over :data:`QUEUE_CALLS`.

    One definition for ``queues status`` (today) and the interval reports (per interval),
    so the two can never count differently. ``service_levels`` is the placeholder of a
    jsonb ``{queue: service_level_s}``; a queue missing from it counts 20 s.
    """
    threshold = service_level_threshold(service_levels)
    return (
        " count(*) AS offered,"
        " count(*) FILTER (WHERE outcome = 'answered') AS answered,"
        " count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,"
        f" count(*) FILTER (WHERE outcome = 'answered' AND wait_s <= {threshold})"
        "   AS answered_in_sl,"
        f" count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s <= {threshold})"
        "   AS abandoned_in_sl,"
        " avg(wait_s) FILTER (WHERE outcome = 'answered') AS asa,"
        " avg(talk_s) FILTER (WHERE outcome = 'answered') AS talk"
    )


def queue_figures_of(row: asyncpg.Record) -> QueueFigures:
    """A row of :func:`queue_figure_columns` (plus its ``queue_name``) as figures."""
    return QueueFigures(
        queue=row["queue_name"],
        offered=row["offered"],
        answered=row["answered"],
        abandoned=row["abandoned"],
        answered_in_sl=row["answered_in_sl"],
        abandoned_in_sl=row["abandoned_in_sl"],
        avg_speed_of_answer_s=float(row["asa"]) if row["asa"] is not None else None,
        avg_talk_s=float(row["talk"]) if row["talk"] is not None else None,
    )


async def queue_figures(
    conn: DbConnection, *, since: datetime, service_levels: dict[str, float]
) -> list[QueueFigures]:
    """Figures per queue of the calls that entered since ``since`` and have ended."""
    rows = await conn.fetch(
        "SELECT queue_name,"
        + queue_figure_columns("$2")
        + " FROM calls WHERE "
        + QUEUE_CALLS
        + " AND created_at >= $1 GROUP BY queue_name ORDER BY queue_name",
        since,
        service_levels,
    )
    return [queue_figures_of(row) for row in rows]


async def live_call_count(conn: DbConnection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM calls WHERE outcome IS NULL")
    return count


async def waiting_callers(conn: DbConnection) -> list[asyncpg.Record]:
    """Callers in a queue now, longest waiting first."""
    return await conn.fetch(
        "SELECT queue_name, id, caller_number, queued_at FROM calls"
        " WHERE outcome IS NULL AND queued_at IS NOT NULL AND answered_at IS NULL"
        " ORDER BY queued_at"
    )
