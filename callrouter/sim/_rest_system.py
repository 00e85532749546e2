"""ARI /asterisk, /applications, /endpoints and /deviceStates resources."""

from __future__ import annotations

from aiohttp import web

from callrouter.sim._base import ASTERISK_ID, ASTERISK_VERSION, JsonObj, SimAriError, ari_timestamp
from callrouter.sim._core import SimCore, core_of
from callrouter.sim._http import Params, json_response, no_content
from callrouter.sim._state import Application, EndpointScript

routes = web.RouteTableDef()
_INFO_SECTIONS = ("build", "system", "config", "status")


def _info(core: SimCore) -> JsonObj:
    started = ari_timestamp(core.clock.now())
    return {
        "build": {
            "os": "Linux",
            "kernel": "6.1.0",
            "options": "",
            "machine": "x86_64",
            "date": "2026-11-01 00:00:00 UTC",
            "user": "callrouter-sim",
        },
        "system": {"version": ASTERISK_VERSION, "entity_id": ASTERISK_ID},
        "config": {
            "name": "callrouter-sim",
            "default_language": "en",
            "max_open_files": 1024,
            "setid": {"user": "asterisk", "group": "asterisk"},
        },
        "status": {"startup_time": started, "last_reload_time": started},
    }


@routes.get("/ari/asterisk/info")
async def asterisk_info(request: web.Request) -> web.Response:
    info = _info(core_of(request))
    only = (await Params.of(request)).many("only")
    if only:
        info = {key: value for key, value in info.items() if key in only}
    return json_response(info)


@routes.get("/ari/asterisk/ping")
async def asterisk_ping(request: web.Request) -> web.Response:
    now = ari_timestamp(core_of(request).clock.now())
    return json_response({"asterisk_id": ASTERISK_ID, "ping": "pong", "timestamp": now})


# -- applications ------------------------------------------------------------------
def application_json(core: SimCore, app: Application) -> JsonObj:
    """GET /applications: Stasis and watched channels, watched bridges included."""
    data = app.to_json()
    data["channel_ids"] = [
        ch.id
        for ch in core.switch.channels.values()
        if ch.app == app.name or app.name in ch.watchers or ch.id in app.channel_ids
    ]
    data["bridge_ids"] = [
        br.id
        for br in core.switch.bridges.values()
        if app.name in br.watchers or br.id in app.bridge_ids
    ]
    return data


@routes.get("/ari/applications")
async def list_applications(request: web.Request) -> web.Response:
    core = core_of(request)
    apps = core.hub.applications.values()
    return json_response([application_json(core, app) for app in apps])


@routes.get("/ari/applications/{applicationName}")
async def get_application(request: web.Request) -> web.Response:
    core = core_of(request)
    app = core.switch.application(request.match_info["applicationName"])
    return json_response(application_json(core, app))


@routes.post("/ari/applications/{applicationName}/subscription")
@routes.delete("/ari/applications/{applicationName}/subscription")
async def subscription(request: web.Request) -> web.Response:
    core = core_of(request)
    app = core.switch.application(request.match_info["applicationName"])
    sources = (await Params.of(request)).many("eventSource")
    if not sources:
        raise SimAriError(400, "Missing parameter eventSource")
    subscribe = request.method == "POST"
    # Every source must exist before any is (un)subscribed (app_event_sources_exist).
    resolved = [_event_source(core, app, source, subscribe=subscribe) for source in sources]
    for name, watchers, ids in resolved:
        if subscribe:
            watchers.add(app.name)
            if name not in ids:
                ids.append(name)
            continue
        if name not in ids:
            raise _source_not_found(subscribe=subscribe)
        watchers.discard(app.name)
        ids.remove(name)
    return json_response(application_json(core, app))


def _source_not_found(*, subscribe: bool) -> SimAriError:
    """res_ari's STASIS_ASR_EVENT_SOURCE_NOT_FOUND, one answer for every scheme. An
    unsubscribe gets it for a source that is gone as well as for one never subscribed
    to (rest_sip_caller_bye_in_stasis_subscribed.jsonl), never the 409 ARI documents."""
    if subscribe:
        return SimAriError(422, "Event source does not exist")
    return SimAriError(422, "Event source was not subscribed to")


