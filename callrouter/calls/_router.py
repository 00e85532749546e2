"""The one owner of the routing core: events in, commands out, time kept moving.

Every event reaches the core through :meth:`Router.apply`, synchronously, so the core
sees one event at a time in the order the shell decided them. Records are handed to the
journal at once (their order is the order of decisions); actions go to the call's
serial lane. A ticker sleeps until the core's next deadline and sends it a ``Tick``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

import structlog

from callrouter.acd import (
    AcdCommand,
    AcdEngine,
    AcdEvent,
    CallRecord,
    HoldCaller,
    OperatorStateChanged,
    RingOperator,
    Tick,
)
from callrouter.calls._clock import Clock
from callrouter.calls._journal import CallJournal
from callrouter.calls._serial import SerialExecutor
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.errors import DomainError

__all__ = ["Router"]

log = structlog.get_logger(__name__)


class Router:
    def __init__(
        self,
        *,
        engine: AcdEngine,
        sessions: SessionRegistry,
        journal: CallJournal,
        lanes: SerialExecutor,
        clock: Clock,
        run_command: Callable[[AcdCommand], Awaitable[None]],
        finish: Callable[[str], Awaitable[None]],
    ) -> None:
        self.engine = engine
        self._sessions = sessions
        self._journal = journal
        self._lanes = lanes
        self._clock = clock
        self._deadline_moved = asyncio.Event()
        self._final_hooks: list[Callable[[CallRecord, CallSession | None], None]] = []
        self._state_hooks: list[Callable[[OperatorStateChanged], None]] = []
        self._run_command = run_command
        self._finish = finish

    def on_final(self, hook: Callable[[CallRecord, CallSession | None], None]) -> None:
        """Also tell ``hook`` when a call gets its outcome (the dialer's attempts)."""
        self._final_hooks.append(hook)

    def on_operator_state(self, hook: Callable[[OperatorStateChanged], None]) -> None:
        """Also tell ``hook`` of every operator state change (claims across nodes)."""
        self._state_hooks.append(hook)

    def lanes_submit(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Work that must keep its place in a call's order without going through the core."""
        self._lanes.submit(key, work)

    def now(self) -> datetime:
        # The core refuses time going backwards; the wall clock may step back (NTP).
        return max(self._clock.now(), self.engine.now)

    def apply(self, event: AcdEvent) -> str | None:
        """Feed one event; return None, or why the core refused it."""
        try:
            commands = self.engine.handle(event)
        except DomainError as exc:
            log.info("acd_refused", acd_event=type(event).__name__, reason=exc.message)
            return exc.message
        self.dispatch(commands)
        return None

    def dispatch(self, commands: list[AcdCommand]) -> None:
        run_command, finish = self._run_command, self._finish
        # A caller rung on arrival: the core put the rings just before the hold and
        # gave the hold a music grace (acd._ordering). The rings go out together, then
        # the hold: one lane step.
        graced = {c.call_id for c in commands if isinstance(c, HoldCaller) and c.music_after_s}
        rings: dict[str, list[AcdCommand]] = {}
        for command in commands:
            if isinstance(command, CallRecord):
                session = self._sessions.get(command.call_id)
                self._journal.call_record(command, session)
                if command.outcome is not None:
                    for hook in self._final_hooks:
                        hook(command, session)
                    call_id = command.call_id
                    self._lanes.submit(call_id, partial(finish, call_id))
            elif isinstance(command, OperatorStateChanged):
                self._journal.operator_state(command)
                for state_hook in self._state_hooks:
                    state_hook(command)
            else:
                call_id = getattr(command, "call_id", "-")
                if call_id in graced and isinstance(command, RingOperator):
                    rings.setdefault(call_id, []).append(command)
                elif call_id in graced and isinstance(command, HoldCaller):
                    together = [*rings.pop(call_id, []), command]
                    self._lanes.submit(call_id, partial(self._run_together, together))
                else:
                    self._lanes.submit(call_id, partial(run_command, command))
        for call_id, left in rings.items():  # never, with the core's order; kept safe
            for command in left:
                self._lanes.submit(call_id, partial(run_command, command))
        self._deadline_moved.set()

    async def _run_together(self, commands: list[AcdCommand]) -> None:
        """A caller rung on arrival: their rings side by side (ring-all), then their hold.
        The originate goes out first and alone: Asterisk, and the simulator more so,
        serves what reaches it in order, and the ring is what the caller waits for.
        Their answer follows by a round trip nobody hears."""
        *rings, hold = commands
        if len(rings) == 1:  # the common case: no task of its own, no turn of the loop
            await self._run_command(rings[0])
        else:
            results = await asyncio.gather(
                *(self._run_command(command) for command in rings), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result  # the lane logs it, as for any step
        await self._run_command(hold)

    async def run_ticker(self) -> None:
        while True:
            self._deadline_moved.clear()
            deadline = self.engine.next_deadline()
            delay = None if deadline is None else (deadline - self._clock.now()).total_seconds()
            if delay is not None and delay <= 0:
                self.apply(Tick(at=self.now()))
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._deadline_moved.wait()

