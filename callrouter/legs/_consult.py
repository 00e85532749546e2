"""The consult/transfer lifecycle of one connected call, as a transition table.

An operator talking to a caller may consult someone (a queue's next free operator, a
named operator, a number) before handing the caller over. The caller is held with
music while the operator and the consulted party talk; then the operator completes the
transfer, turns the call into a three-way conference, or returns to the caller. The
consulted party not answering, or hanging up, returns the operator to the caller.

``CONSULT[state][input]`` is the whole story; :data:`CALLER_HEARS` says, for every
state, whom the caller hears, and :data:`CONSULTED_HEARS_CALLER` when the consulted
party may hear the caller: the shell's bridging follows these, and the tests check that
no reachable live state leaves the caller in silence or lets a colleague overhear the
caller before the operator brings them in.
"""

from __future__ import annotations

from enum import StrEnum

from callrouter.legs._machine import LegMachine

__all__ = [
    "CALLER_HEARS",
    "CONSULT",
    "CONSULTED_HEARS_CALLER",
    "ConsultInput",
    "ConsultState",
]


class ConsultState(StrEnum):
    TALKING = "talking"  # caller and operator bridged, no consult
    DIALING = "dialing"  # caller on hold; the consulted party's phone rings
    CONSULTING = "consulting"  # caller on hold; operator and consulted party talk
    CONFERENCE = "conference"  # all three in one bridge
    TRANSFERRED = "transferred"  # the consulted party has the caller; operator gone
    ENDED = "ended"  # the caller hung up, or the operator before anyone answered


class ConsultInput(StrEnum):
    CONSULT = "consult"
    ANSWERED = "answered"  # the consulted party picked up
    NO_ANSWER = "no_answer"  # rang out, busy, unreachable
    TARGET_HUNGUP = "target_hungup"
    CANCEL = "cancel"  # the operator returns to the caller
    COMPLETE = "complete"
    CONFERENCE = "conference"
    CALLER_HUNGUP = "caller_hungup"
    # The operator hangs up: before an answer the call ends; once the consulted party
    # talks (or in a conference) it completes the transfer, as Asterisk's atxfer does.
    OPERATOR_HUNGUP = "operator_hungup"


_S, _I = ConsultState, ConsultInput
CONSULT: LegMachine[ConsultState, ConsultInput] = LegMachine(
    "consult",
    {
        _S.TALKING: {_I.CONSULT: _S.DIALING, _I.CALLER_HUNGUP: _S.ENDED,
                     _I.OPERATOR_HUNGUP: _S.ENDED},
        _S.DIALING: {_I.ANSWERED: _S.CONSULTING, _I.NO_ANSWER: _S.TALKING,
                     _I.CANCEL: _S.TALKING, _I.CALLER_HUNGUP: _S.ENDED,
                     _I.OPERATOR_HUNGUP: _S.ENDED},
        _S.CONSULTING: {_I.COMPLETE: _S.TRANSFERRED, _I.CONFERENCE: _S.CONFERENCE,
                        _I.CANCEL: _S.TALKING, _I.TARGET_HUNGUP: _S.TALKING,
                        _I.CALLER_HUNGUP: _S.ENDED, _I.OPERATOR_HUNGUP: _S.TRANSFERRED},
        _S.CONFERENCE: {_I.COMPLETE: _S.TRANSFERRED, _I.CANCEL: _S.TALKING,
                        _I.TARGET_HUNGUP: _S.TALKING, _I.CALLER_HUNGUP: _S.ENDED,
                        _I.OPERATOR_HUNGUP: _S.TRANSFERRED},
        _S.TRANSFERRED: {},
        _S.ENDED: {},
    },
    initial=_S.TALKING,
)  # fmt: skip

# Whom the caller hears in each state (None: the caller is gone).
CALLER_HEARS: dict[ConsultState, str | None] = {
    _S.TALKING: "operator",
    _S.DIALING: "music",
    _S.CONSULTING: "music",
    _S.CONFERENCE: "operator and consulted",
    _S.TRANSFERRED: "consulted",
    _S.ENDED: None,
}

CONSULTED_HEARS_CALLER: frozenset[ConsultState] = frozenset({_S.CONFERENCE, _S.TRANSFERRED})
