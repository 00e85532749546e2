"""Call control over HTTP: blind and attended transfers, conference, supervisor monitoring.

| endpoint (prefix ``/api/v1/calls/{call_id}``) | what it does |
| --- | --- |
| ``POST /transfer/blind`` | to a queue, an operator or a number, with a reason and note |
| ``POST /consult`` | hold the caller and ring a queue's next free operator, a named |
|                   | operator or a number for the connected operator |
| ``POST /consult/complete``, ``/consult/conference``, ``/consult/cancel`` | finish it |
| ``POST /monitor`` | a supervisor listens, whispers or barges (their phone rings first) |
| ``POST /monitor/{monitor_id}/mode``, ``/monitor/{monitor_id}/stop`` | change, end it |

The routes reach the running service through :data:`CALL_CONTROL` (an application key,
like the reports' settings); an API built without it (tests with a fake call center)
answers 503 on these routes.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal, Protocol

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from callrouter.api._errors import ApiHttpError
from callrouter.api._handlers import API_PREFIX
from callrouter.api._table import Handler, Inputs, Route

__all__ = ["CALL_CONTROL", "CALL_CONTROL_ROUTES", "CallControlPort"]

TargetKind = Literal["queue", "operator", "number"]
Mode = Literal["listen", "whisper", "barge"]
ConsultStep = Literal["complete", "conference", "cancel"]
_Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
_Number = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{2,20}$")]
_Text = Annotated[str, StringConstraints(max_length=500)]
_Endpoint = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]+/[^\s,]{1,100}$")]


class CallControlPort(Protocol):
    async def blind_transfer(
        self, call_id: str, *, kind: TargetKind, target: str, reason: str | None,
        note: str | None,
    ) -> None: ...  # fmt: skip

    async def consult(
        self, call_id: str, *, kind: TargetKind, target: str, reason: str | None,
        note: str | None,
    ) -> str | None:  # fmt: skip
        """Start a consultation; the consulted operator (None for a number)."""

    async def finish_consult(self, call_id: str, step: ConsultStep) -> None: ...

    async def start_monitoring(
        self, call_id: str, *, supervisor: str, mode: Mode, endpoint: str | None
    ) -> str:
        """Ring the supervisor; the monitoring's id."""

    async def change_monitoring(self, call_id: str, monitor_id: str, mode: Mode) -> None: ...

    async def stop_monitoring(self, call_id: str, monitor_id: str) -> None: ...


CALL_CONTROL: web.AppKey[CallControlPort] = web.AppKey("callrouter_call_control")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallPath(_In):
    call_id: uuid.UUID


class MonitorPath(_In):
    call_id: uuid.UUID
    monitor_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class TargetIn(_In):
    """Exactly one of ``queue``, ``operator_id``, ``number``."""

    queue: _Name | None = None
    operator_id: _Name | None = None
    number: _Number | None = None
    reason: _Text | None = Field(None, description="a reason code, e.g. billing")
    note: _Text | None = Field(None, description="what the next operator should know")

    @model_validator(mode="after")
    def _one_target(self) -> TargetIn:
        if sum(v is not None for v in (self.queue, self.operator_id, self.number)) != 1:
            raise ValueError("give exactly one of: queue, operator_id, number")
        return self

    @property
    def target(self) -> tuple[TargetKind, str]:
        if self.queue is not None:
            return "queue", self.queue
        if self.operator_id is not None:
            return "operator", self.operator_id
        return "number", self.number or ""


class MonitorIn(_In):
    supervisor: _Name
    mode: Mode = "listen"
    endpoint: _Endpoint | None = Field(
        None, description="the phone to ring; default the supervisor's own (an operator)"
    )


class ModeIn(_In):
    mode: Mode


class TransferredOut(BaseModel):
    call_id: str
    to: dict[str, str]


class ConsultOut(BaseModel):
    call_id: str
    to: dict[str, str]
    consulted_operator: str | None


class ConsultStepOut(BaseModel):
    call_id: str
    consult: ConsultStep


class MonitorOut(BaseModel):
    call_id: str
    monitor_id: str
    mode: Mode | None


def _port(inp: Inputs) -> CallControlPort:
    port = inp.request.app.get(CALL_CONTROL)
    if port is None:
        raise ApiHttpError(503, "unavailable", "call control is not running behind this API")
    return port


