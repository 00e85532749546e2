"""The operator panel's endpoints: an operator's own session, state, caller's card and
script, preview leads, dispositions and callbacks.

Every endpoint but the login acts as the operator of the session cookie and never
takes an operator id from the request: an operator can only act as themselves. POSTs
need a JSON body (``Content-Type: application/json``): with the cookie's SameSite=Strict
that keeps other sites' forms from acting in an operator's name.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from callrouter.api import _handlers as handlers
from callrouter.api._errors import ApiHttpError
from callrouter.api._models import CallPath, DispositionIn, Name, ScheduleCallbackIn
from callrouter.api._pages import PAGES, PagesDeps, event_stream, html_page
from callrouter.api._sign_in import LoginThrottle, check_secret, session_ended, session_started
from callrouter.api._table import DEPS, Inputs, _read_body, _validate
from callrouter.dialer import store as dialer_store
from callrouter.errors import NotFound
from callrouter.store import DbConnection, database_errors
from callrouter.store import operator_panel as panel_store
from callrouter.store.directory import find_customer, phone_keys
from callrouter.web import (
    OPERATOR_COOKIE,
    CallParty,
    panel_view,
    render_script,
)

__all__ = ["PANEL_ROUTES", "LoginThrottle", "add_panel"]

_ACQUIRE_TIMEOUT_S = 5.0
PAUSE_REASONS = ("break", "lunch", "training", "meeting", "admin")
"""Offered by the panel; any reason (up to 64 characters) may be typed."""
_RECORDING_LINK_S = 3600


_THROTTLE = web.AppKey("callrouter_panel_throttle", LoginThrottle)


class _PanelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_NUMBER = r"^\+?[0-9][0-9 ().-]{0,39}$"


class LoginIn(_PanelIn):
    operator_id: Name
    secret: Annotated[str, StringConstraints(max_length=256)] = ""


class StateIn(_PanelIn):
    action: Literal["login", "logout", "pause", "unpause"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class NextLeadIn(_PanelIn):
    campaign: Name


class CallIn(_PanelIn):
    lead_id: int | None = Field(None, ge=1)
    campaign_id: int | None = Field(None, ge=1)
    number: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_NUMBER)] | None = None


class PanelDispositionIn(DispositionIn):
    attempt_id: int = Field(ge=1)


class PanelCallbackIn(ScheduleCallbackIn):
    # Reserved for the operator who schedules it (their phone rings first), or for anyone.
    for_me: bool = True


async def _body(request: web.Request, model: type[_PanelIn] | type[BaseModel]) -> Any:
    if request.content_type != "application/json":
        raise ApiHttpError(415, "unsupported-media-type", "send a JSON body")
    return _validate(model, "body", await _read_body(request))


def _deps(request: web.Request) -> PagesDeps:
    return request.app[PAGES]


def _secret_hashes(deps: PagesDeps) -> dict[str, str | None]:
    return {op_id: op.panel_secret_hash for op_id, op in deps.live.settings.operators.items()}


def _me(request: web.Request) -> str:
    deps = _deps(request)
    operator_id = deps.keys.operator_of(
        request.cookies.get(OPERATOR_COOKIE), _secret_hashes(deps), deps.clock()
    )
    if operator_id is None:
        raise ApiHttpError(401, "unauthorized", "log in to the operator panel")
    return operator_id


@asynccontextmanager
async def _db(deps: PagesDeps, action: str) -> AsyncIterator[DbConnection]:
    with database_errors(action):
        async with deps.pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
            yield conn


# -- session ------------------------------------------------------------------------


async def operator_page(request: web.Request) -> web.StreamResponse:
    return html_page("operator.html")


async def login(request: web.Request) -> web.StreamResponse:
    body: LoginIn = await _body(request, LoginIn)
    deps = _deps(request)
    operator = deps.live.settings.operators.get(body.operator_id)
    secret_hash = operator.panel_secret_hash if operator is not None else None
    await check_secret(
        request, request.app[_THROTTLE], deps.keys, role="operator", name=body.operator_id,
        secret=body.secret, configured=operator is not None, secret_hash=secret_hash,
        token_admits_anyone=False, refused_event="panel.login_refused",
    )  # fmt: skip
    cookie = deps.keys.operator_cookie(body.operator_id, secret_hash, deps.clock())
    handlers.log.info("panel.login", operator=body.operator_id)
    return session_started(request, OPERATOR_COOKIE, cookie, {"operator_id": body.operator_id})


async def end_session(request: web.Request) -> web.StreamResponse:
    return session_ended(OPERATOR_COOKIE)


async def me(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    settings = _deps(request).live.settings
    operator = settings.operators[operator_id]
    campaigns = [
        {
            "name": name,
            "mode": campaign.mode,
            "queue": campaign.queue,
            "dispositions": sorted(campaign.dispositions),
        }
        for name, campaign in settings.campaigns.items()
        if campaign.queue in operator.queues
    ]
    return web.json_response(
        {
            "operator_id": operator_id,
            "name": operator.name or operator_id,
            "queues": sorted(operator.queues),
            "all_queues": sorted(settings.queues),
            "campaigns": campaigns,
            "pause_reasons": list(PAUSE_REASONS),
        }
    )


async def operator_events(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    return await event_stream(
        request, _deps(request).hub, lambda board: panel_view(board, operator_id)
    )


async def change_state(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    body: StateIn = await _body(request, StateIn)
    reason = body.reason if body.action == "pause" else None
    result = await _deps(request).center.operator_action(operator_id, body.action, reason)
    handlers.log.info("panel.operator_action", operator=operator_id, action=body.action)
    return web.json_response({"result": result})


# -- the caller's card ---------------------------------------------------------------


def _recording_sig(deps: PagesDeps, call_id: str, operator_id: str, expires: int) -> str:
    message = f"recording.{call_id}.{operator_id}.{expires}".encode()
    return hmac.new(deps.keys.signing_key, message, hashlib.sha256).hexdigest()


def _recording_url(deps: PagesDeps, call_id: str, operator_id: str) -> str:
    expires = int(deps.clock().timestamp()) + _RECORDING_LINK_S
    sig = _recording_sig(deps, call_id, operator_id, expires)
    return f"/operator/api/recording/{call_id}?expires={expires}&sig={sig}"


def _call_id(text: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(text or "")
    except ValueError as exc:
        raise ApiHttpError(422, "invalid-input", "call_id must be a call's UUID") from exc


async def card(request: web.Request) -> web.StreamResponse:
    """The caller's card of one of the operator's calls: customer record, past calls
    with outcomes and recordings, the script filled with the caller's fields, and the
    campaign's dispositions for a campaign's call."""
    operator_id = _me(request)
    deps = _deps(request)
    call_id = _call_id(request.query.get("call_id"))
    settings = deps.live.settings
    region = settings.dialer.default_region
    party = deps.live.party(str(call_id))
    async with _db(deps, "cannot read the caller's card") as conn:
        row = await conn.fetchrow(
            "SELECT direction, caller_number, caller_name, called_number, queue_name,"
            " operator_id, tenant FROM calls WHERE id = $1",
            call_id,
        )
        attempt = await panel_store.attempt_of_call(conn, call_id)
        mine = (
            _live_call_of(deps, operator_id) == str(call_id)
            or (row is not None and row["operator_id"] == operator_id)
            or (attempt is not None and attempt["operator_id"] == operator_id)
        )
        if not mine or (party is None and row is None):
            raise NotFound(f"no call {call_id} of operator {operator_id!r}")
        number, caller_name, queue = _who(party, row)
        # The call's tenant's: never another client's card of the number (shared operators).
        tenant = row["tenant"] if row is not None else settings.tenant_of_queue(queue or "")
        customer = (
            await find_customer(conn, number, tenant=tenant, region=region) if number else None
        )
        keys = [*phone_keys(number, region), *([customer.phone] if customer else [])]
        past = (
            await panel_store.past_calls(conn, keys, tenant=tenant, exclude=call_id)
            if number else []
        )  # fmt: skip
    fields: dict[str, object] = {
        "caller_number": number, "caller_name": caller_name, "phone": number,
        "queue": queue, "operator": settings.operators[operator_id].name or operator_id,
        "name": caller_name,
    }  # fmt: skip
    campaign = None
    if attempt is not None:
        fields.update({str(k): v for k, v in (attempt["lead_data"] or {}).items()})
        fields.update(name=attempt["lead_name"] or caller_name, campaign=attempt["campaign"])
        config = settings.campaigns.get(attempt["campaign"])
        campaign = {
            "name": attempt["campaign"],
            "attempt_id": attempt["attempt_id"],
            "lead_id": attempt["lead_id"],
            "disposition": attempt["disposition"],
            "dispositions": sorted(config.dispositions) if config else [],
        }
        script = config.script if config else None
    else:
        queue_config = settings.queues.get(queue or "")
        script = queue_config.script if queue_config else None
    if customer is not None:
        fields.update(
            name=customer.name or fields["name"], phone=customer.phone, tier=customer.tier,
            account=customer.account, notes=customer.notes, priority=customer.priority,
        )  # fmt: skip
    return web.json_response(
        {
            "call_id": str(call_id),
            "queue": queue,
            "caller_number": number,
            "caller_name": caller_name,
            "customer": None if customer is None else {
                "name": customer.name, "phone": customer.phone, "tier": customer.tier,
                "priority": customer.priority, "account": customer.account,
                "notes": customer.notes,
            },
            "campaign": campaign,
            "script_html": render_script(script, fields) if script else None,
            "past_calls": [_past_call(deps, operator_id, r) for r in past],
        }
    )  # fmt: skip


def _who(party: CallParty | None, row: Any) -> tuple[str, str, str | None]:
    """The customer's number and name, and the queue: live from the shell, else from
    the call's row (an outbound call's customer is its called number)."""
    if party is not None:
        return party.caller_number, party.caller_name, party.queue or None
    number = row["called_number"] if row["direction"] == "outbound" else row["caller_number"]
    return number, row["caller_name"], row["queue_name"]


def _live_call_of(deps: PagesDeps, operator_id: str) -> str | None:
    try:
        return deps.live.snapshot().operator(operator_id).call_id
    except StopIteration:
        return None


def _past_call(deps: PagesDeps, operator_id: str, row: Any) -> dict[str, Any]:
    call_id = str(row["id"])
    return {
        "id": call_id,
        "at": row["created_at"].isoformat(),
        "direction": row["direction"],
        "queue": row["queue_name"],
        "operator_id": row["operator_id"],
        "outcome": row["outcome"],
        "talk_s": float(row["talk_s"]) if row["talk_s"] is not None else None,
        "disposition": row["disposition"],
        "note": row["disposition_note"],
        "recording_url": _recording_url(deps, call_id, operator_id)
        if row["has_recording"]
        else None,
    }


async def recording(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    deps = _deps(request)
    call_id = str(_call_id(request.match_info.get("call_id")))
    expires_text = request.query.get("expires", "")
    expected = _recording_sig(deps, call_id, operator_id, int(expires_text or 0))
    fresh = expires_text.isdigit() and int(expires_text) >= deps.clock().timestamp()
    if not fresh or not hmac.compare_digest(request.query.get("sig", ""), expected):
        raise ApiHttpError(403, "forbidden", "open the recording from the caller's card")
    inputs = Inputs(
        request=request, deps=request.app[DEPS], path=CallPath(call_id=uuid.UUID(call_id)),
        query=None, body=None,
    )  # fmt: skip
    return await handlers.recording_file(inputs)


# -- outbound work ---------------------------------------------------------------------


async def next_lead(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    body: NextLeadIn = await _body(request, NextLeadIn)
    deps = _deps(request)
    lead = await deps.center.next_lead(body.campaign, operator_id)
    config = deps.live.settings.campaigns.get(body.campaign)
    script_html = None
    if config is not None and config.script:
        async with _db(deps, "cannot read the lead") as conn:
            data = await conn.fetchval("SELECT data FROM leads WHERE id = $1", lead["lead_id"])
        fields = {**(data or {}), **{k: v for k, v in lead.items() if v is not None}}
        fields.update(campaign=body.campaign, caller_number=lead["phone"])
        script_html = render_script(config.script, fields)
    return web.json_response({**lead, "script_html": script_html})


async def call(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    body: CallIn = await _body(request, CallIn)
    call_id = await _deps(request).center.click_to_call(
        operator_id=operator_id, number=body.number, caller_id=None,
        campaign_id=body.campaign_id, lead_id=body.lead_id,
    )  # fmt: skip
    handlers.log.info("panel.click_to_call", operator=operator_id, call_id=call_id)
    return web.json_response({"call_id": call_id}, status=202)


async def disposition(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    body: PanelDispositionIn = await _body(request, PanelDispositionIn)
    async with _db(_deps(request), "cannot record the disposition") as conn:
        owner = await conn.fetchval(
            "SELECT operator_id FROM attempts WHERE id = $1", body.attempt_id
        )
        if owner != operator_id:
            raise NotFound(f"no attempt {body.attempt_id} of operator {operator_id!r}")
        row = await dialer_store.set_disposition(
            conn, body.attempt_id, body.disposition, note=body.note,
            callback_at=body.callback_at,
        )  # fmt: skip
    handlers.log.info("panel.disposition", operator=operator_id, attempt_id=body.attempt_id)
    return web.json_response({"attempt_id": body.attempt_id, "disposition": row["disposition"]})


async def callback(request: web.Request) -> web.StreamResponse:
    operator_id = _me(request)
    body: PanelCallbackIn = await _body(request, PanelCallbackIn)
    callback_id = await _deps(request).center.schedule_callback(
        phone=body.phone, queue=body.queue, due_at=body.due_at, name=body.name,
        note=body.note, operator_id=operator_id if body.for_me else None,
    )  # fmt: skip
    return web.json_response({"callback_id": callback_id}, status=201)


def add_panel(app: web.Application) -> None:
    app[_THROTTLE] = LoginThrottle()
    for method, path, handler in PANEL_ROUTES:
        app.router.add_route(method, path, handler)


PANEL_ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("GET", "/operator", operator_page),
    ("GET", "/operator/events", operator_events),
    ("POST", "/operator/api/session", login),
    ("POST", "/operator/api/session/end", end_session),
    ("GET", "/operator/api/me", me),
    ("POST", "/operator/api/state", change_state),
    ("GET", "/operator/api/card", card),
    ("GET", "/operator/api/recording/{call_id}", recording),
    ("POST", "/operator/api/next-lead", next_lead),
    ("POST", "/operator/api/call", call),
    ("POST", "/operator/api/disposition", disposition),
    ("POST", "/operator/api/callback", callback),
)
