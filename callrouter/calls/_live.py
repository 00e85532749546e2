"""The running service as the pages see it (``callrouter.web.ports.LiveSource``).

Changes are learnt from the router's own hooks (operator states, final records), from
the commands it hands the executor (a caller joining, ringing, leaving) and from the
settings holder (a reload): every change of the routing core that a page shows
produces one of them. Listeners only take note (the wallboard's hub debounces), so
the routing path pays a function call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from callrouter.acd import AcdCommand, AcdSnapshot, CallRecord, OperatorStateChanged
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.calls._settings import SettingsHolder
from callrouter.config import Settings
from callrouter.web.ports import CallParty, Change

__all__ = ["LiveCenter"]

RunCommand = Callable[[AcdCommand], Awaitable[None]]


class LiveCenter:
    def __init__(self, *, sessions: SessionRegistry, settings: SettingsHolder) -> None:
        self._sessions = sessions
        self._holder = settings
        self._router: Router | None = None
        self._listeners: list[Callable[[Change], None]] = []
        settings.on_swap(lambda: self._tell(Change.SETTINGS))

    def watch(self, router: Router) -> None:
        """Learn the router's changes (call once, right after building it)."""
        self._router = router
        router.on_final(self._final)
        router.on_operator_state(self._operator_state)

    def noting(self, run_command: RunCommand) -> RunCommand:
        """``run_command``, telling the listeners first (no extra coroutine per command)."""

        def run(command: AcdCommand) -> Awaitable[None]:
            self._tell(Change.LIVE)
            return run_command(command)

        return run

    # -- LiveSource ----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._holder.current

    def snapshot(self) -> AcdSnapshot:
        if self._router is None:
            raise RuntimeError("LiveCenter.watch(router) was never called")
        return self._router.engine.snapshot(self._router.now())

    def party(self, call_id: str) -> CallParty | None:
        session = self._sessions.get(call_id)
        if session is None:
            return None
        return CallParty(
            call_id=call_id,
            queue=session.queue,
            caller_number=session.caller_number,
            caller_name=session.caller_name,
            called_number=session.called_number,
            customer=dict(session.customer_card) if session.customer_card else None,
            tenant=session.tenant or self.settings.tenant_of_queue(session.queue),
        )

    def on_change(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    # -- hooks ---------------------------------------------------------------------------

    def _tell(self, change: Change) -> None:
        for listener in self._listeners:
            listener(change)

    def _final(self, record: CallRecord, session: CallSession | None) -> None:
        self._tell(Change.FINAL)

    def _operator_state(self, change: OperatorStateChanged) -> None:
        self._tell(Change.LIVE)
