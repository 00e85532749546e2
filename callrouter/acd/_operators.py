"""The operator state machine, as a table.

``TRANSITIONS[state][input]`` is the whole story of an operator. An input missing
from the table raises ``Conflict`` before anything changes. Two inputs are special while
an operator is on a call: pause and logout cannot cut a conversation, so ``DEFERRED``
lists them and the engine remembers them until the call completes.

``available`` is further split by ``routable``: an available operator whose endpoint is
offline, or who is resting after a failed offer, is not offered calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from callrouter.acd._commands import OperatorState
from callrouter.acd._model import OperatorSpec
from callrouter.errors import Conflict

__all__ = ["DEFERRED", "TRANSITIONS", "OpInput", "Operator", "next_state"]

S = OperatorState


class OpInput(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    OFFER = "offer"
    ANSWER = "answer"
    # The ring ended without an answer: timeout, failure, cancelled, caller gone.
    RING_ENDED = "ring_ended"
    COMPLETE = "complete"
    WRAPUP_DONE = "wrapup_done"
    # After a restart Asterisk says the operator is talking: whatever the core believed.
    RESUME_CALL = "resume_call"


In = OpInput

TRANSITIONS: dict[OperatorState, dict[OpInput, OperatorState]] = {
    S.LOGGED_OUT: {In.LOGIN: S.AVAILABLE, In.RESUME_CALL: S.ON_CALL},
    S.AVAILABLE: {
        In.LOGOUT: S.LOGGED_OUT,
        In.PAUSE: S.PAUSED,
        In.OFFER: S.OFFERED,
        In.RESUME_CALL: S.ON_CALL,
    },
    S.OFFERED: {
        In.ANSWER: S.ON_CALL,
        In.RING_ENDED: S.AVAILABLE,
        # Pausing or leaving while the phone rings withdraws the offer.
        In.PAUSE: S.PAUSED,
        In.LOGOUT: S.LOGGED_OUT,
    },
    S.ON_CALL: {In.COMPLETE: S.WRAPUP},
    S.WRAPUP: {
        In.WRAPUP_DONE: S.AVAILABLE,
        In.PAUSE: S.PAUSED,
        In.LOGOUT: S.LOGGED_OUT,
        In.RESUME_CALL: S.ON_CALL,
    },
    # Pausing again only changes the reason.
    S.PAUSED: {
        In.UNPAUSE: S.AVAILABLE,
        In.PAUSE: S.PAUSED,
        In.LOGOUT: S.LOGGED_OUT,
        In.RESUME_CALL: S.ON_CALL,
    },
}

DEFERRED: dict[OperatorState, frozenset[OpInput]] = {
    S.ON_CALL: frozenset({In.PAUSE, In.LOGOUT}),
}


def next_state(state: OperatorState, event: OpInput, operator_id: str = "") -> OperatorState:
    """The state ``event`` leads to from ``state``; ``Conflict`` if it may not happen."""
    try:
        return TRANSITIONS[state][event]
    except KeyError:
        raise Conflict(f"operator {operator_id}: cannot {event} while {state}") from None


@dataclass(slots=True, eq=False)
class Operator:
    """One operator's mutable routing state; only the engine writes it."""

    spec: OperatorSpec
    order: int
    state: OperatorState = S.LOGGED_OUT
    since_us: int = 0
    pause_reason: str = ""
    online: bool = True
    call_id: str | None = None
    # The queue of the current (or just finished) call: it decides the wrap-up time.
    call_queue: str | None = None
    rest_until_us: int | None = None
    pending_pause: str | None = None
    pending_logout: bool = False
    # Dropped from the configuration while busy: leaves when the call is over.
    retired: bool = False
    calls_taken: dict[str, int] = field(default_factory=dict)
    # queue -> the key it is filed under in that queue's available index.
    filed: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)
    last_change: datetime | None = None
    # Weighted fairness between tenants (_tenant_fairness): tenant -> credit, and the
    # credits as they were before the offer now ringing, restored if it is not answered.
    credits: dict[str, int] = field(default_factory=dict)
    credits_before: dict[str, int] | None = None

    @property
    def operator_id(self) -> str:
        return self.spec.operator_id

    @property
    def routable(self) -> bool:
        return (
            self.state is S.AVAILABLE
            and self.online
            and self.rest_until_us is None
            and not self.retired
        )
