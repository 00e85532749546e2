"""The route table: every endpoint of the HTTP API, in the order the document lists them.

Adding an endpoint means adding an entry here; the server and ``/openapi.json`` both
read this table, so neither can forget it.
"""

from __future__ import annotations

from callrouter.api import _handlers as h
from callrouter.api._handlers import API_PREFIX
from callrouter.api._models import (
    AttemptPath,
    CallAccepted,
    CallbackList,
    CallbacksQuery,
    CallDetailOut,
    CallIdentPath,
    CallList,
    CallPath,
    CallsQuery,
    ClickToCallIn,
    DispositionIn,
    DispositionOut,
    HealthOut,
    OpenApiDocument,
    OperatorActionOut,
    OperatorList,
    OperatorPath,
    PauseIn,
    QueueStatusOut,
    RecordingActionOut,
    TransferIn,
    TransferOut,
)
from callrouter.api._table import Route
from callrouter.api.ports import OperatorAction

__all__ = ["ROUTES"]

_OPERATOR_ACTIONS: tuple[tuple[OperatorAction, str], ...] = (
    ("login", "Log an operator in: they start receiving calls"),
    ("logout", "Log an operator out"),
    ("pause", "Pause an operator (optionally with a reason)"),
    ("unpause", "End an operator's pause"),
)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/openapi.json",
        "This API's OpenAPI 3.1 document",
        h.openapi,
        tag="meta",
        response=OpenApiDocument,
        auth=False,
    ),
    Route(
        "GET",
        f"{API_PREFIX}/health",
        "Liveness and the state of Asterisk (ARI) and PostgreSQL",
        h.health,
        tag="meta",
        response=HealthOut,
        auth=False,
        also_status=(503,),
        description="503 with the same body when Asterisk or the database is down.",
    ),
    Route(
        "GET",
        f"{API_PREFIX}/operators",
        "Every operator with their current state and queues",
        h.operators,
        tag="operators",
        response=OperatorList,
        errors=(502,),
    ),
    *(
        Route(
            "POST",
            f"{API_PREFIX}/operators/{{operator_id}}/{action}",
            summary,
            h.operator_action(action),
            tag="operators",
            response=OperatorActionOut,
            path_params=OperatorPath,
            body=PauseIn if action == "pause" else None,
            errors=(404, 409, 502),
        )
        for action, summary in _OPERATOR_ACTIONS
    ),
    Route(
        "POST",
        f"{API_PREFIX}/calls",
        "Click-to-call: ring the operator's phone, then dial the customer",
        h.click_to_call,
        tag="calls",
        response=CallAccepted,
        body=ClickToCallIn,
        status=202,
        errors=(404, 409, 502),
        description="Answers once the call is started; follow it at call_url.",
    ),
    Route(
        "GET",
        f"{API_PREFIX}/calls",
        "The newest calls, optionally of one queue or outcome",
        h.list_calls,
        tag="calls",
        response=CallList,
        query=CallsQuery,
        errors=(502,),
    ),
    Route(
        "GET",
        f"{API_PREFIX}/calls/{{call_id}}",
        "One call: its row, every event and its recordings",
        h.get_call,
        tag="calls",
        response=CallDetailOut,
        path_params=CallIdentPath,
        errors=(404, 502),
    ),
    Route(
        "GET",
        f"{API_PREFIX}/calls/{{call_id}}/recording",
        "The call's recording as an audio file",
        h.recording_file,
        tag="recordings",
        path_params=CallPath,
        media_type="audio/*",
        errors=(404, 502),
    ),
    Route(
        "POST",
        f"{API_PREFIX}/calls/{{call_id}}/recording/pause",
        "Pause the live call's recording (card numbers, ...)",
        h.recording_control("pause"),
        tag="recordings",
        response=RecordingActionOut,
        path_params=CallPath,
        errors=(404, 409, 502),
    ),
    Route(
        "POST",
        f"{API_PREFIX}/calls/{{call_id}}/recording/resume",
        "Resume the live call's recording",
        h.recording_control("resume"),
        tag="recordings",
        response=RecordingActionOut,
        path_params=CallPath,
        errors=(404, 409, 502),
    ),
    Route(
        "POST",
        f"{API_PREFIX}/calls/{{call_id}}/transfer",
        "Blind transfer of a live call to another queue",
        h.transfer,
        tag="calls",
        response=TransferOut,
        path_params=CallPath,
        body=TransferIn,
        errors=(404, 409, 502),
    ),
    Route(
        "GET",
        f"{API_PREFIX}/queues",
        "Live figures of every queue",
        h.queues,
        tag="queues",
        response=QueueStatusOut,
        errors=(502,),
    ),
    Route(
        "GET",
        f"{API_PREFIX}/callbacks",
        "Callbacks by status (pending by default), in the order they will be served",
        h.callbacks,
        tag="callbacks",
        response=CallbackList,
        query=CallbacksQuery,
        errors=(502,),
    ),
    Route(
        "POST",
        f"{API_PREFIX}/attempts/{{attempt_id}}/disposition",
        "Record the disposition of an outbound attempt",
        h.set_disposition,
        tag="dialer",
        response=DispositionOut,
        path_params=AttemptPath,
        body=DispositionIn,
        errors=(404, 502),
    ),
)
