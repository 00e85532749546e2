"""The recovery plan is pure: the same Asterisk state gives the same plan whatever order
Asterisk lists channels and bridges in (it uses hash order, not creation order)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from callrouter.ari import Bridge, Channel
from callrouter.calls._adoption import AdoptionPlan, plan_adoption
from callrouter.store.recovery import OpenRow

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
OPERATORS = {"anna": ("support",), "bob": ("support",), "carl": ("support",)}


def _channel(channel_id: str, app_data: str, *, created: datetime, number: str = "") -> Channel:
    app_name = "Stasis" if app_data.startswith("callrouter") else "AppDial2"
    return Channel.model_validate(
        {
            "id": channel_id, "name": f"Local/{channel_id}", "state": "Up",
            "protocol_id": "", "accountcode": "", "language": "en",
            "caller": {"name": "", "number": number}, "connected": {"name": "", "number": ""},
            "dialplan": {"context": "in", "exten": "100", "priority": 1,
                         "app_name": app_name, "app_data": app_data},
            "creationtime": created.isoformat(),
        }
    )  # fmt: skip


def _bridge(bridge_id: str, channels: list[str]) -> Bridge:
    return Bridge.model_validate(
        {
            "id": bridge_id, "technology": "simple_bridge", "bridge_type": "mixing",
            "bridge_class": "stasis", "creator": "Stasis", "name": "", "channels": channels,
            "creationtime": (NOW - timedelta(seconds=30)).isoformat(),
        }
    )  # fmt: skip


def _scene() -> tuple[list[Channel], list[Bridge], dict[str, OpenRow]]:
    """Two calls talking (anna, bob), two callers waiting, carl's phone still ringing
    for one of them, and an operator leg answered for a caller who is gone."""
    talk_ids = [str(uuid.uuid4()) for _ in range(2)]
    channels = [
        _channel("c1", "callrouter,inbound,100", created=NOW - timedelta(seconds=60)),
        _channel("c2", "callrouter,inbound,100", created=NOW - timedelta(seconds=50)),
        _channel("w1", "callrouter,inbound,100", created=NOW - timedelta(seconds=40)),
        _channel("w2", "callrouter,inbound,100", created=NOW - timedelta(seconds=20)),
        _channel(
            "cr-a", f"callrouter,operator,{talk_ids[0]},anna", created=NOW - timedelta(seconds=59)
        ),
        _channel(
            "cr-b", f"callrouter,operator,{talk_ids[1]},bob", created=NOW - timedelta(seconds=49)
        ),
        _channel("cr-ring", "(Outgoing Line)", created=NOW - timedelta(seconds=2)),
        _channel(
            "cr-lost",
            f"callrouter,operator,{uuid.uuid4()},carl",
            created=NOW - timedelta(seconds=3),
        ),
    ]
    bridges = [_bridge(f"cr-{talk_ids[0]}", ["c1", "cr-a"]), _bridge("cr-x", ["cr-b", "c2"])]
    rows = {
        "w1": OpenRow(
            call_id=str(uuid.uuid4()), queue="support", priority=5,
            created_at=NOW - timedelta(seconds=40), queued_at=NOW - timedelta(seconds=39),
            answered_at=None, offered_at=None, operator_id=None,
        ),
        "c1": OpenRow(
            call_id=talk_ids[0], queue="support", priority=0,
            created_at=NOW - timedelta(seconds=60), queued_at=NOW - timedelta(seconds=60),
            answered_at=NOW - timedelta(seconds=58), offered_at=NOW - timedelta(seconds=59),
            operator_id="anna",
        ),
    }  # fmt: skip
    return channels, bridges, rows


def _plan(
    channels: list[Channel], bridges: list[Bridge], rows: dict[str, OpenRow]
) -> AdoptionPlan:
    in_app = {c.id for c in channels if c.dialplan.app_name == "Stasis"}
    return plan_adoption(
        channels=channels, bridges=bridges, in_application=in_app, known=set(), rows=rows,
        operators=OPERATORS, queue_for=lambda target, exten: "support", now=NOW,
    )  # fmt: skip


def _summary(plan: AdoptionPlan) -> tuple[object, ...]:
    calls = sorted(
        (c.channel.id, c.operator_id, c.queued_at, c.has_row, c.priority) for c in plan.calls
    )
    return tuple(calls), tuple(sorted(plan.hangup)), tuple(sorted(plan.left_alone))


def test_connected_waiting_and_orphans_are_told_apart() -> None:
    channels, bridges, rows = _scene()
    plan = _plan(channels, bridges, rows)
    by_channel = {c.channel.id: c for c in plan.calls}
    assert {c: by_channel[c].operator_id for c in by_channel} == {
        "c1": "anna", "c2": "bob", "w1": None, "w2": None,
    }  # fmt: skip
    # c2's row never landed: the operator leg's Stasis arguments give the call id.
    assert by_channel["c2"].call_id == channels[5].dialplan.app_data.split(",")[2]
    assert by_channel["c2"].has_row is False
    # The waiting caller with a row keeps its queue time and priority; the one
    # without falls back on Asterisk's creation time.
    assert by_channel["w1"].queued_at == NOW - timedelta(seconds=39)
    assert by_channel["w1"].priority == 5
    assert by_channel["w2"].queued_at == NOW - timedelta(seconds=20)
    assert sorted(plan.hangup) == ["cr-lost", "cr-ring"]


@given(st.randoms(use_true_random=False))
def test_plan_does_not_depend_on_list_order(rnd: random.Random) -> None:
    channels, bridges, rows = _scene()
    expected = _summary(_plan(channels, bridges, rows))
    rnd.shuffle(channels)
    rnd.shuffle(bridges)
    assert _summary(_plan(channels, bridges, rows)) == expected


def test_an_operator_bridged_twice_is_restored_once() -> None:
    channels, bridges, rows = _scene()
    channels.append(_channel("c3", "callrouter,inbound,100", created=NOW))
    channels.append(
        _channel("cr-a2", f"callrouter,operator,{uuid.uuid4()},anna", created=NOW)
    )
    bridges.append(_bridge("cr-y", ["c3", "cr-a2"]))
    plan = _plan(channels, bridges, rows)
    assert [c.operator_id for c in plan.connected].count("anna") == 1
    assert len(plan.left_alone) == 1


def test_times_from_asterisk_never_reach_past_now() -> None:
    late = NOW + timedelta(minutes=5)  # Asterisk's clock runs ahead of ours
    channels = [_channel("w", "callrouter,inbound,100", created=late)]
    plan = _plan(channels, [], {})
    assert plan.calls[0].queued_at == NOW


def test_a_caller_left_alone_in_our_bridge_is_an_answered_call_that_ended() -> None:
    """The operator hung up while callrouter was away: Asterisk keeps the caller in the
    bridge (ari-captures/sip: sip_op_answer_then_bye). The call is over, not waiting."""
    channels, bridges, rows = _scene()
    c1_row = rows["c1"]
    alone = [c for c in channels if c.id != "cr-a"]
    lonely = [_bridge(f"cr-{c1_row.call_id}", ["c1"]), bridges[1]]
    plan = _plan(alone, lonely, rows)
    assert plan.operator_left == [c1_row.call_id]
    [c1] = [c for c in plan.calls if c.channel.id == "c1"]
    assert c1.operator_id == "anna" and c1.answered_at == c1_row.answered_at


def test_an_operator_who_answered_just_before_the_crash_is_connected_not_hung_up() -> None:
    channels, bridges, rows = _scene()
    w1_row = rows["w1"]
    channels.append(
        _channel("cr-carl", f"callrouter,operator,{w1_row.call_id},carl", created=NOW)
    )
    plan = _plan(channels, bridges, rows)
    assert plan.to_connect == [w1_row.call_id]
    [w1] = [c for c in plan.calls if c.channel.id == "w1"]
    assert (w1.operator_id, w1.operator_channel_id, w1.bridge_id) == ("carl", "cr-carl", None)
    assert "cr-carl" not in plan.hangup
