"""Picking up after a restart or a lost WebSocket.

Asterisk does not buffer events while callrouter is away, so after every (re)connection
the shell compares what Asterisk holds with what it knows:

- a channel we knew that is gone: its hangup was missed; handle it as a hangup now;
- after a restart, a caller still in our application and not bridged: put back in its
  queue under the same call id (its wait so far is lost to the core; the row keeps
  ``queued_at``);
- a caller still bridged with an operator: leave them talking, finish the row when one
  side hangs up, and keep the operator out of routing meanwhile;
- operator legs nobody is waiting for: hang up;
- open call rows of this node whose channels are gone: closed with a final outcome.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import structlog

from callrouter.acd import CallArrived, OperatorPaused, OperatorState, OperatorUnpaused
from callrouter.ari import AriClient, AriError, Bridge, Channel, Resync
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, OperatorLeg, SessionRegistry
from callrouter.calls.stasis import StasisHandlers
from callrouter.store.calls import close_orphaned_calls
from callrouter.store.writer import RecordWriter

__all__ = ["RECOVERED_PAUSE_REASON", "Recovery"]

log = structlog.get_logger(__name__)

RECOVERED_PAUSE_REASON = "recovered-call"
# The sweep waits this long for pending rows; with the database down it is skipped
# (the next reconnect or start sweeps again).
_FLUSH_BEFORE_SWEEP_S = 5.0


class Recovery:
    def __init__(
        self,
        *,
        ari: AriClient,
        pool: asyncpg.Pool,
        router: Router,
        sessions: SessionRegistry,
        handlers: StasisHandlers,
        journal: CallJournal,
        writer: RecordWriter,
        node: str,
    ) -> None:
        self._ari = ari
        self._pool = pool
        self._router = router
        self._sessions = sessions
        self._handlers = handlers
        self._journal = journal
        self._writer = writer
        self._node = node

    async def on_resync(self, resync: Resync) -> None:
        for channel_id in resync.gone_channel_ids:
            self._handlers.channel_gone(channel_id)
        known = self._sessions.known_channel_ids()
        bridges_by_channel = {c: b for b in resync.bridges for c in b.channels}
        for channel in resync.channels:
            if channel.id in known or channel.id not in resync.application.channel_ids:
                continue
            try:
                await self._adopt(channel, bridges_by_channel.get(channel.id))
            except (AriError, asyncpg.PostgresError, OSError) as exc:
                log.error("adopt_failed", channel=channel.id, error=str(exc))
        live = [c.id for c in resync.channels]
        # Rows of hangups handled just above must land before the sweep, or the sweep
        # would close those calls as lost instead of with their real outcome.
        try:
            async with asyncio.timeout(_FLUSH_BEFORE_SWEEP_S):
                await self._writer.flush()
        except TimeoutError:
            log.warning("orphan_sweep_postponed", reason="database writes are behind")
            return
        try:
            async with self._pool.acquire() as conn:
                closed = await close_orphaned_calls(
                    conn, node=self._node, live_channel_ids=live, at=self._router.now()
                )
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("orphan_sweep_failed", error=str(exc))
            return
        if closed:
            log.warning("closed_orphaned_calls", count=len(closed))

    async def _adopt(self, channel: Channel, bridge: Bridge | None) -> None:
        app_data = channel.dialplan.app_data or ""
        if channel.id.startswith("cr-"):
            if bridge is None:
                await self._ari.channels.hangup(channel.id)
            return  # a bridged operator leg is adopted with its caller
        if "inbound" not in app_data.split(","):
            return
        row = await self._open_row(channel.id)
        if bridge is not None and len(bridge.channels) > 1:
            await self._adopt_connected(channel, bridge, row)
            return
        call_id = str(row["id"]) if row else str(uuid.uuid4())
        queue = (row["queue_name"] if row else None) or self._handlers.queue_for(
            [*app_data.split(","), "", "", ""][2], channel.dialplan.exten
        )
        if queue is None:
            await self._ari.channels.hangup(channel.id)
            return
        session = CallSession(
            call_id=call_id,
            caller_channel_id=channel.id,
            queue=queue,
            caller_number=channel.caller.number,
            caller_name=channel.caller.name,
            called_number=channel.dialplan.exten,
            created_at=row["created_at"] if row else self._router.now(),
            priority=row["priority"] if row else 0,
        )
        self._sessions.add(session)
        if row is None:
            self._journal.call_created(session)
        log.info("call_adopted", call_id=call_id, channel=channel.id, queue=queue)
        self._router.apply(
            CallArrived(call_id, queue, self._router.now(), session.priority, session.caller_number)
        )

    async def _open_row(self, channel_id: str) -> asyncpg.Record | None:
        async with self._pool.acquire() as conn:
            row: asyncpg.Record | None = await conn.fetchrow(
                "SELECT id, queue_name, priority, created_at, answered_at FROM calls"
                " WHERE channel_id = $1 AND outcome IS NULL ORDER BY created_at DESC LIMIT 1",
                channel_id,
            )
            return row

    async def _adopt_connected(
        self, channel: Channel, bridge: Bridge, row: asyncpg.Record | None
    ) -> None:
        if row is None:
            return  # not a call we ever logged; leave it to whoever bridged it
        other = next(c for c in bridge.channels if c != channel.id)
        async with self._pool.acquire() as conn:
            operator_id = await conn.fetchval(
                "SELECT operator_id FROM call_events WHERE call_id = $1 AND event = 'CONNECT'"
                " ORDER BY id DESC LIMIT 1",
                row["id"],
            )
        session = CallSession(
            call_id=str(row["id"]),
            caller_channel_id=channel.id,
            queue=row["queue_name"] or "",
            caller_number=channel.caller.number,
            caller_name=channel.caller.name,
            called_number=channel.dialplan.exten,
            created_at=row["created_at"],
            recovered_answered_at=row["answered_at"] or self._router.now(),
        )
        session.bridge_id = bridge.id
        session.operator_id = operator_id
        self._sessions.add(session)
        if operator_id:
            self._sessions.add_leg(OperatorLeg(other, operator_id, session.call_id, "answered"))
            view = next(
                (
                    o
                    for o in self._router.engine.snapshot().operators
                    if o.operator_id == operator_id
                ),
                None,
            )
            if view is not None and view.state is OperatorState.AVAILABLE:
                self._router.apply(
                    OperatorPaused(operator_id, self._router.now(), RECOVERED_PAUSE_REASON)
                )
        log.info("connected_call_adopted", call_id=session.call_id, operator=operator_id)

    def finish_recovered(self, session: CallSession) -> None:
        """A call adopted mid-conversation ended: its row is finished here, not by the core."""
        now = self._router.now()
        answered = session.recovered_answered_at or now
        self._journal.call_update(
            session,
            outcome="answered",
            ended_at=now,
            talk_s=round((now - answered).total_seconds(), 3),
        )
        operator_id = session.operator_id
        if operator_id:
            view = next(
                (
                    o
                    for o in self._router.engine.snapshot().operators
                    if o.operator_id == operator_id
                ),
                None,
            )
            if view is not None and view.pause_reason == RECOVERED_PAUSE_REASON:
                self._router.apply(OperatorUnpaused(operator_id, now))
