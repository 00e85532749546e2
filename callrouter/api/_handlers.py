"""The endpoints' bodies. Input arrives validated (see ``_table.bind``); errors are
raised as callrouter errors and mapped to statuses by ``_errors``, never here."""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import structlog
from aiohttp import web

import callrouter
from callrouter.api._errors import StreamBroken
from callrouter.api._models import (
    AriHealth,
    AttemptPath,
    CallAccepted,
    CallbackList,
    CallbackOut,
    CallbackScheduled,
    CallbacksQuery,
    CallDetailOut,
    CallEventOut,
    CallIdentPath,
    CallList,
    CallPath,
    CallRow,
    CallsQuery,
    CallSummary,
    CampaignPath,
    ClickToCallIn,
    DispositionIn,
    DispositionOut,
    HealthOut,
    LeadOut,
    NextLeadIn,
    OperatorActionOut,
    OperatorList,
    OperatorOut,
    OperatorPath,
    PauseIn,
    QueueStatusOut,
    RecordingActionOut,
    RecordingOut,
    ScheduleCallbackIn,
    TransferIn,
    TransferOut,
)
from callrouter.api._table import Handler, Inputs, json_response
from callrouter.api.ports import OperatorAction
from callrouter.dialer import store as dialer_store
from callrouter.store import DbConnection, database_errors
from callrouter.store import callbacks as store_callbacks
from callrouter.store import calls as call_log
from callrouter.store.directory import list_operators

__all__ = [
    "API_PREFIX",
    "OPENAPI_BODY",
    "callbacks",
    "click_to_call",
    "db_connection",
    "get_call",
    "health",
    "list_calls",
    "openapi",
    "operator_action",
    "operators",
    "queues",
    "recording_control",
    "recording_file",
    "set_disposition",
]

log = structlog.get_logger("callrouter.api")

API_PREFIX = "/api/v1"
OPENAPI_BODY = web.AppKey("callrouter_api_openapi", bytes)
_ACQUIRE_TIMEOUT_S = 5.0
# A recording in these states has no file left to fetch.
_GONE_RECORDING_STATES = frozenset({"deleted", "failed"})


@asynccontextmanager
async def db_connection(inp: Inputs, action: str) -> AsyncIterator[DbConnection]:
    with database_errors(action):
        async with inp.deps.pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
            yield conn


async def openapi(inp: Inputs) -> web.StreamResponse:
    return web.Response(body=inp.request.app[OPENAPI_BODY], content_type="application/json")


async def health(inp: Inputs) -> web.StreamResponse:
    state = await inp.deps.center.health()
    ok = state.ari_connected and state.database_ok
    body = HealthOut(
        status="ok" if ok else "degraded",
        ari=AriHealth(
            connected=state.ari_connected,
            reconnects=state.ari_reconnects,
            last_event_at=state.ari_last_event_at,
        ),
        database="ok" if state.database_ok else "error",
        version=callrouter.__version__,
    )
    # 503 when degraded, so a load balancer or monitor needs no JSON parsing.
    return json_response(body, status=200 if ok else 503)


async def operators(inp: Inputs) -> OperatorList:
    async with db_connection(inp, "cannot list operators") as conn:
        rows = await list_operators(conn)
    access, tenant = inp.deps.access, inp.deps.tenant
    if access is not None and tenant is not None:  # a tenant sees those serving it
        rows = [row for row in rows if access.serves(tenant, row["id"])]
    return OperatorList(operators=[OperatorOut.model_validate(dict(row)) for row in rows])


def operator_action(action: OperatorAction) -> Handler:
    """One handler per action, built here so the four differ in data, not in code."""

    async def handler(inp: Inputs) -> OperatorActionOut:
        operator_id = inp.path_as(OperatorPath).operator_id
        reason = inp.body_as(PauseIn).reason if inp.body is not None else None
        result = await inp.deps.center.operator_action(operator_id, action, reason)
        log.info("api.operator_action", operator=operator_id, action=action, result=result)
        return OperatorActionOut(operator_id=operator_id, action=action, result=result)

    handler.__name__ = f"operator_{action}"
    return handler


async def click_to_call(inp: Inputs) -> CallAccepted:
    body = inp.body_as(ClickToCallIn)
    call_id = await inp.deps.center.click_to_call(
        operator_id=body.operator_id,
        number=body.number,
        caller_id=body.caller_id,
        campaign_id=body.campaign_id,
        lead_id=body.lead_id,
    )
    log.info("api.click_to_call", operator=body.operator_id, call_id=call_id)
    return CallAccepted(call_id=call_id, call_url=f"{API_PREFIX}/calls/{call_id}")


