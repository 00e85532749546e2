"""Do-not-call normalisation and the dial-time check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callrouter.dialer import (
    DncEntry,
    DncList,
    DncVerdict,
    check_dnc,
    normalize_dnc_number,
)

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_number_typed_differently_is_still_blocked() -> None:
    dnc, rejected = DncList.from_raw(["(212) 555-0100"], default_region="US")
    assert rejected == []
    assert check_dnc("+12125550100", dnc, NOW) is DncVerdict.BLOCKED
    assert check_dnc("+1 212-555-0100", dnc, NOW) is DncVerdict.BLOCKED
    assert check_dnc("212.555.0100", dnc, NOW, default_region="US") is DncVerdict.BLOCKED
    assert check_dnc("+12125550101", dnc, NOW) is DncVerdict.ALLOWED


def test_e164_entries_block_national_numbers() -> None:
    dnc, _ = DncList.from_raw(["+49 30 1234567"])
    assert check_dnc("030 1234567", dnc, NOW, default_region="DE") is DncVerdict.BLOCKED


def test_unparseable_entries_are_reported_not_dropped_silently() -> None:
    dnc, rejected = DncList.from_raw(["call me never", "", "5550100", "+12125550100"])
    assert len(dnc) == 1
    assert [(r.index, r.raw) for r in rejected] == [(1, "call me never"), (3, "5550100")]


def test_unparseable_number_to_dial_is_invalid_not_allowed() -> None:
    assert check_dnc("nonsense", DncList(), NOW) is DncVerdict.INVALID


def test_lenient_normalisation_keeps_odd_but_possible_numbers() -> None:
    assert normalize_dnc_number("(000) 555-0100", default_region="US") == "+10005550100"
    assert normalize_dnc_number("12", default_region="US") is None


def test_expiring_entries_and_merging() -> None:
    until = NOW + timedelta(days=30)
    dnc = DncList([DncEntry("+12125550100", until)])
    assert check_dnc("+12125550100", dnc, NOW) is DncVerdict.BLOCKED
    assert check_dnc("+12125550100", dnc, until) is DncVerdict.ALLOWED
    forever = DncList([DncEntry("+12125550100", until), DncEntry("+12125550100")])
    assert check_dnc("+12125550100", forever, until + timedelta(days=999)) is DncVerdict.BLOCKED
    longer = DncList(
        [DncEntry("+12125550100", until), DncEntry("+12125550100", until + timedelta(days=1))]
    )
    assert check_dnc("+12125550100", longer, until) is DncVerdict.BLOCKED


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        DncList([DncEntry("+12125550100", datetime(2024, 1, 1))])
    with pytest.raises(ValueError):
        check_dnc("+12125550100", DncList(), datetime(2024, 1, 1))
