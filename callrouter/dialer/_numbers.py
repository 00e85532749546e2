"""Phone number normalisation shared by lead import and the do-not-call list.

Leads and do-not-call entries must normalise through the same function: a DNC entry
typed as "(212) 555-0100" has to block a lead imported as "+1 212-555-0100". Both end
up as E.164 strings, which is also what we hand to Asterisk.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import phonenumbers
from phonenumbers import timezone as pn_timezone

__all__ = [
    "NormalizedNumber",
    "NumberProblem",
    "NumberRejected",
    "normalize_number",
    "normalize_region",
]

# phonenumbers answers this when it knows no zone for a number (toll-free, mobile in
# some countries); we translate it to "no candidates" so callers fall back to a default.
_UNKNOWN_ZONE = "Etc/Unknown"


class NumberProblem(enum.StrEnum):
    NO_REGION = "no-region"
    UNKNOWN_REGION = "unknown-region"
    INVALID = "invalid-number"


@dataclass(frozen=True, slots=True)
class NormalizedNumber:
    e164: str
    region: str | None
    """ISO 3166 region of the number; "001" for global services (+800), None if unknown."""
    timezones: tuple[str, ...] = ()
    """IANA zones the numbering plan gives the number (only when asked for; may be empty)."""


@dataclass(frozen=True, slots=True)
class NumberRejected:
    problem: NumberProblem
    message: str


def normalize_region(region: str | None) -> str | None:
    """Uppercase a region code and check phonenumbers knows it; '' means no region."""
    if region is None:
        return None
    code = region.strip().upper()
    if not code:
        return None
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region code {region!r} (expected ISO 3166 alpha-2, e.g. 'US')")
    return code


def _shorten(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def normalize_number(
    raw: str,
    *,
    region: str | None = None,
    require_valid: bool = True,
    with_timezones: bool = False,
) -> NormalizedNumber | NumberRejected:
    """Normalise ``raw`` to E.164, using ``region`` for numbers written without +country.

    ``require_valid`` checks the number against the numbering plan (leads: we do not want
    to spend trunk capacity on numbers that cannot exist); with False only the length is
    checked (DNC lists: block anything a person might have typed). ``with_timezones`` adds
    the numbering plan's time zones while the parsed number is at hand (lead import).
    """
    try:
        code = normalize_region(region)
    except ValueError as exc:
        return NumberRejected(NumberProblem.UNKNOWN_REGION, str(exc))
    try:
        parsed = phonenumbers.parse(raw, code)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and not code:
            return NumberRejected(
                NumberProblem.NO_REGION,
                f"{_shorten(raw)} has no +country code and no region was given "
                "(add a 'region' column or a default region)",
            )
        return NumberRejected(NumberProblem.INVALID, f"{_shorten(raw)} is not a phone number")
    ok = phonenumbers.is_valid_number(parsed) if require_valid else (
        phonenumbers.is_possible_number(parsed)
    )
    if not ok:
        what = "a valid" if require_valid else "a possible"
        return NumberRejected(NumberProblem.INVALID, f"{_shorten(raw)} is not {what} number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    zones: tuple[str, ...] = ()
    if with_timezones:
        zones = tuple(
            z for z in pn_timezone.time_zones_for_number(parsed) if z != _UNKNOWN_ZONE
        )
    return NormalizedNumber(
        e164=e164, region=phonenumbers.region_code_for_number(parsed), timezones=zones
    )
