"""Two README promises on the real service (simulated Asterisk, real PostgreSQL): the
recording duration in the CRM's ``call.ended`` leaves paused time out, and a customer
card's priority stays below the answered outbound customers'."""

from __future__ import annotations

import asyncio

import asyncpg

from callrouter.acd import CallArrived
from callrouter.dialer import OUTBOUND_PRIORITY
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_api_live import TOKEN, Api, _free_port
from tests.calls.test_inbound_flow import bridged_pairs
from tests.crm.receiver import Hit, Receiver

PAUSED_S = 1.5


async def test_the_recording_duration_sent_to_the_crm_leaves_out_the_pause(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    crm = Receiver()
    await crm.start()
    port = _free_port()
    api = Api(port)
    try:
        settings = make_settings(
            sim,
            http={"enabled": True, "host": "127.0.0.1", "port": port, "token": TOKEN},
            crm={"webhooks": {"ended": f"{crm.url}/ended"}},
        )
        async with running_service(settings, db_dsn) as service:
            caller = await sim_control.place_call(caller_number="+4930555777")
            await eventually(lambda: bridged_pairs(sim_control), what="connected and recorded")
            assert service.parts is not None

            async def recording() -> bool:
                [session] = service.parts.sessions.sessions()  # type: ignore[union-attr]
                return session.recording_name is not None

            await eventually(recording, what="the recording started")
            [session] = service.parts.sessions.sessions()
            path = f"/calls/{session.call_id}/recording"
            await asyncio.sleep(0.3)
            assert (await api.call("POST", path + "/pause"))[0] == 200
            await asyncio.sleep(PAUSED_S)  # a card number is read out
            assert (await api.call("POST", path + "/resume"))[0] == 200
            await asyncio.sleep(0.3)
            await sim_control.hangup(caller["id"])

            async def ended() -> Hit | None:
                return next((h for h in crm.hits if h.event == "call.ended"), None)

            hit = await eventually(ended, what="call.ended delivered")
    finally:
        await crm.stop()
    talk_s, duration_s = hit.json["talk_s"], hit.json["recording"]["duration_s"]
    assert talk_s >= PAUSED_S + 0.5
    # Recorded: the talk minus the pause (the recording starts just after the bridge).
    assert 0.4 <= duration_s <= talk_s - PAUSED_S + 0.2, (talk_s, duration_s)


async def test_a_vip_card_never_ties_with_an_answered_outbound_customer(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "INSERT INTO customers (phone, name, tier, priority)"
            " VALUES ('+4930555888', 'Biggest Co', 'vip', $1)",
            OUTBOUND_PRIORITY,
        )
    finally:
        await conn.close()
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},  # logged out
    )
    async with running_service(settings, db_dsn) as service:
        assert service.parts is not None
        router = service.parts.router
        await sim_control.place_call(caller_number="+4930555888")

        async def vip_waiting() -> bool:
            return len(router.engine.snapshot().queue("support").waiting) == 1

        await eventually(vip_waiting, what="the VIP waiting")
        (vip,) = router.engine.snapshot().queue("support").waiting
        assert vip.priority == OUTBOUND_PRIORITY - 1
        # An answered outbound customer joins after the VIP, as the dialer puts them in.
        router.apply(CallArrived("outbound-customer", "support", router.now(), OUTBOUND_PRIORITY))
        line = [c.call_id for c in router.engine.snapshot().queue("support").waiting]
        assert line == ["outbound-customer", vip.call_id]
