"""ARI /bridges resource."""

from __future__ import annotations

import uuid

from aiohttp import web

from callrouter.sim._base import SimAriError
from callrouter.sim._core import SimCore, core_of
from callrouter.sim._http import Params, json_response, no_content
from callrouter.sim._order import listed_bridges
from callrouter.sim._state import Bridge

routes = web.RouteTableDef()
BRIDGE_TYPES = {
    "mixing",
    "holding",
    "dtmf_events",
    "proxy_media",
    "video_sfu",
    "video_single",
    "sdp_label",
}


def _bridge(request: web.Request, *, reason: str = "Not Found") -> Bridge:
    return core_of(request).switch.bridge(request.match_info["bridgeId"], reason=reason)


@routes.get("/ari/bridges")
async def list_bridges(request: web.Request) -> web.Response:
    bridges = listed_bridges(core_of(request).switch.bridges.values())
    return json_response([br.to_json() for br in bridges])


async def _create(request: web.Request, bridge_id: str | None) -> web.Response:
    params = await Params.of(request)
    bridge_type = params.get("type", "mixing") or "mixing"
    wanted_id = bridge_id or params.get("bridgeId")
    if wanted_id:
        core_of(request).switch.check_new_bridge_id(wanted_id)
    if not set(bridge_type.split(",")) <= BRIDGE_TYPES:
        # stasis_app_bridge_create() fails; without an id res_ari blames a duplicate id.
        message = "Unable to create bridge"
        if not wanted_id:
            message += ". Possible duplicate bridge id '(null)'"
        raise SimAriError(500, message, reason="Internal Error")
    br = core_of(request).switch.create_bridge(
        bridge_id=wanted_id or str(uuid.uuid4()),
        bridge_type=bridge_type,
        name=params.get("name", "") or "",
    )
    return json_response(br.to_json())


@routes.post("/ari/bridges")
async def create(request: web.Request) -> web.Response:
    return await _create(request, None)


@routes.post("/ari/bridges/{bridgeId}")
async def create_with_id(request: web.Request) -> web.Response:
    return await _create(request, request.match_info["bridgeId"])


@routes.get("/ari/bridges/{bridgeId}")
async def get_bridge(request: web.Request) -> web.Response:
    return json_response(_bridge(request).to_json())


@routes.delete("/ari/bridges/{bridgeId}")
async def destroy(request: web.Request) -> web.Response:
    core_of(request).switch.destroy_bridge(_bridge(request, reason="Not found"))
    return no_content()


async def _channels_param(request: web.Request, core: SimCore) -> list[str]:
    ids = (await Params.of(request)).many("channel")
    if not ids:
        raise SimAriError(400, "Missing parameter channel")
    for channel_id in ids:
        if channel_id not in core.switch.channels:
            raise SimAriError(400, "Channel not found")
    return ids


@routes.post("/ari/bridges/{bridgeId}/addChannel")
async def add_channel(request: web.Request) -> web.Response:
    core = core_of(request)
    br = _bridge(request, reason="Not found")
    ids = await _channels_param(request, core)
    channels = [core.switch.channels[channel_id] for channel_id in ids]
    if any(ch.app is None for ch in channels):
        raise SimAriError(422, "Channel not in Stasis application")
    params = await Params.of(request)
    # As res_ari's ast_ari_bridges_add_channel: one set of features for every channel
    # of the request.
    absorb, mute = params.flag("absorbDTMF"), params.flag("mute")
    for ch in channels:
        core.switch.join_bridge(br, ch, absorb_dtmf=absorb, mute=mute)
    return no_content()


@routes.post("/ari/bridges/{bridgeId}/removeChannel")
async def remove_channel(request: web.Request) -> web.Response:
    core = core_of(request)
    br = _bridge(request, reason="Not found")
    ids = await _channels_param(request, core)
    channels = [core.switch.channels[channel_id] for channel_id in ids]
    if any(ch.bridge is not br for ch in channels):
        raise SimAriError(422, "Channel not in this bridge")
    for ch in channels:
        core.switch.leave_bridge(ch, moved=True)
    return no_content()


@routes.post("/ari/bridges/{bridgeId}/play")
@routes.post("/ari/bridges/{bridgeId}/play/{playbackId}")
async def play(request: web.Request) -> web.Response:
    core = core_of(request)
    br = _bridge(request)
    params = await Params.of(request)
    if not params.many("media"):
        # The Announcer channel cannot be set up without media.
        raise SimAriError(500, "Allocation failed", body={"error": "Allocation failed"})
    answer = core.media.play(
        br,
        params.many("media"),
        playback_id=request.match_info.get("playbackId") or params.get("playbackId"),
        lang=params.get("lang"),
    )
    return json_response(answer, status=201)


@routes.post("/ari/bridges/{bridgeId}/record")
async def record(request: web.Request) -> web.Response:
    core = core_of(request)
    br = _bridge(request)
    params = await Params.of(request)
    answer = core.media.record(
        br,
        name=params.get("name"),
        fmt=params.get("format"),
        max_duration=params.number("maxDurationSeconds", 0),
        if_exists=params.get("ifExists"),
        terminate_on=params.get("terminateOn"),
    )
    return json_response(answer, status=201)
