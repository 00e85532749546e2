"""Errors of the ARI client: the ``AriError`` branch of :mod:`callrouter.errors`.

::

    ExternalError                         (callrouter.errors)
    └── AriError                          "ari"  Asterisk failed us, one way or another
        ├── AriHttpError                  "ari-http"  Asterisk answered 4xx/5xx
        │   │                             (status, message, method, path)
        │   ├── AriBadRequest             "ari-bad-request"  400: a parameter was wrong
        │   ├── AriAuthError              "ari-auth"  401/403: wrong username or password
        │   ├── AriNotFound               "ari-not-found"  404: no such channel, bridge, ...
        │   │                             (everyday: a channel that has just hung up)
        │   ├── AriConflict               "ari-conflict"  409: not in Stasis, id taken
        │   ├── AriUnprocessable          "ari-unprocessable"  422: e.g. channel not in bridge
        │   └── AriServerError            "ari-server"  5xx: "Allocation failed", parse errors
        ├── AriTimeout                    "ari-timeout"  no answer within request_timeout
        ├── AriConnectionError            "ari-connection"  refused, reset, DNS, TLS
        └── AriProtocolError              "ari-protocol"  an answer we could not read

Every error is logged once, as one line, where it is raised (in ``_http``), so callers
that catch ``AriNotFound`` for a channel that just hung up need not log it again.
"""

from __future__ import annotations

from callrouter.errors import ExternalError

__all__ = [
    "AriAuthError",
    "AriBadRequest",
    "AriConflict",
    "AriConnectionError",
    "AriError",
    "AriHttpError",
    "AriNotFound",
    "AriProtocolError",
    "AriServerError",
    "AriTimeout",
    "AriUnprocessable",
    "http_error",
]


class AriError(ExternalError):
    error_id = "ari"


class AriHttpError(AriError):
    """Asterisk answered with an error status; ``message`` is its own explanation."""

    error_id = "ari-http"

    def __init__(self, *, status: int, message: str, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.message = message
        self.method = method
        self.path = path


class AriBadRequest(AriHttpError):
    error_id = "ari-bad-request"


class AriAuthError(AriHttpError):
    error_id = "ari-auth"


class AriNotFound(AriHttpError):
    error_id = "ari-not-found"


class AriConflict(AriHttpError):
    error_id = "ari-conflict"


class AriUnprocessable(AriHttpError):
    error_id = "ari-unprocessable"


class AriServerError(AriHttpError):
    error_id = "ari-server"


class AriTimeout(AriError):
    error_id = "ari-timeout"


class AriConnectionError(AriError):
    error_id = "ari-connection"


class AriProtocolError(AriError):
    error_id = "ari-protocol"


_BY_STATUS: dict[int, type[AriHttpError]] = {
    400: AriBadRequest,
    401: AriAuthError,
    403: AriAuthError,
    404: AriNotFound,
    409: AriConflict,
    422: AriUnprocessable,
}


def http_error(*, status: int, message: str, method: str, path: str) -> AriHttpError:
    """The most specific error class for an HTTP status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = AriServerError if status >= 500 else AriHttpError
    return cls(status=status, message=message, method=method, path=path)
