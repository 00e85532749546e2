"""Operator state requests (CLI, dialplan feature codes, HTTP) applied to the core in order.

Requests are rows in ``operator_requests``; a NOTIFY wakes us. Rows made while no
callrouter was running are applied at start. Each gets its result written back, so the
requester can tell "done" from "refused: on a call".
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import asyncpg
import structlog

from callrouter.acd import (
    AcdEvent,
    OperatorLoggedIn,
    OperatorLoggedOut,
    OperatorPaused,
    OperatorState,
    OperatorUnpaused,
)
from callrouter.calls._router import Router
from callrouter.store import DB_ERRORS
from callrouter.store.directory import (
    OPERATOR_REQUESTS_CHANNEL,
    list_operators,
)
from callrouter.store.operator_requests import mark_applied_by_node, pending_for_node

__all__ = ["OperatorRequests", "operator_event", "restore_operator_states"]

log = structlog.get_logger(__name__)

# How often pending requests are looked for even without a NOTIFY.
_POLL_S = 5.0
_CLOCK_MARGIN = timedelta(seconds=60)


def operator_event(router: Router, operator_id: str, action: str, reason: str | None) -> AcdEvent:
    at = router.now()
    if action == "login":
        return OperatorLoggedIn(operator_id, at)
    if action == "logout":
        return OperatorLoggedOut(operator_id, at)
    if action == "pause":
        return OperatorPaused(operator_id, at, reason or "break")
    if action == "unpause":
        return OperatorUnpaused(operator_id, at)
    raise ValueError(f"unknown operator action {action!r}")


def apply_operator_action(router: Router, operator_id: str, action: str, reason: str | None) -> str:
    refused = router.apply(operator_event(router, operator_id, action, reason))
    return "ok" if refused is None else f"refused: {refused}"


async def restore_operator_states(pool: asyncpg.Pool, router: Router) -> None:
    """Bring the core's operators to the states PostgreSQL remembers (a restart must
    not log everybody in or out)."""
    async with pool.acquire() as conn:
        rows = await list_operators(conn)
    snapshot = router.engine.snapshot()
    known = {view.operator_id: view for view in snapshot.operators}
    for row in rows:
        view = known.get(row["id"])
        if view is None:
            continue
        logged_in = view.state is not OperatorState.LOGGED_OUT
        wanted = row["state"]
        if wanted == "logged_out":
            if logged_in:
                router.apply(OperatorLoggedOut(row["id"], router.now()))
            continue
        if not logged_in:
            router.apply(OperatorLoggedIn(row["id"], router.now()))
        if wanted == "paused" and view.state is not OperatorState.PAUSED:
            reason = row["state_reason"] or "break"
            router.apply(OperatorPaused(row["id"], router.now(), reason))


class OperatorRequests:
    """Each node applies every request once (``store.operator_requests``)."""

    def __init__(self, *, pool: asyncpg.Pool, router: Router, node: str) -> None:
        self._pool = pool
        self._router = router
        self._node = node
        # Requests another node applied before this one started are already in the
        # operator states restored at start. The margin covers clocks that disagree
        # between nodes; applying one twice on a node is prevented by the node table,
        # and re-applying a state the node already has is harmless.
        self._started_at = router.now() - _CLOCK_MARGIN
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        """Apply requests until cancelled; a database outage only slows them down."""
        while True:
            try:
                await self._listen_and_apply()
            except DB_ERRORS as exc:
                log.warning("operator_requests_unavailable", error=str(exc))
                await asyncio.sleep(_POLL_S)

    async def _listen_and_apply(self) -> None:
        async with self._pool.acquire() as listener:
            await listener.add_listener(OPERATOR_REQUESTS_CHANNEL, self._notified)
            try:
                while True:
                    self._wakeup.clear()
                    await self.apply_pending()
                    if listener.is_closed():
                        return  # the link dropped: listen again on a fresh connection
                    # A missed NOTIFY (reconnect) is covered by polling now and then.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(_POLL_S):
                            await self._wakeup.wait()
            finally:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(OPERATOR_REQUESTS_CHANNEL, self._notified)

    def _notified(self, *_: object) -> None:
        self._wakeup.set()

    async def apply_pending(self) -> None:
        try:
            async with self._pool.acquire() as conn:
                for request in await pending_for_node(conn, self._node, self._started_at):
                    result = apply_operator_action(
                        self._router, request.operator_id, request.action, request.reason
                    )
                    log.info(
                        "operator_request_applied",
                        operator=request.operator_id,
                        action=request.action,
                        result=result,
                    )
                    await mark_applied_by_node(conn, request.id, self._node, result)
        except DB_ERRORS as exc:
            log.warning("operator_requests_unavailable", error=str(exc))
