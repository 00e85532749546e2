"""The operator panel's endpoints: an operator's own session (``_panel_session``),
state, caller's card and script (``_panel_card``), preview leads, dispositions and
callbacks.

Every endpoint but the login acts as the operator of the session cookie and never
takes an operator id from the request: an operator can only act as themselves. POSTs
need a JSON body (``Content-Type: application/json``): with the cookie's SameSite=Strict
that keeps other sites' forms from acting in an operator's name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from callrouter.api import _handlers as handlers
from callrouter.api._models import DispositionIn, Name, ScheduleCallbackIn
from callrouter.api._pages import event_stream, html_page
from callrouter.api._panel_card import card, recording
from callrouter.api._panel_session import (
    THROTTLE,
    PanelIn,
    current_operator,
    end_session,
    json_body,
    login,
    operator_session,
    pages_deps,
    panel_db,
)
from callrouter.api._sign_in import LoginThrottle
from callrouter.dialer import store as dialer_store
from callrouter.errors import NotFound
from callrouter.store import operator_panel as panel_store
from callrouter.web import client_name, panel_view, render_script

__all__ = ["PANEL_ROUTES", "LoginThrottle", "add_panel"]

PAUSE_REASONS = ("break", "lunch", "training", "meeting", "admin")
"""Offered by the panel; any reason (up to 64 characters) may be typed."""


_NUMBER = r"^\+?[0-9][0-9 ().-]{0,39}$"


class StateIn(PanelIn):
    action: Literal["login", "logout", "pause", "unpause"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class NextLeadIn(PanelIn):
    campaign: Name


class CallIn(PanelIn):
    lead_id: int | None = Field(None, ge=1)
    campaign_id: int | None = Field(None, ge=1)
    number: Annotated[str, StringConstraints(strip_whitespace=True, pattern=_NUMBER)] | None = None


class PanelDispositionIn(DispositionIn):
    attempt_id: int = Field(ge=1)


class PanelCallbackIn(ScheduleCallbackIn):
    # Reserved for the operator who schedules it (their phone rings first), or for anyone.
    for_me: bool = True


# -- the operator ---------------------------------------------------------------------


async def operator_page(request: web.Request) -> web.StreamResponse:
    return html_page("operator.html")


async def me(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    settings = pages_deps(request).live.settings
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
            # The client company each queue answers for, where it is a tenant's.
            "clients": {
                queue: name
                for queue in sorted(settings.queues)
                if (name := client_name(settings, settings.tenant_of_queue(queue)))
            },
            "all_queues": sorted(settings.queues),
            "campaigns": campaigns,
            "pause_reasons": list(PAUSE_REASONS),
        }
    )


async def operator_events(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    # A secret changed (or the operator removed) by a reload ends the stream too.
    return await event_stream(
        request, pages_deps(request).hub, lambda board: panel_view(board, operator_id),
        lambda: operator_session(request) == operator_id,
    )  # fmt: skip


async def change_state(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    body: StateIn = await json_body(request, StateIn)
    reason = body.reason if body.action == "pause" else None
    result = await pages_deps(request).center.operator_action(operator_id, body.action, reason)
    handlers.log.info("panel.operator_action", operator=operator_id, action=body.action)
    return web.json_response({"result": result})


# -- outbound work ---------------------------------------------------------------------


async def next_lead(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    body: NextLeadIn = await json_body(request, NextLeadIn)
    deps = pages_deps(request)
    lead = await deps.center.next_lead(body.campaign, operator_id)
    config = deps.live.settings.campaigns.get(body.campaign)
    script_html = None
    if config is not None and config.script:
        async with panel_db(deps, "cannot read the lead") as conn:
            data = await panel_store.lead_data(conn, lead["lead_id"])
        fields = {**(data or {}), **{k: v for k, v in lead.items() if v is not None}}
        fields.update(campaign=body.campaign, caller_number=lead["phone"],
                      client=client_name(deps.live.settings, config.tenant) or "")  # fmt: skip
        script_html = render_script(config.script, fields)
    return web.json_response({**lead, "script_html": script_html})


async def call(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    body: CallIn = await json_body(request, CallIn)
    call_id = await pages_deps(request).center.click_to_call(
        operator_id=operator_id, number=body.number, caller_id=None,
        campaign_id=body.campaign_id, lead_id=body.lead_id,
    )  # fmt: skip
    handlers.log.info("panel.click_to_call", operator=operator_id, call_id=call_id)
    return web.json_response({"call_id": call_id}, status=202)


async def disposition(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    body: PanelDispositionIn = await json_body(request, PanelDispositionIn)
    async with panel_db(pages_deps(request), "cannot record the disposition") as conn:
        owner = await panel_store.attempt_owner(conn, body.attempt_id)
        if owner != operator_id:
            raise NotFound(f"no attempt {body.attempt_id} of operator {operator_id!r}")
        row = await dialer_store.set_disposition(
            conn, body.attempt_id, body.disposition, note=body.note,
            callback_at=body.callback_at,
        )  # fmt: skip
    handlers.log.info("panel.disposition", operator=operator_id, attempt_id=body.attempt_id)
    return web.json_response({"attempt_id": body.attempt_id, "disposition": row["disposition"]})


async def callback(request: web.Request) -> web.StreamResponse:
    operator_id = current_operator(request)
    body: PanelCallbackIn = await json_body(request, PanelCallbackIn)
    callback_id = await pages_deps(request).center.schedule_callback(
        phone=body.phone, queue=body.queue, due_at=body.due_at, name=body.name,
        note=body.note, operator_id=operator_id if body.for_me else None,
    )  # fmt: skip
    return web.json_response({"callback_id": callback_id}, status=201)


def add_panel(app: web.Application) -> None:
    app[THROTTLE] = LoginThrottle()
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