def _event_source(
    core: SimCore, app: Application, source: str, *, subscribe: bool
) -> tuple[str, set[str], list[str]]:
    """An ``eventSource`` URI: its name, who watches it, the app's list it goes in."""
    scheme, _, name = source.partition(":")
    if scheme == "channel":
        if name not in core.switch.channels:
            raise _source_not_found(subscribe=subscribe)
        return name, core.switch.channels[name].watchers, app.channel_ids
    if scheme == "bridge":
        if name not in core.switch.bridges:
            raise _source_not_found(subscribe=subscribe)
        return name, core.switch.bridges[name].watchers, app.bridge_ids
    if scheme == "endpoint":
        known = {s.key for s in core.switch.endpoints.values()} | {
            s.tech for s in core.switch.endpoints.values()
        }
        if name not in known:
            raise _source_not_found(subscribe=subscribe)
        return name, set(), app.endpoint_ids
    if scheme == "deviceState":
        return name, set(), app.device_names
    raise SimAriError(400, "Invalid event source URI scheme")


@routes.put("/ari/applications/{applicationName}/eventFilter")
async def event_filter(request: web.Request) -> web.Response:
    core = core_of(request)
    app = core.switch.application(request.match_info["applicationName"])
    body = (await Params.of(request)).body or {}
    allowed, disallowed = body.get("allowed", []), body.get("disallowed", [])
    if not isinstance(allowed, list) or not isinstance(disallowed, list):
        raise SimAriError(400, "Bad request")
    app.events_allowed, app.events_disallowed = allowed, disallowed
    return json_response(application_json(core, app))


# -- endpoints ---------------------------------------------------------------------
def _ari_endpoints(core: SimCore, tech: str | None = None) -> list[EndpointScript]:
    # Local/... is a dial string, not an endpoint Asterisk would list.
    return [
        s
        for s in core.switch.endpoints.values()
        if s.tech != "Local" and (tech is None or s.tech == tech)
    ]


@routes.get("/ari/endpoints")
async def list_endpoints(request: web.Request) -> web.Response:
    core = core_of(request)
    return json_response([core.switch.endpoint_json(s) for s in _ari_endpoints(core)])


@routes.get("/ari/endpoints/{tech}")
async def list_endpoints_by_tech(request: web.Request) -> web.Response:
    core = core_of(request)
    found = _ari_endpoints(core, request.match_info["tech"])
    if not found:
        raise SimAriError(404, "Endpoints not found")
    return json_response([core.switch.endpoint_json(s) for s in found])


@routes.get("/ari/endpoints/{tech}/{resource}")
async def get_endpoint(request: web.Request) -> web.Response:
    core = core_of(request)
    key = f"{request.match_info['tech']}/{request.match_info['resource']}"
    for script in _ari_endpoints(core):
        if script.key == key:
            return json_response(core.switch.endpoint_json(script))
    raise SimAriError(404, "Endpoint not found")


# -- device states -----------------------------------------------------------------
DEVICE_STATES = {
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
}
_device_states: web.AppKey[dict[str, str]] = web.AppKey("callrouter_sim_devices", dict)


def _devices(request: web.Request) -> dict[str, str]:
    return request.app[_device_states]


def init_device_states(app: web.Application) -> None:
    app[_device_states] = {}


@routes.get("/ari/deviceStates")
async def list_device_states(request: web.Request) -> web.Response:
    states = _devices(request)
    return json_response([{"name": name, "state": state} for name, state in states.items()])


@routes.get("/ari/deviceStates/{deviceName}")
async def get_device_state(request: web.Request) -> web.Response:
    name = request.match_info["deviceName"]
    return json_response({"name": name, "state": _devices(request).get(name, "UNKNOWN")})


@routes.put("/ari/deviceStates/{deviceName}")
@routes.delete("/ari/deviceStates/{deviceName}")
async def change_device_state(request: web.Request) -> web.Response:
    core = core_of(request)
    name = request.match_info["deviceName"]
    if not name.startswith("Stasis:"):
        raise SimAriError(409, "Uncontrolled device specified")
    if request.method == "DELETE":
        if _devices(request).pop(name, None) is None:
            raise SimAriError(404, "Device name is missing")
        return no_content()
    state = (await Params.of(request)).require("deviceState", "deviceState is required")
    if state not in DEVICE_STATES:
        raise SimAriError(400, "Invalid device state")
    _devices(request)[name] = state
    watchers = [a.name for a in core.hub.applications.values() if name in a.device_names]
    core.hub.emit("DeviceStateChanged", watchers, device_state={"name": name, "state": state})
    return no_content()


@routes.get("/ari/sounds/{soundId:.+}")
async def get_sound(request: web.Request) -> web.Response:
    """A sound set with ``PUT /sim/sounds/{name}`` exists; any other is 404, as a sound not
    installed on Asterisk is (callrouter checks its apology sounds this way at start)."""
    name = request.match_info["soundId"]
    if name not in core_of(request).media.sound_seconds:
        raise SimAriError(404, "Sound not found")
    return json_response(
        {"id": name, "text": "", "formats": [{"language": "en", "format": "gsm"}]}
    )
