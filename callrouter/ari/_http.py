"""One request helper for every REST call, and the route table it is driven by.

Each REST method names a :class:`Route` (method, path, the query and body parameters it
may send and their types, how to read the answer). Routes are declared once, at import,
into ``ROUTES``; the contract test walks that table against ``ari-spec/*.json``, and
:meth:`Http.call` refuses a parameter its route does not declare, so the table cannot
drift from what the methods really send.

aiohttp's exceptions stop here: every failure leaves as an :mod:`callrouter.ari.errors`
class, raised ``from`` the original and logged once, as one line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, get_args, get_origin
from urllib.parse import quote

import aiohttp
import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from yarl import URL

from callrouter.ari.errors import (
    AriConnectionError,
    AriError,
    AriNotFound,
    AriProtocolError,
    AriTimeout,
    http_error,
)

__all__ = [
    "NOTHING",
    "RAW",
    "ROUTES",
    "Http",
    "Many",
    "Route",
    "WholeBody",
    "many",
    "one",
    "route",
]

log = structlog.get_logger(__name__)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
M = TypeVar("M", bound=BaseModel)
HttpMethod = Literal["GET", "POST", "PUT", "DELETE"]


class Many:
    """Parameter type marker: a list sent comma-separated (Swagger ``allowMultiple``)."""


class Result(Protocol[T_co]):
    @property
    def spec_name(self) -> str:
        """The Swagger ``responseClass`` this decoder reads."""
        ...

    def decode(self, body: bytes) -> T_co: ...


@dataclass(frozen=True, slots=True)
class _One(Generic[M]):
    model: type[M]
    spec_name: str

    def decode(self, body: bytes) -> M:
        return self.model.model_validate_json(body)


@dataclass(frozen=True, slots=True)
class _Many(Generic[M]):
    adapter: TypeAdapter[list[M]]
    model: type[M]
    spec_name: str

    def decode(self, body: bytes) -> list[M]:
        return self.adapter.validate_json(body)


@dataclass(frozen=True, slots=True)
class _Nothing:
    spec_name: str = "void"

    def decode(self, body: bytes) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Raw:
    spec_name: str = "binary"

    def decode(self, body: bytes) -> bytes:
        return body


def one(model: type[M]) -> _One[M]:
    return _One(model, model.__name__)


def many(model: type[M]) -> _Many[M]:
    return _Many(TypeAdapter(list[model]), model, f"List[{model.__name__}]")  # type: ignore[valid-type]


NOTHING = _Nothing()
RAW = _Raw()


class WholeBody:
    """A body parameter that is the whole JSON body, not a key in it (ARI's
    ``eventFilter``: the spec names it ``filter``, Asterisk reads the body itself)."""


@dataclass(frozen=True, slots=True)
class Route(Generic[T]):
    """One ARI operation. ``query``/``body`` map wire names to Python types
    (``str``, ``int``, ``bool``, ``Many``, a ``Literal`` of allowed values, ``dict``)."""

    method: HttpMethod
    path: str
    result: Result[T]
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)

    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]


ROUTES: list[Route[Any]] = []


def route(
    method: HttpMethod,
    path: str,
    result: Result[T],
    *,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Route[T]:
    declared = Route(method, path, result, dict(query or {}), dict(body or {}))
    ROUTES.append(declared)
    return declared


def _encode(name: str, kind: Any, value: object) -> str | dict[str, Any]:
    """Check one parameter against its declared type; the ARI wire form of it."""
    if get_origin(kind) is Literal:
        if value not in get_args(kind):
            raise ValueError(f"{name} must be one of {get_args(kind)}, got {value!r}")
        return str(value)
    if kind is Many:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, Sequence) or not all(isinstance(v, str) for v in items):
            raise TypeError(f"{name} must be a string or a list of strings")
        return ",".join(items)
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool")
        return "true" if value else "false"
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int")
        return str(value)
    if kind is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a mapping")
        return {str(k): str(v) for k, v in value.items()}
    if kind is WholeBody:
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a mapping")
        return dict(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str")
    return value


def _encode_all(
    declared: Mapping[str, Any], given: Mapping[str, object], what: str, path: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in given.items():
        if name not in declared:
            # A bug in a REST method, not bad user input: the route table must list it.
            raise AssertionError(f"{what} parameter {name!r} is not declared for {path}")
        if value is not None:
            out[name] = _encode(name, declared[name], value)
    return out


def _message_of(body: bytes) -> str:
    """Asterisk's explanation: ``{"message": ...}``, or ``{"error": ...}`` for a few."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:200]
    if isinstance(data, dict):
        for key in ("message", "error"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return str(data)[:200]


class Http:
    """Sends requests for the REST namespaces over one keep-alive session."""

    def __init__(self, *, ari_url: URL, timeout: float) -> None:
        self.ari_url = ari_url
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def bind(self, session: aiohttp.ClientSession | None) -> None:
        self._session = session

    def url(self, route_: Route[Any], path: Mapping[str, str]) -> tuple[URL, str]:
        """The absolute URL (path segments percent-encoded) and the path to log."""
        if set(path) != set(route_.path_params()):
            raise AssertionError(f"path parameters {sorted(path)} do not fit {route_.path}")
        # "@" and ":" are legal in a path segment and Asterisk ids use them
        # ("Local/101@operators"); "/" is not, so it must be escaped.
        rel = route_.path.format_map({k: quote(v, safe="@:") for k, v in path.items()})
        return URL(str(self.ari_url) + rel, encoded=True), rel

    async def call(
        self,
        route_: Route[T],
        *,
        path: Mapping[str, str] | None = None,
        query: Mapping[str, object] | None = None,
        body: Mapping[str, object] | None = None,
    ) -> T:
        url, rel = self.url(route_, path or {})
        params = _encode_all(route_.query, query or {}, "query", route_.path)
        payload = _encode_all(route_.body, body or {}, "body", route_.path) or None
        whole = [name for name, kind in route_.body.items() if kind is WholeBody]
        if payload is not None and whole:
            payload = payload[whole[0]]
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AriClient is not open: use 'async with AriClient(...)'")
        try:
            async with (
                asyncio.timeout(self._timeout),
                session.request(route_.method, url, params=params, json=payload) as resp,
            ):
                status, data = resp.status, await resp.read()
        except TimeoutError as exc:
            raise _logged(AriTimeout(
                f"{route_.method} {rel}: no answer within {self._timeout:g} s"
            ), rel) from exc
        except aiohttp.ClientError as exc:
            raise _logged(AriConnectionError(
                f"{route_.method} {rel}: {type(exc).__name__}: {exc}"
            ), rel) from exc
        if status >= 400:
            raise _logged(http_error(
                status=status, message=_message_of(data), method=route_.method, path=rel
            ), rel)
        try:
            return route_.result.decode(data)
        except (ValidationError, ValueError) as exc:
            raise _logged(AriProtocolError(
                f"{route_.method} {rel}: answer is not a {route_.result.spec_name}: {exc}"
            ), rel) from exc


def _logged(error: AriError, path: str) -> AriError:
    # A 404 for a channel that has just hung up is routine; everything else is worth
    # a warning. One line either way, with the stable error_id to grep for.
    level = log.info if isinstance(error, AriNotFound) else log.warning
    level("ari_request_failed", error_id=error.error_id, path=path, error=str(error))
    return error
