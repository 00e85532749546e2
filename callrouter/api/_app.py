"""The composition root of the HTTP API: the aiohttp application and its server."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Self

import asyncpg
import structlog
from aiohttp import web

import callrouter
from callrouter.api._call_control_routes import CALL_CONTROL, CallControlPort
from callrouter.api._errors import error_middleware
from callrouter.api._handlers import OPENAPI_BODY
from callrouter.api._metrics import Observability, install_observability
from callrouter.api._openapi import build_openapi
from callrouter.api._pages import add_pages
from callrouter.api._routes import ROUTES
from callrouter.api._table import DEPS, ApiDeps, TenantSource, bind
from callrouter.api._tenancy import TenantAccess
from callrouter.api.ports import CallCenterPort
from callrouter.config import HttpSettings, is_loopback
from callrouter.errors import ConfigError, ConfigProblem
from callrouter.log import register_secret
from callrouter.web import LiveSource

__all__ = ["MAX_BODY_BYTES", "ApiServer", "create_api_app", "is_loopback"]

log = structlog.get_logger("callrouter.api")

MAX_BODY_BYTES = 64 * 1024
"""Every request body is a small JSON object; more is a mistake or an attack."""
_SHUTDOWN_TIMEOUT_S = 5.0
_TITLE = "callrouter"
_DESCRIPTION = (
    "Operators, click-to-call, the call log, recordings, queues and callbacks of a"
    " callrouter node. Send `Authorization: Bearer <token>` (http.token) to every"
    " endpoint except /openapi.json and /api/v1/health."
)


def _token_of(settings: HttpSettings) -> bytes | None:
    problem = settings.token_problem()
    if problem is not None:
        # check-config reports the same problem with its file and line (config._loader).
        raise ConfigError([ConfigProblem("<settings>", None, "http.token", problem)])
    token = settings.token.get_secret_value() if settings.token is not None else None
    if token:
        register_secret(token)
        return token.encode()
    return None


def create_api_app(
    *,
    settings: HttpSettings,
    center: CallCenterPort,
    pool: asyncpg.Pool,
    live: LiveSource | None = None,
    observability: Observability | None = None,
    call_control: CallControlPort | None = None,
    tenants: TenantAccess | TenantSource | None = None,
) -> web.Application:
    """The HTTP API as an aiohttp application; raises ConfigError if it would be open.
    With ``live``, it also serves the wallboard and the operator panel (``_pages``).
    With ``tenants``, a tenant's token acts as that tenant only (``_tenancy``): a
    function is asked for each request (the service's follows the reloads)."""
    token = _token_of(settings)
    viewer = settings.viewer_token.get_secret_value() if settings.viewer_token else None
    if viewer:
        register_secret(viewer)
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)
    tenant_source = _tenant_source(tenants)
    app[DEPS] = ApiDeps(
        center=center, pool=pool, token=token, viewer_token=viewer.encode() if viewer else None,
        tenants=tenant_source,
    )  # fmt: skip
    document = build_openapi(
        ROUTES, title=_TITLE, version=callrouter.__version__, description=_DESCRIPTION
    )
    app[OPENAPI_BODY] = json.dumps(document, indent=1).encode()
    for route in ROUTES:
        app.router.add_route(route.method, route.path, bind(route))
    if observability is not None:  # the service's settings (reports) and /metrics
        install_observability(app, observability)
    if call_control is not None:  # transfers and monitoring (_call_control_routes)
        app[CALL_CONTROL] = call_control
    if live is not None:
        add_pages(app, live=live, center=center, pool=pool, token=token,
                  viewer_token=viewer.encode() if viewer else None,
                  tenants=tenant_source)  # fmt: skip
    return app


def _tenant_source(tenants: TenantAccess | TenantSource | None) -> TenantSource:
    if tenants is None or isinstance(tenants, TenantAccess):
        return lambda: tenants
    return tenants


class ApiServer:
    """Serves :func:`create_api_app` on ``settings.host``/``port`` (0: any free port)."""

    def __init__(
        self,
        *,
        settings: HttpSettings,
        center: CallCenterPort,
        pool: asyncpg.Pool,
        live: LiveSource | None = None,
        observability: Observability | None = None,
        call_control: CallControlPort | None = None,
        tenants: TenantAccess | TenantSource | None = None,
    ) -> None:
        # Built now, so an open API on a public address fails before anything starts.
        self._app = create_api_app(
            settings=settings, center=center, pool=pool, live=live,
            observability=observability, call_control=call_control, tenants=tenants,
        )  # fmt: skip
        self._host = settings.host
        self._port = settings.port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("the API server is not started")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the API server is already started")
        # aiohttp's access log is off: monitors polling /health every few seconds would
        # drown the log; failures are logged once, with their error_id, by the middleware.
        runner = web.AppRunner(
            self._app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        for address in runner.addresses:
            if isinstance(address, tuple):
                self._port = int(address[1])
                break
        self._runner = runner
        log.info("api.listening", host=self._host, port=self._port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("api.closed")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
