"""The wallboard's supervisor: sign in, then listen, whisper or barge on a live call.

A wall screen's cookie (``http.viewer_token``) only reads the board. Monitoring needs a
supervisor's session: signed in at ``/wallboard/supervisor`` with their id and
``http.token``, or the secret of ``supervisors.<id>.panel_secret_hash`` (five wrong
secrets lock the id for a minute, as the operator panel does). Their phone is
``supervisors.<id>.endpoint``, else the one typed in the wallboard, else the operator's
of that id. The buttons call the running service's call control, the same
:class:`CallControlPort` the API's ``POST /api/v1/calls/{id}/monitor`` calls, so the
wallboard has no monitoring of its own: the same checks, the same ``call_monitoring``
log. A tenant's supervisor (``supervisors.<id>.tenant``, or signed in with a tenant's
token) sees that tenant's board and monitors its calls only: another tenant's call is
404, as if it did not exist. POSTs need a JSON body: with the SameSite=Strict cookie
that keeps other sites' forms from acting in a supervisor's name.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints

from callrouter.api import _handlers as handlers
from callrouter.api._call_control_routes import CALL_CONTROL, CallControlPort, Mode
from callrouter.api._call_control_routes import _Endpoint as Endpoint
from callrouter.api._errors import ApiHttpError
from callrouter.api._models import Name
from callrouter.api._pages import PAGES, PagesDeps, html_page, supervisor_of, tenant_tokens
from callrouter.api._sign_in import LoginThrottle, check_secret, session_ended, session_started
from callrouter.api._table import _read_body, _validate
from callrouter.errors import NotFound
from callrouter.web import BOARD_COOKIE, SUPERVISOR_COOKIE, SupervisorSession, client_name

__all__ = ["SUPERVISOR_ROUTES", "add_supervisor"]

_THROTTLE = web.AppKey("callrouter_supervisor_throttle", LoginThrottle)
_MonitorId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class _SupervisorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignInIn(_SupervisorIn):
    supervisor: Name
    secret: Annotated[str, StringConstraints(max_length=256)] = ""


class StartIn(_SupervisorIn):
    call_id: uuid.UUID
    mode: Mode
    endpoint: Endpoint | None = None


class ModeIn(_SupervisorIn):
    call_id: uuid.UUID
    monitor_id: _MonitorId
    mode: Mode


class StopIn(_SupervisorIn):
    call_id: uuid.UUID
    monitor_id: _MonitorId


def _deps(request: web.Request) -> PagesDeps:
    return request.app[PAGES]


def _supervisor(request: web.Request) -> SupervisorSession:
    session = supervisor_of(request)
    if session is not None:
        return session
    if request.cookies.get(BOARD_COOKIE):
        # A wall screen: its cookie reads the board and nothing else.
        raise ApiHttpError(403, "forbidden", "a wall screen cannot monitor: sign in as supervisor")
    raise ApiHttpError(401, "unauthorized", "sign in as a supervisor")


async def _body(request: web.Request, model: type[_SupervisorIn]) -> Any:
    if request.content_type != "application/json":
        raise ApiHttpError(415, "unsupported-media-type", "send a JSON body")
    return _validate(model, "body", await _read_body(request))


def _may_monitor(request: web.Request, session: SupervisorSession, call_id: uuid.UUID) -> str:
    """The supervisor's id, if ``call_id`` is a call of theirs to monitor: a tenant's
    supervisor gets 404 for another tenant's call, exactly as for no call at all."""
    if session.tenant is not None:
        party = _deps(request).live.party(str(call_id))
        if party is None or party.tenant != session.tenant:
            raise NotFound(f"no call {call_id}")
    return session.supervisor


def _port(request: web.Request) -> CallControlPort:
    port = request.app.get(CALL_CONTROL)
    if port is None:
        raise ApiHttpError(503, "unavailable", "call control is not running behind this page")
    return port


# -- session ------------------------------------------------------------------------


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    return html_page("supervisor.html")


