"""A configured campaign blended into the simulated day: the dialer's own pacing dials
into the same routing core the inbound callers go through.

The campaigns come from a configuration as the service reads it (``Settings``), through
the dialer shell's own translations (``plan_from_settings``, ``pacing_config``). Seeds
are fixed, so each run is the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from callrouter.acd import AcdCommand, CallRecord, OperatorStateChanged
from callrouter.calls import acd_config_from_settings, plan_from_settings
from callrouter.calls._dialer_legs import DialedLegs
from callrouter.calls._sessions import SessionRegistry
from callrouter.config import Settings
from callrouter.dialer import OUTBOUND_PRIORITY, PacingMode
from callrouter.errors import InvalidInput
from callrouter.planning import (
    ALL_QUEUES,
    Campaign,
    Interval,
    OutboundDefaults,
    OutboundLoad,
    OutboundRow,
    Plan,
    Profile,
    QueueLoad,
    Roster,
    Routing,
    RunSettings,
    SimulationSettings,
    StaffingTarget,
    blend,
    configured_campaigns,
    read_profile,
    recommend_roster,
    simulate_day,
    simulation_plan,
)
from callrouter.planning._simulation import advance, start_day
from callrouter.planning._timeline import PACE, at

HALF_HOUR = 1800
TARGET = StaffingTarget(service_level=0.8, within_s=20)
CAP = 0.03


def config(reserve: int = 1, **campaign: Any) -> dict[str, Any]:
    """Sales and support; sales operators, blended ones (support at penalty 1, which
    support escalates to after 20 s) and support operators; one campaign into sales."""
    return {
        "queues": {
            "sales": {"wrapup_s": 10},
            "support": {"wrapup_s": 5, "max_penalty": 0,
                        "escalation": [{"after_s": 20, "max_penalty": 1}]},
        },
        "operators": {
            "anna": {"endpoint": "PJSIP/101", "queues": {"sales": 0}},
            "ben": {"endpoint": "PJSIP/102", "queues": {"sales": 0, "support": 1}},
            "cleo": {"endpoint": "PJSIP/103", "queues": {"support": 0}},
        },
        "dialer": {"abandon_cap": CAP, "inbound_reserve": reserve},
        "campaigns": {"renewals": {"mode": "predictive", "queue": "sales",
                                   "caller_id": "+4930123456", "dial_ahead": False,
                                   **campaign}},
    }  # fmt: skip


def setup(reserve: int = 1, **campaign: Any) -> tuple[Settings, Routing, Campaign]:
    settings = Settings.model_validate(config(reserve, **campaign))
    routing = Routing.from_acd_config(acd_config_from_settings(settings))
    (renewals,) = configured_campaigns(
        settings, ["renewals"], answer_after_s=(4, 20), give_up_after_s=(3, 30), amd_s=0
    )
    return settings, routing, renewals


def day(*sales_calls: float, support_calls: float = 0, dial: bool = True) -> Profile:
    """Half hours from 09:00 with these sales calls; customers answer 30% of lines and
    talk 3 min on average."""
    return Profile(
        HALF_HOUR,
        tuple(
            Interval(
                9 * 3600 + k * HALF_HOUR,
                (QueueLoad("sales", calls, 240, 120), QueueLoad("support", support_calls, 200)),
                (OutboundLoad("sales", 0.3, 180),) if dial else (),
            )
            for k, calls in enumerate(sales_calls)
        ),
    )


def roster(profile: Profile, **groups: int) -> Roster:
    return Roster({i.start_s: dict(groups) for i in profile.intervals})


def outbound(plan: Plan, start: str | None) -> OutboundRow:
    starts = {None: None, "09:00": 32400, "09:30": 34200}
    return next(r for r in plan.outbound if r.start_s == starts[start])


def test_light_inbound_leaves_its_idle_operators_to_the_campaign() -> None:
    _, routing, renewals = setup()
    profile = day(20, 20)  # 2.7 erlangs of sales for 12 sales operators
    plan = simulation_plan(
        routing, profile, roster(profile, sales=12), TARGET,
        RunSettings(replications=5, seed=3, warmup_s=HALF_HOUR), campaigns=[renewals],
    )  # fmt: skip
    whole = outbound(plan, None)
    assert whole.connects.low > 100  # two half hours, about 60 customers each
    assert whole.occupancy.mean > 0.5  # the campaign's customers take half their time
    total = next(r for r in plan.rows if r.queue == ALL_QUEUES)
    assert total.occupancy.mean > 0.6  # against 2.7 / 12 = 22% for inbound alone
    assert whole.abandon_rate.high < CAP
    # Customers go first, so inbound waits a little longer, still far above the target.
    assert whole.inbound_service_level.mean > 0.9
    assert whole.inbound_service_level_alone.mean == 1.0


def _heavy(reserve: int, calls: float) -> OutboundRow:
    _, routing, renewals = setup(reserve)
    heavy = day(calls)
    plan = simulation_plan(
        routing, heavy, roster(heavy, sales=12), TARGET,
        RunSettings(replications=10, seed=3, warmup_s=HALF_HOUR), campaigns=[renewals],
    )  # fmt: skip
    return outbound(plan, "09:00")


def test_heavy_inbound_throttles_the_campaign_and_keeps_the_service_level() -> None:
    """Sales callers nearly always waiting (17 erlangs for 12 operators, patient 2 min),
    3 operators kept for inbound: the dialer almost never sees one to dial for, and
    inbound is served as without the campaign."""
    row = _heavy(3, 130)
    assert row.attempts.mean <= 3
    assert abs(row.inbound_service_level.mean - row.inbound_service_level_alone.mean) < 0.02


def test_the_inbound_reserve_decides_what_a_busy_queue_gives_away() -> None:
    """At 15 erlangs the queue empties now and then; customers dialled in those lulls
    jump the line, so they cost inbound callers more than their number. Keeping 3
    operators rather than 1 for inbound dials less and narrows the gap."""
    one, three = _heavy(1, 110), _heavy(3, 110)
    assert three.attempts.mean < one.attempts.mean / 2
    gap = {
        n: row.inbound_service_level_alone.mean - row.inbound_service_level.mean
        for n, row in ((1, one), (3, three))
    }
    assert 0 <= gap[3] < gap[1]


def test_a_peak_after_a_quiet_half_hour_stops_the_dialling() -> None:
    _, routing, renewals = setup()
    profile = day(20, 110)
    plan = simulation_plan(
        routing, profile, roster(profile, sales=12), TARGET,
        RunSettings(replications=5, seed=3), campaigns=[renewals],
    )  # fmt: skip
    quiet, peak = outbound(plan, "09:00"), outbound(plan, "09:30")
    assert peak.attempts.mean < quiet.attempts.mean / 5


def test_recommend_judges_occupancy_on_inbound_calls_only() -> None:
    """A dialer fills whatever idle time it is given, so an occupancy target counted
    with its customers could never be met: the search counts inbound calls alone."""
    _, routing, renewals = setup()
    light = day(20)  # 2.7 erlangs of sales
    target = StaffingTarget(service_level=None, max_occupancy=0.5)
    runs = RunSettings(replications=3, seed=3)
    only_sales = roster(light, sales=1)  # the mix to keep: sales operators only
    found = recommend_roster(routing, light, target, runs, base=only_sales, campaigns=[renewals])
    assert 5 <= found.total(32400) <= 7  # 2.7 / 0.5, give or take the simulation
    plan = simulation_plan(routing, light, found, target, runs, campaigns=[renewals])
    total = next(r for r in plan.rows if r.queue == ALL_QUEUES)
    assert total.occupancy.mean > 0.5  # the operators' time, the customers' included


def test_the_same_seed_is_the_same_day() -> None:
    _, routing, renewals = setup()
    profile = day(30, 60)
    staff = roster(profile, sales=10)

    def run(seed: int) -> Any:
        return simulate_day(
            routing, profile, staff, SimulationSettings(seed=seed, ring_s=1), within_s=20,
            campaigns=[renewals],
        )  # fmt: skip

    first = run(5)
    assert first == run(5)
    assert first.outbound != run(6).outbound


def _watched_day(
    settings_campaign: dict[str, Any], *, ring_s: float = 0.0, amd_s: float = 0.0
) -> tuple[list[AcdCommand], Any]:
    _, routing, renewals = setup(**settings_campaign)
    renewals = Campaign(
        renewals.name, renewals.queue, renewals.pacing,
        inbound_reserve=renewals.inbound_reserve, amd_s=amd_s,
    )  # fmt: skip
    profile = day(10)
    seen: list[AcdCommand] = []
    floor = start_day(
        routing, profile, roster(profile, sales=8), SimulationSettings(seed=2, ring_s=ring_s),
        within_s=20, campaigns=[renewals], on_command=seen.append,
    )  # fmt: skip
    while floor.heap:
        advance(floor)
    return seen, floor


def test_answered_customers_join_the_campaign_queue_at_the_outbound_priority() -> None:
    seen, _ = _watched_day({})
    customers = [c for c in seen if isinstance(c, CallRecord) and c.call_id.startswith("ren")]
    assert customers and all(
        (c.queue, c.priority) == ("sales", OUTBOUND_PRIORITY) for c in customers
    )
    assert any(c.outcome == "answered" for c in customers)


def test_a_customer_not_connected_within_two_seconds_is_abandoned_and_brakes_the_dialer() -> None:
    """Operators' phones ring 3 s before they answer: every answered customer waits
    longer than the 2 s rule allows. Two abandons in the first 50 answered put the
    window over the cap: the dialer stops."""
    seen, floor = _watched_day({"mode": "progressive"}, ring_s=3)
    (tally,) = floor.tally.outbound.values()
    assert tally.answered == tally.abandoned >= 2 and tally.connected == 0
    assert tally.attempts < 30  # a first round of lines, then nothing
    assert all(
        c.outcome == "abandoned"
        for c in seen
        if isinstance(c, CallRecord) and c.call_id.startswith("ren") and c.outcome
    )


def test_amd_past_the_deadline_abandons_without_queueing() -> None:
    seen, floor = _watched_day({"mode": "progressive"}, amd_s=2.5)
    (tally,) = floor.tally.outbound.values()
    assert tally.answered == tally.abandoned >= 2
    assert not [c for c in seen if isinstance(c, CallRecord) and c.call_id.startswith("ren")]


def test_pacing_reads_the_floor_as_the_live_dialer_does() -> None:
    """At every pacing decision of a day, what the simulation fed ``decide`` (kept from
    the engine's commands) is what the live dialer reads off ``engine.snapshot()``:
    free operators after inbound callers in line and the reserve, busy operators, how
    long each has been busy."""
    settings, routing, renewals = setup(dial_ahead=True)
    profile = day(40, 70, support_calls=40)
    plan = plan_from_settings(
        settings, name="renewals", campaign_id=None, mode=PacingMode.PREDICTIVE
    )
    assert plan is not None
    legs = DialedLegs(SessionRegistry())

    def watch(command: AcdCommand) -> None:
        if isinstance(command, OperatorStateChanged):
            legs.operator_state(command)

    floor = start_day(
        routing, profile,
        Roster({s: {"sales": 5, "sales+support:1": 3, "support": 3} for s in (32400, 34200)}),
        SimulationSettings(seed=4, ring_s=1), within_s=20, campaigns=[renewals],
        on_command=watch,
    )  # fmt: skip
    (dialer,) = floor.dialers
    compared, seen = 0, {"free": 0, "callers waiting": 0, "busy": 0}
    for _ in _events(floor, until_us=2 * HALF_HOUR * 1_000_000):
        ours = dialer.last_snapshot
        if ours is None:
            continue
        now = at(floor.now_us)
        live = legs.snapshot(plan, now, floor.engine.snapshot(now), None)
        assert ours.free_operators == live.free_operators, now
        assert ours.busy_operators == live.busy_operators, now
        assert sorted(ours.busy_elapsed) == sorted(live.busy_elapsed), now
        compared += 1
        seen["free"] += ours.free_operators > 0
        seen["callers waiting"] += floor.queue_floor("sales").inbound_waiting > 0
        seen["busy"] += bool(ours.busy_elapsed)
    assert compared > 500 and all(seen.values()), (compared, seen)


def _events(floor: Any, *, until_us: int) -> Iterator[None]:
    """Advance the day; yield after each pacing event."""
    while floor.heap and floor.heap[0][0] <= until_us:
        kind = floor.heap[0][1]
        dialer = floor.dialers[0]
        dialer.last_snapshot = None
        advance(floor)
        if kind == PACE:
            yield None


def test_profile_columns_and_command_line_defaults() -> None:
    text = (
        "start,queue,calls,aht_s,answer_rate,talk_s,leads\n"
        "09:00,sales,20,240,0.3,180,400\n"
        "09:30,sales,20,240,,,0\n"
        "10:00,sales,20,240,,,\n"
    )
    defaults = OutboundDefaults(answer_rate=0.25, talk_s=120)
    profile = read_profile(text, outbound=defaults)
    loads = [i.outbound_load("sales") for i in profile.intervals]
    assert loads == [
        OutboundLoad("sales", 0.3, 180, 400),
        OutboundLoad("sales", 0.25, 120, 0),
        None,
    ]
    _, _, renewals = setup()
    filled = blend(profile, [renewals], defaults)
    assert filled.intervals[2].outbound_load("sales") == OutboundLoad("sales", 0.25, 120)
    with pytest.raises(InvalidInput, match=r"line 3: answer_rate is empty .*--answer-rate"):
        read_profile(text)
    with pytest.raises(InvalidInput, match="line 2: leads must be a whole number"):
        read_profile("start,calls,aht_s,answer_rate,talk_s,leads\n09:00,1,240,0.3,180,2.5\n")
    with pytest.raises(InvalidInput, match="answer_rate must be in"):
        read_profile("start,calls,aht_s,answer_rate,talk_s\n09:00,1,240,1.3,180\n")


def test_a_campaign_that_cannot_be_simulated_is_refused_with_a_reason() -> None:
    settings, routing, renewals = setup()
    with pytest.raises(InvalidInput, match=r"no campaign 'winback'.*renewals"):
        configured_campaigns(settings, ["winback"], answer_after_s=(4, 20),
                             give_up_after_s=(3, 30), amd_s=0)  # fmt: skip
    preview = Settings.model_validate(config(mode="preview"))
    with pytest.raises(InvalidInput, match="preview campaigns"):
        configured_campaigns(preview, ["renewals"], answer_after_s=(4, 20),
                             give_up_after_s=(3, 30), amd_s=0)  # fmt: skip
    anonymous = Settings.model_validate(config(caller_id=""))
    with pytest.raises(InvalidInput, match="no caller_id"):
        configured_campaigns(anonymous, ["renewals"], answer_after_s=(4, 20),
                             give_up_after_s=(3, 30), amd_s=0)  # fmt: skip
    inbound_only = day(20, dial=False)
    with pytest.raises(InvalidInput, match="no interval says what it dials into sales"):
        simulate_day(routing, inbound_only, roster(inbound_only, sales=3),
                     SimulationSettings(), within_s=20, campaigns=[renewals])  # fmt: skip
