"""The routing service as the HTTP API sees it (``callrouter.api.ports.CallCenterPort``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import phonenumbers

from callrouter.acd import TransferToQueue
from callrouter.api.ports import CenterHealth, OperatorAction, RecordingContent
from callrouter.ari import AriClient, AriNotFound
from callrouter.calls._actions import CommandExecutor
from callrouter.calls._click_to_call import ClickToCall
from callrouter.calls._journal import CallJournal
from callrouter.calls._operator_requests import operator_event
from callrouter.calls._preview import PreviewLeads
from callrouter.calls._router import Router
from callrouter.calls._sessions import SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.calls._transfers import CallTransfers
from callrouter.errors import Conflict, InvalidInput, NotFound
from callrouter.store import answers
from callrouter.store.callbacks import schedule_callback as store_callback
from callrouter.store.recordings import latest_recording

__all__ = ["CallCenter"]

_CONTENT_TYPES = {
    "wav": "audio/wav",
    "gsm": "audio/x-gsm",
    "ulaw": "audio/basic",
    "sln": "audio/L16",
}


class CallCenter(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        pool: asyncpg.Pool,
        router: Router,
        sessions: SessionRegistry,
        journal: CallJournal,
        clicks: ClickToCall,
        preview: PreviewLeads,
        executor: CommandExecutor,
        settings: SettingsHolder,
        transfers: CallTransfers | None = None,
    ) -> None:
        self._transfers = transfers
        self._preview = preview
        self._executor = executor
        self._ari = ari
        self._pool = pool
        self._router = router
        self._sessions = sessions
        self._journal = journal
        self._clicks = clicks
        self._holder = settings

    def live_call_tenant(self, call_id: str) -> str | None:
        session = self._sessions.get(call_id)
        return self._journal.tenant(session) if session is not None else None

    async def health(self) -> CenterHealth:
        health = self._ari.health
        try:
            async with self._pool.acquire(timeout=1.0) as conn:
                database_ok = await answers(conn)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            database_ok = False
        return CenterHealth(
            ari_connected=health.connected,
            ari_reconnects=health.reconnects,
            ari_last_event_at=health.last_event_at,
            database_ok=database_ok,
        )

    async def operator_action(
        self, operator_id: str, action: OperatorAction, reason: str | None
    ) -> str:
        if operator_id not in self._settings.operators:
            raise NotFound(f"no operator {operator_id!r}")
        refused = self._router.apply(operator_event(self._router, operator_id, action, reason))
        if refused is not None:
            raise Conflict(refused)
        view = self._router.engine.snapshot().operator(operator_id)
        state = view.state.value
        return f"{state} ({view.pause_reason})" if view.pause_reason else state

    async def click_to_call(
        self,
        *,
        operator_id: str,
        number: str | None,
        caller_id: str | None,
        campaign_id: int | None,
        lead_id: int | None,
    ) -> str:
        if number is None and lead_id is None:
            raise InvalidInput("give the number to dial, or the lead_id of a preview lead")
        return await self._clicks.start(
            operator_id=operator_id,
            number=self._e164(number) if number is not None else None,
            caller_id=caller_id,
            campaign_id=campaign_id,
            lead_id=lead_id,
        )

    async def schedule_callback(
        self,
        *,
        phone: str,
        queue: str,
        due_at: datetime,
        name: str,
        note: str | None,
        operator_id: str | None = None,
    ) -> int:
        if queue not in self._settings.queues:
            raise NotFound(f"no queue {queue!r}")
        if operator_id is not None and operator_id not in self._settings.operators:
            raise NotFound(f"no operator {operator_id!r}")
        number = self._e164(phone)
        async with self._pool.acquire() as conn:
            return await store_callback(
                conn, queue=queue, phone=number, name=name, now=self._router.now(),
                due_at=due_at, note=note, operator_id=operator_id,
            )  # fmt: skip

    async def next_lead(self, campaign: str, operator_id: str) -> dict[str, Any]:
        if operator_id not in self._settings.operators:
            raise NotFound(f"no operator {operator_id!r}")
        return await self._preview.next_lead(campaign, operator_id)

    def _e164(self, number: str) -> str:
        try:
            parsed = phonenumbers.parse(number, self._settings.dialer.default_region)
        except phonenumbers.NumberParseException as exc:
            raise InvalidInput(f"{number!r} is not a phone number: {exc}") from exc
        if not phonenumbers.is_possible_number(parsed):
            raise InvalidInput(f"{number!r} is not a possible phone number")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    async def transfer(self, call_id: str, queue: str) -> None:
        if self._transfers is not None:  # one way for every transfer (calls/_transfers)
            await self._transfers.blind(call_id, kind="queue", target=queue, reason=None,
                                        note=None)  # fmt: skip
            return
        if queue not in self._settings.queues:
            raise NotFound(f"no queue {queue!r}")
        if self._sessions.get(call_id) is None:
            raise NotFound(f"no live call {call_id}")
        refused = self._router.apply(TransferToQueue(call_id, queue, self._router.now()))
        if refused is not None:
            raise Conflict(refused)

    async def recording_file(self, call_id: str) -> tuple[RecordingContent, str]:
        try:
            key = uuid.UUID(call_id)
        except ValueError as exc:
            raise InvalidInput(f"{call_id!r} is not a call id") from exc
        async with self._pool.acquire() as conn:
            row = await latest_recording(conn, key)
        if row is None:
            raise NotFound(f"no recording for call {call_id}")
        try:
            content = await self._ari.recordings.get_stored_file(row["name"])
        except AriNotFound as exc:
            raise NotFound(f"recording {row['name']} is gone from Asterisk") from exc
        return content, _CONTENT_TYPES.get(row["format"], "application/octet-stream")

    async def _live_recording(self, call_id: str) -> tuple[str, Any]:
        session = self._sessions.get(call_id)
        if session is None or session.recording_name is None:
            raise NotFound(f"no recording running for call {call_id}")
        return session.recording_name, session

    async def start_recording(self, call_id: str) -> None:
        session = self._sessions.get(call_id)
        if session is None:
            raise NotFound(f"no live call {call_id}")
        if session.bridge_id is None:
            raise Conflict(f"call {call_id} is not connected to an operator")
        if session.recording_name is not None:
            raise Conflict(f"call {call_id} is already recorded")
        await self._executor.start_recording_on_demand(session)
        if session.recording_name is None:
            raise Conflict(f"the recording of call {call_id} could not start (see the log)")

    async def pause_recording(self, call_id: str) -> None:
        name, session = await self._live_recording(call_id)
        if session.recording_paused:
            raise Conflict("the recording is already paused")
        await self._ari.recordings.pause(name)
        session.recording_paused = True
        session.recording_paused_at = self._router.now()
        self._journal.recording_changed(name, "paused")

    async def resume_recording(self, call_id: str) -> None:
        name, session = await self._live_recording(call_id)
        if not session.recording_paused:
            raise Conflict("the recording is not paused")
        await self._ari.recordings.unpause(name)
        session.recording_paused = False
        if session.recording_paused_at is not None:
            paused = self._router.now() - session.recording_paused_at
            session.recording_paused_s += paused.total_seconds()
            session.recording_paused_at = None
        self._journal.recording_changed(name, "recording")

    async def queue_status(self) -> dict[str, Any]:
        snapshot = self._router.engine.snapshot(self._router.now())
        return {
            queue.name: {
                "waiting": [
                    {
                        "call_id": call.call_id,
                        "priority": call.priority,
                        "waited_s": round(call.waited_s, 1),
                        "position": call.position,
                    }
                    for call in queue.waiting
                ],
                "ringing": queue.ringing,
                "logged_in": queue.logged_in,
                "operators": {state.value: n for state, n in queue.operators.items()},
                "longest_wait_s": round(queue.longest_wait_s, 1),
                "expected_wait_s": round(queue.expected_wait_s, 1),
            }
            for queue in snapshot.queues
        }
