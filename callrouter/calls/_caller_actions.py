"""The executor's state, and the commands that concern the caller alone: holding them
with music, announcements and messages, sending them back to the dialplan, a callback.

:class:`callrouter.calls._actions.CommandExecutor` adds the operator's side (ringing,
connecting, recording, unbridging). Every method runs on the call's serial lane (see
``_serial``); an ARI failure that only means the channel is gone is logged and dropped.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable
from functools import partial
from typing import Literal

import structlog

from callrouter.acd import (
    AbandonCaller,
    AcdCommand,
    AcdEvent,
    AnnounceQueuePosition,
    HoldCaller,
    LeaveQueue,
    Overflow,
    RejectClosed,
    StoreCallback,
)
from callrouter.ari import AriClient, AriError, AriHttpError
from callrouter.calls._claims import OperatorClaims
from callrouter.calls._clock import Clock
from callrouter.calls._journal import CallJournal
from callrouter.calls._serial import SerialExecutor
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.store.records import CallbackInsert
from callrouter.store.writer import RecordWriter

__all__ = ["CallerActions"]

log = structlog.get_logger(__name__)


class CallerActions(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        sessions: SessionRegistry,
        journal: CallJournal,
        writer: RecordWriter,
        settings: SettingsHolder,
        clock: Clock,
        post: Callable[[AcdEvent], None],
        lanes: SerialExecutor,
        claims: OperatorClaims | None = None,
    ) -> None:
        self._claims = claims
        self._lanes = lanes
        self._ari = ari
        self._sessions = sessions
        self._journal = journal
        self._writer = writer
        self._holder = settings
        self._clock = clock
        self._post = post
        # playback id -> (call id, caller channel, what to do when it ends). Kept apart
        # from the session: a closed message must still end in a hangup after the core
        # has already given the call its outcome and the session is gone.
        self.playbacks: dict[str, tuple[str, str, Literal["hangup", "resume_moh"]]] = {}
        self.recordings: dict[str, str] = {}

    async def run(self, command: AcdCommand) -> None:
        handler = getattr(self, "_" + type(command).__name__, None)
        if handler is None:
            log.error("no_action_for_command", command=repr(command))
            return
        session = self._sessions.get(getattr(command, "call_id", ""))
        with structlog.contextvars.bound_contextvars(call_id=getattr(command, "call_id", None)):
            await handler(command, session)

    async def _quietly(self, what: str, call: object) -> bool:
        """Await an ARI call whose failure only means the channel is already gone."""
        try:
            await call  # type: ignore[misc]
        except AriHttpError as exc:
            log.info("ari_request_refused", action=what, status=exc.status, message=exc.message)
            return False
        except AriError as exc:
            log.warning("ari_request_failed", action=what, error=str(exc))
            return False
        return True

    # -- the caller's side ------------------------------------------------------------

    async def _HoldCaller(self, cmd: HoldCaller, session: CallSession | None) -> None:
        if session is None or session.caller_gone:
            return
        if session.bridge_id is not None:
            # A transfer: the caller goes back to waiting. Legs already ringing for the
            # new queue (rung first, see Router) stay.
            await self._unbridge(session, keep_new_legs=True)
        session.queue = cmd.queue
        # The core's time of joining, not this step's: ENTERQUEUE lines stay in the order
        # callers joined, however long each one's answer and music took.
        queued_at = cmd.queued_at or self._clock.now()
        session.moh_class = cmd.music_class
        await self._quietly("answer", self._ari.channels.answer(session.caller_channel_id))
        if cmd.music_after_s > 0:
            # Rung to an operator in the same step: the music only if still waiting.
            asyncio.get_running_loop().call_later(
                cmd.music_after_s,
                self._lanes.submit,
                session.call_id,
                partial(self._music_if_still_waiting, session.call_id),
            )
        else:
            await self._start_music(session)
        if not session.queued:
            # The live row shows the caller waiting (queues status) before the core's
            # own record of the wait arrives with the outcome.
            session.queued = True
            self._journal.call_update(session, queued_at=queued_at, queue_name=cmd.queue)
        if cmd.resumed:
            return  # waiting since before a restart: ENTERQUEUE was logged then
        self._journal.event(
            session,
            queued_at,
            "ENTERQUEUE",
            queue=cmd.queue,
            url="",
            caller_id=session.caller_number,
            position=cmd.position,
        )

    async def _start_music(self, session: CallSession) -> None:
        session.on_hold = await self._quietly(
            "moh",
            self._ari.channels.start_moh(session.caller_channel_id, moh_class=session.moh_class),
        )

    async def _music_if_still_waiting(self, call_id: str) -> None:
        session = self._sessions.get(call_id)
        if (
            session is None
            or session.caller_gone
            or session.finished
            or session.on_hold
            or session.bridge_id is not None
            or any(c == call_id for c, _, _ in self.playbacks.values())  # resumes after
        ):
            return
        await self._start_music(session)

    async def _AnnounceQueuePosition(
        self, cmd: AnnounceQueuePosition, session: CallSession | None
    ) -> None:
        if session is None or session.caller_gone or session.bridge_id is not None:
            return
        sounds = cmd.sounds
        media = [
            f"sound:{sounds.position}",
            f"number:{cmd.position}",
            f"sound:{sounds.calls_waiting}",
        ]
        minutes = math.ceil(cmd.expected_wait_s / 60)
        if cmd.expected_wait_s >= 60:
            media += [f"sound:{sounds.hold_time}", f"number:{minutes}", f"sound:{sounds.minutes}"]
        media.append(f"sound:{sounds.thank_you}")
        await self._play(session, media, then="resume_moh")

    async def _play(
        self, session: CallSession, media: list[str], *, then: Literal["hangup", "resume_moh"]
    ) -> None:
        if session.on_hold:
            await self._quietly("moh stop", self._ari.channels.stop_moh(session.caller_channel_id))
            session.on_hold = False
        playback_id = f"cr-{uuid.uuid4().hex}"
        self.playbacks[playback_id] = (session.call_id, session.caller_channel_id, then)
        played = await self._quietly(
            "play",
            self._ari.channels.play(session.caller_channel_id, media, playback_id=playback_id),
        )
        if not played:
            self.playbacks.pop(playback_id, None)
            if then == "hangup":
                await self._hangup_caller(session)

    async def playback_finished(self, playback_id: str) -> None:
        entry = self.playbacks.pop(playback_id, None)
        if entry is None:
            return
        call_id, channel_id, then = entry
        if then == "hangup":
            await self._quietly("hangup caller", self._ari.channels.hangup(channel_id))
            return
        session = self._sessions.get(call_id)
        if session is None or session.caller_gone:
            return
        if session.bridge_id is None and not session.finished:
            await self._start_music(session)

    async def _hangup_caller(self, session: CallSession) -> None:
        if not session.caller_gone:
            await self._quietly(
                "hangup caller", self._ari.channels.hangup(session.caller_channel_id)
            )

    async def _Overflow(self, cmd: Overflow, session: CallSession | None) -> None:
        if session is None:
            return
        self._journal.event(
            session, self._clock.now(), "OVERFLOW", target=f"{cmd.target_kind}:{cmd.target}"
        )
        if cmd.target_kind == "context" and not session.caller_gone:
            await self._leave_stasis(session, context=cmd.target, result="OVERFLOW")

    async def _LeaveQueue(self, cmd: LeaveQueue, session: CallSession | None) -> None:
        if session is not None and not session.caller_gone:
            await self._leave_stasis(session, context=None, result=cmd.reason.upper())

    async def _leave_stasis(
        self, session: CallSession, *, context: str | None, result: str
    ) -> None:
        """Hand the caller back to the dialplan (after Stasis(), or to ``context``)."""
        channel = session.caller_channel_id
        if session.on_hold:
            await self._quietly("moh stop", self._ari.channels.stop_moh(channel))
            session.on_hold = False
        await self._quietly(
            "set result", self._ari.channels.set_variable(channel, "CR_RESULT", result)
        )
        session.caller_gone = True  # the dialplan owns the channel from here on
        if context is None:
            await self._quietly("continue", self._ari.channels.continue_in_dialplan(channel))
        else:
            await self._quietly(
                "continue",
                self._ari.channels.continue_in_dialplan(
                    channel, context=context, extension="s", priority=1
                ),
            )

    async def _AbandonCaller(self, cmd: AbandonCaller, session: CallSession | None) -> None:
        # The call's finish (next on this lane) sees the message pending and leaves the
        # hangup to its end.
        if session is not None and not session.caller_gone:
            await self._play(session, [f"sound:{cmd.sound}"], then="hangup")

    async def _RejectClosed(self, cmd: RejectClosed, session: CallSession | None) -> None:
        if session is None or session.caller_gone:
            return
        await self._quietly("answer", self._ari.channels.answer(session.caller_channel_id))
        await self._play(session, [f"sound:{cmd.sound}"], then="hangup")

    async def _StoreCallback(self, cmd: StoreCallback, session: CallSession | None) -> None:
        now = self._clock.now()
        self._writer.put(
            CallbackInsert(
                call_id=uuid.UUID(cmd.call_id),
                queue_name=cmd.queue,
                phone=cmd.caller_number,
                caller_name=session.caller_name if session else "",
                queued_at=cmd.queued_at,
                requested_at=now,
                due_at=now,
            )
        )
        self._journal.crm.callback(cmd, session, now)
        if session is not None and not session.caller_gone:
            await self._play(session, [f"sound:{cmd.thank_you_sound}"], then="hangup")

    async def _unbridge(self, session: CallSession, *, keep_new_legs: bool = False) -> None:
        """Take the caller out of its bridge: the operator's side (``_actions``)."""
        raise NotImplementedError
