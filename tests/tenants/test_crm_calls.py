"""Whole calls of four tenants through the service and the simulated Asterisk, each
tenant's CRM a real HTTP receiver: a tenant's CRM sees its calls and nobody else's.

acme and globex have CRMs of their own; initech has none, so its calls go to the
center's CRM, with those of the tenant ``default``. Every tenant gets a call answered
and recorded (screen pop, answer, end with the recording) and a caller who asks for a
callback while the phone rings (screen pop, callback, end).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from callrouter.calls._transfers import CallTransfers
from callrouter.crm import verify_signature
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.crm.receiver import Hit, Receiver

SECRETS = {
    "acme": "whsec-acme-service-0b7e",
    "globex": "whsec-globex-service-3f4a",
    "center": "whsec-center-service-9d3e",
}
EVENTS = ("offered", "answered", "ended", "callback")
ANNA = {"endpoint": "PJSIP/101", "logged_in": True}
DIDS = {"acme": "100", "globex": "200", "initech": "300", "default": "400"}


@pytest.fixture
async def crms() -> AsyncIterator[dict[str, Receiver]]:
    receivers = {name: Receiver() for name in SECRETS}
    for receiver in receivers.values():
        await receiver.start()
    yield receivers
    for receiver in receivers.values():
        await receiver.stop()


def _settings(sim: SimulatedAsterisk, crms: dict[str, Receiver]) -> Any:
    def crm(name: str) -> dict[str, Any]:
        return {"webhooks": {e: crms[name].url for e in EVENTS}, "secret": SECRETS[name]}

    queue = {"ring_timeout_s": 30, "wrapup_s": 0, "callback_key": "5"}
    queues = {f"{t}-q": {**queue, "tenant": t} for t in DIDS}
    return make_settings(
        sim,
        tenants={
            "acme": {"name": "ACME", "crm": crm("acme")},
            "globex": {"name": "Globex", "crm": crm("globex")},
            "initech": {"name": "Initech"},
        },
        crm=crm("center"),
        queues=queues,
        operators={"anna": {**ANNA, "queues": dict.fromkeys(queues, 0)}},
        routes={did: f"{tenant}-q" for tenant, did in DIDS.items()},
    )


def _signed_with(secret: str, hit: Hit) -> bool:
    return verify_signature(
        secret,
        timestamp=hit.headers["X-Callrouter-Timestamp"],
        body=hit.body,
        signature=hit.headers["X-Callrouter-Signature"],
    )


async def _ringing(sim_control: SimControl) -> bool:
    state = await sim_control.state()
    return any(ch["state"] == "Ringing" for ch in state["channels"])


async def test_each_tenants_crm_sees_its_calls_and_no_one_elses(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, crms: dict[str, Receiver]
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    async with running_service(_settings(sim, crms), db_dsn):
        done = 0
        for did in DIDS.values():  # answered, recorded, hung up
            caller = await sim_control.place_call(exten=did, caller_number=f"+1{did}")
            await eventually(lambda: bridged_pairs(sim_control), what=f"call to {did} bridged")
            await sim_control.hangup(caller["id"])
            done += 1
            await final_call_row(db_dsn, count=done)
        await sim_control.set_endpoint("PJSIP", "101", behavior="noanswer")
        for did in DIDS.values():  # a callback asked for while the phone rings
            caller = await sim_control.place_call(exten=did, caller_number=f"+2{did}")
            await eventually(lambda: _ringing(sim_control), what=f"call to {did} ringing")
            await sim_control.send_dtmf(caller["id"], "5")
            done += 1
            await final_call_row(db_dsn, count=done)
        rows = await final_call_row(db_dsn, count=done)

        async def all_delivered() -> bool:
            conn = await asyncpg.connect(db_dsn)
            try:
                counts = await conn.fetchrow(
                    "SELECT count(*) FILTER (WHERE status = 'delivered') AS done, count(*)"
                    " FROM webhook_deliveries"
                )
            finally:
                await conn.close()
            # 4 tenants x (offered, answered, ended + offered, callback, ended)
            return bool(counts["done"] == counts["count"] == 24)

        await eventually(all_delivered, what="every webhook delivered")

    calls_of = {t: {str(r["id"]) for r in rows if r["tenant"] == t} for t in DIDS}
    expected = {"acme": calls_of["acme"], "globex": calls_of["globex"],
                "center": calls_of["initech"] | calls_of["default"]}  # fmt: skip
    for name, receiver in crms.items():
        assert {h.call_id for h in receiver.hits} == expected[name], name
        assert all(_signed_with(SECRETS[name], h) for h in receiver.hits), name
        others = [s for n, s in SECRETS.items() if n != name]
        assert not any(_signed_with(s, h) for s in others for h in receiver.hits), name
    answered_call = ["call.offered", "call.answered", "call.ended"]
    callback_call = ["call.offered", "callback.requested", "call.ended"]
    assert sorted(h.event for h in crms["acme"].hits) == sorted(answered_call + callback_call)
    [recorded] = [h.json for h in crms["acme"].hits
                  if h.event == "call.ended" and h.json["recording"]]  # fmt: skip
    assert recorded["recording"]["name"] == f"acme/callrouter-{recorded['call_id']}"


async def test_a_transferred_calls_webhooks_stay_with_its_tenants_crm(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, crms: dict[str, Receiver]
) -> None:
    for endpoint in ("101", "102"):
        await sim_control.set_endpoint("PJSIP", endpoint, behavior="answer", answer_after=0.1)
    settings = make_settings(
        sim,
        tenants={"acme": {"crm": {"webhooks": {e: crms["acme"].url for e in
                                               (*EVENTS, "transferred")},
                                  "secret": SECRETS["acme"]}}},
        crm={"webhooks": {e: crms["center"].url for e in (*EVENTS, "transferred")}},
        queues={"acme-q": {"tenant": "acme", "wrapup_s": 0},
                "acme-sales": {"tenant": "acme", "wrapup_s": 0}},
        operators={"anna": {**ANNA, "queues": {"acme-q": 0}},
                   "boris": {"endpoint": "PJSIP/102", "queues": {"acme-sales": 0},
                             "logged_in": True}},
        routes={"100": "acme-q"},
    )  # fmt: skip
    async with running_service(settings, db_dsn) as service:
        caller = await sim_control.place_call(exten="100")
        await eventually(lambda: bridged_pairs(sim_control), what="anna connected")
        assert service.parts is not None
        [session] = service.parts.sessions.sessions()
        transfers = service.parts.extra["transfers"]
        assert isinstance(transfers, CallTransfers)
        await transfers.blind(
            session.call_id, kind="queue", target="acme-sales", reason="sales", note=None
        )

        async def boris_answered() -> bool:
            return sum(h.event == "call.answered" for h in crms["acme"].hits) == 2

        await eventually(boris_answered, what="boris answered the transferred call")
        await sim_control.hangup(caller["id"])

        async def ended() -> bool:
            return any(h.event == "call.ended" for h in crms["acme"].hits)

        await eventually(ended, what="call.ended delivered")
    events = [h.event for h in crms["acme"].hits]
    assert events.count("call.transferred") == 1 and events.count("call.offered") == 2
    assert {h.call_id for h in crms["acme"].hits} == {session.call_id}
    assert all(_signed_with(SECRETS["acme"], h) for h in crms["acme"].hits)
    assert crms["center"].hits == []
    # Each part of the conversation is recorded in acme's folder.
    [row] = await final_call_row(db_dsn)
    conn = await asyncpg.connect(db_dsn)
    try:
        names = [
            r["name"]
            for r in await conn.fetch(
                "SELECT name FROM recordings WHERE call_id = $1 ORDER BY started_at", row["id"]
            )
        ]
    finally:
        await conn.close()
    call_id = session.call_id
    assert names == [f"acme/callrouter-{call_id}", f"acme/callrouter-{call_id}-2"]
