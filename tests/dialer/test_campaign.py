"""Campaign state machine and lead selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrouter.dialer import (
    CAMPAIGN_TRANSITIONS,
    Campaign,
    CampaignEvent,
    CampaignState,
    DncList,
    DueLead,
    LeadStatus,
    WeeklySchedule,
    pick_next_leads,
    transition,
)
from callrouter.errors import Conflict, InvalidInput

# Wednesday 2024-05-15 16:00 UTC: 12:00 in New York, 18:00 in Berlin, 01:00 in Tokyo.
NOW = datetime(2024, 5, 15, 16, 0, tzinfo=UTC)
WINDOWS = WeeklySchedule.from_spec({"mon-fri": "09:00-21:00"})
E, S = CampaignEvent, CampaignState


def test_happy_path() -> None:
    c = Campaign()
    for event, state in [(E.START, S.RUNNING), (E.PAUSE, S.PAUSED), (E.RESUME, S.RUNNING),
                         (E.FINISH, S.FINISHED), (E.REOPEN, S.PAUSED), (E.STOP, S.STOPPED)]:
        assert c.fire(event) is state
    assert not c.dialing


def test_illegal_transition_raises_conflict_and_keeps_state() -> None:
    c = Campaign(S.PAUSED)
    with pytest.raises(Conflict, match="cannot pause a campaign that is paused"):
        c.fire(E.PAUSE)
    assert c.state is S.PAUSED
    with pytest.raises(Conflict):
        transition(S.STOPPED, E.START)


@given(st.lists(st.sampled_from(list(CampaignEvent)), max_size=30))
def test_state_only_moves_along_the_table(events: list[CampaignEvent]) -> None:
    c = Campaign()
    for event in events:
        before = c.state
        if event in CAMPAIGN_TRANSITIONS[before]:
            assert c.fire(event) is CAMPAIGN_TRANSITIONS[before][event]
        else:
            with pytest.raises(Conflict):
                c.fire(event)
            assert c.state is before
        assert c.dialing == (c.state is S.RUNNING)


def lead(key: str, *, tz: str = "America/New_York", priority: int = 0, due: int = 0,
         attempts: int = 0, phone: str = "", status: LeadStatus = LeadStatus.PENDING) -> DueLead:
    number = phone or f"+1212555{int(key[1:]):04d}"
    return DueLead(key, number, tz, NOW - timedelta(minutes=due), priority, attempts, status)


def test_pick_orders_by_priority_then_due_time_then_key() -> None:
    leads = [lead("k1", due=5), lead("k2", due=50), lead("k3", priority=2, due=1),
             lead("k4", due=50)]
    picked = pick_next_leads(leads, NOW, DncList(), WINDOWS, limit=3)
    assert [x.key for x in picked.leads] == ["k3", "k2", "k4"]


def test_pick_filters_window_due_attempts_status() -> None:
    leads = [
        lead("k1", tz="Asia/Tokyo"),  # 01:00 there
        lead("k2", due=-10),  # due in the future
        lead("k3", attempts=5),
        lead("k4", status=LeadStatus.DONE),
        lead("k5", tz="Europe/Berlin"),
        lead("k6"),
    ]
    picked = pick_next_leads(leads, NOW, DncList(), WINDOWS, limit=10, max_attempts=5)
    assert [x.key for x in picked.leads] == ["k5", "k6"]


def test_pick_reports_dnc_hits_normalised_differently() -> None:
    dnc, _ = DncList.from_raw(["(212) 555-0100"], default_region="US")
    leads = [lead("k1", phone="+12125550100"), lead("k2", phone="+12125550101")]
    picked = pick_next_leads(leads, NOW, dnc, WINDOWS, limit=10)
    assert [x.key for x in picked.leads] == ["k2"]
    assert [x.key for x in picked.dnc] == ["k1"]


def test_pick_reports_leads_that_no_longer_parse() -> None:
    leads = [lead("k1", tz="Mars/Olympus"), lead("k2", phone="garbage")]
    picked = pick_next_leads(leads, NOW, DncList(), WINDOWS, limit=10)
    assert picked.leads == () and [x.key for x in picked.invalid] == ["k1", "k2"]


def test_limit() -> None:
    leads = [lead(f"k{i}", due=i) for i in range(10)]
    assert len(pick_next_leads(leads, NOW, DncList(), WINDOWS, limit=4).leads) == 4
    assert pick_next_leads(leads, NOW, DncList(), WINDOWS, limit=0).leads == ()
    with pytest.raises(InvalidInput):
        pick_next_leads(leads, NOW, DncList(), WINDOWS, limit=-1)
