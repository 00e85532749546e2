"""What to do with the channels Asterisk holds after a restart or an events gap: pure.

Recovery reads everything first (channels, bridges, the application's channels, open
rows) and hands it here; :func:`plan_adoption` decides, without I/O, which callers go
back to waiting, which calls are still connected (and to which operator), and which
channels nobody can own any more. The shell then hangs up the latter and restores the
rest in one event (``acd.CallsRestored``), so no routing decision is taken until every
busy operator is known.

Asterisk is the truth for who is bridged with whom and what is still ringing; it lists
channels and bridges in no particular order (``ari-captures/sip/README.md``), so nothing
here depends on that order. The database is used only for what Asterisk cannot say:
the call id, the original queue time, the priority. Where the row never reached the
database, the Stasis arguments of our own legs still carry the call id and operator
(``operator,<call id>,<operator>``, ``dialed,<call id>``) and the channels' creation
times bound the wait.

Call control does not outlive a restart: a caller held for a consultation (alone in
Stasis while its operator's leg is still in the call's bridge ``cr-<call id>``) goes
back to that operator, or, with the operator gone, back to waiting with its original
place; the consulted leg, snoops and supervisors' phones are hung up, the monitor
bridges destroyed and the operators reserved for a consultation freed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from callrouter.ari import Bridge, Channel
from callrouter.store.recovery import OpenRow

__all__ = [
    "AdoptedCall",
    "AdoptionPlan",
    "our_leg",
    "plan_adoption",
    "stasis_args",
]

# Stasis argument kinds of a channel that is a call's caller (inbound) or customer
# (the dialer's answered legs).
_CALLER_KINDS = frozenset({"inbound", "dialed", "outbound"})
# Channels callrouter originated itself carry this prefix in their id.
_OUR_PREFIX = "cr-"
# A supervisor's monitor bridge (calls/_monitoring.py): cr-mon-<monitor id>.
_MONITOR_BRIDGE_PREFIX = "cr-mon-"


@dataclass(frozen=True, slots=True)
class AdoptedCall:
    call_id: str
    channel: Channel
    queue: str
    priority: int
    arrived_at: datetime
    queued_at: datetime
    has_row: bool
    # Connected: the operator, their leg and the bridge both are in.
    operator_id: str | None = None
    operator_channel_id: str | None = None
    bridge_id: str | None = None
    answered_at: datetime | None = None
    offered_at: datetime | None = None
    # The queue time reached the row, so the call's ENTERQUEUE was logged before.
    queue_logged: bool = False
    # Its CONNECT reached the event log before the crash.
    connect_logged: bool = False
    # The recording running now (None: none, or not known without a row), paused or
    # not, and how many parts the call has had.
    recording_name: str | None = None
    recording_paused: bool = False
    recording_parts: int = 0


@dataclass(slots=True)
class AdoptionPlan:
    calls: list[AdoptedCall] = field(default_factory=list)
    # Channels nobody can own any more (operator legs still ringing or answered for a
    # caller that is gone, callers with no queue): hung up before anything is routed.
    hangup: list[str] = field(default_factory=list)
    # Connected to something recovery cannot restore (unknown operator): left talking.
    left_alone: list[str] = field(default_factory=list)
    # Call ids of connected calls whose operator hung up during the gap: restored as
    # connected, then completed at once.
    operator_left: list[str] = field(default_factory=list)
    # Call ids whose operator had answered but was not bridged yet: restored as
    # connected, then bridged.
    to_connect: list[str] = field(default_factory=list)
    # Call ids whose caller was held for a consultation the restart cut short:
    # restored as connected, the caller taken off hold and back into the bridge.
    returned: list[str] = field(default_factory=list)
    # Monitor bridges left by a monitoring the restart ended (their snoop and
    # supervisor are in ``hangup``): destroyed.
    destroy_bridges: list[str] = field(default_factory=list)
    # Operators reserved (paused ``consult``) for a consultation that no longer exists.
    released: list[str] = field(default_factory=list)

    @property
    def connected(self) -> list[AdoptedCall]:
        return [c for c in self.calls if c.operator_id is not None]

    @property
    def waiting(self) -> list[AdoptedCall]:
        return [c for c in self.calls if c.operator_id is None]


def stasis_args(channel: Channel) -> list[str]:
    """The Stasis arguments of a channel in our application (``[]`` outside Stasis)."""
    if channel.dialplan.app_name.lower() != "stasis":
        return []
    return (channel.dialplan.app_data or "").split(",")[1:]


def our_leg(channel: Channel) -> bool:
    return channel.id.startswith(_OUR_PREFIX)


def plan_adoption(
    *,
    channels: Iterable[Channel],
    bridges: Iterable[Bridge],
    in_application: frozenset[str] | set[str],
    known: frozenset[str] | set[str],
    rows: Mapping[str, OpenRow],
    operators: Mapping[str, tuple[str, ...]],
    queue_for: Callable[[str, str], str | None],
    now: datetime,
    reserved: frozenset[str] | set[str] = frozenset(),
) -> AdoptionPlan:
    """Decide the fate of every channel callrouter does not track yet.

    ``rows``: open rows by channel id. ``operators``: operator id -> the queues they
    serve (the first one stands in for a connected call's unknown queue). ``reserved``:
    operators paused for a consultation that no consultation in progress holds."""
    plan = AdoptionPlan(released=sorted(reserved))
    bridges = list(bridges)
    by_id = {c.id: c for c in channels}
    bridge_of = {ch: b for b in bridges for ch in b.channels}
    unknown = [c for c in sorted(by_id.values(), key=lambda c: c.id) if c.id not in known]
    claimed_legs: set[str] = set()
    busy_operators: set[str] = set()
    # Operator legs answered (in Stasis) but alone, by the call they rang for: the crash
    # came between the operator's answer and the bridge.
    answered_legs: dict[str, Channel] = {}
    # Operator legs in their call's own bridge, by call: a caller of that call outside
    # it was held for a consultation.
    holding_legs: dict[str, Channel] = {}
    for c in unknown:
        leg_args = stasis_args(c)
        if not (our_leg(c) and len(leg_args) > 2 and leg_args[0] == "operator"):
            continue
        bridge = bridge_of.get(c.id)
        if bridge is not None and bridge.id == f"{_OUR_PREFIX}{leg_args[1]}":
            holding_legs[leg_args[1]] = c
        elif bridge is None or len(bridge.channels) < 2:
            answered_legs[leg_args[1]] = c

    # Callers first, so that each operator leg is judged knowing its caller's fate.
    for channel in unknown:
        args = stasis_args(channel)
        kind = args[0] if args else ""
        if kind not in _CALLER_KINDS or channel.id not in in_application:
            continue
        row = rows.get(channel.id)
        bridge = bridge_of.get(channel.id)
        leg = _operator_leg_beside(channel.id, bridge, by_id) if bridge else None
        if leg is not None:
            call = _connected(channel, leg, bridge, row, operators, queue_for, args, now)
            if call is None or call.operator_id in busy_operators:
                plan.left_alone.append(channel.id)
                claimed_legs.add(leg.id)
                continue
            busy_operators.add(call.operator_id or "")
            claimed_legs.add(leg.id)
            plan.calls.append(call)
            continue
        if bridge is not None and bridge.id.startswith(_OUR_PREFIX):
            # Alone in the bridge we made for its call: the operator hung up while
            # callrouter was away. The call was answered and is over, as it would have
            # been had we seen the hangup (COMPLETEAGENT, the caller cleared).
            ended = _operator_left(channel, bridge, row, operators, queue_for, args, now)
            if ended is not None:
                plan.calls.append(ended)
                plan.operator_left.append(ended.call_id)
                continue
        held_by = holding_legs.get(row.call_id) if row is not None and bridge is None else None
        if held_by is not None:
            # Held for a consultation: back to the operator still in the call's bridge.
            call = _connected(channel, held_by, bridge_of[held_by.id], row, operators,
                              queue_for, args, now)  # fmt: skip
            if call is not None and call.operator_id not in busy_operators:
                busy_operators.add(call.operator_id or "")
                claimed_legs.add(held_by.id)
                plan.calls.append(call)
                plan.returned.append(call.call_id)
                continue
        call = _waiting(channel, row, queue_for, args, now)
        if call is None:
            plan.hangup.append(channel.id)
            continue
        leg = answered_legs.get(call.call_id)
        operator_id = stasis_args(leg)[2] if leg is not None else None
        if leg is not None and operator_id in operators and operator_id not in busy_operators:
            # Connect them now, as the core had decided before the crash.
            busy_operators.add(operator_id or "")
            claimed_legs.add(leg.id)
            # The caller waits until the bridge, now: that is when the call is answered
            # for them (and for the service level).
            call = replace(
                call, operator_id=operator_id, operator_channel_id=leg.id, answered_at=now,
                offered_at=(row.offered_at if row else None) or min(leg.creationtime, now),
            )  # fmt: skip
            plan.to_connect.append(call.call_id)
        plan.calls.append(call)

    # Our own legs that no adopted call owns: an operator still ringing (or answered
    # but never bridged) for a call the core will route afresh, a customer leg with no
    # row. Hanging them up before routing is what keeps a phone from ringing twice.
    decided = claimed_legs | {c.channel.id for c in plan.calls} | set(plan.hangup)
    decided |= set(plan.left_alone)
    for channel in unknown:
        if not our_leg(channel) or channel.id in decided:
            continue
        args = stasis_args(channel)
        if channel.id in rows and not args:
            # A customer the dialer is still ringing (or AMD is listening to): the dialer
            # re-attaches its attempt to it (calls/_dialer.py), not an orphan.
            continue
        if args and args[0] == "click":
            continue  # click-to-call legs are their own flow; left as they are
        plan.hangup.append(channel.id)
    plan.destroy_bridges = sorted(
        b.id for b in bridges
        if b.id.startswith(_MONITOR_BRIDGE_PREFIX) and not set(b.channels) & set(known)
    )  # fmt: skip
    return plan


def _operator_leg_beside(
    caller_id: str, bridge: Bridge, by_id: Mapping[str, Channel]
) -> Channel | None:
    for other_id in bridge.channels:
        other = by_id.get(other_id)
        if other_id == caller_id or other is None:
            continue
        args = stasis_args(other)
        if args and args[0] == "operator":
            return other
    return None


def _caller_call(
    call_id: str,
    caller: Channel,
    row: OpenRow | None,
    queue: str,
    now: datetime,
    **connected: object,
) -> AdoptedCall:
    """What every adopted caller has: its row's times and priority, or, without a row,
    Asterisk's channel creation time. Asterisk's clock is not ours (another host, NTP
    steps): its times only ever fill in for a missing row, and never reach past our now."""
    arrived = row.created_at if row else min(caller.creationtime, now)
    return AdoptedCall(
        call_id=call_id,
        channel=caller,
        queue=queue,
        priority=row.priority if row else 0,
        arrived_at=arrived,
        queued_at=(row.queued_at if row else None) or arrived,
        has_row=row is not None,
        queue_logged=row is not None and row.queued_at is not None,
        connect_logged=row is not None and row.connected,
        recording_name=row.recording_name if row else None,
        recording_paused=row is not None and row.recording_paused,
        recording_parts=row.recording_parts if row else 0,
        **connected,  # type: ignore[arg-type]
    )


def _queue_of(
    caller: Channel,
    row: OpenRow | None,
    queue_for: Callable[[str, str], str | None],
    args: list[str],
) -> str | None:
    return (row.queue if row else None) or queue_for(
        args[1] if len(args) > 1 else "", caller.dialplan.exten
    )


def _connected(
    caller: Channel,
    leg: Channel,
    bridge: Bridge | None,
    row: OpenRow | None,
    operators: Mapping[str, tuple[str, ...]],
    queue_for: Callable[[str, str], str | None],
    args: list[str],
    now: datetime,
) -> AdoptedCall | None:
    leg_args = stasis_args(leg)  # operator,<call id>,<operator id>
    leg_call_id = leg_args[1] if len(leg_args) > 1 else ""
    operator_id = leg_args[2] if len(leg_args) > 2 else (row.operator_id if row else None)
    if not operator_id or operator_id not in operators:
        return None
    call_id = row.call_id if row else _valid_uuid(leg_call_id)
    queue = _queue_of(caller, row, queue_for, args) or next(iter(operators[operator_id]), None)
    if call_id is None or queue is None:
        return None
    answered = (row.answered_at if row else None) or min(
        bridge.creationtime if bridge else leg.creationtime, now
    )
    return _caller_call(
        call_id, caller, row, queue, now,
        operator_id=operator_id, operator_channel_id=leg.id,
        bridge_id=bridge.id if bridge else None, answered_at=answered,
        offered_at=(row.offered_at if row else None) or min(leg.creationtime, now),
    )  # fmt: skip


def _operator_left(
    caller: Channel,
    bridge: Bridge,
    row: OpenRow | None,
    operators: Mapping[str, tuple[str, ...]],
    queue_for: Callable[[str, str], str | None],
    args: list[str],
    now: datetime,
) -> AdoptedCall | None:
    operator_id = row.operator_id if row else None
    call_id = row.call_id if row else _valid_uuid(bridge.id[len(_OUR_PREFIX) :])
    queue = _queue_of(caller, row, queue_for, args)
    if not operator_id or operator_id not in operators or call_id is None or queue is None:
        return None  # who talked is unknown: the caller is served again
    return _caller_call(
        call_id, caller, row, queue, now,
        operator_id=operator_id, bridge_id=bridge.id,
        answered_at=(row.answered_at if row else None) or min(bridge.creationtime, now),
        offered_at=row.offered_at if row else None,
    )  # fmt: skip


def _waiting(
    channel: Channel,
    row: OpenRow | None,
    queue_for: Callable[[str, str], str | None],
    args: list[str],
    now: datetime,
) -> AdoptedCall | None:
    if row is None and args[0] != "inbound":
        return None  # a dialer leg nobody logged: its attempt is the dialer's to close
    queue = _queue_of(channel, row, queue_for, args)
    if queue is None:
        return None
    return _caller_call(row.call_id if row else str(uuid.uuid4()), channel, row, queue, now)


def _valid_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
