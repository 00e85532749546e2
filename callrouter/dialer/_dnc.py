"""Do-not-call: normalisation of list entries and the check made at the moment of dialing.

The list itself lives in PostgreSQL (the shell's business). Right before originating,
the shell loads the entries matching the numbers it is about to dial into a ``DncList``
and asks here. Checking at dial time rather than at import time matters: a customer
may ask to be left alone between the import and the call, and one lead's answer often
puts a number on the list that other campaigns still hold.

Entries are normalised leniently (a *possible* number, not a *valid* one): a DNC list
must block whatever a person typed, even a number the numbering plan considers odd.
Leads and entries go through the same normaliser, so "(212) 555-0100" with region US
blocks "+12125550100".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ._numbers import NormalizedNumber, normalize_number
from ._tz import require_aware

__all__ = [
    "DncEntry",
    "DncList",
    "DncLookup",
    "DncRejected",
    "DncVerdict",
    "check_dnc",
    "normalize_dnc_number",
]


class DncVerdict(enum.StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    INVALID = "invalid"
    """The number to dial cannot be normalised; do not dial it either."""


@dataclass(frozen=True, slots=True)
class DncEntry:
    number: str
    """E.164."""
    expires_at: datetime | None = None
    """Some requests are time-limited ("not this month"); None blocks forever."""


@dataclass(frozen=True, slots=True)
class DncRejected:
    index: int
    """Position in the input, from 1 (the line number when the input was a file)."""
    raw: str
    message: str


class DncLookup(Protocol):
    """What ``check_dnc`` needs: a port a database-backed adapter can also provide."""

    def blocks(self, e164: str, now: datetime) -> bool: ...


def normalize_dnc_number(raw: str, *, default_region: str | None = None) -> str | None:
    """E.164 for a DNC entry or a number about to be dialled; None if not a number."""
    result = normalize_number(raw, region=default_region, require_valid=False)
    return result.e164 if isinstance(result, NormalizedNumber) else None


class DncList:
    """An immutable set of blocked numbers, each with an optional expiry."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[DncEntry] = ()) -> None:
        merged: dict[str, datetime | None] = {}
        for entry in entries:
            if entry.expires_at is not None:
                require_aware(entry.expires_at, "expires_at")
            if entry.number in merged:
                # Two requests for one number: the longer-lasting one wins.
                old = merged[entry.number]
                if old is None or entry.expires_at is None:
                    merged[entry.number] = None
                else:
                    merged[entry.number] = max(old, entry.expires_at)
            else:
                merged[entry.number] = entry.expires_at
        self._entries: Mapping[str, datetime | None] = merged

    @classmethod
    def from_raw(
        cls,
        numbers: Iterable[str],
        *,
        default_region: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[DncList, list[DncRejected]]:
        """Normalise numbers as people typed them; report those that are no number."""
        entries: list[DncEntry] = []
        rejected: list[DncRejected] = []
        for index, raw in enumerate(numbers, start=1):
            if not raw.strip():
                continue
            e164 = normalize_dnc_number(raw, default_region=default_region)
            if e164 is None:
                rejected.append(DncRejected(index, raw, "not a phone number for this region"))
            else:
                entries.append(DncEntry(e164, expires_at))
        return cls(entries), rejected

    def __len__(self) -> int:
        return len(self._entries)

    def blocks(self, e164: str, now: datetime) -> bool:
        if e164 not in self._entries:
            return False
        until = self._entries[e164]
        return until is None or now < until


def check_dnc(
    phone: str, dnc: DncLookup, now: datetime, *, default_region: str | None = None
) -> DncVerdict:
    """May ``phone`` be dialled at ``now``? Normalises it first, as the list was."""
    require_aware(now)
    e164 = normalize_dnc_number(phone, default_region=default_region)
    if e164 is None:
        return DncVerdict.INVALID
    return DncVerdict.BLOCKED if dnc.blocks(e164, now) else DncVerdict.ALLOWED
