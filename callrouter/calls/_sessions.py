"""What the shell remembers about each live call: its channels, bridge and media.

The routing core knows calls and operators; Asterisk knows channels, bridges,
playbacks and recordings. This registry is the map between the two, and nothing more:
every routing decision stays in the core.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from callrouter.config import DEFAULT_TENANT
from callrouter.legs import OperatorLegState

if TYPE_CHECKING:
    from callrouter.store.directory import CustomerCard

__all__ = [
    "CallSession",
    "OperatorLeg",
    "SessionRegistry",
    "end_recording_part",
    "recording_part_name",
    "session_tenant",
]


@dataclass(slots=True)
class OperatorLeg:
    channel_id: str
    operator_id: str
    call_id: str
    state: OperatorLegState = OperatorLegState.RINGING


@dataclass(slots=True)
class CallSession:
    call_id: str
    caller_channel_id: str
    queue: str
    caller_number: str
    caller_name: str
    called_number: str
    created_at: datetime
    priority: int = 0
    customer_card: dict[str, object] | None = None
    # The customer lookup of a caller routed before it finished (calls/_arrivals.py):
    # the screen pop waits for it, the ring does not.
    card_lookup: asyncio.Future[CustomerCard | None] | None = None
    legs: dict[str, OperatorLeg] = field(default_factory=dict)  # by operator id
    bridge_id: str | None = None
    # The caller's bridge was made while its first operator rang, so the answer needs
    # one round trip (add both) to connect; bridge_id is set only once both are in.
    bridge_prepared: bool = False
    operator_id: str | None = None  # the connected one
    recording_name: str | None = None
    # Recordings started so far: one part per bridge (a transfer starts the next).
    recording_parts: int = 0
    # always / never / on_demand; None: the queue's policy (a campaign sets its own).
    recording_policy: str | None = None
    recording_paused: bool = False
    # The recording's own clock, for the CRM: when it started, and time spent paused.
    recording_started_at: datetime | None = None
    recording_paused_at: datetime | None = None
    recording_paused_s: float = 0.0
    on_hold: bool = False
    # Caller and operator were put in one bridge: the call was answered for the caller.
    bridged: bool = False
    queued: bool = False
    moh_class: str = "default"
    # Set once the caller's channel left Stasis or hung up: never touch it again.
    caller_gone: bool = False
    hangup_cause: int | None = None
    # Who ended a connected call, for queue_log's COMPLETECALLER / COMPLETEAGENT.
    ended_by: Literal["caller", "operator"] | None = None
    # Media waiting to end before an action (hang up after the closed message, resume
    # music after an announcement).
    playback_then: dict[str, Literal["hangup", "resume_moh"]] = field(default_factory=dict)
    finished: bool = False
    # The key the caller pressed to leave the queue for a callback.
    exit_key: str | None = None
    # The last transfer's who/why, for the next operator's screen pop (call.offered).
    transfer_note: dict[str, object] | None = None
    # The client company the call belongs to (its first queue's tenant), set by the
    # journal when it writes the call's row; every row of the call carries it.
    tenant: str | None = None

    @property
    def call_uuid(self) -> uuid.UUID:
        return uuid.UUID(self.call_id)


def recording_part_name(call_id: str, part: int, *, tenant: str) -> str:
    """``callrouter-<call id>`` for the first part, then ``-2``, ``-3``: the first keeps
    the name every single-bridge call has always had.

    A tenant other than the default records into a folder of its own under Asterisk's
    recordings directory (``acme/callrouter-<call id>``: Asterisk makes the folder, and
    the name, folder included, is the stored recording's name over ARI); the default
    tenant's recordings stay where they always were.
    """
    base = f"callrouter-{call_id}" if part <= 1 else f"callrouter-{call_id}-{part}"
    return base if tenant == DEFAULT_TENANT else f"{tenant}/{base}"


def session_tenant(session: CallSession, tenant_of_queue: Callable[[str], str]) -> str:
    """The call's tenant: its queue's when first asked, then kept on the session, so a
    transfer to another tenant's queue leaves the call, its rows and its webhooks where
    they began."""
    if session.tenant is None:
        session.tenant = tenant_of_queue(session.queue)
    return session.tenant


def end_recording_part(session: CallSession) -> None:
    """The bridge recorded is gone: the next bridge starts a new part."""
    session.recording_name = None
    session.recording_paused = False
    session.recording_paused_at = None


class SessionRegistry:
    def __init__(self) -> None:
        self._calls: dict[str, CallSession] = {}
        self._by_caller_channel: dict[str, str] = {}
        self._legs_by_channel: dict[str, OperatorLeg] = {}

    def add(self, session: CallSession) -> None:
        self._calls[session.call_id] = session
        self._by_caller_channel[session.caller_channel_id] = session.call_id

    def get(self, call_id: str) -> CallSession | None:
        return self._calls.get(call_id)

    def by_caller_channel(self, channel_id: str) -> CallSession | None:
        call_id = self._by_caller_channel.get(channel_id)
        return self._calls.get(call_id) if call_id else None

    def add_leg(self, leg: OperatorLeg) -> None:
        session = self._calls[leg.call_id]
        session.legs[leg.operator_id] = leg
        self._legs_by_channel[leg.channel_id] = leg

    def leg(self, channel_id: str) -> OperatorLeg | None:
        return self._legs_by_channel.get(channel_id)

    def drop_leg(self, leg: OperatorLeg) -> None:
        self._legs_by_channel.pop(leg.channel_id, None)
        session = self._calls.get(leg.call_id)
        if session is not None and session.legs.get(leg.operator_id) is leg:
            del session.legs[leg.operator_id]

    def remove(self, call_id: str) -> None:
        session = self._calls.pop(call_id, None)
        if session is None:
            return
        self._by_caller_channel.pop(session.caller_channel_id, None)
        for leg in list(session.legs.values()):
            self._legs_by_channel.pop(leg.channel_id, None)

    def known_channel_ids(self) -> set[str]:
        return set(self._by_caller_channel) | set(self._legs_by_channel)

    def sessions(self) -> list[CallSession]:
        return list(self._calls.values())

    def __len__(self) -> int:
        return len(self._calls)
