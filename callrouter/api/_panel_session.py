"""The operator panel's session: log in with the operator's secret, the session's
cookie, and what every other endpoint of the panel starts with (the operator of the
cookie, a JSON body, a database connection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints

from callrouter.api import _handlers as handlers
from callrouter.api._errors import ApiHttpError
from callrouter.api._models import Name
from callrouter.api._pages import PAGES, PagesDeps
from callrouter.api._sign_in import LoginThrottle, check_secret, session_ended, session_started
from callrouter.api._table import _read_body, _validate
from callrouter.store import DbConnection, database_errors
from callrouter.web import OPERATOR_COOKIE

__all__ = [
    "THROTTLE",
    "PanelIn",
    "current_operator",
    "end_session",
    "json_body",
    "login",
    "operator_session",
    "pages_deps",
    "panel_db",
]

_ACQUIRE_TIMEOUT_S = 5.0
THROTTLE = web.AppKey("callrouter_panel_throttle", LoginThrottle)


class PanelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoginIn(PanelIn):
    operator_id: Name
    secret: Annotated[str, StringConstraints(max_length=256)] = ""


async def json_body(request: web.Request, model: type[PanelIn] | type[BaseModel]) -> Any:
    if request.content_type != "application/json":
        raise ApiHttpError(415, "unsupported-media-type", "send a JSON body")
    return _validate(model, "body", await _read_body(request))


def pages_deps(request: web.Request) -> PagesDeps:
    return request.app[PAGES]


def _secret_hashes(deps: PagesDeps) -> dict[str, str | None]:
    return {op_id: op.panel_secret_hash for op_id, op in deps.live.settings.operators.items()}


def operator_session(request: web.Request) -> str | None:
    deps = pages_deps(request)
    return deps.keys.operator_of(
        request.cookies.get(OPERATOR_COOKIE), _secret_hashes(deps), deps.clock()
    )


def current_operator(request: web.Request) -> str:
    operator_id = operator_session(request)
    if operator_id is None:
        raise ApiHttpError(401, "unauthorized", "log in to the operator panel")
    return operator_id


@asynccontextmanager
async def panel_db(deps: PagesDeps, action: str) -> AsyncIterator[DbConnection]:
    with database_errors(action):
        async with deps.pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
            yield conn


async def login(request: web.Request) -> web.StreamResponse:
    body: LoginIn = await json_body(request, LoginIn)
    deps = pages_deps(request)
    operator = deps.live.settings.operators.get(body.operator_id)
    secret_hash = operator.panel_secret_hash if operator is not None else None
    await check_secret(
        request, request.app[THROTTLE], deps.keys, role="operator", name=body.operator_id,
        secret=body.secret, configured=operator is not None, secret_hash=secret_hash,
        token_admits_anyone=False, refused_event="panel.login_refused",
    )  # fmt: skip
    cookie = deps.keys.operator_cookie(body.operator_id, secret_hash, deps.clock())
    handlers.log.info("panel.login", operator=body.operator_id)
    return session_started(request, OPERATOR_COOKIE, cookie, {"operator_id": body.operator_id})


async def end_session(request: web.Request) -> web.StreamResponse:
    return session_ended(OPERATOR_COOKIE)
