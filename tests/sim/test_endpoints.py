"""Originate to scripted endpoints: answer, busy, no answer, machine, offline."""

from __future__ import annotations

from typing import Any

import pytest

from callrouter.sim import SimControl
from tests.sim._support import Ari, Events


async def _originate(ari: Ari, endpoint: str, **params: str) -> str:
    reply = await ari.call(
        "POST", "/channels", {"endpoint": endpoint, "app": "callrouter", **params}
    )
    assert reply.status == 200, reply.body
    assert reply.body["state"] == "Down"
    channel_id: str = reply.body["id"]
    return channel_id


async def test_answers_after_ringing(ari: Ari, events: Events, sim_control: SimControl) -> None:
    await sim_control.set_endpoint("PJSIP", "201", answer_after=3)
    channel_id = await _originate(ari, "PJSIP/201", appArgs="dialed,x")
    ringing = await events.next("ChannelStateChange", channel__id=channel_id)
    assert ringing["channel"]["state"] == "Ringing"
    answered = await events.next("Dial", peer__id=channel_id, dialstatus="ANSWER")
    assert answered["peer"]["state"] == "Up"
    start = await events.next("StasisStart", channel__id=channel_id)
    assert start["args"] == ["dialed", "x"]
    assert start["channel"]["dialplan"]["app_data"] == "callrouter,dialed,x"


