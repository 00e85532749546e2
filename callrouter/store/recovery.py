"""What recovery asks the database: the open rows of the channels Asterisk still holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callrouter.store._pool import DbConnection

__all__ = ["OpenRow", "open_rows_for_channels"]


@dataclass(frozen=True, slots=True)
class OpenRow:
    """The part of an open ``calls`` row recovery needs."""

    call_id: str
    queue: str | None
    priority: int
    created_at: datetime
    queued_at: datetime | None
    answered_at: datetime | None
    offered_at: datetime | None
    operator_id: str | None  # from the row, else its last CONNECT event
    connected: bool = False  # its CONNECT reached the event log
    # The call's newest recording still running or paused (a transferred call's is
    # part 2 or later), and how many parts it has had.
    recording_name: str | None = None
    recording_paused: bool = False
    recording_parts: int = 0


async def open_rows_for_channels(
    conn: DbConnection, channel_ids: list[str], *, node: str
) -> dict[str, OpenRow]:
    """The newest open row of each channel of ``node``, in one round trip. Channel ids
    are unique per Asterisk only: two nodes' Asterisks may both have a ``1796457718.0``."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (c.channel_id) c.channel_id, c.id, c.queue_name, c.priority,"
        " c.created_at, c.queued_at, c.answered_at, c.offered_at,"
        " coalesce(c.operator_id, (SELECT e.operator_id FROM call_events e"
        "   WHERE e.call_id = c.id AND e.event = 'CONNECT' ORDER BY e.id DESC LIMIT 1))"
        "   AS operator_id,"
        " EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.event = 'CONNECT')"
        "   AS connected,"
        " live.name AS recording_name, live.state AS recording_state,"
        " (SELECT count(*) FROM recordings r WHERE r.call_id = c.id) AS recording_parts"
        " FROM calls c"
        " LEFT JOIN LATERAL (SELECT r.name, r.state FROM recordings r WHERE r.call_id = c.id"
        "   AND r.state IN ('recording', 'paused') ORDER BY r.started_at DESC, r.id DESC"
        "   LIMIT 1) live ON true"
        " WHERE c.channel_id = ANY($1::text[]) AND c.outcome IS NULL"
        " AND c.node = $2"
        " ORDER BY c.channel_id, c.created_at DESC",
        channel_ids,
        node,
    )
    return {
        r["channel_id"]: OpenRow(
            call_id=str(r["id"]),
            queue=r["queue_name"],
            priority=r["priority"] or 0,
            created_at=r["created_at"],
            queued_at=r["queued_at"],
            answered_at=r["answered_at"],
            offered_at=r["offered_at"],
            operator_id=r["operator_id"],
            connected=r["connected"],
            recording_name=r["recording_name"],
            recording_paused=r["recording_state"] == "paused",
            recording_parts=r["recording_parts"],
        )
        for r in rows
    }
