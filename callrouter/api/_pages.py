"""The wallboard's and the operator panel's HTTP edge, on the API's own port.

``/wallboard`` and ``/operator`` are plain files from ``callrouter/web/static``; each
page opens one Server-Sent Events stream (``/wallboard/events``, ``/operator/events``)
that pushes the board whenever the routing core changed (``callrouter.web._hub``), and
the panel's buttons POST to ``/operator/api/...`` (``_panel.py``), a supervisor's
monitoring buttons on the wallboard to ``/wallboard/api/...`` (``_supervisor.py``). Who
may see what is ``callrouter.web._auth``; a tenant's viewer gets the board through
``callrouter.web.tenant_view``, on every push, and its stream ends as soon as its token
or session no longer opens the board.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from aiohttp import web

from callrouter.api._table import TenantSource
from callrouter.api.ports import CallCenterPort
from callrouter.store import database_errors
from callrouter.store import wallboard as board_store
from callrouter.web import (
    BOARD_COOKIE,
    STATIC_DIR,
    SUPERVISOR_COOKIE,
    Board,
    BoardHub,
    BoardViewer,
    LiveSource,
    PageKeys,
    SupervisorSession,
    TenantTokens,
    center_view,
    figures_document,
    live_board,
    tenant_view,
)

__all__ = [
    "PAGES",
    "PagesDeps",
    "add_pages",
    "board_viewer",
    "event_stream",
    "html_page",
    "supervisor_of",
    "tenant_tokens",
]

log = structlog.get_logger("callrouter.api")

HEARTBEAT_S = 15.0
"""A comment line this often keeps proxies from closing a quiet stream, and finds a
page that went away."""
_ACQUIRE_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class PagesDeps:
    live: LiveSource
    hub: BoardHub
    keys: PageKeys = field(repr=False)
    center: CallCenterPort
    pool: asyncpg.Pool
    # The tenants' tokens in force (the API's own source: reloads apply at once).
    tenants: TenantSource = field(default=lambda: None, repr=False)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


PAGES = web.AppKey("callrouter_pages", PagesDeps)


def center_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of ``now``'s day in the call center's time zone (``reports.timezone``)."""
    zone = ZoneInfo(timezone)
    return datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)


async def read_figures(live: LiveSource, pool: asyncpg.Pool, now: datetime) -> dict[str, Any]:
    settings = live.settings
    day_start = center_day_start(now, settings.reports.timezone)
    service_levels = {name: q.service_level_s for name, q in settings.queues.items()}
    # Each tenant's own chart too, when there are tenants to show it to.
    tenant_of = {name: q.tenant for name, q in settings.queues.items()}
    with database_errors("cannot read the wallboard's figures"):
        async with pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
            queues = await board_store.queue_figures(
                conn, since=day_start, service_levels=service_levels
            )
            intraday = await board_store.intraday_figures(
                conn, day=day_start.date(), timezone=settings.reports.timezone, now=now,
                service_levels=service_levels,
                targets={name: q.service_level_target for name, q in settings.queues.items()},
                wrapups={name: q.wrapup_s for name, q in settings.queues.items()},
                tenant_of=tenant_of if settings.tenants else None,
            )  # fmt: skip
            campaigns = await board_store.campaign_board_figures(conn, day_start=day_start)
    return figures_document(
        settings=settings, day_start=day_start, queues=queues, intraday=intraday,
        campaigns=campaigns,
    )  # fmt: skip


def html_page(name: str) -> web.FileResponse:
    # no-cache: a wall screen left on for months picks up a new version at its reload.
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})


def _bearer(request: web.Request) -> str | None:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None


def tenant_tokens(deps: PagesDeps) -> TenantTokens:
    access = deps.tenants()
    return access.tokens if access is not None else ()


def supervisor_of(request: web.Request) -> SupervisorSession | None:
    """The supervisor signed in on this browser (``/wallboard/supervisor``), or None."""
    deps = request.app[PAGES]
    return deps.keys.supervisor_of(
        request.cookies.get(SUPERVISOR_COOKIE), deps.live.settings.supervisors, deps.clock(),
        tenant_tokens(deps),
    )  # fmt: skip


def board_viewer(request: web.Request) -> BoardViewer | None:
    """Whose board this request may read: a supervisor's session decides (it is what
    monitoring acts on), else the bearer token or the wall screen's cookie."""
    session = supervisor_of(request)
    if session is not None:
        return BoardViewer(session.tenant)
    deps = request.app[PAGES]
    cookie = request.cookies.get(BOARD_COOKIE)
    return deps.keys.board_viewer(cookie, _bearer(request), tenant_tokens(deps))


def view_of(board: Board, viewer: BoardViewer) -> Board:
    return center_view(board) if viewer.tenant is None else tenant_view(board, viewer.tenant)


_NEEDS_TOKEN = """<!doctype html><meta charset="utf-8"><title>callrouter wallboard</title>
<body style="background:#0b1220;color:#e6edf7;font:24px system-ui;padding:3em">
<h1>Wallboard</h1><p>{message}</p></body>"""


