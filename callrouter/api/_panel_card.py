"""The caller's card on the operator panel: the customer record, the past calls of the
number with their recordings, the client company the call is for (its tenant's
``name``) and the queue's or campaign's script filled with the caller's fields."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from aiohttp import web

from callrouter.api import _handlers as handlers
from callrouter.api._errors import ApiHttpError
from callrouter.api._models import CallPath
from callrouter.api._pages import PagesDeps
from callrouter.api._panel_session import current_operator, pages_deps, panel_db
from callrouter.api._table import DEPS, Inputs
from callrouter.config import Settings
from callrouter.errors import NotFound
from callrouter.store import DbConnection
from callrouter.store import operator_panel as panel_store
from callrouter.store.directory import find_customer, phone_keys
from callrouter.store.tenants import as_tenant
from callrouter.web import CallParty, client_name, render_script

__all__ = ["card", "recording"]

_RECORDING_LINK_S = 3600


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
    """The caller's card of one of the operator's calls: the client company it is for,
    customer record, past calls with outcomes and recordings, the script filled with
    the caller's fields, and the campaign's dispositions for a campaign's call.

    The customer and the past calls are read as the call's tenant: a shared operator
    answering for one client never sees what the same number did with another."""
    operator_id = current_operator(request)
    deps = pages_deps(request)
    call_id = _call_id(request.query.get("call_id"))
    settings = deps.live.settings
    region = settings.dialer.default_region
    party = deps.live.party(str(call_id))
    async with panel_db(deps, "cannot read the caller's card") as conn:
        row = await panel_store.call_of_card(conn, call_id)
        attempt = await panel_store.attempt_of_call(conn, call_id)
        mine = (
            _live_call_of(deps, operator_id) == str(call_id)
            or (row is not None and row["operator_id"] == operator_id)
            or (attempt is not None and attempt["operator_id"] == operator_id)
        )
        if not mine or (party is None and row is None):
            raise NotFound(f"no call {call_id} of operator {operator_id!r}")
        number, caller_name, queue = _who(party, row)
        config = settings.campaigns.get(attempt["campaign"]) if attempt is not None else None
        tenant = config.tenant if config is not None else settings.tenant_of_queue(queue or "")
        async with _as_tenant_if_any(conn, settings, tenant) as seen:
            customer = (
                await find_customer(seen, number, tenant=tenant, region=region) if number else None
            )
            keys = [*phone_keys(number, region), *([customer.phone] if customer else [])]
            past = (
                await panel_store.past_calls(seen, keys, tenant=tenant, exclude=call_id)
                if number else []
            )  # fmt: skip
    client = client_name(settings, tenant)
    fields: dict[str, object] = {
        "caller_number": number, "caller_name": caller_name, "phone": number,
        "queue": queue, "operator": settings.operators[operator_id].name or operator_id,
        "name": caller_name, "client": client or "",
    }  # fmt: skip
    campaign = None
    if attempt is not None:
        fields.update({str(k): v for k, v in (attempt["lead_data"] or {}).items()})
        fields.update(name=attempt["lead_name"] or caller_name, campaign=attempt["campaign"])
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
            "client": client,
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


def _as_tenant_if_any(
    conn: DbConnection, settings: Settings, tenant: str
) -> AbstractAsyncContextManager[DbConnection]:
    # A center without tenants has every row in the default one: nothing to narrow.
    return as_tenant(conn, tenant) if settings.tenants else nullcontext(conn)


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
    operator_id = current_operator(request)
    deps = pages_deps(request)
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
