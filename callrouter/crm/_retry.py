"""When to try a webhook again: capped exponential backoff with jitter, or Retry-After.

Jitter spreads the retries of many deliveries that failed together (the CRM restarted)
so they do not all return in the same instant. A ``Retry-After`` from the CRM wins over
the computed delay, because the CRM knows its own load better than we do; it is capped
so a misconfigured CRM cannot park a call's events for a day.
"""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "DEFAULT_BACKOFF_BASE_S",
    "DEFAULT_BACKOFF_MAX_S",
    "DEFAULT_RETRY_AFTER_MAX_S",
    "RetryPolicy",
    "parse_retry_after",
]

DEFAULT_BACKOFF_BASE_S = 1.0
DEFAULT_BACKOFF_MAX_S = 300.0
DEFAULT_RETRY_AFTER_MAX_S = 600.0
DEFAULT_JITTER = 0.5


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delays between attempts. ``jitter`` is the fraction of a delay that is random."""

    base_s: float = DEFAULT_BACKOFF_BASE_S
    max_s: float = DEFAULT_BACKOFF_MAX_S
    retry_after_max_s: float = DEFAULT_RETRY_AFTER_MAX_S
    jitter: float = DEFAULT_JITTER
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.base_s > 0:
            raise ValueError("base_s must be positive")
        if self.max_s < self.base_s:
            raise ValueError("max_s must not be below base_s")
        if self.retry_after_max_s < 0:
            raise ValueError("retry_after_max_s must not be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def delay_s(self, attempts: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after ``attempts`` failed attempts (1 after the first)."""
        if retry_after_s is not None:
            return min(retry_after_s, self.retry_after_max_s)
        # The exponent is capped before the power so a long outage cannot overflow.
        ceiling = min(self.max_s, self.base_s * 2.0 ** min(attempts - 1, 62))
        return ceiling * (1 - self.jitter * self.rng.random())


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from ``now`` that a ``Retry-After`` header asks for, or None if unusable.

    RFC 9110 allows delay-seconds or an HTTP date. Fractional seconds are not standard
    but cost nothing to accept.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
