"""ARI /channels resource."""

from __future__ import annotations

import re

from aiohttp import web

from callrouter.sim._base import (
    CAUSE_NORMAL,
    HANGUP_REASONS,
    SOFTHANGUP_EXPLICIT,
    JsonObj,
    SimAriError,
)
from callrouter.sim._core import core_of
from callrouter.sim._http import Params, json_response, no_content
from callrouter.sim._order import listed_channels

routes = web.RouteTableDef()
DEFAULT_ORIGINATE_TIMEOUT = 30.0
# sscanf("%30d"): optional blanks and sign, then digits; anything after is ignored.
_LEADING_INT = re.compile(r"\s*([+-]?\d{1,30})")


def _channel_id(request: web.Request) -> str:
    return request.match_info["channelId"]


@routes.get("/ari/channels")
async def list_channels(request: web.Request) -> web.Response:
    channels = listed_channels(core_of(request).switch.channels.values())
    return json_response([ch.to_json() for ch in channels])


async def _originate(request: web.Request, channel_id: str | None) -> web.Response:
    core = core_of(request)
    params = await Params.of(request)
    answer = core.calls.originate(
        endpoint=params.get("endpoint"),
        app=params.get("app"),
        app_args=params.many("appArgs"),
        context=params.get("context"),
        extension=params.get("extension"),
        priority=int(params.number("priority", 1)),
        caller_id=params.get("callerId"),
        timeout=params.number("timeout", DEFAULT_ORIGINATE_TIMEOUT),
        variables=params.variables(),
        channel_id=channel_id or params.get("channelId"),
        other_channel_id=params.get("otherChannelId"),
    )
    return json_response(answer)


@routes.post("/ari/channels")
async def originate(request: web.Request) -> web.Response:
    return await _originate(request, None)


@routes.post("/ari/channels/create")
async def create(request: web.Request) -> web.Response:
    core = core_of(request)
    params = await Params.of(request)
    answer = core.calls.create(
        endpoint=params.get("endpoint"),
        app=params.get("app"),
        app_args=params.many("appArgs"),
        variables=params.variables(),
        channel_id=params.get("channelId"),
        other_channel_id=params.get("otherChannelId"),
    )
    return json_response(answer)


@routes.get("/ari/channels/{channelId}")
async def get_channel(request: web.Request) -> web.Response:
    return json_response(core_of(request).switch.channel(_channel_id(request)).to_json())


@routes.post("/ari/channels/{channelId}")
async def originate_with_id(request: web.Request) -> web.Response:
    return await _originate(request, _channel_id(request))


@routes.delete("/ari/channels/{channelId}")
async def hangup(request: web.Request) -> web.Response:
    core = core_of(request)
    params = await Params.of(request)
    ch = core.switch.channel(_channel_id(request))
    cause = _hangup_cause(params.get("reason"), params.get("reason_code"))
    core.switch.hangup(ch, cause=cause, request_cause=SOFTHANGUP_EXPLICIT, soft=True)
    return no_content()


def _hangup_cause(reason: str | None, reason_code: str | None) -> int:
    """ast_ari_channels_hangup(): checked after the channel lookup (404 first)."""
    if reason is not None and reason_code is not None:
        raise SimAriError(400, "The reason and reason_code can't both be specified")
    if reason_code is not None:
        match = _LEADING_INT.match(reason_code)
        if match is None:
            raise SimAriError(
                400,
                "Invalid reason for hangup reason code provided",
                reason="Invalid Reason Code",
            )
        return int(match.group(1))
    if reason is not None:
        if reason not in HANGUP_REASONS:
            raise SimAriError(
                400, "Invalid reason for hangup reason provided", reason="Invalid Reason"
            )
        return HANGUP_REASONS[reason]
    return CAUSE_NORMAL


@routes.post("/ari/channels/{channelId}/answer")
async def answer(request: web.Request) -> web.Response:
    core = core_of(request)
    core.calls.answer(core.switch.stasis_channel(_channel_id(request)))
    return no_content()


@routes.post("/ari/channels/{channelId}/ring")
@routes.delete("/ari/channels/{channelId}/ring")
@routes.post("/ari/channels/{channelId}/progress")
@routes.post("/ari/channels/{channelId}/silence")
@routes.delete("/ari/channels/{channelId}/silence")
async def indicate(request: web.Request) -> web.Response:
    # Indications go to the far end; an inbound channel's state stays "Ring".
    core_of(request).switch.stasis_channel(_channel_id(request))
    return no_content()


@routes.post("/ari/channels/{channelId}/mute")
@routes.delete("/ari/channels/{channelId}/mute")
async def mute(request: web.Request) -> web.Response:
    ch = core_of(request).switch.stasis_channel(_channel_id(request))
    direction = (await Params.of(request)).get("direction", "both")
    ch.muted = direction if request.method == "POST" else None
    return no_content()


@routes.post("/ari/channels/{channelId}/dtmf")
async def send_dtmf(request: web.Request) -> web.Response:
    ch = core_of(request).switch.stasis_channel(_channel_id(request))
    digits = (await Params.of(request)).get("dtmf")
    if not digits:
        raise SimAriError(400, "DTMF is required")
    # Asterisk queues whatever it is given and skips what is not a digit: 204.
    ch.sent_dtmf += digits
    return no_content()


