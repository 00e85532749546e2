"""Picking up after a restart or a lost WebSocket: one rebuild, then routing.

Asterisk does not buffer events while callrouter is away, so after every (re)connection
(the ARI client dispatches no new event until this is done):

1. hangups missed in the gap are handled as hangups now;
2. everything is read first: the channels and bridges Asterisk lists, and the open rows
   of those channels (one query);
3. :func:`callrouter.calls._adoption.plan_adoption` decides, purely, what each unknown
   channel is: a caller still waiting (keeps its call id, queue time and priority), a
   call still connected (keeps its operator busy, ends as any call does, with the same
   rows and queue_log lines), or a leg nobody owns (hung up);
4. the orphan legs are hung up, and only then the calls are given to the core in one
   ``CallsRestored`` event: busy operators are out of routing before any waiting call
   is routed, whatever order Asterisk listed them in;
5. call control left over (the planner decides): a caller held for a consultation is
   taken off hold and back to the operator, the consulted leg, snoops and supervisors'
   phones are hung up, monitor bridges destroyed, reserved operators freed;
6. open rows of this node whose channels are gone are closed with a final outcome, and
   its open ``call_monitoring`` rows but those of monitorings still running.

``ready`` is set after the first pass: the dialer and the other producers of work wait
for it, so nothing is decided on a half-known state.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Protocol

import asyncpg
import structlog

from callrouter.acd import (
    CONSULT_REASON,
    CallCompleted,
    CallsRestored,
    ConnectCall,
    OperatorState,
    OperatorUnpaused,
    RestoredCall,
)
from callrouter.ari import AriClient, AriError, Resync
from callrouter.calls._adoption import AdoptedCall, plan_adoption
from callrouter.calls._claims import OperatorClaims
from callrouter.calls._journal import CallJournal
from callrouter.calls._quietly import quietly
from callrouter.calls._router import Router
from callrouter.calls._sessions import (
    CallSession,
    OperatorLeg,
    SessionRegistry,
    recording_part_name,
)
from callrouter.config import Settings
from callrouter.legs import OperatorLegState
from callrouter.store import DB_ERRORS
from callrouter.store.call_monitoring import close_stale_monitoring
from callrouter.store.calls import close_orphaned_calls
from callrouter.store.recovery import OpenRow, open_rows_for_channels
from callrouter.store.writer import RecordWriter

__all__ = ["Recovery"]

log = structlog.get_logger(__name__)

# The bridge ``_actions`` makes for a call: cr-<call id>.
_CALL_BRIDGE = re.compile(r"cr-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")

# The sweep waits this long for pending rows; with the database down it is skipped
# (the next reconnect or start sweeps again).
_FLUSH_BEFORE_SWEEP_S = 5.0


class CallControlState(Protocol):
    """What transfers and monitoring hold live (``calls._call_control``): after a mere
    WebSocket gap their channels are theirs still, not orphans to hang up."""

    def channel_ids(self) -> set[str]: ...

    def consulted_operators(self) -> set[str]: ...

    def monitoring_rows(self) -> list[int]: ...


class Recovery:
    def __init__(
        self,
        *,
        ari: AriClient,
        pool: asyncpg.Pool,
        router: Router,
        sessions: SessionRegistry,
        channel_gone: Callable[[str], None],
        queue_for: Callable[[str, str], str | None],
        settings: Callable[[], Settings],
        journal: CallJournal,
        writer: RecordWriter,
        node: str,
        claims: OperatorClaims | None = None,
        call_control: CallControlState | None = None,
    ) -> None:
        self._ari = ari
        self._pool = pool
        self._router = router
        self._sessions = sessions
        self._channel_gone = channel_gone
        self._queue_for = queue_for
        self._settings = settings
        self._journal = journal
        self._writer = writer
        self._node = node
        self._claims = claims
        self._call_control = call_control
        self.ready = asyncio.Event()

    async def on_resync(self, resync: Resync) -> None:
        try:
            for channel_id in resync.gone_channel_ids:
                self._channel_gone(channel_id)
            await self._rebuild(resync)
        finally:
            self.ready.set()
        await self._sweep([c.id for c in resync.channels])
        # One line a sysadmin (and the fault suite) can find: routing decides from here.
        log.info("recovery_done", reconnect=resync.reconnect, channels=len(resync.channels))

    async def _rebuild(self, resync: Resync) -> None:
        await self._destroy_empty_bridges(resync)
        known = self._sessions.known_channel_ids() | self._journal.finished_channel_ids()
        if self._call_control is not None:
            known |= self._call_control.channel_ids()
        unknown = [c.id for c in resync.channels if c.id not in known]
        reserved = self._reserved_for_no_consult()
        if not unknown and not reserved:
            return
        rows = await self._open_rows(unknown) if unknown else {}
        settings = self._settings()
        plan = plan_adoption(
            channels=resync.channels,
            bridges=resync.bridges,
            in_application=set(resync.application.channel_ids),
            known=known,
            rows=rows,
            operators={op_id: tuple(op.queues) for op_id, op in settings.operators.items()},
            queue_for=self._queue_for,
            now=self._router.now(),
            reserved=reserved,
        )
        # Orphan legs go first: a phone still ringing for a call the core is about to
        # route afresh must stop before anything can ring it again.
        await asyncio.gather(*(self._hangup(channel_id) for channel_id in plan.hangup))
        await asyncio.gather(*(
            quietly("destroy monitor bridge", self._ari.bridges.destroy(bridge_id))
            for bridge_id in plan.destroy_bridges
        ))  # fmt: skip
        for operator_id in plan.released:
            log.info("consult_reservation_released", operator=operator_id)
            self._router.apply(OperatorUnpaused(operator_id, self._router.now()))
        for channel_id in plan.left_alone:
            log.warning("channel_left_alone", channel=channel_id, reason="unknown operator")
        if not plan.calls:
            return
        if self._claims is not None:
            await asyncio.gather(
                *(self._claims.claim(c.operator_id) for c in plan.connected if c.operator_id)
            )
        restored = [self._session_for(call, plan.to_connect) for call in plan.calls]
        refused = self._router.apply(CallsRestored(tuple(restored), self._router.now()))
        if refused is not None:
            log.error("restore_refused", reason=refused)
            return
        for call in plan.calls:
            if call.call_id in plan.to_connect and call.operator_id is not None:
                # The operator answered just before the crash: bridge them as the core
                # had decided (the executor logs CONNECT and starts the recording).
                waited = (self._router.now() - call.queued_at).total_seconds()
                recording = self._router.engine.recording_policy(call.call_id)
                self._router.dispatch(
                    [ConnectCall(call.call_id, call.operator_id, max(0.0, waited), recording)]
                )
        await asyncio.gather(*(
            self._return_held_caller(call) for call in plan.calls
            if call.call_id in plan.returned
        ))  # fmt: skip
        for call_id in plan.operator_left:
            # The operator's BYE came while we were away: end the call as we would have.
            session = self._sessions.get(call_id)
            if session is not None:
                session.ended_by = "operator"
                self._router.apply(CallCompleted(call_id, self._router.now()))
        log.info(
            "calls_restored",
            waiting=len(plan.waiting),
            connected=len(plan.connected),
            operator_left=len(plan.operator_left),
            returned_from_consult=len(plan.returned),
            hung_up=len(plan.hangup),
        )

    def _reserved_for_no_consult(self) -> set[str]:
        """Operators the core holds paused for a consultation (their state survives a
        restart) that no consultation in progress holds any more."""
        consulting = self._call_control.consulted_operators() if self._call_control else set()
        return {
            op.operator_id
            for op in self._router.engine.snapshot().operators
            if op.state is OperatorState.PAUSED
            and op.pause_reason == CONSULT_REASON
            and op.operator_id not in consulting
        }

    async def _return_held_caller(self, call: AdoptedCall) -> None:
        """Back from the hold of a consultation the restart cut short (as
        ``CallTransfers`` returns a caller: music off, hold off, into the bridge)."""
        channel = call.channel.id
        await quietly("moh stop", self._ari.channels.stop_moh(channel))
        await quietly("unhold", self._ari.channels.unhold(channel))
        if call.bridge_id is not None:
            await quietly("rejoin bridge", self._ari.bridges.add_channel(call.bridge_id, channel))
        log.info("consult_ended_by_restart", call_id=call.call_id, operator=call.operator_id)

    def _session_for(self, call: AdoptedCall, to_connect: list[str]) -> RestoredCall:
        channel = call.channel
        session = CallSession(
            call_id=call.call_id,
            caller_channel_id=channel.id,
            queue=call.queue,
            caller_number=channel.caller.number,
            caller_name=channel.caller.name,
            called_number=channel.dialplan.exten,
            created_at=call.arrived_at,
            priority=call.priority,
        )
        session.queued = True
        self._sessions.add(session)
        if not call.has_row:
            self._journal.call_created(session)
        if not call.queue_logged:
            # The crash came before the caller's hold was carried out: log it now, at
            # the time it happened, so the queue_log is whole.
            self._journal.call_update(session, queued_at=call.queued_at, queue_name=call.queue)
            self._journal.event(
                session, call.queued_at, "ENTERQUEUE", queue=call.queue, url="",
                caller_id=session.caller_number, position=1,
            )  # fmt: skip
        if call.operator_id is not None and call.bridge_id is not None:
            session.operator_id = call.operator_id
            session.bridge_id = call.bridge_id
            session.bridged = True
            if call.has_row:
                # The part running now (a transferred call's is part 2 or later).
                session.recording_name = call.recording_name
                session.recording_paused = call.recording_paused
                session.recording_parts = call.recording_parts
            else:  # its rows never landed, nor its recording's: the first part's name
                session.recording_name = recording_part_name(
                    call.call_id, 1, tenant=self._journal.tenant(session)
                )
                session.recording_parts = 1
            if not call.connect_logged:
                # Bridged just before the crash, before its CONNECT was logged.
                at = call.answered_at or self._router.now()
                self._journal.event(
                    session, at, "CONNECT", operator_id=call.operator_id,
                    holdtime=round((at - call.queued_at).total_seconds()),
                    bridged_channel=call.operator_channel_id or "", ringtime=0,
                )  # fmt: skip
                # Its call.answered was due at the same moment, and lost the same way.
                self._journal.crm.answered(session, call.operator_id, at)
        elif call.operator_id is None or call.call_id in to_connect:
            # Alone in Stasis: its music may still play (stopped before any bridge).
            session.on_hold = True
        if call.operator_id is not None and call.operator_channel_id is not None:
            self._sessions.add_leg(
                OperatorLeg(
                    call.operator_channel_id,
                    call.operator_id,
                    call.call_id,
                    OperatorLegState.ANSWERED,
                )
            )
        log.info(
            "call_adopted",
            call_id=call.call_id,
            channel=channel.id,
            queue=call.queue,
            operator=call.operator_id,
        )
        return RestoredCall(
            call_id=call.call_id,
            queue=call.queue,
            queued_at=call.queued_at,
            arrived_at=call.arrived_at,
            priority=call.priority,
            caller_number=channel.caller.number,
            operator_id=call.operator_id,
            answered_at=call.answered_at,
            offered_at=call.offered_at,
        )

    async def _open_rows(self, channel_ids: list[str]) -> dict[str, OpenRow]:
        try:
            async with self._pool.acquire() as conn:
                return await open_rows_for_channels(conn, channel_ids, node=self._node)
        except DB_ERRORS as exc:
            # Asterisk still says who talks to whom; only queue times are lost.
            log.warning("recovery_rows_unavailable", error=str(exc))
            return {}

    async def _destroy_empty_bridges(self, resync: Resync) -> None:
        """A call's bridge is made while its operator rings (``_actions``): one left
        empty by a crash or a missed hangup is destroyed, unless its call is still ours
        (a WebSocket gap, its operator still ringing). A restored caller gets a new one."""
        stale = [
            bridge.id
            for bridge in resync.bridges
            if not bridge.channels
            and (found := _CALL_BRIDGE.fullmatch(bridge.id)) is not None
            and self._sessions.get(found.group(1)) is None
        ]
        for bridge_id in stale:
            try:
                await self._ari.bridges.destroy(bridge_id)
            except AriError as exc:
                log.info("empty_bridge_destroy_refused", bridge=bridge_id, error=str(exc))

    async def _hangup(self, channel_id: str) -> None:
        try:
            await self._ari.channels.hangup(channel_id)
        except AriError as exc:
            log.info("orphan_hangup_refused", channel=channel_id, error=str(exc))

    async def _sweep(self, live_channel_ids: list[str]) -> None:
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
                    conn, node=self._node, live_channel_ids=live_channel_ids,
                    at=self._router.now(),
                )  # fmt: skip
        except DB_ERRORS as exc:
            log.warning("orphan_sweep_failed", error=str(exc))
            return
        if closed:
            log.warning("closed_orphaned_calls", count=len(closed))
        for row in closed:
            self._journal.crm.swept(dict(row))
        await self._close_stale_monitoring()

    async def _close_stale_monitoring(self) -> None:
        live = self._call_control.monitoring_rows() if self._call_control else []
        try:
            async with self._pool.acquire() as conn:
                closed = await close_stale_monitoring(
                    conn, node=self._node, live_row_ids=live, at=self._router.now()
                )
        except DB_ERRORS as exc:
            log.warning("monitoring_sweep_failed", error=str(exc))
            return
        if closed:
            log.info("closed_stale_monitoring", count=closed)