async def test_operator_via_local_channel(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("Local", "101@operators", answer_after=1, hangup_after=2)
    channel_id = await _originate(ari, "Local/101@operators")
    start = await events.next("StasisStart", channel__id=channel_id)
    assert start["channel"]["name"].endswith(";1")
    # The operator hangs up 2 s after answering: ";2" ends with cause 16, then ";1".
    request = await events.next("ChannelHangupRequest", channel__id=channel_id)
    assert request["cause"] == 16
    await events.next("StasisEnd", channel__id=channel_id)
    destroyed = await events.next("ChannelDestroyed", channel__id=channel_id)
    assert (destroyed["cause"], destroyed["cause_txt"]) == (16, "Normal Clearing")


async def _assert_fails(
    events: Events, channel_id: str, status: str, cause: int, tech_cause: int | None = None
) -> None:
    request = await events.next("ChannelHangupRequest", channel__id=channel_id)
    assert next(iter(request)) == "cause"  # Asterisk's key order: cause before type
    assert (request["cause"], request.get("tech_cause"), request.get("soft")) == (
        cause,
        tech_cause,
        None,
    )
    dial = await events.next("Dial", peer__id=channel_id, dialstatus=status)
    assert dial["dialstring"]
    assert "caller" not in dial
    destroyed = await events.next("ChannelDestroyed", channel__id=channel_id)
    assert (destroyed["cause"], destroyed.get("tech_cause")) == (cause, tech_cause)
    assert not [e for e in events.received if e["type"] == "StasisStart"]
    # No second, soft request: the leg never ran the dialplan.
    requests = [
        e
        for e in events.received
        if e["type"] == "ChannelHangupRequest" and e["channel"]["id"] == channel_id
    ]
    assert len(requests) == 1


async def test_busy(ari: Ari, events: Events, sim_control: SimControl) -> None:
    await sim_control.set_endpoint("PJSIP", "202", behavior="busy", answer_after=1)
    channel_id = await _originate(ari, "PJSIP/202")
    await _assert_fails(events, channel_id, "BUSY", 17, 486)


async def test_congestion(ari: Ari, events: Events, sim_control: SimControl) -> None:
    await sim_control.set_endpoint("PJSIP", "203", behavior="congestion")
    channel_id = await _originate(ari, "PJSIP/203")
    await _assert_fails(events, channel_id, "CONGESTION", 34, 503)


async def test_no_answer_times_out(ari: Ari, events: Events, sim_control: SimControl) -> None:
    # As Asterisk's dial API gives up on an originate (sip_op_noanswer_timeout.jsonl):
    # no final Dial and no ChannelHangupRequest, only ChannelDestroyed 19 / SIP 480.
    await sim_control.set_endpoint("PJSIP", "204", behavior="noanswer")
    channel_id = await _originate(ari, "PJSIP/204", timeout="20")
    await events.next("Dial", peer__id=channel_id, dialstatus="")
    destroyed = await events.next("ChannelDestroyed", channel__id=channel_id)
    assert (destroyed["cause"], destroyed["cause_txt"]) == (19, "User alerting, no answer")
    assert destroyed["tech_cause"] == 480
    mine = [
        (e["type"], e.get("dialstatus"))
        for e in events.received
        if e.get("channel", e.get("peer", {})).get("id")
    ]
    assert mine == [
        ("Dial", ""),
        ("ChannelStateChange", None),
        ("Dial", "RINGING"),
        ("ChannelDestroyed", None),
    ]


async def test_local_no_answer_stays_down(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("Local", "200@noanswer", behavior="noanswer")
    channel_id = await _originate(ari, "Local/200@noanswer", timeout="2")
    destroyed = await events.next("ChannelDestroyed", channel__id=channel_id)
    assert (destroyed["channel"]["state"], destroyed["cause"]) == ("Down", 19)
    far = await events.next("ChannelDestroyed")
    assert far["channel"]["name"].endswith(";2")
    requests = [e for e in events.received if e["type"] == "ChannelHangupRequest"]
    assert [(e["cause"], e.get("soft")) for e in requests] == [(19, None), (16, True)]


async def test_answering_machine_sets_amd_variables(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("PJSIP", "5550001", behavior="machine", answer_after=2)
    channel_id = await _originate(ari, "PJSIP/5550001")
    await events.next("StasisStart", channel__id=channel_id)
    reply = await ari.call("GET", f"/channels/{channel_id}/variable", {"variable": "AMDSTATUS"})
    assert (reply.status, reply.body) == (200, {"value": "MACHINE"})
    missing = await ari.call("GET", f"/channels/{channel_id}/variable", {"variable": "NOPE"})
    assert missing.status == 404


@pytest.mark.parametrize("script", [{"online": False}, {"behavior": "unreachable"}])
async def test_offline_pjsip_endpoint_fails_allocation(
    ari: Ari, events: Events, sim_control: SimControl, script: dict[str, Any]
) -> None:
    await sim_control.set_endpoint("PJSIP", "205", **script)
    reply = await ari.call("POST", "/channels", {"endpoint": "PJSIP/205", "app": "callrouter"})
    assert (reply.status, reply.body) == (500, {"error": "Allocation failed"})
    endpoint = await ari.call("GET", "/endpoints/PJSIP/205")
    assert endpoint.body == {
        "technology": "PJSIP",
        "resource": "205",
        "state": "offline",
        "channel_ids": [],
    }
    await events.settle()
    assert events.received == []


async def test_offline_operator_behind_local_is_unavailable(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("Local", "102@operators", online=False)
    channel_id = await _originate(ari, "Local/102@operators")
    await _assert_fails(events, channel_id, "CHANUNAVAIL", 20)


async def test_app_hangs_up_ringing_call(ari: Ari, events: Events, sim_control: SimControl) -> None:
    await sim_control.set_endpoint("PJSIP", "206", answer_after=60)
    channel_id = await _originate(ari, "PJSIP/206")
    await events.next("ChannelStateChange", channel__id=channel_id)
    assert (await ari.call("DELETE", f"/channels/{channel_id}")).status == 204
    request = await events.next("ChannelHangupRequest", channel__id=channel_id)
    assert (request["cause"], request["soft"]) == (32, True)
    # Never CANCEL (sip_op_noanswer_cancel.jsonl).
    await events.next("Dial", peer__id=channel_id, dialstatus="NOANSWER")
    destroyed = await events.next("ChannelDestroyed", channel__id=channel_id)
    assert (destroyed["cause"], "tech_cause" in destroyed) == (16, False)


async def test_create_then_dial(ari: Ari, events: Events, sim_control: SimControl) -> None:
    await sim_control.set_endpoint("PJSIP", "207", answer_after=1)
    created = await ari.call(
        "POST", "/channels/create", {"endpoint": "PJSIP/207", "app": "callrouter"}
    )
    channel_id = created.body["id"]
    await events.next("StasisStart", channel__id=channel_id)
    assert (await ari.call("POST", f"/channels/{channel_id}/dial")).status == 204
    up = await events.next("ChannelStateChange", channel__id=channel_id, channel__state="Up")
    assert up["channel"]["state"] == "Up"
    again = await ari.call("POST", f"/channels/{channel_id}/dial")
    assert again.status == 409


async def test_far_end_dtmf_and_caller_hangup(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    call = await sim_control.place_call(caller_number="5551234", args=["inbound", "vip"])
    start = await events.next("StasisStart", channel__id=call["id"])
    assert (start["args"], start["channel"]["state"]) == (["inbound", "vip"], "Ring")
    await sim_control.send_dtmf(call["id"], "12#")
    digits = [(await events.next("ChannelDtmfReceived"))["digit"] for _ in range(3)]
    assert digits == ["1", "2", "#"]
    await sim_control.hangup(call["id"], cause=16)
    await events.next("StasisEnd", channel__id=call["id"])
    assert (await ari.call("GET", f"/channels/{call['id']}")).status == 404


async def test_stale_contact_unless_the_originate_timeout_comes_first(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("PJSIP", "208", behavior="stale")
    first = await _originate(ari, "PJSIP/208", timeout="10")
    destroyed = await events.next("ChannelDestroyed", channel__id=first)
    assert (destroyed["cause"], destroyed["tech_cause"]) == (19, 480)
    assert (await ari.call("GET", "/endpoints/PJSIP/208")).body["state"] == "online"
    # Timer B (32 s) fires first: 408, and the contact is Unavail from then on.
    second = await _originate(ari, "PJSIP/208", timeout="60")
    await _assert_fails(events, second, "NOANSWER", 18, 408)
    assert (await ari.call("GET", "/endpoints/PJSIP/208")).body["state"] == "offline"
    again = await ari.call("POST", "/channels", {"endpoint": "PJSIP/208", "app": "callrouter"})
    assert (again.status, again.body) == (500, {"error": "Allocation failed"})


async def test_hangup_reasons_are_checked_as_asterisk_does(ari: Ari, events: Events) -> None:
    channel_id = await _originate(ari, "PJSIP/209")
    cases = [
        ({"reason": "no_answer", "reason_code": "19"}, "Bad Request", "can't both"),
        ({"reason_code": "x19"}, "Invalid Reason Code", "reason code provided"),
        ({"reason": "nope"}, "Invalid Reason", "reason provided"),
    ]
    for params, reason, message in cases:
        reply = await ari.call("DELETE", f"/channels/{channel_id}", params)
        assert (reply.status, reply.reason) == (400, reason)
        assert message in reply.body["message"]
    assert (
        await ari.call("DELETE", f"/channels/{channel_id}", {"reason_code": " 21x"})
    ).status == 204
    destroyed = await events.next("ChannelDestroyed", channel__id=channel_id)
    assert (destroyed["cause"], destroyed["tech_cause"]) == (21, 403)


async def test_unsubscribe_what_was_never_subscribed_is_422(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    call = await sim_control.place_call()
    await events.next("StasisStart", channel__id=call["id"])
    for source in (f"channel:{call['id']}", "channel:gone"):
        reply = await ari.call(
            "DELETE", "/applications/callrouter/subscription", {"eventSource": source}
        )
        assert (reply.status, reply.body) == (
            422,
            {"message": "Event source was not subscribed to"},
        )
    # Every source must exist before any is subscribed.
    both = await ari.call(
        "POST",
        "/applications/callrouter/subscription",
        {"eventSource": f"channel:{call['id']},channel:gone"},
    )
    assert (both.status, both.body) == (422, {"message": "Event source does not exist"})
    unsubscribed = await ari.call(
        "DELETE", "/applications/callrouter/subscription", {"eventSource": f"channel:{call['id']}"}
    )
    assert unsubscribed.status == 422


async def test_inbound_local_call_has_both_halves(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    call = await sim_control.place_call(endpoint="Local/100@from-pstn")
    listed = {ch["name"][-2:]: ch for ch in (await ari.call("GET", "/channels")).body}
    assert listed[";2"]["id"] == call["id"]
    assert (listed[";1"]["state"], listed[";1"]["dialplan"]["app_name"]) == ("Down", "AppDial2")
    assert (await ari.call("DELETE", f"/channels/{call['id']}")).status == 204
    await events.next("StasisEnd", channel__id=call["id"])
    assert (await ari.call("GET", "/channels")).body == []
    # Entered Stasis from the dialplan and not subscribed: no ChannelDestroyed.
    await events.settle()
    assert "ChannelDestroyed" not in [event["type"] for event in events.received]
