"""Operator claims across nodes: one atomic statement each, so two callrouter nodes
sharing PostgreSQL never ring the same operator.

A node claims an operator before ringing them and keeps the claim while the operator is
offered, on the call and in wrap-up; it releases it when its core makes the operator
available, pauses them or logs them out. A claim older than ``STALE_AFTER`` (a node that
died without releasing) may be taken over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from callrouter.store._pool import DbConnection

__all__ = ["STALE_AFTER", "claim_operator", "release_node_claims", "release_operator"]

STALE_AFTER = timedelta(hours=4)


async def claim_operator(conn: DbConnection, operator_id: str, node: str, now: datetime) -> bool:
    claimed = await conn.fetchval(
        "UPDATE operators SET claimed_by = $2, claimed_at = $3"
        " WHERE id = $1 AND (claimed_by IS NULL OR claimed_by = $2 OR claimed_at < $4)"
        " RETURNING true",
        operator_id,
        node,
        now,
        now - STALE_AFTER,
    )
    return bool(claimed)


async def release_operator(conn: DbConnection, operator_id: str, node: str) -> None:
    await conn.execute(
        "UPDATE operators SET claimed_by = NULL, claimed_at = NULL"
        " WHERE id = $1 AND claimed_by = $2",
        operator_id,
        node,
    )


async def release_node_claims(conn: DbConnection, node: str) -> int:
    """At start-up: whatever this node held before a restart is free again."""
    result: str = await conn.execute(
        "UPDATE operators SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = $1", node
    )
    return int(result.split()[-1])
