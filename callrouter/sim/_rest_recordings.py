"""ARI /recordings and /playbacks resources."""

from __future__ import annotations

from aiohttp import web

from callrouter.sim._core import core_of
from callrouter.sim._http import Params, json_response, no_content
from callrouter.sim._state import LiveRecording
from callrouter.sim._wav import CONTENT_TYPES

routes = web.RouteTableDef()


def _name(request: web.Request) -> str:
    return request.match_info["recordingName"]


def _live(request: web.Request) -> LiveRecording:
    return core_of(request).media.live_recording(_name(request))


@routes.get("/ari/recordings/stored")
async def list_stored(request: web.Request) -> web.Response:
    return json_response(core_of(request).media.list_stored())


@routes.get("/ari/recordings/stored/{recordingName}")
async def get_stored(request: web.Request) -> web.Response:
    _path, fmt = core_of(request).media.stored(_name(request))
    return json_response({"name": _name(request), "format": fmt})


@routes.delete("/ari/recordings/stored/{recordingName}")
async def delete_stored(request: web.Request) -> web.Response:
    path, _fmt = core_of(request).media.stored(_name(request))
    path.unlink()
    return no_content()


@routes.get("/ari/recordings/stored/{recordingName}/file")
async def get_stored_file(request: web.Request) -> web.Response:
    path, fmt = core_of(request).media.stored(_name(request))
    return web.Response(body=path.read_bytes(), content_type=CONTENT_TYPES[fmt])


@routes.post("/ari/recordings/stored/{recordingName}/copy")
async def copy_stored(request: web.Request) -> web.Response:
    destination = (await Params.of(request)).get("destinationRecordingName")
    return json_response(core_of(request).media.copy_stored(_name(request), destination))


@routes.get("/ari/recordings/live/{recordingName}")
async def get_live(request: web.Request) -> web.Response:
    return json_response(_live(request).to_json())


@routes.post("/ari/recordings/live/{recordingName}/stop")
@routes.delete("/ari/recordings/live/{recordingName}")
async def stop_live(request: web.Request) -> web.Response:
    core_of(request).media.stop_recording(_live(request), cancel=request.method == "DELETE")
    return no_content()


@routes.post("/ari/recordings/live/{recordingName}/pause")
@routes.delete("/ari/recordings/live/{recordingName}/pause")
async def pause_live(request: web.Request) -> web.Response:
    core_of(request).media.set_paused(_live(request), request.method == "POST")
    return no_content()


@routes.post("/ari/recordings/live/{recordingName}/mute")
@routes.delete("/ari/recordings/live/{recordingName}/mute")
async def mute_live(request: web.Request) -> web.Response:
    core_of(request).media.set_muted(_live(request), request.method == "POST")
    return no_content()


@routes.get("/ari/playbacks/{playbackId}")
async def get_playback(request: web.Request) -> web.Response:
    playback = core_of(request).media.playback(request.match_info["playbackId"])
    return json_response(playback.to_json())


@routes.delete("/ari/playbacks/{playbackId}")
async def stop_playback(request: web.Request) -> web.Response:
    media = core_of(request).media
    media.stop_playback(media.playback(request.match_info["playbackId"]))
    return no_content()


@routes.post("/ari/playbacks/{playbackId}/control")
async def control_playback(request: web.Request) -> web.Response:
    media = core_of(request).media
    pb = media.playback(request.match_info["playbackId"])
    media.control_playback(pb, (await Params.of(request)).get("operation"))
    return no_content()