async def wallboard(request: web.Request) -> web.StreamResponse:
    deps = request.app[PAGES]
    given = request.query.get("token")
    if given is not None:
        cookie = deps.keys.board_cookie(given, tenant_tokens(deps))
        if cookie is None:
            log.warning("wallboard.wrong_token", peer=request.remote)
            message = "This token does not open the wallboard."
            return web.Response(status=403, text=_NEEDS_TOKEN.format(message=message),
                                content_type="text/html")  # fmt: skip
        # The token leaves the address bar (and the history): the cookie stands for it.
        redirect = web.HTTPSeeOther("/wallboard")
        redirect.set_cookie(
            BOARD_COOKIE, cookie, max_age=400 * 24 * 3600, httponly=True, samesite="Strict",
            path="/", secure=request.secure,
        )  # fmt: skip
        raise redirect
    if board_viewer(request) is None:
        message = (
            "Open <code>/wallboard?token=&lt;http.viewer_token&gt;</code> on this screen."
            " Supervisors: <a href='/wallboard/supervisor'>sign in</a>."
        )
        return web.Response(status=401, text=_NEEDS_TOKEN.format(message=message),
                            content_type="text/html")  # fmt: skip
    return html_page("wallboard.html")


async def board_json(request: web.Request) -> web.StreamResponse:
    viewer = board_viewer(request)
    if viewer is None:
        raise web.HTTPUnauthorized()
    deps = request.app[PAGES]
    # The hub keeps its board fresh only while a page watches: else build one now.
    board = deps.hub.current if deps.hub.subscribers else None
    if board is None:
        figures = await read_figures(deps.live, deps.pool, deps.clock())
        board = {**_live_now(deps), "figures": figures}
    return web.json_response(view_of(board, viewer))


def _live_now(deps: PagesDeps) -> Board:
    return live_board(deps.live.snapshot(), settings=deps.live.settings, party=deps.live.party)


async def event_stream(
    request: web.Request,
    hub: BoardHub,
    project: Callable[[Board], Board],
    still_allowed: Callable[[], bool],
) -> web.StreamResponse:
    """Push each new board (as ``project`` shapes it) to one page until it leaves, or
    until ``still_allowed`` says no (checked before every push and heartbeat): then an
    ``ended`` event tells the page to sign in again. A board whose projection did not
    change is not sent: a page learns nothing from a change it may not see."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx in front must not buffer the stream
        }
    )
    await response.prepare(request)
    subscription = hub.subscribe()
    boards = subscription.boards()
    last_sent = None
    try:
        await response.write(b"retry: 1000\n\n")
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_S):
                    board = await anext(boards)
            except TimeoutError:
                board = None
            except StopAsyncIteration:
                break
            if not still_allowed():
                await response.write(b"event: ended\ndata: {}\n\n")
                break
            if board is None:
                await response.write(b": keep-alive\n\n")
                continue
            view = project(board)
            content = json.dumps({k: v for k, v in view.items() if k != "at"}, sort_keys=True)
            if content == last_sent:
                continue
            last_sent = content
            data = json.dumps(view, separators=(",", ":"))
            await response.write(f"data: {data}\n\n".encode())
    except (ConnectionResetError, ConnectionError):
        pass  # the page went away
    finally:
        subscription.close()
        hub.unsubscribe(subscription)
        with contextlib.suppress(Exception):
            await boards.aclose()
    return response


async def wallboard_events(request: web.Request) -> web.StreamResponse:
    viewer = board_viewer(request)
    if viewer is None:
        raise web.HTTPUnauthorized()
    # The same viewer as at the start, or the stream ends: a token removed, or moved
    # to another tenant, by a reload.
    return await event_stream(
        request, request.app[PAGES].hub, lambda board: view_of(board, viewer),
        lambda: board_viewer(request) == viewer,
    )  # fmt: skip


async def _run_hub(app: web.Application) -> AsyncIterator[None]:
    hub = app[PAGES].hub
    task = asyncio.create_task(hub.run(), name="wallboard-hub")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_streams(app: web.Application) -> None:
    app[PAGES].hub.close()


def add_pages(
    app: web.Application,
    *,
    live: LiveSource,
    center: CallCenterPort,
    pool: asyncpg.Pool,
    token: bytes | None,
    viewer_token: bytes | None,
    tenants: TenantSource,
) -> None:
    """Serve the wallboard and the operator panel from ``app``."""
    from callrouter.api._panel import add_panel  # they build on this module
    from callrouter.api._supervisor import add_supervisor

    hub = BoardHub(
        live=lambda: live_board(live.snapshot(), settings=live.settings, party=live.party),
        figures=lambda: read_figures(live, pool, datetime.now(UTC)),
    )
    deps = PagesDeps(
        live=live, hub=hub, keys=PageKeys.from_tokens(token, viewer_token), center=center,
        pool=pool, tenants=tenants,
    )  # fmt: skip
    live.on_change(deps.hub.changed)
    app[PAGES] = deps
    app.router.add_get("/wallboard", wallboard)
    app.router.add_get("/wallboard/events", wallboard_events)
    app.router.add_get("/wallboard/board.json", board_json)
    add_panel(app)
    add_supervisor(app)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, append_version=False)
    app.cleanup_ctx.append(_run_hub)
    app.on_shutdown.append(_close_streams)
