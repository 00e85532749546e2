"""The outbound sections of the configuration: the dialer's defaults and campaigns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator

from callrouter.config._fields import Name, PositiveSeconds, ScriptText, Seconds, TenantRef
from callrouter.config._fields import Section as _Section
from callrouter.config._fields import check_time_zone as _check_time_zone
from callrouter.config._tenants import DEFAULT_TENANT

__all__ = [
    "CampaignLimits",
    "CampaignSettings",
    "DialerSettings",
    "DispositionSettings",
    "RetryRuleSettings",
]


class DialerSettings(_Section):
    # How a customer's number is dialled: "{number}" is replaced by the E.164 number.
    trunk: str = Field("PJSIP/{number}@pstn", pattern=r"\{number\}")
    caller_id: str = ""
    ring_timeout_s: int = Field(30, ge=5, le=300)
    abandon_cap: float = Field(0.03, ge=0, le=1)
    # An answered customer not connected to an operator this long after *answering* is
    # abandoned (the regulators' rule: 2 s from the answer, AMD time included).
    abandon_after_s: PositiveSeconds = 2.0
    # Abandons are counted over this rolling window, from the database (every node's).
    abandon_window_s: PositiveSeconds = 3600.0
    # A rate is judged over at least this many answered calls: one early abandon does
    # not stop a campaign for the whole window.
    abandon_min_answered: int = Field(50, ge=0)
    # What an abandoned customer hears (a sound name on Asterisk, checked at start).
    apology_sound: str = Field("sorry-youre-having-problems", min_length=1)
    # Predictive: dial for operators about to be free (measured ring + AMD time vs.
    # average handle time), not only for those free now.
    dial_ahead: bool = True
    # A preview lead an operator took and has not called is released after this long;
    # an attempt still open this long (its node never came back) is closed as lost.
    preview_claim_ttl_s: PositiveSeconds = 1800.0
    stale_attempt_s: PositiveSeconds = 4 * 3600.0
    inbound_reserve: int = Field(0, ge=0)
    # The trunk's own limits, over every campaign and callback (inbound calls count
    # towards max_concurrent too).
    trunk_max_concurrent: int | None = Field(None, ge=0)
    trunk_max_per_second: int | None = Field(None, ge=0)
    default_region: str = "US"


RetryOutcome = Literal[
    "busy", "no_answer", "machine", "failed", "congestion", "abandoned", "callback", "lost"
]


class RetryRuleSettings(_Section):
    """When to try a lead again after one outcome (callrouter.dialer.RetryRule)."""

    delay_s: Seconds
    max_attempts: int = Field(ge=1)
    backoff: float = Field(1.0, ge=1.0)


class DispositionSettings(_Section):
    """What an operator's wrap-up code does to the lead (callrouter.dialer.DispositionRule):
    ``done`` (never called again), ``retry`` (again after ``after_s``), ``callback`` (at
    the time given with the code, else after ``after_s``), ``dnc`` (the number goes on
    the do-not-call list), ``none`` (the retry rules decide, as without a code)."""

    effect: Literal["none", "done", "retry", "callback", "dnc"] = "none"
    after_s: Seconds = 3600.0


class CampaignLimits(_Section):
    max_concurrent: int | None = Field(None, ge=0)
    max_per_second: int | None = Field(None, ge=0)


class CampaignSettings(_Section):
    """One outbound campaign; its leads are imported with `callrouter campaigns import`."""

    tenant: TenantRef = DEFAULT_TENANT
    mode: Literal["preview", "progressive", "predictive"] = "progressive"
    queue: Name
    caller_id: str = ""
    # None: dialer.trunk. "{number}" is replaced by the lead's E.164 number.
    trunk: str | None = Field(None, pattern=r"\{number\}")
    # Calling windows in each lead's own local time: {"mon-fri": ["09:00-20:00"]}.
    windows: dict[str, list[str]] = Field(
        default_factory=lambda: {"mon-fri": ["09:00-20:00"], "sat": ["10:00-16:00"]}
    )
    holidays: list[dt.date] = Field(default_factory=list)
    default_timezone: str = "UTC"
    # None: dialer.default_region. For numbers written without +country.
    default_region: str | None = Field(None, pattern=r"^[A-Za-z]{2}$")
    retry: dict[RetryOutcome, RetryRuleSettings] = Field(default_factory=dict)
    max_attempts: int = Field(10, ge=1)
    script_url: str | None = None
    script: ScriptText | None = None
    recording: Literal["always", "never", "on_demand"] = "always"
    limits: CampaignLimits = CampaignLimits()
    abandon_cap: float | None = Field(None, ge=0, le=1)
    # None: the dialer section's value.
    abandon_after_s: PositiveSeconds | None = None
    abandon_window_s: PositiveSeconds | None = None
    abandon_min_answered: int | None = Field(None, ge=0)
    apology_sound: str | None = Field(None, min_length=1)
    dial_ahead: bool | None = None
    # Wrap-up codes operators may give an attempt, and their effect on the lead; empty:
    # any code is accepted and only recorded.
    dispositions: dict[
        Annotated[str, Field(min_length=1, max_length=64)], DispositionSettings
    ] = Field(default_factory=dict)

    @field_validator("windows")
    @classmethod
    def _valid_windows(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from callrouter.dialer import WeeklySchedule
        from callrouter.errors import InvalidInput

        try:
            WeeklySchedule.from_spec(value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_time_zone(value)
