"""Commands ``AcdEngine.handle`` returns for the shell to carry out, in order.

Two kinds: actions on calls and endpoints (ring, cancel, connect, hold, announce,
overflow, reject, leave, store a callback) and records the shell persists
(``OperatorStateChanged``, ``CallRecord``). Every call that arrives gets exactly one
``CallRecord`` whose ``outcome`` is not None; earlier ``CallRecord``s for the same call
are progress updates carrying the same full set of fields, so the shell can upsert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from callrouter.acd._model import AnnounceSounds, RecordingPolicy

__all__ = [
    "AbandonCaller",
    "AcdCommand",
    "AnnounceQueuePosition",
    "CallOutcome",
    "CallRecord",
    "CancelRing",
    "ConnectCall",
    "ConsultReserved",
    "HoldCaller",
    "LeaveQueue",
    "LeaveReason",
    "OperatorState",
    "OperatorStateChanged",
    "Overflow",
    "RejectClosed",
    "RingOperator",
    "StoreCallback",
]

CallOutcome = Literal[
    "answered", "abandoned", "overflowed", "callback", "closed", "failed", "transferred"
]
LeaveReason = Literal["max_wait", "no_operators", "full"]


class OperatorState(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    OFFERED = "offered"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class RingOperator:
    call_id: str
    operator_id: str
    endpoint: str
    timeout_s: float


@dataclass(frozen=True, slots=True)
class CancelRing:
    call_id: str
    operator_id: str


@dataclass(frozen=True, slots=True)
class ConnectCall:
    call_id: str
    operator_id: str
    # Seconds in the current queue (after a transfer: since entering it), for CONNECT.
    waited_s: float = 0.0
    # Record the conversation at once ("always"), never, or when asked ("on_demand"):
    # the call's own policy (a campaign's) over its queue's.
    recording: RecordingPolicy = "always"


@dataclass(frozen=True, slots=True)
class ConsultReserved:
    """An operator was reserved (paused ``consult``) to be consulted on ``call_id``:
    ring their phone for the connected operator, at most ``timeout_s``."""

    call_id: str
    operator_id: str
    endpoint: str
    timeout_s: float


@dataclass(frozen=True, slots=True)
class HoldCaller:
    """The caller entered a queue: answer if needed and play music on hold."""

    call_id: str
    queue: str
    music_class: str
    # A caller who was already waiting before a restart: no new ENTERQUEUE, no new
    # queue time; only the music has to be sure to play.
    resumed: bool = False
    # 1-based place in line on joining (queue_log ENTERQUEUE's position), and when.
    position: int = 1
    queued_at: datetime | None = None
    # Start the music only if the caller is still waiting this long after the answer:
    # a caller rung to an operator in the same step (see ``_ordering``) is often
    # connected first, and music started then stopped costs two round trips on the
    # way to the bridge. 0: at once.
    music_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class AnnounceQueuePosition:
    call_id: str
    position: int
    expected_wait_s: float
    sounds: AnnounceSounds


@dataclass(frozen=True, slots=True)
class Overflow:
    """Move the caller elsewhere. For ``queue`` the engine keeps the call (a
    ``HoldCaller`` for the new queue follows); ``context`` and ``callback`` end it."""

    call_id: str
    target_kind: Literal["queue", "context", "callback"]
    target: str


@dataclass(frozen=True, slots=True)
class RejectClosed:
    call_id: str
    sound: str


@dataclass(frozen=True, slots=True)
class LeaveQueue:
    """The caller leaves the queue unanswered; the dialplan continues."""

    call_id: str
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class AbandonCaller:
    """Nobody answered an outbound customer by their deadline (``CallArrived.answer_by``):
    play ``sound``, then hang up. The call's ``CallRecord`` (outcome abandoned, reason
    ``answer-deadline``) follows."""

    call_id: str
    sound: str


@dataclass(frozen=True, slots=True)
class StoreCallback:
    """Call this customer back later; ``queued_at`` keeps their place in line."""

    call_id: str
    queue: str
    caller_number: str
    priority: int
    queued_at: datetime
    position: int
    # Played to the caller before the hangup (the queue's announce.sound_thank_you).
    thank_you_sound: str = "queue-thankyou"


@dataclass(frozen=True, slots=True)
class OperatorStateChanged:
    operator_id: str
    old: OperatorState
    new: OperatorState
    reason: str
    at: datetime
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallRecord:
    call_id: str
    queue: str
    priority: int
    caller_number: str
    # None for a progress update; set exactly once per call, on its last record.
    outcome: CallOutcome | None
    # Why it ended that way: a LeaveReason, "closed", "transfer", ... ("" if answered).
    reason: str
    queued_at: datetime
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wait_s: float
    talk_s: float | None
    operator_id: str | None
    # queue_log: place in line on leaving it, and on joining it.
    position: int = 1
    origposition: int = 1
    # When the record was made; for a transfer (reason "transfer"), the queue it went to.
    at: datetime | None = None
    transferred_to: str | None = None


AcdCommand = (
    RingOperator
    | CancelRing
    | ConnectCall
    | ConsultReserved
    | HoldCaller
    | AnnounceQueuePosition
    | Overflow
    | RejectClosed
    | LeaveQueue
    | AbandonCaller
    | StoreCallback
    | OperatorStateChanged
    | CallRecord
)
