"""A supervisor's monitoring of one live call, as a transition table, and what each
mode means for the audio.

The supervisor's phone is rung first; once they answer, they hear the call through an
ARI snoop channel on the operator's leg (``listen``: spy both ways; ``whisper``: spy
both ways and talk into the operator's ear only, whisper ``out``), or join the call's
bridge (``barge``: everybody hears everybody). The mode may change while active.
Monitoring ends when the supervisor hangs up or is stopped, or when the call (or the
operator's leg that is snooped) ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from callrouter.legs._machine import LegMachine

__all__ = [
    "HEARS_SUPERVISOR",
    "MODES",
    "MONITOR",
    "SNOOP_OF_MODE",
    "MonitorInput",
    "MonitorMode",
    "MonitorState",
    "SnoopDirections",
]

MonitorMode = Literal["listen", "whisper", "barge"]
MODES: tuple[MonitorMode, ...] = ("listen", "whisper", "barge")


class MonitorState(StrEnum):
    CALLING = "calling"  # the supervisor's phone rings
    ACTIVE = "active"
    ENDED = "ended"


class MonitorInput(StrEnum):
    SUPERVISOR_ANSWERED = "supervisor_answered"
    CHANGE_MODE = "change_mode"
    STOP = "stop"
    SUPERVISOR_GONE = "supervisor_gone"
    CALL_ENDED = "call_ended"


_S, _I = MonitorState, MonitorInput
MONITOR: LegMachine[MonitorState, MonitorInput] = LegMachine(
    "monitor",
    {
        _S.CALLING: {_I.SUPERVISOR_ANSWERED: _S.ACTIVE, _I.CHANGE_MODE: _S.CALLING,
                     _I.STOP: _S.ENDED, _I.SUPERVISOR_GONE: _S.ENDED,
                     _I.CALL_ENDED: _S.ENDED},
        _S.ACTIVE: {_I.CHANGE_MODE: _S.ACTIVE, _I.STOP: _S.ENDED,
                    _I.SUPERVISOR_GONE: _S.ENDED, _I.CALL_ENDED: _S.ENDED},
        _S.ENDED: {},
    },
    initial=_S.CALLING,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SnoopDirections:
    """ARI snoop directions on the operator's channel: ``spy`` is what the supervisor
    hears of it (in: what the operator says; out: what the operator hears, the caller),
    ``whisper`` where the supervisor's voice goes (out: to the operator only)."""

    spy: Literal["none", "in", "out", "both"]
    whisper: Literal["none", "in", "out", "both"]


# None: no snoop, the supervisor joins the call's own bridge.
SNOOP_OF_MODE: dict[MonitorMode, SnoopDirections | None] = {
    "listen": SnoopDirections(spy="both", whisper="none"),
    "whisper": SnoopDirections(spy="both", whisper="out"),
    "barge": None,
}

# Who hears the supervisor in each mode.
HEARS_SUPERVISOR: dict[MonitorMode, frozenset[str]] = {
    "listen": frozenset(),
    "whisper": frozenset({"operator"}),
    "barge": frozenset({"operator", "caller"}),
}
