"""ARI call control: hold, music on hold, snoop and redirect, as Asterisk 22 does them.

Every rule here is one a real Asterisk 22.10.1 showed (tests/ari/captures/call_control/,
its README numbers the facts):
- hold is an indication to the channel: 204, no ChannelHold/ChannelUnhold event (those
  report a hold the channel's own phone signals); there is no ``/unhold`` route (5);
- channel music on hold: 204, no event; a mixing bridge's music adds an Announcer to
  its members' BRIDGEPEER and makes it softmix; stopping it twice is 409 (6);
- a snoop is ``Snoop/<snooped id>-<8 hex>``, Up, in Stasis only (no ChannelDestroyed);
  it keeps its spy and whisper directions, which ``/sim/state`` shows; attaching it to
  a bridged channel makes both parties announce BRIDGEPEER again, twice when it spies
  and whispers out (1-4);
- redirect of a Local channel is accepted and does nothing (11).
"""

from __future__ import annotations

from aiohttp import web

from callrouter.sim._base import SimAriError
from callrouter.sim._channels import new_channel
from callrouter.sim._core import SimCore, core_of
from callrouter.sim._http import Params, json_response, no_content
from callrouter.sim._state import CallerId, Channel, Dialplan
from callrouter.sim._switch import Switch

routes = web.RouteTableDef()
DIRECTIONS = ("none", "both", "out", "in")


def _channel_id(request: web.Request) -> str:
    return request.match_info["channelId"]


@routes.post("/ari/channels/{channelId}/hold")
@routes.delete("/ari/channels/{channelId}/hold")
async def hold(request: web.Request) -> web.Response:
    ch = core_of(request).switch.stasis_channel(_channel_id(request))
    ch.on_hold = request.method == "POST"
    return no_content()


@routes.post("/ari/channels/{channelId}/moh")
@routes.delete("/ari/channels/{channelId}/moh")
async def channel_moh(request: web.Request) -> web.Response:
    ch = core_of(request).switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    ch.moh_class = params.get("mohClass", "default") if request.method == "POST" else None
    return no_content()


@routes.post("/ari/bridges/{bridgeId}/moh")
@routes.delete("/ari/bridges/{bridgeId}/moh")
async def bridge_moh(request: web.Request) -> web.Response:
    switch = core_of(request).switch
    br = switch.bridge(request.match_info["bridgeId"])
    params = await Params.of(request)
    if request.method == "POST":
        br.moh_class = params.get("mohClass", "default")
        if br.moh_announcer is None and not br.is_holding:
            br.moh_announcer = f"Announcer/ARI_MOH-{switch.next_name_suffix('Announcer')};2"
            switch.update_bridgepeers(br)
            br.softmix = True
        return no_content()
    if br.moh_class is None:
        raise SimAriError(409, "Bridge isn't playing music")
    br.moh_class = None
    if br.moh_announcer is not None:
        br.moh_announcer = None
        switch.update_bridgepeers(br)
        br.softmix = len(br.members) >= 3
    return no_content()


@routes.post("/ari/channels/{channelId}/redirect")
async def redirect(request: web.Request) -> web.Response:
    core = core_of(request)
    endpoint = (await Params.of(request)).get("endpoint")
    if not endpoint:
        # res_ari's own check, with its odd reason phrase (call_control/blind_transfer).
        raise SimAriError(400, "Required parameter 'endpoint' not provided.", reason="Not Found")
    ch = core.switch.stasis_channel(_channel_id(request))
    if endpoint.partition("/")[0] != ch.tech:
        raise SimAriError(422, "Endpoint is not the same type as the channel")
    if ch.tech != "Local":
        # A SIP far end follows the redirect (302) and leaves us: like a BYE.
        core.calls.far_end_hangup(ch, cause=None)
    return no_content()


@routes.post("/ari/channels/{channelId}/snoop")
@routes.post("/ari/channels/{channelId}/snoop/{snoopId}")
async def snoop(request: web.Request) -> web.Response:
    core = core_of(request)
    params = await Params.of(request)
    spy = params.get("spy", "none") or "none"
    whisper = params.get("whisper", "none") or "none"
    for name, direction in (("spy", spy), ("whisper", whisper)):
        if direction not in DIRECTIONS:
            raise SimAriError(400, f"Invalid direction specified for {name}")
    if spy == "none" and whisper == "none":
        raise SimAriError(400, "Direction must be specified for at least spy or whisper")
    app = params.get("app")
    if not app:
        raise SimAriError(400, "Application name is required")
    spied = core.switch.channels.get(_channel_id(request))
    if spied is None:
        raise SimAriError(404, "Provided channel was not found", reason="Channel Not Found")
    answer = create_snoop(
        core,
        spied,
        app=app,
        args=params.many("appArgs"),
        snoop_id=request.match_info.get("snoopId") or params.get("snoopId"),
        spy=spy,
        whisper=whisper,
    )
    return json_response(answer)


def create_snoop(
    core: SimCore,
    spied: Channel,
    *,
    app: str,
    args: list[str],
    snoop_id: str | None,
    spy: str,
    whisper: str,
) -> dict[str, object]:
    """Make the snoop channel and put it in Stasis; the JSON Asterisk answers with (taken
    before the StasisStart, so its dialplan has no application yet)."""
    switch = core.switch
    suffix = switch.next_name_suffix("Snoop")  # taken even when the id is refused
    if snoop_id and snoop_id in switch.channels:
        raise SimAriError(500, "Snoop channel could not be created", reason="Internal error")
    ch = new_channel(
        switch,
        tech="Snoop",
        resource=spied.id,
        name=f"Snoop/{spied.id}-{suffix}",
        state="Up",
        caller=CallerId(),
        dialplan=Dialplan("default", "s", 1),
        channel_id=snoop_id,
        origin="snoop",
    )
    ch.snoop_of, ch.snoop_spy, ch.snoop_whisper = spied.id, spy, whisper
    ch.runs_dialplan = False
    answer = ch.to_json()
    _reannounce_peers(switch, spied, times=2 if spy != "none" and whisper == "out" else 1)
    switch.enter_stasis(ch, app, args)
    return answer


def _reannounce_peers(switch: Switch, spied: Channel, *, times: int) -> None:
    """A frame hook on a bridged channel makes its bridge set BRIDGEPEER again."""
    br = spied.bridge
    if br is None or br.is_holding:
        return
    for _ in range(times):
        for member in br.members:
            value = member.variables.get("BRIDGEPEER")
            if value:
                switch.set_variable(member, "BRIDGEPEER", value)
