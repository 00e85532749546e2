"""``addChannel``'s bridge features on the simulator, as res_ari applies them
(``ast_ari_bridges_add_channel``): ``absorbDTMF`` and ``mute`` hold for every channel of
the request, until the channel leaves the bridge; an absorbed key is still reported to
the application (``ChannelDtmfReceived``: ``ast_read`` publishes it before the bridge
drops the frame) but never reaches the other members."""

from __future__ import annotations

from typing import Any

from callrouter.sim import SimControl
from tests.sim._support import Ari, Events


async def _channel(control: SimControl, channel_id: str) -> dict[str, Any]:
    state = await control.state()
    return next(c for c in state["channels"] if c["id"] == channel_id)


async def _two_in_stasis(ari: Ari, events: Events, control: SimControl) -> tuple[str, str]:
    await control.set_endpoint("PJSIP", "op1", answer_after=0.01)
    call = await control.place_call(caller_number="5551234", args=["inbound", "sales"])
    await events.next("StasisStart", channel__id=call["id"])
    leg = await ari.call(
        "POST", "/channels", {"endpoint": "PJSIP/op1", "app": "callrouter", "appArgs": "op,1"}
    )
    await events.next("StasisStart", channel__id=leg.body["id"])
    await ari.call("POST", "/bridges/b1", {"type": "mixing"})
    return call["id"], leg.body["id"]


async def test_absorbed_keys_are_reported_but_reach_nobody(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    caller, operator = await _two_in_stasis(ari, events, sim_control)
    added = await ari.call(
        "POST", "/bridges/b1/addChannel", {"channel": f"{caller},{operator}", "absorbDTMF": "true"}
    )
    assert added.status == 204
    for channel in (caller, operator):  # one request: the same features for both
        features = (await _channel(sim_control, channel))["sim"]["bridge_features"]
        assert features == {"absorb_dtmf": True, "mute": False}
    await sim_control.send_dtmf(operator, "*2", duration_ms=20, between=0.01)
    await events.next("ChannelDtmfReceived", channel__id=operator, digit="*")
    await events.next("ChannelDtmfReceived", channel__id=operator, digit="2")
    assert (await _channel(sim_control, caller))["sim"]["heard_dtmf"] == ""

    # Out of the bridge and back without the flag: the features were that join's only.
    await ari.call("POST", "/bridges/b1/removeChannel", {"channel": operator})
    await ari.call("POST", "/bridges/b1/addChannel", {"channel": operator, "mute": "true"})
    features = (await _channel(sim_control, operator))["sim"]["bridge_features"]
    assert features == {"absorb_dtmf": False, "mute": True}
    await sim_control.send_dtmf(operator, "5", duration_ms=20)
    await events.next("ChannelDtmfReceived", channel__id=operator, digit="5")
    assert (await _channel(sim_control, caller))["sim"]["heard_dtmf"] == "5"
    # The caller still joined with absorbDTMF: the operator hears none of their keys.
    await sim_control.send_dtmf(caller, "9", duration_ms=20)
    await events.next("ChannelDtmfReceived", channel__id=caller, digit="9")
    assert (await _channel(sim_control, operator))["sim"]["heard_dtmf"] == ""


async def test_without_bridge_features_keys_pass_to_every_other_member(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    caller, operator = await _two_in_stasis(ari, events, sim_control)
    await ari.call("POST", "/bridges/b1/addChannel", {"channel": f"{caller},{operator}"})
    features = (await _channel(sim_control, operator))["sim"]["bridge_features"]
    assert features == {"absorb_dtmf": False, "mute": False}
    await sim_control.send_dtmf(operator, "12", duration_ms=20, between=0.01)
    await events.next("ChannelDtmfReceived", channel__id=operator, digit="2")
    assert (await _channel(sim_control, caller))["sim"]["heard_dtmf"] == "12"
    assert (await _channel(sim_control, operator))["sim"]["heard_dtmf"] == ""