async def sign_in(request: web.Request) -> web.StreamResponse:
    body: SignInIn = await _body(request, SignInIn)
    deps = _deps(request)
    configured = deps.live.settings.supervisors.get(body.supervisor)
    secret_hash = configured.panel_secret_hash if configured is not None else None
    by_tenant_token = await check_secret(
        request, request.app[_THROTTLE], deps.keys, role="supervisor", name=body.supervisor,
        secret=body.secret, configured=configured is not None, secret_hash=secret_hash,
        # http.token: any supervisor, configured or not; a tenant's token: any, for it
        token_admits_anyone=True, refused_event="wallboard.supervisor_refused",
        tenant_tokens=tenant_tokens(deps),
    )  # fmt: skip
    tenant: str | None
    if by_tenant_token is not None:
        token, tenant = by_tenant_token
        cookie = deps.keys.supervisor_cookie(
            body.supervisor, None, deps.clock(), tenant=tenant, tenant_token=token
        )
    else:
        tenant = configured.tenant if configured is not None else None
        cookie = deps.keys.supervisor_cookie(body.supervisor, secret_hash, deps.clock(),
                                             tenant=tenant)  # fmt: skip
    handlers.log.info("wallboard.supervisor_signed_in", supervisor=body.supervisor, tenant=tenant)
    return session_started(request, SUPERVISOR_COOKIE, cookie, {"supervisor": body.supervisor})


async def sign_out(request: web.Request) -> web.StreamResponse:
    return session_ended(SUPERVISOR_COOKIE)


async def whoami(request: web.Request) -> web.StreamResponse:
    """Who is signed in (the page shows the buttons only then), their phone, and the
    tenant (with its client company's name) their session is limited to."""
    session = supervisor_of(request)
    if session is None:
        return web.json_response({"supervisor": None})
    supervisor, tenant = session.supervisor, session.tenant
    settings = _deps(request).live.settings
    configured = settings.supervisors.get(supervisor)
    operator = settings.operators.get(supervisor)
    endpoint = configured.endpoint if configured is not None else None
    name = configured.name if configured is not None else ""
    return web.json_response(
        {
            "supervisor": supervisor,
            "name": name or supervisor,
            "endpoint": endpoint or (operator.endpoint if operator is not None else None),
            "tenant": tenant,
            "client": client_name(settings, tenant) if tenant is not None else None,
        }
    )


# -- monitoring ----------------------------------------------------------------------


async def start(request: web.Request) -> web.StreamResponse:
    session = _supervisor(request)
    body: StartIn = await _body(request, StartIn)
    supervisor = _may_monitor(request, session, body.call_id)
    call_id = str(body.call_id)
    monitor_id = await _port(request).start_monitoring(
        call_id, supervisor=supervisor, mode=body.mode, endpoint=body.endpoint
    )
    handlers.log.info("wallboard.monitor", supervisor=supervisor, call_id=call_id, mode=body.mode)
    return web.json_response(
        {"call_id": call_id, "monitor_id": monitor_id, "mode": body.mode}, status=201
    )


async def change_mode(request: web.Request) -> web.StreamResponse:
    session = _supervisor(request)
    body: ModeIn = await _body(request, ModeIn)
    supervisor = _may_monitor(request, session, body.call_id)
    await _port(request).change_monitoring(str(body.call_id), body.monitor_id, body.mode)
    handlers.log.info("wallboard.monitor_mode", supervisor=supervisor, mode=body.mode)
    return web.json_response(
        {"call_id": str(body.call_id), "monitor_id": body.monitor_id, "mode": body.mode}
    )


async def stop(request: web.Request) -> web.StreamResponse:
    session = _supervisor(request)
    body: StopIn = await _body(request, StopIn)
    supervisor = _may_monitor(request, session, body.call_id)
    await _port(request).stop_monitoring(str(body.call_id), body.monitor_id)
    handlers.log.info("wallboard.monitor_stop", supervisor=supervisor)
    return web.json_response(
        {"call_id": str(body.call_id), "monitor_id": body.monitor_id, "mode": None}
    )


def add_supervisor(app: web.Application) -> None:
    app[_THROTTLE] = LoginThrottle()
    for method, path, handler in SUPERVISOR_ROUTES:
        app.router.add_route(method, path, handler)


SUPERVISOR_ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("GET", "/wallboard/supervisor", sign_in_page),
    ("POST", "/wallboard/api/supervisor/session", sign_in),
    ("POST", "/wallboard/api/supervisor/session/end", sign_out),
    ("GET", "/wallboard/api/supervisor", whoami),
    ("POST", "/wallboard/api/monitor", start),
    ("POST", "/wallboard/api/monitor/mode", change_mode),
    ("POST", "/wallboard/api/monitor/stop", stop),
)
