"""Domain events the shell feeds to ``AcdEngine.handle``.

Each one carries the instant it happened (``at``, timezone-aware). The engine has no
clock of its own: time only moves when an event says so, and never backwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from callrouter.acd._callback_places import CallbackPlace
from callrouter.acd._model import RecordingPolicy

__all__ = [
    "AcdEvent",
    "AnswerDeadlineSet",
    "CallArrived",
    "CallCompleted",
    "CallbackRequested",
    "CallbacksDue",
    "CallerHungUp",
    "CallerIdentified",
    "CallsRestored",
    "ConsultCompleted",
    "ConsultEnded",
    "ConsultStarted",
    "OfferAnswered",
    "OfferFailed",
    "OfferFailure",
    "OperatorEndpointOffline",
    "OperatorEndpointOnline",
    "OperatorLoggedIn",
    "OperatorLoggedOut",
    "OperatorPaused",
    "OperatorUnpaused",
    "RestoredCall",
    "Tick",
    "TransferToOperator",
    "TransferToQueue",
    "TransferredOut",
]

# "no_answer": the phone rang out on Asterisk's side before our ring timeout fired;
# it counts as a ring timeout (auto-pause applies).
OfferFailure = Literal["busy", "unreachable", "rejected", "no_answer"]


@dataclass(frozen=True, slots=True)
class CallArrived:
    call_id: str
    queue: str
    at: datetime
    # Higher is served first (customer tier); equal priorities are served in wait order.
    priority: int = 0
    caller_number: str = ""
    # When the caller reached callrouter, if earlier than ``at`` (the shell looked the
    # caller up first): the place in line is by this, so a slow lookup never lets a
    # later caller overtake.
    arrived_at: datetime | None = None
    # The call's own recording policy (a campaign's), over its queue's.
    recording: RecordingPolicy | None = None
    # An outbound customer who answered (a campaign's abandon rule): an operator must
    # answer by then, else the customer hears ``apology_sound`` and the call is
    # abandoned. Already past on arrival (answering-machine detection took too long),
    # the customer never joins the line.
    answer_by: datetime | None = None
    apology_sound: str = ""


@dataclass(frozen=True, slots=True)
class CallerIdentified:
    """The customer lookup finished after the call arrived (it was routed without
    waiting for it, an operator being free): the caller's priority from their card.
    A waiting caller moves to the place that priority gives, keeping their arrival."""

    call_id: str
    priority: int
    at: datetime


@dataclass(frozen=True, slots=True)
class AnswerDeadlineSet:
    """An outbound customer already in the ACD (restored after a restart) keeps the
    abandon deadline ``CallArrived.answer_by`` gave them; past already, they are
    abandoned now unless an operator has them."""

    call_id: str
    answer_by: datetime
    apology_sound: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RestoredCall:
    """A call that outlived a restart of the shell, as Asterisk and the database tell it.

    Waiting (``operator_id`` None): it keeps its place, ``queued_at`` being when it
    first joined the queue. Connected: ``operator_id`` is on the call since
    ``answered_at`` and the call ends, as any other, with ``CallCompleted``."""

    call_id: str
    queue: str
    queued_at: datetime
    arrived_at: datetime
    priority: int = 0
    caller_number: str = ""
    operator_id: str | None = None
    answered_at: datetime | None = None
    offered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CallsRestored:
    """Every call that survived a restart, in one event: connected calls take their
    operators out of routing before any waiting call is routed, whatever order Asterisk
    listed the channels in."""

    calls: tuple[RestoredCall, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OperatorLoggedIn:
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OperatorLoggedOut:
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OperatorPaused:
    operator_id: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OperatorUnpaused:
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OperatorEndpointOnline:
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OperatorEndpointOffline:
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OfferAnswered:
    """The operator picked up: the shell should expect a ``ConnectCall``."""

    call_id: str
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OfferFailed:
    call_id: str
    operator_id: str
    reason: OfferFailure
    at: datetime


@dataclass(frozen=True, slots=True)
class CallCompleted:
    """A connected call ended, whichever side hung up."""

    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TransferToQueue:
    """Blind transfer of a connected (or still waiting) call into ``queue``."""

    call_id: str
    queue: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TransferToOperator:
    """Blind transfer of a connected (or waiting) call to one operator, who must be free:
    only their phone rings; unanswered, the caller waits in the call's queue again."""

    call_id: str
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TransferredOut:
    """The call leaves callrouter for a number outside (outcome ``transferred``)."""

    call_id: str
    target: str
    at: datetime
    attended: bool = False


@dataclass(frozen=True, slots=True)
class ConsultStarted:
    """The connected operator consults a colleague before a transfer: ``operator_id``
    (who must be free) or the next free operator of ``queue``, picked by the queue's
    strategy. The consulted operator is reserved (paused, reason ``consult``)."""

    call_id: str
    at: datetime
    queue: str | None = None
    operator_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConsultEnded:
    """The consulted operator is released: no answer, hung up, or sent back."""

    call_id: str
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ConsultCompleted:
    """The consulted operator takes the call over; the first one goes to wrap-up."""

    call_id: str
    operator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    call_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CallbacksDue:
    """The callbacks of ``queue`` due now that this node may dial, replacing the last
    list: each competes for the queue's operators by its caller's original place
    (``_callback_places``)."""

    queue: str
    callbacks: tuple[CallbackPlace, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed; send one at (or soon after) ``engine.next_deadline()``."""

    at: datetime


AcdEvent = (
    CallArrived
    | CallerHungUp
    | OperatorLoggedIn
    | OperatorLoggedOut
    | OperatorPaused
    | OperatorUnpaused
    | OperatorEndpointOnline
    | OperatorEndpointOffline
    | OfferAnswered
    | OfferFailed
    | CallCompleted
    | TransferToQueue
    | TransferToOperator
    | TransferredOut
    | ConsultStarted
    | ConsultEnded
    | ConsultCompleted
    | CallbackRequested
    | CallbacksDue
    | CallsRestored
    | AnswerDeadlineSet
    | CallerIdentified
    | Tick
)
