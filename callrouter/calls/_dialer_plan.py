"""What the dialer shell dials: campaign plans, leads, and where they come from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from callrouter.acd import RecordingPolicy
from callrouter.config import DialerSettings, Settings
from callrouter.dialer import AbandonCounts, Limits, PacingConfig, PacingMode
from callrouter.dialer.store import OpenAttempt

__all__ = [
    "DIAL_AHEAD_MIN_HANDLED",
    "CampaignPlan",
    "DialLead",
    "LeadSource",
    "pacing_config",
    "plan_from_dialer",
    "plan_from_settings",
]

# Before this many calls are handled in the window the measured handle time is biased
# short (only short calls have ended), so nobody is dialled ahead for.
DIAL_AHEAD_MIN_HANDLED = 20
# A campaign's own settings that, when set, override the dialer section's.
_OVERRIDABLE = (
    "abandon_cap", "abandon_after_s", "abandon_window_s", "abandon_min_answered",
    "apology_sound", "dial_ahead",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DialLead:
    lead_id: int
    phone: str
    name: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """What the runner needs of a campaign's configuration."""

    name: str
    campaign_id: int | None
    mode: PacingMode
    queue: str
    trunk: str
    caller_id: str
    ring_timeout_s: int = 30
    abandon_cap: float = 0.03
    # The regulators' abandon rule: connected to an operator within this long of the
    # customer's answer (AMD time included), or abandoned with ``apology_sound``.
    abandon_after_s: float = 2.0
    abandon_window_s: float = 3600.0
    abandon_min_answered: int = 50
    apology_sound: str = "sorry-youre-having-problems"
    dial_ahead: bool = True
    # The campaign's day, for its daily abandon rate, starts at midnight here.
    timezone: str = "UTC"
    amd: bool = True
    # Operators of the queue kept for inbound callers before the dialer takes any.
    inbound_reserve: int = 0
    recording: RecordingPolicy | None = None
    limits: Limits = field(default_factory=Limits)
    trunk_limits: Limits = field(default_factory=Limits)


def plan_from_dialer(
    dialer: DialerSettings,
    *,
    name: str,
    campaign_id: int | None,
    mode: PacingMode,
    queue: str,
    **overrides: Any,
) -> CampaignPlan:
    """A plan with the ``dialer`` section's trunk, caller id and limits, then overrides."""
    defaults: dict[str, Any] = {
        "trunk": dialer.trunk,
        "caller_id": dialer.caller_id,
        "ring_timeout_s": dialer.ring_timeout_s,
        "abandon_cap": dialer.abandon_cap,
        "abandon_after_s": dialer.abandon_after_s,
        "abandon_window_s": dialer.abandon_window_s,
        "abandon_min_answered": dialer.abandon_min_answered,
        "apology_sound": dialer.apology_sound,
        "dial_ahead": dialer.dial_ahead,
        "inbound_reserve": dialer.inbound_reserve,
        "trunk_limits": Limits(
            max_concurrent=dialer.trunk_max_concurrent,
            max_per_second=dialer.trunk_max_per_second,
        ),
    }
    return CampaignPlan(
        name=name, campaign_id=campaign_id, mode=mode, queue=queue, **{**defaults, **overrides}
    )


def plan_from_settings(
    settings: Settings, *, name: str, campaign_id: int | None, mode: PacingMode
) -> CampaignPlan | None:
    """The plan of the configured campaign ``name`` (None: not configured): its own
    settings where given, else the ``dialer`` section's."""
    configured = settings.campaigns.get(name)
    if configured is None:
        return None
    overrides: dict[str, Any] = {
        "recording": configured.recording,
        "limits": Limits(
            max_concurrent=configured.limits.max_concurrent,
            max_per_second=configured.limits.max_per_second,
        ),
        "timezone": configured.default_timezone,
    }
    if configured.trunk:
        overrides["trunk"] = configured.trunk
    if configured.caller_id:
        overrides["caller_id"] = configured.caller_id
    for key in _OVERRIDABLE:
        value = getattr(configured, key)
        if value is not None:
            overrides[key] = value
    return plan_from_dialer(
        settings.dialer, name=name, campaign_id=campaign_id, mode=mode,
        queue=configured.queue, **overrides,
    )  # fmt: skip


def pacing_config(plan: CampaignPlan) -> PacingConfig:
    """How the pacing core is configured for ``plan`` (the live dialer's and the
    planning simulation's one translation)."""
    return PacingConfig(
        mode=plan.mode,
        abandon_cap=plan.abandon_cap,
        anticipation=1.0 if plan.dial_ahead else 0.0,
        min_handled_for_anticipation=DIAL_AHEAD_MIN_HANDLED,
        min_answered=plan.abandon_min_answered,
        campaign_limits=plan.limits,
        trunk_limits=plan.trunk_limits,
    )


class LeadSource(Protocol):
    """Leads, attempts and campaign states in PostgreSQL (``callrouter.dialer.store``)."""

    async def running(self) -> list[CampaignPlan]: ...

    async def claim(self, plan: CampaignPlan, now: datetime, limit: int) -> list[DialLead]:
        """Due leads, inside their calling window, not on the do-not-call list at
        ``now``, marked in progress so no other node dials them."""
        ...

    async def started(self, plan: CampaignPlan, lead: DialLead, call_id: str, now: datetime) -> int:
        """Record an attempt; return its id."""
        ...

    async def answered(self, attempt_id: int, at: datetime) -> None:
        """A person answered (``at``: the answer, before AMD)."""
        ...

    async def plan_named(self, name: str) -> CampaignPlan | None:
        """The plan of a campaign whatever its state (None: not configured any more)."""
        ...

    async def finish_if_done(self, plan: CampaignPlan) -> bool:
        """The campaign is finished when none of its leads can be dialled any more."""
        ...

    async def open_attempts(self) -> list[OpenAttempt]:
        """This node's attempts left open by a crash."""
        ...

    async def release_claims(self, now: datetime) -> int:
        """This node's leads claimed before ``now`` and never dialled, released."""
        ...

    async def expire_claims(self, now: datetime) -> tuple[int, int]:
        """Every node's claims held too long released, attempts open too long lost."""
        ...

    async def abandons(self, plan: CampaignPlan, now: datetime) -> AbandonCounts | None:
        """Every node's answers and abandons over the plan's window and day; None when
        only this process's own measurements exist."""
        ...

    async def finished(
        self, attempt_id: int, outcome: str, *, hangup_cause: int | None, now: datetime,
        operator_id: str | None = None, wait_s: float | None = None, talk_s: float | None = None,
        answered_at: datetime | None = None, recording: str | None = None,
    ) -> None: ...  # fmt: skip
