"""``GET /sim/channel-log``: every channel ever created, kept after it is destroyed."""

from __future__ import annotations

from itertools import combinations

from callrouter.sim import SimControl
from tests.sim._support import Ari, Events, JsonObj


def _busy_span(record: JsonObj) -> tuple[int, int]:
    """From creation (the phone rings) to destruction, as timeline ``seq`` numbers."""
    seqs = {moment["event"]: moment["seq"] for moment in record["timeline"]}
    return seqs["created"], seqs.get("destroyed", 1 << 62)


def _overlapping(records: list[JsonObj]) -> list[tuple[str, str]]:
    return [
        (a["id"], b["id"])
        for a, b in combinations(records, 2)
        if _busy_span(a)[0] < _busy_span(b)[1] and _busy_span(b)[0] < _busy_span(a)[1]
    ]


async def test_log_keeps_each_channel_with_bridges_and_causes(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("PJSIP", "op1", answer_after=1, hangup_after=5)
    await sim_control.set_endpoint("PJSIP", "op2", behavior="busy")
    call = await sim_control.place_call(caller_number="5551234", args=["inbound", "sales"])
    await events.next("StasisStart", channel__id=call["id"])
    await ari.call("POST", "/bridges/b1", {"type": "mixing"})
    await ari.call("POST", "/bridges/b1/addChannel", {"channel": call["id"]})
    busy = await ari.call(
        "POST", "/channels", {"endpoint": "PJSIP/op2", "app": "callrouter", "appArgs": "op,2"}
    )
    await events.next("ChannelDestroyed", channel__id=busy.body["id"])
    leg = await ari.call(
        "POST", "/channels", {"endpoint": "PJSIP/op1", "app": "callrouter", "appArgs": "op,1"}
    )
    await events.next("StasisStart", channel__id=leg.body["id"])
    await ari.call("POST", "/bridges/b1/addChannel", {"channel": leg.body["id"]})
    await events.next("ChannelDestroyed", channel__id=leg.body["id"])
    assert (await ari.call("DELETE", f"/channels/{call['id']}")).status == 204
    await events.next("StasisEnd", channel__id=call["id"])

    log = {record["id"]: record for record in await sim_control.channel_log()}
    assert set(log) == {call["id"], busy.body["id"], leg.body["id"]}
    caller, failed, operator = log[call["id"]], log[busy.body["id"]], log[leg.body["id"]]
    assert (caller["origin"], caller["endpoint"], caller["args"]) == (
        "inbound",
        "PJSIP/pstn",
        ["inbound", "sales"],
    )
    assert (caller["cause"], caller["hangup_request"]) == (16, {"cause": 32, "soft": True})
    assert (failed["dial_status"], failed["cause"], failed["tech_cause"]) == ("BUSY", 17, 486)
    assert failed["answered"] is None and failed["bridges"] == []
    assert (operator["origin"], operator["endpoint"], operator["args"]) == (
        "originate",
        "PJSIP/op1",
        ["op", "1"],
    )
    # The operator's BYE: a hangup request without cause, destroyed with 16.
    assert (operator["hangup_request"], operator["cause"]) == ({}, 16)
    assert operator["created"] < operator["ringing"] < operator["answered"]
    assert operator["answered"] < operator["destroyed"]
    [stay] = operator["bridges"]
    assert (stay["bridge"], stay["with"]) == ("b1", [call["id"]])
    [caller_stay] = caller["bridges"]
    assert caller_stay["with"] == [leg.body["id"]]
    assert caller_stay["entered"] < stay["entered"] <= stay["left"] <= caller_stay["left"]
    # What a fault-injection suite asserts: no operator phone busy twice at once.
    for endpoint in ("PJSIP/op1", "PJSIP/op2"):
        assert _overlapping([r for r in log.values() if r["endpoint"] == endpoint]) == []

    await sim_control.clear_channel_log()
    assert await sim_control.channel_log() == []


async def test_log_shows_an_operator_rung_twice_at_once(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    await sim_control.set_endpoint("PJSIP", "op1", behavior="noanswer")
    for _ in range(2):
        await ari.call("POST", "/channels", {"endpoint": "PJSIP/op1", "app": "callrouter"})
    log = await sim_control.channel_log()
    assert len(_overlapping(log)) == 1
    assert [record["ringing"] is not None for record in log] == [True, True]
