"""Signing in with a secret, shared by the operator panel and the supervisors' page:
the throttle on wrong secrets and the one check of a secret against its hash."""

from __future__ import annotations

import asyncio
import hmac
import time

from aiohttp import web

from callrouter.api import _handlers as handlers
from callrouter.api._errors import ApiHttpError
from callrouter.web import SESSION_TTL, PageKeys, TenantTokens, verify_secret

__all__ = ["LoginThrottle", "check_secret", "session_ended", "session_started"]


class LoginThrottle:
    """At most ``limit`` wrong secrets per operator in ``window_s``: guessing a PIN
    through the panel takes years, not minutes."""

    def __init__(self, *, limit: int = 5, window_s: float = 60.0) -> None:
        self._limit = limit
        self._window_s = window_s
        self._failures: dict[str, list[float]] = {}

    def blocked(self, operator_id: str, now: float) -> bool:
        recent = [t for t in self._failures.get(operator_id, ()) if now - t < self._window_s]
        self._failures[operator_id] = recent
        return len(recent) >= self._limit

    def failed(self, operator_id: str, now: float) -> None:
        self._failures.setdefault(operator_id, []).append(now)
        if len(self._failures) > 10_000:  # names never configured must not grow it forever
            self._failures.clear()


async def check_secret(
    request: web.Request,
    throttle: LoginThrottle,
    keys: PageKeys,
    *,
    role: str,
    name: str,
    secret: str,
    configured: bool,
    secret_hash: str | None,
    token_admits_anyone: bool,
    refused_event: str,
    tenant_tokens: TenantTokens = (),
) -> tuple[bytes, str] | None:
    """Raise 429 while ``name`` is throttled and 403 (logged as ``refused_event``, counted
    by the throttle) unless ``secret`` is the http.token (which admits a ``name`` not
    configured only with ``token_admits_anyone``), one of ``tenant_tokens`` (any
    ``name``, for that tenant only: the token and its tenant are returned), matches
    ``secret_hash``, or the pages are open and ``name`` is configured without a secret."""
    now = time.monotonic()
    if throttle.blocked(name, now):
        raise ApiHttpError(429, "too-many-attempts", "too many wrong secrets: wait a minute")
    tenant_token = _tenant_token(secret.encode(), tenant_tokens)
    if keys.is_supervisor(secret):
        allowed = configured or token_admits_anyone
    elif tenant_token is not None:
        allowed = True
    elif configured and secret_hash:
        # PBKDF2 takes ~0.1 s on purpose: never on the event loop.
        allowed = await asyncio.to_thread(verify_secret, secret, secret_hash)
    else:
        allowed = configured and keys.open
    if not allowed:
        throttle.failed(name, now)
        handlers.log.warning(refused_event, **{role: name}, peer=request.remote)
        raise ApiHttpError(403, "forbidden", f"wrong {role} or secret")
    return tenant_token


def _tenant_token(sent: bytes, tenant_tokens: TenantTokens) -> tuple[bytes, str] | None:
    found = None
    for token, tenant in tenant_tokens:  # every one compared: no timing hint
        if hmac.compare_digest(sent, token):
            found = (token, tenant)
    return found


def session_started(
    request: web.Request, cookie_name: str, cookie: str, body: dict[str, str]
) -> web.Response:
    """``body`` as JSON, setting the session's cookie for this site's pages only."""
    response = web.json_response(body)
    response.set_cookie(
        cookie_name, cookie, max_age=int(SESSION_TTL.total_seconds()), httponly=True,
        samesite="Strict", path="/", secure=request.secure,
    )  # fmt: skip
    return response


def session_ended(cookie_name: str) -> web.Response:
    response = web.json_response({"ended": True})
    response.del_cookie(cookie_name, path="/")
    return response