async def list_calls(inp: Inputs) -> CallList:
    query = inp.query_as(CallsQuery)
    async with db_connection(inp, "cannot list calls") as conn:
        rows = await call_log.list_calls(
            conn, limit=query.limit, queue=query.queue, outcome=query.outcome
        )
    return CallList(calls=[CallSummary.model_validate(dict(row)) for row in rows])


async def get_call(inp: Inputs) -> CallDetailOut:
    ident = inp.path_as(CallIdentPath).call_id
    async with db_connection(inp, "cannot read the call") as conn:
        detail = await call_log.get_call(conn, ident)
    call = CallRow.model_validate(dict(detail.call))
    url = f"{API_PREFIX}/calls/{call.id}/recording"
    return CallDetailOut(
        call=call,
        events=[CallEventOut.model_validate(dict(row)) for row in detail.events],
        recordings=[
            RecordingOut.model_validate(
                {
                    **dict(row),
                    "recording_url": None if row["state"] in _GONE_RECORDING_STATES else url,
                }
            )
            for row in detail.recordings
        ],
    )


async def recording_file(inp: Inputs) -> web.StreamResponse:
    call_id = str(inp.path_as(CallPath).call_id)
    content, content_type = await inp.deps.center.recording_file(call_id)
    extension = mimetypes.guess_extension(content_type.partition(";")[0].strip()) or ""
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{call_id}{extension}"',
    }
    if isinstance(content, bytes):
        return web.Response(body=content, headers=headers)
    response = web.StreamResponse(headers=headers)
    try:
        await response.prepare(inp.request)
        async for chunk in content:
            await response.write(chunk)
        await response.write_eof()
    except Exception as exc:
        log.warning("api.recording_stream_broken", call_id=call_id, error=type(exc).__name__)
        raise StreamBroken(call_id) from exc
    finally:
        aclose = getattr(content, "aclose", None)
        if aclose is not None:
            await aclose()
    return response


def recording_control(verb: Literal["start", "pause", "resume"]) -> Handler:
    async def handler(inp: Inputs) -> RecordingActionOut:
        call_id = str(inp.path_as(CallPath).call_id)
        center = inp.deps.center
        if verb == "start":
            await center.start_recording(call_id)
            return RecordingActionOut(call_id=call_id, recording="started")
        if verb == "pause":
            await center.pause_recording(call_id)
            return RecordingActionOut(call_id=call_id, recording="paused")
        await center.resume_recording(call_id)
        return RecordingActionOut(call_id=call_id, recording="resumed")

    handler.__name__ = f"{verb}_recording"
    return handler


async def next_lead(inp: Inputs) -> LeadOut:
    campaign = inp.path_as(CampaignPath).campaign
    operator_id = inp.body_as(NextLeadIn).operator_id
    lead = await inp.deps.center.next_lead(campaign, operator_id)
    return LeadOut.model_validate(lead)


async def transfer(inp: Inputs) -> TransferOut:
    call_id = str(inp.path_as(CallPath).call_id)
    queue = inp.body_as(TransferIn).queue
    await inp.deps.center.transfer(call_id, queue)
    return TransferOut(call_id=call_id, queue=queue)


async def queues(inp: Inputs) -> QueueStatusOut:
    status = await inp.deps.center.queue_status()
    access, tenant = inp.deps.access, inp.deps.tenant
    if access is not None and tenant is not None:  # a tenant sees its own queues
        status = {name: figures for name, figures in status.items()
                  if access.owns_queue(tenant, name)}  # fmt: skip
    return QueueStatusOut(status)


async def callbacks(inp: Inputs) -> CallbackList:
    query = inp.query_as(CallbacksQuery)
    async with db_connection(inp, "cannot list callbacks") as conn:
        rows = await store_callbacks.list_callbacks(
            conn, status=query.status, queue=query.queue, limit=query.limit
        )
    return CallbackList(callbacks=[CallbackOut.model_validate(dict(row)) for row in rows])


async def schedule_callback(inp: Inputs) -> CallbackScheduled:
    body = inp.body_as(ScheduleCallbackIn)
    callback_id = await inp.deps.center.schedule_callback(
        phone=body.phone,
        queue=body.queue,
        due_at=body.due_at,
        name=body.name,
        note=body.note,
        operator_id=body.operator_id,
    )
    return CallbackScheduled(id=callback_id, callbacks_url=f"{API_PREFIX}/callbacks")


async def set_disposition(inp: Inputs) -> DispositionOut:
    attempt_id = inp.path_as(AttemptPath).attempt_id
    body = inp.body_as(DispositionIn)
    async with db_connection(inp, "cannot record the disposition") as conn:
        row = await dialer_store.set_disposition(
            conn, attempt_id, body.disposition, note=body.note, callback_at=body.callback_at
        )
    log.info(
        "api.disposition",
        attempt_id=attempt_id,
        disposition=body.disposition,
        has_note=body.note is not None,
    )
    return DispositionOut.model_validate(dict(row))
