"""HTTP plumbing shared by every ARI handler: parameters, answers, middlewares.

Asterisk reads each parameter from the query string or from a JSON body object (its
generated ``*_parse_body`` functions), so ``Params`` merges both. Errors are raised as
``SimAriError`` anywhere and turned into Asterisk's JSON by ``error_middleware``, the
one place that writes an error response.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from callrouter.sim._base import JsonObj, SimAriError, ari_timestamp
from callrouter.sim._core import core_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ARI_PREFIX = "/ari"
_PARAMS_KEY: web.RequestKey[Params]
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


class Params:
    """One request's ARI parameters, query string and JSON body merged."""

    def __init__(self, query: dict[str, list[str]], body: JsonObj | None) -> None:
        self._values: dict[str, Any] = {k: v[-1] for k, v in query.items()}
        self._lists = query
        self.body = body
        for key, value in (body or {}).items():
            if key != "variables":
                self._values[key] = value

    @classmethod
    async def of(cls, request: web.Request) -> Params:
        if _PARAMS_KEY in request:
            return request[_PARAMS_KEY]
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        params = cls(query, await read_json_body(request))
        request[_PARAMS_KEY] = params
        return params

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def require(self, name: str, message: str, status: int = 400) -> str:
        value = self.get(name)
        if value is None:
            raise SimAriError(status, message)
        return value

    def number(self, name: str, default: float) -> float:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SimAriError(400, f"{name} must be a number") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        return default

    def many(self, name: str) -> list[str]:
        """A repeated or comma-separated parameter (``media``, ``appArgs``)."""
        value = self._values.get(name)
        if isinstance(value, list):
            return [str(item) for item in value]
        items: list[str] = []
        for raw in self._lists.get(name, [value] if isinstance(value, str) else []):
            items.extend(part for part in raw.split(",") if part)
        return items

    def variables(self) -> dict[str, str]:
        raw = (self.body or {}).get("variables")
        if not isinstance(raw, dict):
            return {}
        return {str(k): str(v) for k, v in raw.items()}


_PARAMS_KEY = web.RequestKey("callrouter_sim_params", Params)


async def read_json_body(request: web.Request) -> JsonObj | None:
    if not request.body_exists:
        return None
    text = await request.text()
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise SimAriError(400, "Error parsing request body") from None
    return data if isinstance(data, dict) else {"value": data}


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def no_content() -> web.Response:
    return web.Response(status=204)


def error_response(err: SimAriError) -> web.Response:
    return web.json_response(err.body, status=err.status, reason=err.reason)


def _is_ari(request: web.Request) -> bool:
    return request.path == ARI_PREFIX or request.path.startswith(ARI_PREFIX + "/")


@web.middleware
async def log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep every ARI request for GET /sim/requests, including failed ones."""
    if not _is_ari(request):
        return await handler(request)
    core = core_of(request)
    try:
        body = await read_json_body(request)
    except SimAriError:
        body = None
    entry: JsonObj = {
        "method": request.method,
        "path": request.path,
        "params": dict(request.query),
        "body": body,
        "status": None,
        "ts": ari_timestamp(core.clock.now()),
    }
    # Appended first so a long-lived WebSocket shows up while it is open.
    core.request_log.append(entry)
    response = await handler(request)
    entry["status"] = response.status
    return response


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_ari(request):
        return await handler(request)
    fault = core_of(request).take_fault(request.method, request.path)
    if fault is None:
        return await handler(request)
    if fault.delay > 0:
        # Real seconds, not simulated: this exists to trip client timeouts.
        await asyncio.sleep(fault.delay)
    if fault.status is None:
        return await handler(request)
    body = fault.body if fault.body is not None else {"message": "Injected fault"}
    return web.json_response(body, status=fault.status)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_ari(request):
        return await handler(request)
    credentials = _credentials(request)
    if credentials is None or not core_of(request).credentials_ok(*credentials):
        return web.json_response(
            {"message": "Authentication required"},
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'},
        )
    return await handler(request)


def _credentials(request: web.Request) -> tuple[str, str] | None:
    api_key = request.query.get("api_key")
    if api_key is not None:
        user, _, password = api_key.partition(":")
        return user, password
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except SimAriError as err:
        return error_response(err)
    except web.HTTPNotFound:
        if not _is_ari(request):
            raise
        return error_response(SimAriError(404, "Resource not found"))
    except web.HTTPMethodNotAllowed:
        if not _is_ari(request):
            raise
        return error_response(SimAriError(405, "Invalid method"))


MIDDLEWARES = [log_middleware, fault_middleware, auth_middleware, error_middleware]
