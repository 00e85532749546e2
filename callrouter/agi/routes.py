"""The scripts the dialplan calls: ``lookup``, ``route`` and ``operator``.

Each handler reads the request, asks one injected port, and answers with channel
variables; the dialplan (``dialplan/extensions_callrouter.conf``) acts on them. Handlers
let errors escape: the server logs them once and sets ``CR_AGI_STATUS=FAILED``, and
the dialplan falls back as ``dialplan/README.md`` describes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Final

import structlog

from callrouter.agi._protocol import AgiRequest
from callrouter.agi._server import AgiHandler
from callrouter.agi._session import AgiSession
from callrouter.agi.ports import (
    Clock,
    CustomerDirectory,
    OperatorControl,
    OperatorRef,
    RoutePlanner,
)
from callrouter.errors import Conflict, NotFound

__all__ = [
    "LOOKUP",
    "OPERATOR",
    "OPERATOR_ACTIONS",
    "ROUTE",
    "build_routes",
    "called_number",
    "handle_lookup",
    "handle_operator",
    "handle_route",
    "operator_of",
    "utc_now",
]

LOOKUP: Final = "lookup"
ROUTE: Final = "route"
OPERATOR: Final = "operator"
OPERATOR_ACTIONS: Final = frozenset({"login", "logout", "pause", "unpause"})

_DIALLED = re.compile(r"^\+?[0-9]+$")
# PJSIP/101-0000001a, Local/101@operators-00000010;2: the suffix names the call, not the phone.
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-fA-F]{8}(;[12])?$")

log = structlog.get_logger("callrouter.agi")


def utc_now() -> datetime:
    return datetime.now(UTC)


def _explicit(request: AgiRequest, key: str) -> str | None:
    # agi://.../script?key=V wins over AGI(url,V): both are the dialplan being explicit.
    value = request.query.get(key) or (request.args[0] if request.args else "")
    return value.strip() or None


async def handle_lookup(session: AgiSession, *, directory: CustomerDirectory) -> None:
    """Caller number -> CR_CUSTOMER_* variables and, when known, CALLERID(name).

    The card is the one of the number called (``?did=``, else the numeric extension,
    else the DNID): each tenant has its own cards, found through the DID's queue."""
    request = session.request
    number = _explicit(request, "number") or request.caller_number
    # The first argument is the caller's number here, so only ?did= names the DID.
    called = request.query.get("did", "").strip() or _dialled(request)
    card = await directory.find_by_phone(number, called) if number else None
    log.info("agi.lookup", found=card is not None)
    # Set every variable, found or not, so values from an earlier lookup on this channel
    # (a transfer back into the inbound context) cannot leak into this one.
    await session.set_variable("CR_CUSTOMER_NAME", card.name if card else "")
    await session.set_variable("CR_CUSTOMER_TIER", card.tier if card else "")
    await session.set_variable("CR_CUSTOMER_ACCOUNT", card.account if card else "")
    if card is not None and card.name:
        await session.set_variable("CALLERID(name)", card.name)
    await session.set_variable("CR_CUSTOMER_FOUND", "1" if card else "0")


def called_number(request: AgiRequest) -> str | None:
    """The DID: an explicit ``did`` / first argument, else a numeric extension, else DNID."""
    return _explicit(request, "did") or _dialled(request)


def _dialled(request: AgiRequest) -> str | None:
    if _DIALLED.match(request.extension):
        return request.extension
    return request.dnid


async def handle_route(session: AgiSession, *, planner: RoutePlanner, clock: Clock) -> None:
    """Called number -> CR_ROUTE (stasis|closed|reject), CR_QUEUE, CR_CLOSED_SOUND."""
    did = called_number(session.request) or ""
    decision = planner.plan(did, clock())
    log.info("agi.route", did=did, target=decision.target, queue=decision.queue)
    await session.set_variable("CR_QUEUE", decision.queue or "")
    await session.set_variable("CR_CLOSED_SOUND", decision.sound or "")
    await session.set_variable("CR_ROUTE", decision.target)


def operator_of(request: AgiRequest) -> OperatorRef:
    return OperatorRef(
        endpoint=_CHANNEL_SUFFIX.sub("", request.channel),
        extension=request.caller_number,
    )


async def handle_operator(session: AgiSession, *, operators: OperatorControl) -> None:
    """Feature codes -> the ACD; CR_OPERATOR_STATUS = OK|NOT_FOUND|CONFLICT|INVALID."""
    action = session.query.get("action", "")
    who = operator_of(session.request)
    status = "OK"
    try:
        if action == "login":
            await operators.login(who)
        elif action == "logout":
            await operators.logout(who)
        elif action == "pause":
            await operators.pause(who, _explicit(session.request, "reason"))
        elif action == "unpause":
            await operators.unpause(who)
        else:
            status = "INVALID"
    except NotFound:
        status = "NOT_FOUND"
    except Conflict:
        status = "CONFLICT"
    log.info("agi.operator", action=action, endpoint=who.endpoint, status=status)
    await session.set_variable("CR_OPERATOR_STATUS", status)


def build_routes(
    *,
    directory: CustomerDirectory,
    planner: RoutePlanner,
    operators: OperatorControl,
    clock: Clock = utc_now,
) -> dict[str, AgiHandler]:
    """The routes ``FastAgiServer(routes=...)`` serves, bound to their ports."""
    return {
        LOOKUP: partial(handle_lookup, directory=directory),
        ROUTE: partial(handle_route, planner=planner, clock=clock),
        OPERATOR: partial(handle_operator, operators=operators),
    }
