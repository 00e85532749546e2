"""The one place callrouter's errors become HTTP statuses and JSON error bodies.

::

    callrouter.errors                  status  body error.id
    NotFound                           404     not-found
    Conflict                           409     conflict
    InvalidInput                       422     invalid-input
    (pydantic validation failure)      422     invalid-input, with fields[]
    (body that is not JSON)            400     invalid-input
    ExternalError (ari, database, crm) 502     its own error_id; generic message
    anything else                      500     internal; no details

Messages of domain errors are written for people ("operator 'anna' is not logged in")
and go out as they are. Outside failures and bugs are logged in full and answered with
a generic message: their text can hold hostnames, SQL or Asterisk internals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import structlog
from aiohttp import web
from pydantic import ValidationError

from callrouter.api._models import ErrorBody, ErrorDetail, FieldProblem
from callrouter.errors import (
    CallrouterError,
    Conflict,
    ExternalError,
    InvalidInput,
    NotFound,
)

__all__ = [
    "ApiHttpError",
    "StreamBroken",
    "error_middleware",
    "error_response",
    "validation_error",
]

log = structlog.get_logger("callrouter.api")

_DOMAIN_STATUS: tuple[tuple[type[CallrouterError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
)
_BODY_HEADERS = frozenset({"content-type", "content-length"})
_HTTP_IDS: Mapping[int, str] = {
    400: "invalid-input",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
}


class ApiHttpError(Exception):
    """An answer decided at the HTTP edge itself (auth, parsing, validation)."""

    def __init__(
        self,
        status: int,
        error_id: str,
        message: str,
        *,
        fields: list[FieldProblem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.fields = fields
        self.headers = dict(headers or {})


class StreamBroken(Exception):
    """A streamed answer failed after its headers left. Only dropping the connection
    tells the client the file is incomplete, so the middleware lets this one pass."""


def error_response(
    status: int,
    error_id: str,
    message: str,
    *,
    fields: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    body = ErrorBody(error=ErrorDetail(id=error_id, message=message, fields=fields))
    return web.Response(
        status=status,
        text=body.model_dump_json(exclude_none=True),
        content_type="application/json",
        headers=headers,
    )


def validation_error(part: str, exc: ValidationError) -> ApiHttpError:
    """422 naming every bad field as ``part.dotted.path`` (``body.number``)."""
    fields = [
        FieldProblem(
            path=".".join([part, *(str(item) for item in error["loc"])]),
            message=error["msg"],
        )
        for error in exc.errors(include_url=False, include_input=False)
    ]
    summary = "; ".join(f"{f.path}: {f.message}" for f in fields)
    return ApiHttpError(422, InvalidInput.error_id, summary, fields=fields)


def _from_callrouter(exc: CallrouterError) -> web.Response:
    for family, status in _DOMAIN_STATUS:
        if isinstance(exc, family):
            return error_response(status, exc.error_id, exc.message)
    if isinstance(exc, ExternalError):
        log.warning("api.external_error", error_id=exc.error_id, reason=exc.message)
        return error_response(502, exc.error_id, f"an outside party failed ({exc.error_id})")
    log.error("api.internal_error", error_id=exc.error_id, reason=exc.message)
    return error_response(500, "internal", "internal error")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except StreamBroken:
        raise
    except ApiHttpError as exc:
        return error_response(
            exc.status, exc.error_id, exc.message, fields=exc.fields, headers=exc.headers
        )
    except CallrouterError as exc:
        return _from_callrouter(exc)
    except web.HTTPException as exc:
        # aiohttp's own answers (unknown path, wrong method, body too large) get our
        # body shape too; Allow and similar headers are kept.
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS}
        error_id = _HTTP_IDS.get(exc.status, "http-error")
        return error_response(exc.status, error_id, exc.reason, headers=headers)
    except Exception:
        log.exception(
            "api.internal_error", error_id="internal", method=request.method, path=request.path
        )
        return error_response(500, "internal", "internal error")
