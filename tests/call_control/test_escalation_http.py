"""An escalation through the HTTP API, as a CRM and a report tool see it: the operator
consults the specialists' queue, hands the caller over, and the call stays one call in
its webhooks, rows, queue_log export and recordings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from callrouter.calls import CallrouterService
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.call_control.test_transfers_live import _hang_up_for_final_row, _rows, _until_bridged
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_api_live import TOKEN, Api, _free_port
from tests.calls.test_queue_log import _export
from tests.crm.receiver import Hit, Receiver

EVENTS = ("offered", "answered", "ended", "transferred")


def _settings(sim: SimulatedAsterisk, port: int, crm: Receiver) -> Any:
    return make_settings(
        sim,
        http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN},
        crm={"webhooks": {kind: f"{crm.url}/{kind}" for kind in EVENTS}},
        queues={
            "support": {"ring_timeout_s": 3, "wrapup_s": 0.1},
            "specialists": {"ring_timeout_s": 3, "wrapup_s": 0.1, "escalated_first": True},
        },
        operators={
            "anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}, "logged_in": True},
            "boris": {"endpoint": "PJSIP/102", "queues": {"specialists": 0}, "logged_in": True},
        },
    )


@asynccontextmanager
async def _service_and_crm(
    sim: SimulatedAsterisk, dsn: str
) -> AsyncIterator[tuple[CallrouterService, Receiver, Api]]:
    crm, port = Receiver(), _free_port()
    await crm.start()
    try:
        async with running_service(_settings(sim, port, crm), dsn) as service:
            yield service, crm, Api(port)
    finally:
        await crm.stop()


@asynccontextmanager
async def _call_with_anna(
    sim: SimulatedAsterisk, control: SimControl, dsn: str, *, caller_number: str
) -> AsyncIterator[tuple[Receiver, Api, dict[str, Any], str]]:
    """A caller talking to anna, with boris answering too, the HTTP API and a CRM."""
    for resource in ("101", "102"):
        await control.set_endpoint("PJSIP", resource, behavior="answer", answer_after=0.1)
    async with _service_and_crm(sim, dsn) as (service, crm, api):
        assert service.parts is not None
        caller = await control.place_call(caller_number=caller_number)
        await _until_bridged(control, caller["id"], "PJSIP/101", what="anna")
        [session] = service.parts.sessions.sessions()
        yield crm, api, caller, session.call_id


async def test_an_escalation_is_one_call_for_the_crm_the_rows_and_the_queue_log(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    calling = _call_with_anna(sim, sim_control, db_dsn, caller_number="+4930444")
    async with calling as (crm, api, caller, call_id):
        call = f"/calls/{call_id}"
        status, body = await api.call(
            "POST", f"{call}/consult",
            {"queue": "specialists", "reason": "billing", "note": "refund of March"},
        )  # fmt: skip
        assert (status, body["consulted_operator"]) == (202, "boris"), body
        await _until_bridged(sim_control, "PJSIP/101", "PJSIP/102", what="consulting")
        status, body = await api.call("POST", f"{call}/consult/complete")
        assert status == 200, body
        await _until_bridged(
            sim_control, caller["id"], "PJSIP/102", what="caller with boris", alone=True
        )
        status, body = await api.call("POST", f"{call}/consult/cancel")
        assert (status, body["error"]["id"]) == (409, "conflict")  # nothing to cancel
        row = await _hang_up_for_final_row(sim_control, caller["id"], db_dsn)

        async def all_events() -> list[Hit] | None:
            hits = [h for h in crm.hits if h.call_id == call_id]
            return hits if any(h.event == "call.ended" for h in hits) else None

        hits = await eventually(all_events, what="call.ended delivered")

    # The CRM: one call id; anna's screen pop, the transfer with who/why/to whom, then
    # the call's end with boris as its operator.
    assert [h.event for h in hits] == [
        "call.offered", "call.answered", "call.offered", "call.transferred", "call.ended",
    ]  # fmt: skip
    first_pop, boris_pop = hits[0].json, hits[2].json
    assert "transfer" not in first_pop and boris_pop["operator"]["id"] == "boris"
    assert boris_pop["transfer"] == {
        "from_operator": "anna", "reason": "billing", "note": "refund of March",
    }  # fmt: skip
    transferred = hits[3].json
    assert transferred["kind"] == "attended" and transferred["to"] == {"queue": "specialists"}
    assert transferred["transfer"] == {
        "from_operator": "anna", "reason": "billing", "note": "refund of March",
    }  # fmt: skip
    assert hits[4].json["operator"]["id"] == "boris" and hits[4].json["outcome"] == "answered"

    # The row and the recordings: one call, one bridge throughout, so one recording.
    assert (row["outcome"], row["operator_id"], row["queue_name"]) == (
        "answered", "boris", "support",
    )  # fmt: skip
    recordings = await _rows(db_dsn, "SELECT name FROM recordings WHERE call_id = $1", row["id"])
    assert [r["name"] for r in recordings] == [f"callrouter-{call_id}"]

    # The queue_log export: ATTENDEDTRANSFER in anna's name, then boris completes.
    log = [line for line in await _export(db_dsn) if line[1] == str(call_id)]
    verbs = [(line[4], line[3]) for line in log]
    assert ("ATTENDEDTRANSFER", "anna") in verbs
    [atx] = [line for line in log if line[4] == "ATTENDEDTRANSFER"]
    assert atx[5:7] == ["BRIDGE", f"cr-{call_id}"]
    assert verbs.index(("ATTENDEDTRANSFER", "anna")) < verbs.index(("COMPLETECALLER", "boris"))


async def test_blind_transfer_over_http_needs_exactly_one_target(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _service_and_crm(sim, db_dsn) as (_service, _crm, api):
        path = "/calls/00000000-0000-4000-8000-000000000000/transfer/blind"
        status, body = await api.call("POST", path, {"queue": "sales", "number": "+4930"})
        assert status == 422, body
        status, body = await api.call("POST", path, {"number": "not a number"})
        assert status == 422, body
        status, body = await api.call("POST", path, {"queue": "specialists"})
        assert (status, body["error"]["id"]) == (404, "not-found")


async def test_the_older_transfer_route_takes_the_same_way_and_tells_the_crm(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    calling = _call_with_anna(sim, sim_control, db_dsn, caller_number="+4930666")
    async with calling as (crm, api, caller, call_id):
        status, body = await api.call(
            "POST", f"/calls/{call_id}/transfer", {"queue": "specialists"}
        )
        assert status == 200, body

        async def told() -> Hit | None:
            return next((h for h in crm.hits if h.event == "call.transferred"), None)

        hit = await eventually(told, what="call.transferred")
        await _until_bridged(sim_control, caller["id"], "PJSIP/102", what="boris")
    assert (hit.json["kind"], hit.json["to"]) == ("blind", {"queue": "specialists"})
    assert hit.json["transfer"]["from_operator"] == "anna"