async def blind_transfer(inp: Inputs) -> TransferredOut:
    call_id = str(inp.path_as(CallPath).call_id)
    body = inp.body_as(TargetIn)
    kind, target = body.target
    await _port(inp).blind_transfer(
        call_id, kind=kind, target=target, reason=body.reason, note=body.note
    )
    return TransferredOut(call_id=call_id, to={kind: target})


async def consult(inp: Inputs) -> ConsultOut:
    call_id = str(inp.path_as(CallPath).call_id)
    body = inp.body_as(TargetIn)
    kind, target = body.target
    consulted = await _port(inp).consult(
        call_id, kind=kind, target=target, reason=body.reason, note=body.note
    )
    return ConsultOut(call_id=call_id, to={kind: target}, consulted_operator=consulted)


def _consult_step(step: ConsultStep) -> Handler:
    async def finish(inp: Inputs) -> ConsultStepOut:
        call_id = str(inp.path_as(CallPath).call_id)
        await _port(inp).finish_consult(call_id, step)
        return ConsultStepOut(call_id=call_id, consult=step)

    finish.__name__ = f"consult_{step}"
    return finish


async def monitor(inp: Inputs) -> MonitorOut:
    call_id = str(inp.path_as(CallPath).call_id)
    body = inp.body_as(MonitorIn)
    monitor_id = await _port(inp).start_monitoring(
        call_id, supervisor=body.supervisor, mode=body.mode, endpoint=body.endpoint
    )
    return MonitorOut(call_id=call_id, monitor_id=monitor_id, mode=body.mode)


async def monitor_mode(inp: Inputs) -> MonitorOut:
    path = inp.path_as(MonitorPath)
    mode = inp.body_as(ModeIn).mode
    await _port(inp).change_monitoring(str(path.call_id), path.monitor_id, mode)
    return MonitorOut(call_id=str(path.call_id), monitor_id=path.monitor_id, mode=mode)


async def monitor_stop(inp: Inputs) -> MonitorOut:
    path = inp.path_as(MonitorPath)
    await _port(inp).stop_monitoring(str(path.call_id), path.monitor_id)
    return MonitorOut(call_id=str(path.call_id), monitor_id=path.monitor_id, mode=None)


_CALL = f"{API_PREFIX}/calls/{{call_id}}"
_STEPS: dict[ConsultStep, str] = {
    "complete": "Hand the caller to the consulted party",
    "conference": "Bring the caller in: a three-way conference",
    "cancel": "End the consultation, back to the caller",
}
_ERRORS = (404, 409, 422, 502, 503)
CALL_CONTROL_ROUTES: tuple[Route, ...] = (
    Route("POST", f"{_CALL}/transfer/blind",
          "Blind transfer to a queue, an operator or a number", blind_transfer,
          tag="call control", response=TransferredOut, path_params=CallPath, body=TargetIn,
          errors=_ERRORS),
    Route("POST", f"{_CALL}/consult",
          "Attended transfer: hold the caller, ring the one to consult", consult,
          tag="call control", response=ConsultOut, path_params=CallPath, body=TargetIn,
          status=202, errors=_ERRORS),
    *(
        Route("POST", f"{_CALL}/consult/{step}", summary, _consult_step(step),
              tag="call control", response=ConsultStepOut, path_params=CallPath,
              errors=_ERRORS)
        for step, summary in _STEPS.items()
    ),
    Route("POST", f"{_CALL}/monitor",
          "A supervisor listens, whispers to the operator or barges in", monitor,
          tag="call control", response=MonitorOut, path_params=CallPath, body=MonitorIn,
          status=201, errors=_ERRORS),
    Route("POST", f"{_CALL}/monitor/{{monitor_id}}/mode", "Change the monitoring's mode",
          monitor_mode, tag="call control", response=MonitorOut, path_params=MonitorPath,
          body=ModeIn, errors=_ERRORS),
    Route("POST", f"{_CALL}/monitor/{{monitor_id}}/stop", "Stop monitoring", monitor_stop,
          tag="call control", response=MonitorOut, path_params=MonitorPath,
          errors=_ERRORS),
)  # fmt: skip
