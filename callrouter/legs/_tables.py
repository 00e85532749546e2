"""The three tables. States are ``StrEnum`` so that rows and logs read as plain words."""

from __future__ import annotations

from enum import StrEnum

from callrouter.legs._machine import LegMachine

__all__ = [
    "CLICK_CALL",
    "DIALED_LEG",
    "OPERATOR_LEG",
    "ClickInput",
    "ClickState",
    "DialedInput",
    "DialedState",
    "OperatorLegInput",
    "OperatorLegState",
]


class OperatorLegState(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    # The core stopped the ring (timeout, answered elsewhere, caller gone); the leg's
    # own hangup events are still to come.
    CANCELLED = "cancelled"
    GONE = "gone"


class OperatorLegInput(StrEnum):
    ANSWER = "answer"  # StasisStart: the operator picked up
    CANCEL = "cancel"  # the core's CancelRing
    HANGUP = "hangup"  # StasisEnd / ChannelDestroyed


_Op, _OpIn = OperatorLegState, OperatorLegInput
OPERATOR_LEG: LegMachine[OperatorLegState, OperatorLegInput] = LegMachine(
    "operator leg",
    {
        _Op.RINGING: {_OpIn.ANSWER: _Op.ANSWERED, _OpIn.CANCEL: _Op.CANCELLED,
                      _OpIn.HANGUP: _Op.GONE},
        _Op.ANSWERED: {_OpIn.HANGUP: _Op.GONE},
        _Op.CANCELLED: {_OpIn.HANGUP: _Op.GONE},
        _Op.GONE: {},
    },
    initial=_Op.RINGING,
)  # fmt: skip


class ClickState(StrEnum):
    RINGING_OPERATOR = "ringing_operator"
    DIALING_CUSTOMER = "dialing_customer"
    TALKING = "talking"
    DONE = "done"


class ClickInput(StrEnum):
    OPERATOR_ANSWERED = "operator_answered"
    CUSTOMER_ANSWERED = "customer_answered"
    ENDED = "ended"  # either side gone, or the originate failed


_Cl, _ClIn = ClickState, ClickInput
CLICK_CALL: LegMachine[ClickState, ClickInput] = LegMachine(
    "click-to-call",
    {
        _Cl.RINGING_OPERATOR: {_ClIn.OPERATOR_ANSWERED: _Cl.DIALING_CUSTOMER,
                               _ClIn.ENDED: _Cl.DONE},
        _Cl.DIALING_CUSTOMER: {_ClIn.CUSTOMER_ANSWERED: _Cl.TALKING, _ClIn.ENDED: _Cl.DONE},
        _Cl.TALKING: {_ClIn.ENDED: _Cl.DONE},
        _Cl.DONE: {},
    },
    initial=_Cl.RINGING_OPERATOR,
)  # fmt: skip


class DialedState(StrEnum):
    RINGING = "ringing"
    AMD = "amd"  # answered, the dialplan's AMD() is listening
    QUEUED = "queued"  # a person: in the campaign's queue like any caller
    DONE = "done"


class DialedInput(StrEnum):
    ANSWERED_FOR_AMD = "answered_for_amd"
    HUMAN = "human"
    ENDED = "ended"  # no answer, busy, machine, unreachable, or hung up unqueued


_Di, _DiIn = DialedState, DialedInput
DIALED_LEG: LegMachine[DialedState, DialedInput] = LegMachine(
    "dialed leg",
    {
        _Di.RINGING: {_DiIn.ANSWERED_FOR_AMD: _Di.AMD, _DiIn.HUMAN: _Di.QUEUED,
                      _DiIn.ENDED: _Di.DONE},
        _Di.AMD: {_DiIn.HUMAN: _Di.QUEUED, _DiIn.ENDED: _Di.DONE},
        # Once queued the call is the ACD's; the leg only closes.
        _Di.QUEUED: {_DiIn.ENDED: _Di.DONE},
        _Di.DONE: {},
    },
    initial=_Di.RINGING,
)  # fmt: skip
