"""A route table entry, and the wrapper that makes every entry behave alike.

A :class:`Route` says everything about an endpoint once: method, path, summary, the
models of its path parameters, query, body and answer, its success status and whether
it needs the token. :func:`bind` turns it into an aiohttp handler that checks the
token, validates each input part against its model and serialises the answer through
the response model; :mod:`callrouter.api._openapi` reads the same entries to write the
document. Handlers therefore only see validated, typed input.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

import asyncpg
import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

from callrouter.api._errors import ApiHttpError, validation_error
from callrouter.api._tenancy import TENANT_ROUTES, TenantAccess, check_inputs
from callrouter.api.ports import CallCenterPort
from callrouter.store.tenants import ConnectionSource, TenantPool

__all__ = ["DEPS", "ApiDeps", "Inputs", "Route", "TenantSource", "bind"]

log = structlog.get_logger("callrouter.api")

M = TypeVar("M", bound=BaseModel)
Method = Literal["GET", "POST"]
TenantSource = Callable[[], TenantAccess | None]


@dataclass(frozen=True, slots=True)
class ApiDeps:
    center: CallCenterPort
    # For a tenant's request, a TenantPool: its queries see only the tenant's rows.
    pool: ConnectionSource | asyncpg.Pool
    # Bytes, so hmac.compare_digest accepts any token (it refuses non-ASCII str);
    # kept out of repr, which tracebacks with locals would print.
    token: bytes | None = field(repr=False)
    # Read-only: GET requests only.
    viewer_token: bytes | None = field(default=None, repr=False)
    # The tenants' tokens and what each owns (api/_tenancy.py) in the configuration in
    # force: read for each request, so a reload adds and removes tokens at once.
    tenants: TenantSource = field(default=lambda: None, repr=False)
    # For a tenant's request: what tenants own, as read for it; None otherwise.
    access: TenantAccess | None = None
    # The tenant this request acts for; None: the center itself (http.token).
    tenant: str | None = None


DEPS = web.AppKey("callrouter_api_deps", ApiDeps)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a handler gets: the validated parts of its request."""

    request: web.Request
    deps: ApiDeps
    path: BaseModel | None
    query: BaseModel | None
    body: BaseModel | None

    def path_as(self, model: type[M]) -> M:
        return _expect(self.path, model)

    def query_as(self, model: type[M]) -> M:
        return _expect(self.query, model)

    def body_as(self, model: type[M]) -> M:
        return _expect(self.body, model)


def _expect(value: BaseModel | None, model: type[M]) -> M:
    if not isinstance(value, model):
        raise TypeError(f"route table declares another model than {model.__name__}")
    return value


HandlerResult = BaseModel | web.StreamResponse
Handler = Callable[[Inputs], Awaitable[HandlerResult]]


@dataclass(frozen=True, slots=True)
class Route:
    method: Method
    path: str
    summary: str
    handler: Handler
    tag: str
    response: type[BaseModel] | None = None
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = ()
    # Other statuses answered with the response model itself (health's 503).
    also_status: tuple[int, ...] = ()
    # For answers that are not JSON (a recording): the media type documented.
    media_type: str | None = None
    description: str = ""

    @property
    def operation_id(self) -> str:
        return self.handler.__name__.strip("_")


def _authenticate(request: web.Request, route: Route, deps: ApiDeps) -> ApiDeps:
    """``deps`` as this request may use them: a tenant's token's limited to its tenant
    (and its route to :data:`TENANT_ROUTES`), the center's own tokens' unchanged."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    access = deps.tenants()
    if access is not None and access.tokens and scheme.lower() == "bearer" and given.strip():
        tenant = access.tenant_of_token(given.strip().encode())
        if tenant is not None:
            return _as_tenant(route, deps, access, tenant)
    _check_token(request, deps.token, deps.viewer_token)
    return deps


def _check_token(request: web.Request, token: bytes | None, viewer: bytes | None) -> None:
    if token is None:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiHttpError(
            401,
            "unauthorized",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="callrouter"'},
        )
    sent = given.strip().encode()
    if hmac.compare_digest(sent, token):
        return
    if viewer is not None and hmac.compare_digest(sent, viewer):
        if request.method in ("GET", "HEAD"):
            return
        log.warning("api.read_only_token", path=request.path, peer=request.remote)
        raise ApiHttpError(403, "forbidden", "this token may only read (http.viewer_token)")
    # Where from, never what was sent: the wrong token may be a real one mistyped.
    log.warning("api.wrong_token", path=request.path, peer=request.remote)
    raise ApiHttpError(403, "forbidden", "wrong token")


def _validate(model: type[M] | None, part: str, data: object) -> M | None:
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(part, exc) from exc


async def _read_body(request: web.Request) -> object:
    # An empty body counts as {}: routes whose fields are all optional need none.
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data: object = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiHttpError(400, "invalid-input", f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiHttpError(400, "invalid-input", "the body must be a JSON object")
    return data


def json_response(model: BaseModel, *, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=model.model_dump_json(), content_type="application/json"
    )


def bind(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        deps = request.app[DEPS]
        if route.auth:
            deps = _authenticate(request, route, deps)
        path = _validate(route.path_params, "path", dict(request.match_info))
        # Another tenant's id in the path is 404 before anything else is looked at:
        # what the body says changes nothing, so the answer tells nothing.
        await _check_tenants_inputs(deps, (path,))
        inputs = Inputs(
            request=request,
            deps=deps,
            path=path,
            query=_validate(route.query, "query", dict(request.query)),
            body=_validate(route.body, "body", await _read_body(request))
            if route.body is not None
            else None,
        )
        await _check_tenants_inputs(deps, (inputs.query, inputs.body))
        result = await route.handler(inputs)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result, status=route.status)

    handle.__name__ = route.operation_id
    return handle


async def _check_tenants_inputs(deps: ApiDeps, parts: tuple[BaseModel | None, ...]) -> None:
    if deps.tenant is not None and deps.access is not None:
        await check_inputs(
            deps.access, deps.tenant, deps.pool, parts, deps.center.live_call_tenant
        )


def _as_tenant(route: Route, deps: ApiDeps, access: TenantAccess, tenant: str) -> ApiDeps:
    if (route.method, route.path) not in TENANT_ROUTES:
        log.warning("api.tenant_refused", path=route.path, tenant=tenant)
        raise ApiHttpError(403, "forbidden", "this endpoint is not open to a tenant's token")
    return replace(deps, pool=TenantPool(deps.pool, tenant), access=access, tenant=tenant)
