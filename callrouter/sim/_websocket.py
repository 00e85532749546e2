"""The events WebSocket, ``/ari/events?app=...``."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSMsgType, web

from callrouter.sim._core import core_of
from callrouter.sim._events import EventConnection
from callrouter.sim._http import Params

routes = web.RouteTableDef()

# Asterisk answers a handshake without ``app`` with this page (errors.jsonl).
MISSING_APP_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n'
    "<html><head>\r\n"
    "<title>400 Bad Request</title>\r\n"
    "</head><body>\r\n"
    "<h1>Bad Request</h1>\r\n"
    "<p>HTTP request is missing param: [app]</p>\r\n"
    "<hr />\r\n"
    "<address>Asterisk</address>\r\n"
    "</body></html>\r\n"
)


@routes.get("/ari/events")
async def events(request: web.Request) -> web.StreamResponse:
    params = await Params.of(request)
    apps = params.many("app")
    if not apps:
        return web.Response(status=400, text=MISSING_APP_PAGE, content_type="text/html")
    ws = web.WebSocketResponse(protocols=("ari",), heartbeat=None)
    hub = core_of(request).hub
    conn = EventConnection(ws=ws, apps=apps, subscribe_all=params.flag("subscribeAll"))
    if isinstance(request.transport, asyncio.Transport):
        conn.transport = request.transport
    # Registered before the handshake completes, so a client that acts as soon as it
    # is connected never races the registration.
    hub.connect(conn)
    sender: asyncio.Task[None] | None = None
    try:
        await ws.prepare(request)
        sender = asyncio.create_task(_send_events(conn))
        async for message in ws:
            # ARI clients send nothing meaningful; only a close matters.
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        hub.disconnect(conn)
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    return ws


async def _send_events(conn: EventConnection) -> None:
    while True:
        event = await conn.queue.get()
        if conn.ws.closed:
            return
        try:
            await conn.ws.send_str(json.dumps(event))
        except ConnectionError:
            return
