"""Dispositions: an operator's wrap-up code for an attempt, and what it does to the lead.

Rules
-----
* A campaign may configure its codes, each with one effect; with none configured any
  code is accepted and only recorded (``none``).
* The effect overrides the retry rules' decision for the attempt it is given to:
  ``done`` finishes the lead, ``retry`` makes it due again ``after`` later, ``callback``
  due at the time the operator gave (never in the past; ``after`` later without one),
  ``dnc`` finishes it and puts its number on the do-not-call list. The calling window
  still applies when the lead comes due (``pick_next_leads``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import InvalidInput
from ._retry import LeadStatus
from ._tz import require_aware

__all__ = ["DispositionEffect", "DispositionRule", "LeadChange", "apply_disposition", "rules_from"]


class DispositionEffect(enum.StrEnum):
    NONE = "none"
    DONE = "done"
    RETRY = "retry"
    CALLBACK = "callback"
    DNC = "dnc"


@dataclass(frozen=True, slots=True)
class DispositionRule:
    effect: DispositionEffect = DispositionEffect.NONE
    after: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class LeadChange:
    status: LeadStatus
    next_attempt_at: datetime | None


def rules_from(config: Mapping[str, Mapping[str, Any]]) -> dict[str, DispositionRule]:
    """A campaign's configured codes (the ``dispositions`` of its settings snapshot)."""
    return {
        code: DispositionRule(
            DispositionEffect(raw.get("effect", "none")),
            timedelta(seconds=float(raw.get("after_s", 3600.0))),
        )
        for code, raw in config.items()
    }


def apply_disposition(
    rules: Mapping[str, DispositionRule],
    code: str,
    now: datetime,
    *,
    callback_at: datetime | None = None,
) -> LeadChange | None:
    """What ``code`` does to the lead at ``now``; None: nothing (the retry rules stand).

    ``InvalidInput`` for a code the campaign does not know, when it configures codes."""
    require_aware(now)
    if not rules:
        return None
    rule = rules.get(code)
    if rule is None:
        known = ", ".join(sorted(rules))
        raise InvalidInput(f"unknown disposition {code!r} (this campaign knows: {known})")
    match rule.effect:
        case DispositionEffect.DONE:
            return LeadChange(LeadStatus.DONE, None)
        case DispositionEffect.DNC:
            return LeadChange(LeadStatus.DNC, None)
        case DispositionEffect.RETRY:
            return LeadChange(LeadStatus.PENDING, now + rule.after)
        case DispositionEffect.CALLBACK:
            if callback_at is not None:
                require_aware(callback_at, "callback_at")
                return LeadChange(LeadStatus.PENDING, max(callback_at, now))
            return LeadChange(LeadStatus.PENDING, now + rule.after)
    return None
