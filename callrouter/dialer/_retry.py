"""Retry rules: after each call attempt, when to try the lead again, or that we are done.

Rules
-----
* ``next_attempt`` is the only place a lead's attempt counters and final status change.
* Final statuses never change again: feeding an outcome to a finished lead raises
  ``Conflict`` (the shell recorded an outcome twice, or raced another node).
* Each retryable outcome has its own delay and attempt cap; the campaign caps the
  total. A customer-requested callback is exempt from the total cap (turning down a
  callback the customer asked for is worse than one more attempt) but has its own cap.
* The time returned is the earliest retry; calling windows are applied when the lead
  is picked (``pick_next_leads``), because the window is a property of the moment of
  dialing, not of the outcome.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from ..errors import Conflict, InvalidInput
from ._tz import require_aware

__all__ = [
    "DEFAULT_RETRY_RULES",
    "LeadState",
    "LeadStatus",
    "Outcome",
    "RetryDecision",
    "RetryPolicy",
    "RetryRule",
    "next_attempt",
]


class Outcome(enum.StrEnum):
    CONNECTED = "connected"
    """A person answered and talked to an operator."""
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    MACHINE = "machine"
    FAILED = "failed"
    CONGESTION = "congestion"
    ABANDONED = "abandoned"
    """A person answered and no operator was connected within 2 s: our fault."""
    CALLBACK = "callback"
    """The customer asked to be called back (at ``callback_at`` if they said when)."""
    DNC_REQUESTED = "dnc_requested"
    INVALID_NUMBER = "invalid_number"
    """The network says the number does not exist (Q.850 cause 1, 28)."""
    LOST = "lost"
    """callrouter stopped during the attempt and its call was gone when it came back."""


class LeadStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    EXHAUSTED = "exhausted"
    DNC = "dnc"
    INVALID = "invalid"


_FINAL_OUTCOMES: Mapping[Outcome, LeadStatus] = MappingProxyType(
    {
        Outcome.CONNECTED: LeadStatus.DONE,
        Outcome.DNC_REQUESTED: LeadStatus.DNC,
        Outcome.INVALID_NUMBER: LeadStatus.INVALID,
    }
)
RETRYABLE_OUTCOMES = frozenset(Outcome) - frozenset(_FINAL_OUTCOMES)


@dataclass(frozen=True, slots=True)
class RetryRule:
    delay: timedelta
    max_attempts: int
    """Attempts ending with this outcome after which the lead is exhausted."""
    backoff: float = 1.0
    """Each further attempt with this outcome waits ``backoff`` times longer."""

    def __post_init__(self) -> None:
        if self.delay < timedelta(0):
            raise InvalidInput(f"retry delay must not be negative, got {self.delay}")
        if self.max_attempts < 1:
            raise InvalidInput(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff < 1.0:
            raise InvalidInput(f"backoff must be at least 1.0, got {self.backoff}")


# Busy lines clear quickly; an unanswered phone usually means nobody is home for a while;
# a machine means the person exists but screens calls, so try at another time of day.
# Congestion is ours or the carrier's problem, not the customer's: retry soon and often.
# An abandoned customer was failed by us: an hour later, at most twice.
DEFAULT_RETRY_RULES: Mapping[Outcome, RetryRule] = MappingProxyType(
    {
        Outcome.BUSY: RetryRule(timedelta(minutes=10), 5, backoff=1.5),
        Outcome.NO_ANSWER: RetryRule(timedelta(hours=1), 5, backoff=2.0),
        Outcome.MACHINE: RetryRule(timedelta(hours=4), 3),
        Outcome.FAILED: RetryRule(timedelta(minutes=15), 3, backoff=2.0),
        Outcome.CONGESTION: RetryRule(timedelta(minutes=2), 10, backoff=1.5),
        Outcome.ABANDONED: RetryRule(timedelta(hours=1), 2),
        Outcome.CALLBACK: RetryRule(timedelta(hours=1), 5),
        # Our failure, not the customer's: try again soon, but not for ever.
        Outcome.LOST: RetryRule(timedelta(minutes=5), 3),
    }
)
DEFAULT_MAX_TOTAL_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """One campaign's rules; ``rules`` override the defaults per outcome."""

    rules: Mapping[Outcome, RetryRule] = field(default_factory=dict)
    max_total_attempts: int = DEFAULT_MAX_TOTAL_ATTEMPTS

    def __post_init__(self) -> None:
        unknown = set(self.rules) - RETRYABLE_OUTCOMES
        if unknown:
            names = ", ".join(sorted(str(o) for o in unknown))
            raise InvalidInput(f"outcomes {names} end the lead and take no retry rule")
        if self.max_total_attempts < 1:
            raise InvalidInput("max_total_attempts must be at least 1")
        object.__setattr__(
            self, "rules", MappingProxyType({**DEFAULT_RETRY_RULES, **self.rules})
        )


@dataclass(frozen=True, slots=True)
class LeadState:
    attempts: int = 0
    outcome_counts: Mapping[Outcome, int] = field(default_factory=dict)
    status: LeadStatus = LeadStatus.PENDING
    last_outcome: Outcome | None = None
    last_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RetryDecision:
    status: LeadStatus
    next_attempt_at: datetime | None
    """None when ``status`` is final."""
    lead: LeadState
    """The lead after this attempt, to be stored."""


def next_attempt(
    lead_state: LeadState,
    outcome: Outcome,
    now: datetime,
    *,
    policy: RetryPolicy | None = None,
    callback_at: datetime | None = None,
) -> RetryDecision:
    """Record one attempt's ``outcome`` and decide the lead's next attempt time."""
    require_aware(now)
    if callback_at is not None:
        require_aware(callback_at, "callback_at")
    if lead_state.status is not LeadStatus.PENDING:
        raise Conflict(
            f"lead is already {lead_state.status}; cannot record outcome {outcome}"
        )
    policy = policy or RetryPolicy()
    counts = dict(lead_state.outcome_counts)
    counts[outcome] = counts.get(outcome, 0) + 1
    attempts = lead_state.attempts + 1

    status = _FINAL_OUTCOMES.get(outcome, LeadStatus.PENDING)
    at: datetime | None = None
    if status is LeadStatus.PENDING:
        rule = policy.rules[outcome]
        total_capped = outcome is not Outcome.CALLBACK and attempts >= policy.max_total_attempts
        if counts[outcome] >= rule.max_attempts or total_capped:
            status = LeadStatus.EXHAUSTED
        elif outcome is Outcome.CALLBACK and callback_at is not None:
            at = max(callback_at, now)
        else:
            at = now + rule.delay * (rule.backoff ** (counts[outcome] - 1))

    lead = LeadState(
        attempts=attempts,
        outcome_counts=MappingProxyType(counts),
        status=status,
        last_outcome=outcome,
        last_attempt_at=now,
    )
    return RetryDecision(status=status, next_attempt_at=at, lead=lead)