@routes.post("/ari/channels/{channelId}/play")
@routes.post("/ari/channels/{channelId}/play/{playbackId}")
async def play(request: web.Request) -> web.Response:
    core = core_of(request)
    ch = core.switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    if not params.many("media"):
        raise SimAriError(500, "Failed to queue media for playback")
    answer = core.media.play(
        ch,
        params.many("media"),
        playback_id=request.match_info.get("playbackId") or params.get("playbackId"),
        lang=params.get("lang"),
    )
    return json_response(answer, status=201)


@routes.post("/ari/channels/{channelId}/record")
async def record(request: web.Request) -> web.Response:
    core = core_of(request)
    ch = core.switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    answer = core.media.record(
        ch,
        name=params.get("name"),
        fmt=params.get("format"),
        max_duration=params.number("maxDurationSeconds", 0),
        if_exists=params.get("ifExists"),
        terminate_on=params.get("terminateOn"),
    )
    return json_response(answer, status=201)


@routes.get("/ari/channels/{channelId}/variable")
async def get_variable(request: web.Request) -> web.Response:
    switch = core_of(request).switch
    name = (await Params.of(request)).require("variable", "Variable name is required")
    # Read with ast_channel_get_by_name(): any channel, in Stasis or not.
    ch = switch.channels.get(_channel_id(request))
    if ch is None:
        raise SimAriError(404, "Provided channel was not found", reason="Channel Not Found")
    value = _read_variable(ch.variables, name, ch.caller.name, ch.caller.number)
    if value is None:
        raise SimAriError(404, "Provided variable was not found", reason="Variable Not Found")
    return json_response({"value": value})


def _read_variable(variables: dict[str, str], name: str, cid_name: str, cid_num: str) -> str | None:
    functions = {"CALLERID(num)": cid_num, "CALLERID(name)": cid_name}
    return functions.get(name, variables.get(name))


@routes.post("/ari/channels/{channelId}/variable")
async def set_variable(request: web.Request) -> web.Response:
    switch = core_of(request).switch
    ch = switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    name = params.require("variable", "Variable name is required")
    switch.set_variable(ch, name, params.get("value", "") or "")
    return no_content()


@routes.post("/ari/channels/{channelId}/continue")
async def continue_in_dialplan(request: web.Request) -> web.Response:
    core = core_of(request)
    ch = core.switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    priority = params.get("priority")
    core.calls.continue_in_dialplan(
        ch,
        context=params.get("context"),
        extension=params.get("extension"),
        priority=int(priority) if priority and priority.isdigit() else None,
    )
    return no_content()


@routes.post("/ari/channels/{channelId}/move")
async def move(request: web.Request) -> web.Response:
    core = core_of(request)
    ch = core.switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    app = params.require("app", "app is required")
    core.calls.move(ch, app=app, args=params.many("appArgs"))
    return no_content()


@routes.post("/ari/channels/{channelId}/dial")
async def dial(request: web.Request) -> web.Response:
    core = core_of(request)
    ch = core.switch.stasis_channel(_channel_id(request))
    params = await Params.of(request)
    caller_id = params.get("caller")
    caller = core.switch.channel(caller_id) if caller_id else None
    core.calls.dial(ch, caller=caller, timeout=params.number("timeout", 0))
    return no_content()


@routes.get("/ari/channels/{channelId}/rtp_statistics")
async def rtp_statistics(request: web.Request) -> web.Response:
    ch = core_of(request).switch.channel(_channel_id(request))
    if ch.tech != "PJSIP":
        raise SimAriError(404, "Channel not found")
    return json_response(rtp_stats(ch.id))


RTP_FLOAT_STATS = (
    "txjitter",
    "rxjitter",
    "remote_maxjitter",
    "remote_minjitter",
    "remote_normdevjitter",
    "remote_stdevjitter",
    "local_maxjitter",
    "local_minjitter",
    "local_normdevjitter",
    "local_stdevjitter",
    "remote_maxrxploss",
    "remote_minrxploss",
    "remote_normdevrxploss",
    "remote_stdevrxploss",
    "local_maxrxploss",
    "local_minrxploss",
    "local_normdevrxploss",
    "local_stdevrxploss",
    "rtt",
    "maxrtt",
    "minrtt",
    "normdevrtt",
    "stdevrtt",
    "remote_maxmes",
    "remote_minmes",
    "remote_normdevmes",
    "remote_stdevmes",
    "local_maxmes",
    "local_minmes",
    "local_normdevmes",
    "local_stdevmes",
)


def rtp_stats(channel_id: str) -> JsonObj:
    """A silent call's RTP report: we send packets and hear nothing."""
    stats: JsonObj = {
        "txcount": 100,
        "rxcount": 0,
        "txploss": 0,
        "rxploss": 0,
        "local_ssrc": 1083595853,
        "remote_ssrc": 0,
        "txoctetcount": 13638,
        "rxoctetcount": 0,
        "channel_uniqueid": channel_id,
    }
    stats.update(dict.fromkeys(RTP_FLOAT_STATS, 0.0))
    stats["txmes"] = stats["rxmes"] = 0
    return stats
