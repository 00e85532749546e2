"""What the dialer shell dials: campaign plans, leads, and where they come from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from callrouter.config import DialerSettings
from callrouter.dialer import AbandonCounts, Limits, PacingMode
from callrouter.dialer.store import OpenAttempt

__all__ = ["CampaignPlan", "DialLead", "LeadSource", "plan_from_dialer"]


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
    recording: str | None = None
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
