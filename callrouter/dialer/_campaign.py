"""Campaign lifecycle and lead selection.

Rules
-----
* A campaign's state changes only through ``CAMPAIGN_TRANSITIONS``; anything else raises
  ``Conflict`` and leaves the state as it was (the API maps that to 409).
* Only a running campaign dials. Stopped is final (a supervisor ended it); finished means
  the leads ran out and may be reopened into paused when new leads arrive, so nobody is
  called before a supervisor resumes.
* ``pick_next_leads`` is the last gate before an origination: due time, attempts,
  calling window in the lead's zone and the do-not-call list are all checked at the
  moment of dialing, with the ``now`` the shell is about to dial at.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from ..errors import Conflict, InvalidInput
from ._dnc import DncLookup, DncVerdict, check_dnc
from ._retry import LeadStatus
from ._tz import load_zone, require_aware
from ._windows import WeeklySchedule

__all__ = [
    "CAMPAIGN_TRANSITIONS",
    "Campaign",
    "CampaignEvent",
    "CampaignState",
    "DialCandidate",
    "DueLead",
    "LeadSelection",
    "pick_next_leads",
    "transition",
]


class CampaignState(enum.StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"


class CampaignEvent(enum.StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    FINISH = "finish"
    """No lead is pending any more (the shell notices; the table decides if it counts)."""
    REOPEN = "reopen"
    """New leads were added to a finished campaign."""


_S, _E = CampaignState, CampaignEvent
CAMPAIGN_TRANSITIONS: Mapping[CampaignState, Mapping[CampaignEvent, CampaignState]] = (
    MappingProxyType(
        {
            _S.CREATED: MappingProxyType({_E.START: _S.RUNNING, _E.STOP: _S.STOPPED}),
            _S.RUNNING: MappingProxyType(
                {_E.PAUSE: _S.PAUSED, _E.STOP: _S.STOPPED, _E.FINISH: _S.FINISHED}
            ),
            _S.PAUSED: MappingProxyType(
                {_E.RESUME: _S.RUNNING, _E.STOP: _S.STOPPED, _E.FINISH: _S.FINISHED}
            ),
            _S.STOPPED: MappingProxyType({}),
            _S.FINISHED: MappingProxyType({_E.REOPEN: _S.PAUSED, _E.STOP: _S.STOPPED}),
        }
    )
)


def transition(state: CampaignState, event: CampaignEvent) -> CampaignState:
    """The state after ``event``; ``Conflict`` if the table has no such edge."""
    try:
        return CAMPAIGN_TRANSITIONS[state][event]
    except KeyError:
        allowed = ", ".join(CAMPAIGN_TRANSITIONS[state]) or "nothing"
        raise Conflict(
            f"cannot {event} a campaign that is {state} (allowed: {allowed})"
        ) from None


class Campaign:
    """One campaign's lifecycle; ``fire`` is the only way its state moves."""

    __slots__ = ("_state",)

    def __init__(self, state: CampaignState = CampaignState.CREATED) -> None:
        self._state = state

    @property
    def state(self) -> CampaignState:
        return self._state

    @property
    def dialing(self) -> bool:
        return self._state is CampaignState.RUNNING

    def fire(self, event: CampaignEvent) -> CampaignState:
        self._state = transition(self._state, event)  # raises before assigning
        return self._state


class DialCandidate(Protocol):
    """What ``pick_next_leads`` reads from a lead; the store's rows can provide it."""

    @property
    def key(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def attempts(self) -> int: ...
    @property
    def status(self) -> LeadStatus: ...


@dataclass(frozen=True, slots=True)
class DueLead:
    key: str
    phone: str
    timezone: str
    due_at: datetime
    priority: int = 0
    """Higher is dialled first."""
    attempts: int = 0
    status: LeadStatus = LeadStatus.PENDING


L = TypeVar("L", bound=DialCandidate)


@dataclass(frozen=True, slots=True)
class LeadSelection(Generic[L]):
    leads: tuple[L, ...]
    """To dial now, best first."""
    dnc: tuple[L, ...] = ()
    """Found on the do-not-call list: the shell marks them ``LeadStatus.DNC``."""
    invalid: tuple[L, ...] = ()
    """Numbers or zones that no longer parse: the shell marks them ``LeadStatus.INVALID``."""


def pick_next_leads(
    leads_due: Iterable[L],
    now: datetime,
    dnc: DncLookup,
    windows: WeeklySchedule,
    limit: int,
    *,
    max_attempts: int | None = None,
) -> LeadSelection[L]:
    """Up to ``limit`` leads to dial at ``now``: highest priority, then longest overdue.

    Filters out leads not pending, not yet due, out of attempts, outside their calling
    window, or on the DNC list. Ties break on the key so two nodes given the same rows
    pick the same leads (and the database claim settles which one dials).
    """
    require_aware(now)
    if limit < 0:
        raise InvalidInput(f"limit must not be negative, got {limit}")
    callable_in: dict[str, bool] = {}  # per zone: one conversion for thousands of leads
    eligible: list[tuple[int, datetime, str, L]] = []
    blocked: list[L] = []
    invalid: list[L] = []
    for lead in leads_due:
        if lead.status is not LeadStatus.PENDING or lead.due_at > now:
            continue
        if max_attempts is not None and lead.attempts >= max_attempts:
            continue
        zone_open = callable_in.get(lead.timezone)
        if zone_open is None:
            try:
                zone_open = windows.contains_local(now.astimezone(load_zone(lead.timezone)))
            except ValueError:
                invalid.append(lead)
                continue
            callable_in[lead.timezone] = zone_open
        if not zone_open:
            continue
        verdict = check_dnc(lead.phone, dnc, now)
        if verdict is DncVerdict.BLOCKED:
            blocked.append(lead)
        elif verdict is DncVerdict.INVALID:
            invalid.append(lead)
        else:
            eligible.append((-lead.priority, lead.due_at, lead.key, lead))
    best = heapq.nsmallest(limit, eligible, key=lambda item: (item[0], item[1], item[2]))
    return LeadSelection(tuple(item[3] for item in best), tuple(blocked), tuple(invalid))
