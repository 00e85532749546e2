"""Operator requests as each node sees them: applied by every node once.

A request (CLI, dialplan feature code, HTTP) changes an operator's state in every
node's routing core: a pause seen by one node only would leave the others ringing the
paused operator. Each node therefore applies every request it has not applied yet and
records that in ``operator_request_nodes``. Requests that another node applied before
this node started are not replayed: the start restores operator states from the
``operators`` table, which already holds their effect.
"""

from __future__ import annotations

from datetime import datetime

from callrouter.store._pool import DbConnection
from callrouter.store.directory import OperatorRequest

__all__ = ["mark_applied_by_node", "pending_for_node"]


async def pending_for_node(
    conn: DbConnection, node: str, started_at: datetime
) -> list[OperatorRequest]:
    rows = await conn.fetch(
        "SELECT r.id, r.operator_id, r.action, r.reason, r.requested_at"
        " FROM operator_requests r"
        " WHERE (r.applied_at IS NULL OR r.applied_at >= $2)"
        " AND NOT EXISTS (SELECT 1 FROM operator_request_nodes n"
        "                 WHERE n.request_id = r.id AND n.node = $1)"
        " ORDER BY r.id",
        node,
        started_at,
    )
    return [OperatorRequest(**dict(row)) for row in rows]


async def mark_applied_by_node(
    conn: DbConnection, request_id: int, node: str, result: str
) -> None:
    """Record this node's application; the requester's answer comes from the node that
    holds the operator's claim, else from the first node to apply it."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO operator_request_nodes (request_id, node, result) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            request_id,
            node,
            result,
        )
        await conn.execute(
            "UPDATE operator_requests r SET applied_at = now(), result = $3"
            " WHERE r.id = $1 AND (r.applied_at IS NULL OR EXISTS ("
            "   SELECT 1 FROM operators o WHERE o.id = r.operator_id AND o.claimed_by = $2))",
            request_id,
            node,
            result,
        )
