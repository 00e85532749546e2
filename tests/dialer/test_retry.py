"""Retry rules per outcome and the lead's final status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callrouter.dialer import (
    LeadState,
    LeadStatus,
    Outcome,
    RetryPolicy,
    RetryRule,
    next_attempt,
)
from callrouter.errors import Conflict, InvalidInput

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
POLICY = RetryPolicy(
    rules={
        Outcome.BUSY: RetryRule(timedelta(minutes=5), 3, backoff=2.0),
        Outcome.NO_ANSWER: RetryRule(timedelta(hours=1), 10),
        Outcome.CALLBACK: RetryRule(timedelta(hours=2), 2),
    },
    max_total_attempts=4,
)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.CONNECTED, LeadStatus.DONE),
        (Outcome.DNC_REQUESTED, LeadStatus.DNC),
        (Outcome.INVALID_NUMBER, LeadStatus.INVALID),
    ],
)
def test_final_outcomes(outcome: Outcome, status: LeadStatus) -> None:
    decision = next_attempt(LeadState(), outcome, NOW, policy=POLICY)
    assert (decision.status, decision.next_attempt_at) == (status, None)
    assert decision.lead.attempts == 1 and decision.lead.status is status


def test_busy_backs_off_then_exhausts() -> None:
    lead = LeadState()
    delays = []
    for _ in range(2):
        decision = next_attempt(lead, Outcome.BUSY, NOW, policy=POLICY)
        assert decision.status is LeadStatus.PENDING and decision.next_attempt_at
        delays.append(decision.next_attempt_at - NOW)
        lead = decision.lead
    assert delays == [timedelta(minutes=5), timedelta(minutes=10)]
    final = next_attempt(lead, Outcome.BUSY, NOW, policy=POLICY)
    assert (final.status, final.next_attempt_at) == (LeadStatus.EXHAUSTED, None)
    assert final.lead.outcome_counts[Outcome.BUSY] == 3


def test_total_attempts_cap_across_outcomes() -> None:
    lead = LeadState()
    for outcome in (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.MACHINE):
        lead = next_attempt(lead, outcome, NOW, policy=POLICY).lead
    assert lead.status is LeadStatus.PENDING
    final = next_attempt(lead, Outcome.NO_ANSWER, NOW, policy=POLICY)
    assert final.status is LeadStatus.EXHAUSTED


def test_callback_at_requested_time_and_exempt_from_total_cap() -> None:
    lead = LeadState(attempts=10)
    at = NOW + timedelta(days=1)
    decision = next_attempt(lead, Outcome.CALLBACK, NOW, policy=POLICY, callback_at=at)
    assert (decision.status, decision.next_attempt_at) == (LeadStatus.PENDING, at)
    past = next_attempt(lead, Outcome.CALLBACK, NOW, callback_at=NOW - timedelta(hours=1))
    assert past.next_attempt_at == NOW
    unspecified = next_attempt(LeadState(), Outcome.CALLBACK, NOW, policy=POLICY)
    assert unspecified.next_attempt_at == NOW + timedelta(hours=2)
    capped = next_attempt(decision.lead, Outcome.CALLBACK, NOW, policy=POLICY)
    assert capped.status is LeadStatus.EXHAUSTED


def test_defaults_apply_to_outcomes_without_overrides() -> None:
    decision = next_attempt(LeadState(), Outcome.CONGESTION, NOW, policy=POLICY)
    assert decision.next_attempt_at == NOW + timedelta(minutes=2)
    assert next_attempt(LeadState(), Outcome.MACHINE, NOW).next_attempt_at == NOW + timedelta(
        hours=4
    )


def test_finished_lead_refuses_more_outcomes_and_is_unchanged() -> None:
    done = next_attempt(LeadState(), Outcome.CONNECTED, NOW).lead
    with pytest.raises(Conflict):
        next_attempt(done, Outcome.BUSY, NOW)
    assert done.status is LeadStatus.DONE and done.attempts == 1


def test_policy_validation() -> None:
    with pytest.raises(InvalidInput):
        RetryPolicy(rules={Outcome.CONNECTED: RetryRule(timedelta(0), 1)})
    with pytest.raises(InvalidInput):
        RetryRule(timedelta(minutes=-1), 1)
    with pytest.raises(InvalidInput):
        RetryRule(timedelta(minutes=1), 0)
    with pytest.raises(InvalidInput):
        RetryPolicy(max_total_attempts=0)
    with pytest.raises(ValueError):
        next_attempt(LeadState(), Outcome.BUSY, datetime(2024, 1, 1))
