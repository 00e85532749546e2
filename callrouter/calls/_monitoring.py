"""Supervisor monitoring's shell: listen, whisper and barge on a live call over ARI.

What each mode does to the audio is ``legs.SNOOP_OF_MODE`` and its lifecycle
``legs.MONITOR``; this module rings the supervisor's phone, makes the snoop channels and
bridges, and logs every stretch of monitoring in ``call_monitoring`` before it starts:
no supervisor hears a call that the log does not show (a database outage refuses it).

The flow, as a real Asterisk 22 showed it (tests/ari/captures/call_control/
snoop_supervisor.jsonl): the supervisor's phone is originated with the Stasis arguments
``snoop,supervisor,<monitor id>`` and put in a monitor bridge once answered; for listen
and whisper a snoop on the operator's leg (``snoop,channel,<monitor id>``) joins that
bridge; for barge the supervisor is moved into the call's own bridge. A change of mode
hangs the old snoop up (or moves the supervisor back) and applies the new one.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import asyncpg
import structlog

from callrouter.acd import CallRecord
from callrouter.ari import AriClient, AriError, ChannelDestroyed, StasisEnd, StasisStart
from callrouter.calls._quietly import quietly
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.errors import Conflict, InvalidInput, NotFound
from callrouter.legs import (
    MODES,
    MONITOR,
    SNOOP_OF_MODE,
    MonitorInput,
    MonitorMode,
    MonitorState,
)
from callrouter.store import database_errors
from callrouter.store.call_monitoring import close_monitoring, open_monitoring

__all__ = ["SUPERVISOR_RING_S", "CallMonitoring", "Monitor"]

log = structlog.get_logger(__name__)

SNOOP_ARG = "snoop"
# How long the supervisor's phone rings before monitoring is given up.
SUPERVISOR_RING_S = 30.0
_ACQUIRE_TIMEOUT_S = 5.0
_In = MonitorInput


@dataclass(slots=True)
class Monitor:
    monitor_id: str
    call_id: str
    supervisor: str
    endpoint: str
    mode: MonitorMode
    supervisor_channel: str
    bridge_id: str  # the monitor bridge: supervisor and snoop
    log_row: int
    state: MonitorState = MonitorState.CALLING
    snoop_channel: str | None = None
    # The call's bridge the supervisor barged into, to leave it on a change of mode.
    barged_into: str | None = None


class CallMonitoring(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        pool: asyncpg.Pool,
        router: Router,
        sessions: SessionRegistry,
        settings: SettingsHolder,
        node: str,
    ) -> None:
        self._ari = ari
        self._pool = pool
        self._router = router
        self._sessions = sessions
        self._holder = settings
        self._node = node
        self._monitors: dict[str, Monitor] = {}
        self._by_channel: dict[str, Monitor] = {}

    def subscribe(self) -> None:
        self._ari.on(StasisStart, self.on_stasis_start)
        self._ari.on(StasisEnd, self.on_channel_end)
        self._ari.on(ChannelDestroyed, self.on_channel_end)
        self._router.on_final(self._call_finished)

    def channel_ids(self) -> set[str]:
        """Supervisors' phones and snoops of the monitorings under way."""
        return set(self._by_channel)

    def log_rows(self) -> list[int]:
        """The open ``call_monitoring`` rows of the monitorings under way."""
        return [m.log_row for m in self._monitors.values()]

    def monitors_of(self, call_id: str) -> list[Monitor]:
        return [m for m in self._monitors.values() if m.call_id == call_id]

    def get(self, call_id: str, monitor_id: str) -> Monitor:
        monitor = self._monitors.get(monitor_id)
        if monitor is None or monitor.call_id != call_id:
            raise NotFound(f"no monitoring {monitor_id} on call {call_id}")
        return monitor

    # -- the supervisor's requests ----------------------------------------------------

    async def start(
        self, call_id: str, *, supervisor: str, mode: str, endpoint: str | None
    ) -> Monitor:
        session = self._connected(call_id)
        checked = _mode(mode)
        phone = endpoint or self._endpoint_of(supervisor)
        monitor_id = uuid.uuid4().hex
        row = await self._log_open(session, supervisor, phone, checked)
        monitor = Monitor(
            monitor_id=monitor_id, call_id=call_id, supervisor=supervisor, endpoint=phone,
            mode=checked, supervisor_channel=f"cr-sup-{monitor_id}",
            bridge_id=f"cr-mon-{monitor_id}", log_row=row,
        )  # fmt: skip
        self._monitors[monitor_id] = monitor
        self._by_channel[monitor.supervisor_channel] = monitor
        try:
            await self._ari.channels.originate(
                endpoint=phone,
                channel_id=monitor.supervisor_channel,
                app=self._ari.app,
                app_args=f"{SNOOP_ARG},supervisor,{monitor_id}",
                caller_id=f'"Monitor" <{session.caller_number}>',
                timeout=math.ceil(SUPERVISOR_RING_S),
                variables={"CR_CALL_ID": call_id, "CR_MONITOR": checked},
            )
        except AriError as exc:
            await self._end(monitor, _In.SUPERVISOR_GONE)
            raise Conflict(f"the supervisor's phone {phone} cannot be reached: {exc}") from exc
        return monitor

    async def change_mode(self, call_id: str, monitor_id: str, mode: str) -> Monitor:
        monitor = self.get(call_id, monitor_id)
        checked = _mode(mode)
        if not MONITOR.allows(monitor.state, _In.CHANGE_MODE):
            raise Conflict(f"monitoring {monitor_id} is {monitor.state}")
        if checked == monitor.mode:
            return monitor
        session = self._connected(call_id)
        await self._log_close(monitor)
        monitor.log_row = await self._log_open(session, monitor.supervisor, monitor.endpoint,
                                               checked)  # fmt: skip
        monitor.state = MONITOR.next(monitor.state, _In.CHANGE_MODE)
        monitor.mode = checked
        if monitor.state is MonitorState.ACTIVE:
            await self._undo_mode(monitor)
            await self._apply_mode(monitor)
        return monitor

    async def stop(self, call_id: str, monitor_id: str) -> None:
        await self._end(self.get(call_id, monitor_id), _In.STOP)

    # -- ARI events ------------------------------------------------------------------

    async def on_stasis_start(self, event: StasisStart) -> None:
        if len(event.args) < 3 or event.args[0] != SNOOP_ARG:
            return
        role, monitor = event.args[1], self._monitors.get(event.args[2])
        channel = event.channel.id
        answered = monitor is not None and role == "supervisor"
        if monitor is not None and answered and channel == monitor.supervisor_channel:
            if not MONITOR.allows(monitor.state, _In.SUPERVISOR_ANSWERED):
                return  # stopped while the phone rang: _end hangs it up
            monitor.state = MONITOR.next(monitor.state, _In.SUPERVISOR_ANSWERED)
            await self._apply_mode(monitor)
            return
        wanted_snoop = monitor is not None and channel == monitor.snoop_channel
        if monitor is not None and wanted_snoop and monitor.state is MonitorState.ACTIVE:
            add = self._ari.bridges.add_channel(monitor.bridge_id, channel)
            await quietly("bridge snoop", add)
            return
        await quietly("hangup stray", self._ari.channels.hangup(channel))

    async def on_channel_end(self, event: StasisEnd | ChannelDestroyed) -> None:
        monitor = self._by_channel.get(event.channel.id)
        if monitor is None:
            return
        if event.channel.id == monitor.supervisor_channel:
            await self._end(monitor, _In.SUPERVISOR_GONE)
        elif event.channel.id == monitor.snoop_channel:
            # The snooped leg is gone (the call ended, or its operator handed it on).
            await self._end(monitor, _In.CALL_ENDED)

    def _call_finished(self, record: CallRecord, session: CallSession | None) -> None:
        del session
        for monitor in self.monitors_of(record.call_id):
            self._router.lanes_submit(
                f"monitor-{monitor.monitor_id}",
                lambda monitor=monitor: self._end(monitor, _In.CALL_ENDED),  # type: ignore[misc]
            )

    # -- moves -------------------------------------------------------------------------

    async def _apply_mode(self, monitor: Monitor) -> None:
        session = self._sessions.get(monitor.call_id)
        directions = SNOOP_OF_MODE[monitor.mode]
        if session is None or session.bridge_id is None:
            await self._end(monitor, _In.CALL_ENDED)
            return
        if directions is None:  # barge: into the call's own bridge
            monitor.barged_into = session.bridge_id
            await quietly(
                "barge",
                self._ari.bridges.add_channel(session.bridge_id, monitor.supervisor_channel),
            )
            return
        operator_leg = session.legs.get(session.operator_id or "")
        if operator_leg is None:
            await self._end(monitor, _In.CALL_ENDED)
            return
        await quietly("monitor bridge", self._ari.bridges.create(
            type="mixing", name="callrouter-monitor", bridge_id=monitor.bridge_id,
        ))  # fmt: skip
        await quietly(
            "supervisor in", self._ari.bridges.add_channel(monitor.bridge_id,
                                                           monitor.supervisor_channel),
        )  # fmt: skip
        snoop_id = f"cr-snoop-{uuid.uuid4().hex}"
        monitor.snoop_channel = snoop_id
        self._by_channel[snoop_id] = monitor
        made = await quietly("snoop", self._ari.channels.snoop(
            operator_leg.channel_id, app=self._ari.app, spy=directions.spy,
            whisper=directions.whisper,
            app_args=f"{SNOOP_ARG},channel,{monitor.monitor_id}", snoop_id=snoop_id,
        ))  # fmt: skip
        if not made:
            await self._end(monitor, _In.CALL_ENDED)

    async def _undo_mode(self, monitor: Monitor) -> None:
        """Before another mode: the old snoop goes, a barging supervisor leaves."""
        snoop, monitor.snoop_channel = monitor.snoop_channel, None
        if snoop is not None:
            self._by_channel.pop(snoop, None)
            await quietly("hangup snoop", self._ari.channels.hangup(snoop))
        if monitor.barged_into is not None:
            bridge, monitor.barged_into = monitor.barged_into, None
            await quietly(
                "leave call", self._ari.bridges.remove_channel(bridge, monitor.supervisor_channel)
            )

    async def _end(self, monitor: Monitor, how: MonitorInput) -> None:
        if not MONITOR.allows(monitor.state, how):
            return  # ended already
        monitor.state = MONITOR.next(monitor.state, how)
        self._monitors.pop(monitor.monitor_id, None)
        for channel in (monitor.supervisor_channel, monitor.snoop_channel):
            if channel is not None:
                self._by_channel.pop(channel, None)
        await self._log_close(monitor)
        await self._undo_mode(monitor)
        if how is not _In.SUPERVISOR_GONE:
            await quietly(
                "hangup supervisor", self._ari.channels.hangup(monitor.supervisor_channel)
            )
        await quietly("destroy monitor bridge", self._ari.bridges.destroy(monitor.bridge_id))

    # -- log ---------------------------------------------------------------------------

    async def _log_open(
        self, session: CallSession, supervisor: str, endpoint: str, mode: MonitorMode
    ) -> int:
        with database_errors("cannot log the monitoring; it was not started"):
            async with self._pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
                return await open_monitoring(
                    conn, call_id=session.call_uuid, supervisor=supervisor, endpoint=endpoint,
                    mode=mode, operator_id=session.operator_id, node=self._node,
                    at=self._router.now(),
                )  # fmt: skip

    async def _log_close(self, monitor: Monitor) -> None:
        try:
            async with self._pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
                await close_monitoring(conn, monitor.log_row, self._router.now())
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # The start is logged; a lost end must not keep a supervisor on the call.
            log.warning("monitoring_end_not_logged", monitor=monitor.monitor_id, error=str(exc))

    # -- checks ------------------------------------------------------------------------

    def _connected(self, call_id: str) -> CallSession:
        session = self._sessions.get(call_id)
        if session is None or session.finished or session.caller_gone:
            raise NotFound(f"no live call {call_id}")
        if session.bridge_id is None or session.operator_id is None:
            raise Conflict(f"call {call_id} is not connected to an operator")
        return session

    def _endpoint_of(self, supervisor: str) -> str:
        """The phone of a configured supervisor (``supervisors.<id>.endpoint``), else of
        the operator of that id (a team lead who also takes calls)."""
        settings = self._settings
        configured = settings.supervisors.get(supervisor)
        if configured is not None and configured.endpoint is not None:
            return configured.endpoint
        operator = settings.operators.get(supervisor)
        if operator is None:
            raise InvalidInput(
                f"{supervisor!r} has no configured phone (supervisors.<id>.endpoint or an"
                " operator's): give the endpoint to ring"
            )
        return operator.endpoint


def _mode(mode: str) -> MonitorMode:
    for known in MODES:
        if mode == known:
            return known
    raise InvalidInput(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
