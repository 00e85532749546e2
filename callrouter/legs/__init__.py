"""The lifecycles of the legs callrouter originates, as pure transition tables.

Beside ``acd/`` (calls and operators) and ``dialer/`` (pacing), each kind of leg the
shell drives has a small state machine here, h11-style: ``TABLE[state][input]`` is its
whole story, an input missing from the table raises :class:`IllegalLegTransition` and
leaves the state unchanged, and nothing here does I/O. The shell asks
``machine.next(state, input)`` before it acts, so a late or duplicated ARI event (a
StasisStart for a leg already cancelled, a second hangup) is recognised as such instead
of being acted on twice.

- :data:`OPERATOR_LEG`: the leg that rings an operator for a queued call.
- :data:`CLICK_CALL`: click-to-call, the operator's phone first, then the customer.
- :data:`DIALED_LEG`: the dialer's customer leg, from originate to the queue.
- :data:`CONSULT`: a connected call's consult, transfer and conference lifecycle.
- :data:`MONITOR`: a supervisor's listen / whisper / barge on a live call.
- :class:`FeatureParser`: the DTMF feature codes an operator presses during a call.
"""

from callrouter.legs._consult import (
    CALLER_HEARS,
    CONSULT,
    CONSULTED_HEARS_CALLER,
    ConsultInput,
    ConsultState,
)
from callrouter.legs._feature_codes import FeatureParser, FeatureRequest, target_of
from callrouter.legs._machine import IllegalLegTransition, LegMachine
from callrouter.legs._monitor import (
    HEARS_SUPERVISOR,
    MODES,
    MONITOR,
    SNOOP_OF_MODE,
    MonitorInput,
    MonitorMode,
    MonitorState,
    SnoopDirections,
)
from callrouter.legs._tables import (
    CLICK_CALL,
    DIALED_LEG,
    OPERATOR_LEG,
    ClickInput,
    ClickState,
    DialedInput,
    DialedState,
    OperatorLegInput,
    OperatorLegState,
)

__all__ = [
    "CALLER_HEARS",
    "CLICK_CALL",
    "CONSULT",
    "CONSULTED_HEARS_CALLER",
    "DIALED_LEG",
    "HEARS_SUPERVISOR",
    "MODES",
    "MONITOR",
    "OPERATOR_LEG",
    "SNOOP_OF_MODE",
    "ClickInput",
    "ClickState",
    "ConsultInput",
    "ConsultState",
    "DialedInput",
    "DialedState",
    "FeatureParser",
    "FeatureRequest",
    "IllegalLegTransition",
    "LegMachine",
    "MonitorInput",
    "MonitorMode",
    "MonitorState",
    "OperatorLegInput",
    "OperatorLegState",
    "SnoopDirections",
    "target_of",
]
