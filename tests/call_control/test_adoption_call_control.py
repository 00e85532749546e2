"""The recovery plan for call control cut short by a restart, pure: a caller held for a
consultation goes back to the operator still in the call's bridge (or back to waiting
with its place when the operator is gone); consulted legs, snoops and supervisors'
phones are hung up, monitor bridges destroyed, reserved operators freed; and a
connected call's recording is the part its row says is running."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from callrouter.ari import Bridge, Channel
from callrouter.calls._adoption import AdoptionPlan, plan_adoption
from callrouter.store.recovery import OpenRow
from tests.calls.test_adoption import NOW, OPERATORS, _bridge, _channel

CALL = str(uuid.uuid4())
MONITOR = uuid.uuid4().hex


def _held_caller_scene() -> tuple[list[Channel], list[Bridge], dict[str, OpenRow]]:
    """Anna consults bob: the caller is alone in Stasis (held), anna and bob's consult
    leg talk in the call's bridge; a supervisor listens through a snoop on anna."""
    channels = [
        _channel("caller", "callrouter,inbound,100", created=NOW - timedelta(seconds=90)),
        _channel(f"cr-op-{CALL}", f"callrouter,operator,{CALL},anna",
                 created=NOW - timedelta(seconds=80)),
        _channel("cr-consult-1", f"callrouter,consult,{CALL}", created=NOW - timedelta(seconds=9)),
        _channel(f"cr-sup-{MONITOR}", f"callrouter,snoop,supervisor,{MONITOR}",
                 created=NOW - timedelta(seconds=20)),
        _channel("cr-snoop-1", f"callrouter,snoop,channel,{MONITOR}",
                 created=NOW - timedelta(seconds=19)),
    ]  # fmt: skip
    bridges = [
        _bridge(f"cr-{CALL}", [f"cr-op-{CALL}", "cr-consult-1"]),
        _bridge(f"cr-mon-{MONITOR}", [f"cr-sup-{MONITOR}", "cr-snoop-1"]),
    ]
    rows = {
        "caller": OpenRow(
            call_id=CALL, queue="support", priority=3,
            created_at=NOW - timedelta(seconds=90), queued_at=NOW - timedelta(seconds=89),
            answered_at=NOW - timedelta(seconds=80), offered_at=NOW - timedelta(seconds=82),
            operator_id="anna", connected=True,
            recording_name=f"callrouter-{CALL}", recording_parts=1,
        ),
    }  # fmt: skip
    return channels, bridges, rows


def _plan(
    channels: list[Channel],
    bridges: list[Bridge],
    rows: dict[str, OpenRow],
    *,
    known: set[str] | None = None,
    reserved: frozenset[str] = frozenset(),
) -> AdoptionPlan:
    in_app = {c.id for c in channels if c.dialplan.app_name == "Stasis"}
    return plan_adoption(
        channels=channels, bridges=bridges, in_application=in_app, known=known or set(),
        rows=rows, operators=OPERATORS, queue_for=lambda target, exten: "support", now=NOW,
        reserved=reserved,
    )  # fmt: skip


def test_a_caller_held_for_a_consultation_goes_back_to_the_operator() -> None:
    channels, bridges, rows = _held_caller_scene()
    plan = _plan(channels, bridges, rows, reserved=frozenset({"bob"}))
    [call] = plan.calls
    assert plan.returned == [CALL] and plan.to_connect == []
    assert (call.call_id, call.operator_id, call.operator_channel_id, call.bridge_id) == (
        CALL, "anna", f"cr-op-{CALL}", f"cr-{CALL}",
    )  # fmt: skip
    assert call.answered_at == rows["caller"].answered_at and call.connect_logged
    # The consultation, the snoop and the supervisor's phone go; so does their bridge.
    assert sorted(plan.hangup) == ["cr-consult-1", "cr-snoop-1", f"cr-sup-{MONITOR}"]
    assert plan.destroy_bridges == [f"cr-mon-{MONITOR}"]
    assert plan.released == ["bob"]


def test_a_held_caller_whose_operator_is_gone_waits_again_in_their_place() -> None:
    channels, bridges, rows = _held_caller_scene()
    channels = [c for c in channels if not c.id.startswith("cr-op-")]
    bridges = [_bridge(f"cr-{CALL}", ["cr-consult-1"]), bridges[1]]
    plan = _plan(channels, bridges, rows)
    [call] = plan.calls
    assert plan.returned == [] and call.operator_id is None
    assert (call.call_id, call.queued_at, call.priority) == (
        CALL, NOW - timedelta(seconds=89), 3,
    )  # fmt: skip
    assert "cr-consult-1" in plan.hangup


def test_a_consult_still_ringing_is_hung_up_and_the_caller_returned() -> None:
    """Not in Stasis yet: the consult leg is no Stasis channel, anna is alone in the
    call's bridge; that is a hold, not an answer just before a crash."""
    channels, bridges, rows = _held_caller_scene()
    ringing = _channel("cr-consult-1", "(Outgoing Line)", created=NOW - timedelta(seconds=2))
    channels = [ringing if c.id == "cr-consult-1" else c for c in channels]
    bridges = [_bridge(f"cr-{CALL}", [f"cr-op-{CALL}"]), bridges[1]]
    plan = _plan(channels, bridges, rows)
    assert plan.returned == [CALL] and plan.to_connect == []
    assert "cr-consult-1" in plan.hangup and f"cr-op-{CALL}" not in plan.hangup


def test_a_conference_carries_on_with_caller_and_operator() -> None:
    channels, bridges, rows = _held_caller_scene()
    bridges = [_bridge(f"cr-{CALL}", ["caller", f"cr-op-{CALL}", "cr-consult-1"]), bridges[1]]
    plan = _plan(channels, bridges, rows)
    [call] = plan.calls
    assert plan.returned == [] and call.operator_id == "anna"
    assert "cr-consult-1" in plan.hangup


def test_after_a_mere_websocket_gap_live_call_control_is_left_alone() -> None:
    """Monitoring under way on this process: its channels are known, its bridge stays."""
    channels, bridges, rows = _held_caller_scene()
    plan = _plan(channels, bridges, rows, known={f"cr-sup-{MONITOR}", "cr-snoop-1"})
    assert plan.destroy_bridges == []
    assert not {f"cr-sup-{MONITOR}", "cr-snoop-1"} & set(plan.hangup)


def test_a_restored_call_keeps_the_recording_part_its_row_names() -> None:
    channels, bridges, rows = _held_caller_scene()
    part_two = f"callrouter-{CALL}-2"
    rows = {"caller": replace(rows["caller"], recording_name=part_two, recording_parts=2,
                              recording_paused=True)}  # fmt: skip
    [call] = _plan(channels, bridges, rows).calls
    assert (call.recording_name, call.recording_parts, call.recording_paused) == (
        part_two, 2, True,
    )  # fmt: skip


@given(st.randoms(use_true_random=False))
def test_the_call_control_plan_does_not_depend_on_list_order(rnd: random.Random) -> None:
    channels, bridges, rows = _held_caller_scene()
    expected = _plan(channels, bridges, rows)
    rnd.shuffle(channels)
    rnd.shuffle(bridges)
    plan = _plan(channels, bridges, rows)
    assert (plan.returned, sorted(plan.hangup), plan.destroy_bridges) == (
        expected.returned, sorted(expected.hangup), expected.destroy_bridges,
    )  # fmt: skip
