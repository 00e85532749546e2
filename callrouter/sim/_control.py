"""The control API under ``/sim/`` (JSON, no authentication); see the package docstring."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callrouter.sim._base import JsonObj, SimAriError
from callrouter.sim._core import Fault, SimCore, core_of
from callrouter.sim._http import json_response, no_content, read_json_body
from callrouter.sim._state import BEHAVIORS, CallerId

routes = web.RouteTableDef()
DEFAULT_DTMF_MS = 100
DEFAULT_DTMF_GAP = 0.1


async def _body(request: web.Request) -> JsonObj:
    return await read_json_body(request) or {}


def _field(body: JsonObj, name: str, kind: type[Any], default: Any = None) -> Any:
    value = body.get(name, default)
    if value is None or isinstance(value, kind) or (kind is float and isinstance(value, int)):
        return value
    raise SimAriError(400, f"{name} must be {kind.__name__}")


@routes.post("/sim/calls")
async def place_call(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await _body(request)
    args = _field(body, "args", list, [])
    ch = core.calls.place_inbound(
        caller=CallerId(
            name=_field(body, "caller_name", str, ""),
            number=_field(body, "caller_number", str, ""),
        ),
        exten=_field(body, "exten", str, "100"),
        context=_field(body, "context", str, "from-pstn"),
        app=_field(body, "app", str, core.default_app),
        args=[str(arg) for arg in args],
        endpoint=_field(body, "endpoint", str, "PJSIP/pstn"),
        channel_name=_field(body, "channel_name", str),
        variables={str(k): str(v) for k, v in _field(body, "variables", dict, {}).items()},
        hangup_after=_field(body, "hangup_after", float),
        channel_id=_field(body, "channel_id", str),
        other_channel_id=_field(body, "other_channel_id", str),
    )
    return json_response(ch.to_json())


@routes.get("/sim/endpoints")
async def list_scripts(request: web.Request) -> web.Response:
    return json_response([s.to_json() for s in core_of(request).switch.endpoints.values()])


@routes.put("/sim/endpoints/{tech}/{resource}")
async def script_endpoint(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await _body(request)
    script = core.switch.endpoint(request.match_info["tech"], request.match_info["resource"])
    behavior = _field(body, "behavior", str, script.behavior)
    if behavior not in BEHAVIORS:
        raise SimAriError(400, f"behavior must be one of {', '.join(BEHAVIORS)}")
    online = _field(body, "online", bool, script.online)
    script.answer_after = _field(body, "answer_after", float, script.answer_after)
    script.hangup_after = _field(body, "hangup_after", float, script.hangup_after)
    script.amd = _field(body, "amd", bool, script.amd)
    script.context = _field(body, "context", str, script.context)
    # "unreachable" takes a PJSIP endpoint offline as surely as ``online: false``.
    was_reachable = script.reachable
    script.behavior = behavior
    script.online = online
    core.switch.endpoint_changed(script, was_reachable=was_reachable)
    return json_response(script.to_json())


@routes.post("/sim/channels/{channelId}/hangup")
async def far_end_hangup(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await _body(request)
    ch = core.switch.channel(request.match_info["channelId"])
    core.calls.far_end_hangup(ch, cause=_field(body, "cause", int))
    return json_response({})


@routes.post("/sim/channels/{channelId}/dtmf")
async def far_end_dtmf(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await _body(request)
    ch = core.switch.channel(request.match_info["channelId"])
    digits = _field(body, "digits", str, "")
    if not digits:
        raise SimAriError(400, "digits is required")
    core.calls.far_end_dtmf(
        ch,
        digits,
        duration_ms=_field(body, "duration_ms", int, DEFAULT_DTMF_MS),
        gap=_field(body, "between", float, DEFAULT_DTMF_GAP),
    )
    return json_response({})


@routes.post("/sim/websockets/drop")
async def drop_websockets(request: web.Request) -> web.Response:
    core = core_of(request)
    body = await _body(request)
    app = _field(body, "app", str)
    abort = _field(body, "abort", bool, False)
    dropped = 0
    for conn in core.hub.connections():
        if app is not None and app not in conn.apps:
            continue
        dropped += 1
        core.hub.disconnect(conn)
        if abort and conn.transport is not None:
            conn.transport.abort()
        else:
            await conn.ws.close(code=1001, message=b"simulated drop")
    return json_response({"dropped": dropped})


@routes.get("/sim/faults")
@routes.post("/sim/faults")
@routes.delete("/sim/faults")
async def faults(request: web.Request) -> web.Response:
    core = core_of(request)
    if request.method == "POST":
        body = await _body(request)
        core.faults.append(
            Fault(
                count=_field(body, "count", int, 1),
                status=_field(body, "status", int),
                delay=_field(body, "delay", float, 0.0),
                path_prefix=_field(body, "path_prefix", str, "/ari"),
                method=_field(body, "method", str),
                body=_field(body, "body", dict),
            )
        )
    elif request.method == "DELETE":
        core.faults.clear()
    return json_response([fault.to_json() for fault in core.faults])


@routes.get("/sim/requests")
@routes.delete("/sim/requests")
async def requests_log(request: web.Request) -> web.Response:
    core = core_of(request)
    if request.method == "DELETE":
        core.request_log.clear()
    return json_response(list(core.request_log))


@routes.get("/sim/channel-log")
@routes.delete("/sim/channel-log")
async def channel_log(request: web.Request) -> web.Response:
    log = core_of(request).switch.log
    if request.method == "DELETE":
        log.clear()
    return json_response(log.to_json())


@routes.get("/sim/events")
async def events_log(request: web.Request) -> web.Response:
    return json_response(list(core_of(request).hub.history))


@routes.put("/sim/sounds/{name:.+}")
async def set_sound(request: web.Request) -> web.Response:
    body = await _body(request)
    seconds = _field(body, "duration", float)
    if seconds is None or seconds < 0:
        raise SimAriError(400, "duration must be a non-negative number")
    core_of(request).media.sound_seconds[request.match_info["name"]] = seconds
    return json_response({"name": request.match_info["name"], "duration": seconds})


@routes.put("/sim/dialplan/{context}")
async def set_stasis_context(request: web.Request) -> web.Response:
    body = await _body(request)
    app_data = _field(body, "app_data", str)
    if not app_data:
        raise SimAriError(400, 'app_data is required, e.g. "callrouter,inbound"')
    calls = core_of(request).calls
    calls.stasis_contexts[request.match_info["context"]] = app_data
    calls.missing_contexts.discard(request.match_info["context"])
    return json_response({"context": request.match_info["context"], "app_data": app_data})


@routes.delete("/sim/dialplan/{context}")
async def remove_context(request: web.Request) -> web.Response:
    """The context does not exist: a channel continued there is hung up at once."""
    calls = core_of(request).calls
    calls.stasis_contexts.pop(request.match_info["context"], None)
    calls.missing_contexts.add(request.match_info["context"])
    return no_content()


@routes.get("/sim/state")
async def state(request: web.Request) -> web.Response:
    return json_response(snapshot(core_of(request)))


def snapshot(core: SimCore) -> JsonObj:
    """Everything a test may want to assert on, with the simulator's private fields."""
    channels = []
    for ch in core.switch.channels.values():
        data = ch.to_json()
        data["sim"] = {
            "app": ch.app,
            "app_args": ch.app_args,
            "bridge_id": ch.bridge.id if ch.bridge else None,
            "variables": dict(ch.variables),
            "on_hold": ch.on_hold,
            "moh_class": ch.moh_class,
            "sent_dtmf": ch.sent_dtmf,
            "heard_dtmf": ch.heard_dtmf,
            "bridge_features": {"absorb_dtmf": ch.absorb_dtmf, "mute": ch.bridge_mute},
            "local_peer": ch.local_peer.id if ch.local_peer else None,
            # A snoop's audio directions: what it hears of the snooped channel (spy)
            # and where what is said into it goes (whisper).
            "snoop": (
                {"of": ch.snoop_of, "spy": ch.snoop_spy, "whisper": ch.snoop_whisper}
                if ch.snoop_of
                else None
            ),
        }
        channels.append(data)
    bridges = []
    for br in core.switch.bridges.values():
        data = br.to_json()
        data["sim"] = {"moh_class": br.moh_class}
        bridges.append(data)
    return {
        "channels": channels,
        "bridges": bridges,
        "playbacks": [pb.to_json() for pb in core.media.playbacks.values()],
        "recordings": {
            "live": [rec.to_json() for rec in core.media.live.values()],
            "stored": core.media.list_stored(),
        },
        "applications": [app.to_json() for app in core.hub.applications.values()],
        "connected_apps": sorted({a for conn in core.hub.connections() for a in conn.apps}),
        "endpoints": [s.to_json() for s in core.switch.endpoints.values()],
    }
